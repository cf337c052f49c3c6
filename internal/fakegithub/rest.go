package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const docBase = "https://docs.github.com/rest/"

// restRoutes is the REST surface. The need of each route follows the
// reference's table: classic scope from the operation's description in
// GitHub's OpenAPI, fine-grained/App permission from GitHub's
// fine-grained-pat-permissions data.
func (s *Server) restRoutes() []*route {
	s.routes = nil
	meta := need{perm: "metadata", scopes: []string{"repo"}, public: true}
	contents := need{perm: "contents", scopes: []string{"repo"}, public: true}
	actionsRead := need{perm: "actions", scopes: []string{"repo"}, public: true}
	repoSecrets := need{perm: "secrets", scopes: []string{"repo"}}
	repoVars := need{perm: "actions_variables", scopes: []string{"repo"}}
	envRead := need{perm: "environments", scopes: []string{"repo"}}
	orgSecrets := need{perm: "organization_secrets", scopes: []string{"admin:org"}}
	orgVars := need{perm: "organization_actions_variables", scopes: []string{"admin:org"}}

	s.add(&route{template: "/rate_limit", oaPath: "/rate_limit", free: true, doc: docBase + "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user", h: s.getRateLimit})
	s.add(&route{template: "/user", oaPath: "/user", doc: docBase + "users/users#get-the-authenticated-user", h: s.getUser})
	s.add(&route{template: "/orgs/{org}", oaPath: "/orgs/{org}", need: meta, doc: docBase + "orgs/orgs#get-an-organization", h: s.getOrg})
	s.add(&route{template: "/orgs/{org}/repos", oaPath: "/orgs/{org}/repos", need: meta, doc: docBase + "repos/repos#list-organization-repositories", h: s.listOrgRepos})
	s.add(&route{template: "/organizations/{organization_id}/repos", oaPath: "/orgs/{org}/repos", need: meta,
		oaParams: func(c *rctx) map[string]string { return map[string]string{"org": c.orgByID().orgLoginOr("unknown")} },
		doc:      docBase + "repos/repos#list-organization-repositories", h: s.listOrgRepos})
	s.add(&route{template: "/repos/{owner}/{repo}", oaPath: "/repos/{owner}/{repo}", need: meta, doc: docBase + "repos/repos#get-a-repository", h: s.getRepo})
	s.add(&route{template: "/repositories/{repository_id}", oaPath: "/repos/{owner}/{repo}", need: meta,
		oaParams: func(c *rctx) map[string]string {
			o, r := c.repoByID()
			if r == nil {
				return map[string]string{"owner": "unknown", "repo": "unknown"}
			}
			return map[string]string{"owner": o.Login, "repo": r.Name}
		},
		doc: docBase + "repos/repos#get-a-repository", h: s.getRepoByID})

	s.add(&route{template: "/repos/{owner}/{repo}/actions/secrets", oaPath: "/repos/{owner}/{repo}/actions/secrets", need: repoSecrets, doc: docBase + "actions/secrets#list-repository-secrets", h: s.listRepoSecrets})
	s.add(&route{template: "/repos/{owner}/{repo}/actions/organization-secrets", oaPath: "/repos/{owner}/{repo}/actions/organization-secrets", need: repoSecrets, doc: docBase + "actions/secrets#list-repository-organization-secrets", h: s.listRepoOrgSecrets})
	s.add(&route{template: "/repos/{owner}/{repo}/actions/variables", oaPath: "/repos/{owner}/{repo}/actions/variables", need: repoVars, doc: docBase + "actions/variables#list-repository-variables", h: s.listRepoVariables})
	s.add(&route{template: "/repos/{owner}/{repo}/actions/organization-variables", oaPath: "/repos/{owner}/{repo}/actions/organization-variables", need: repoVars, doc: docBase + "actions/variables#list-repository-organization-variables", h: s.listRepoOrgVariables})

	s.add(&route{template: "/repos/{owner}/{repo}/environments", oaPath: "/repos/{owner}/{repo}/environments", need: actionsRead, doc: docBase + "deployments/environments#list-environments", h: s.listEnvironments})
	s.add(&route{template: "/repos/{owner}/{repo}/environments/{environment_name}", oaPath: "/repos/{owner}/{repo}/environments/{environment_name}", need: actionsRead, doc: docBase + "deployments/environments#get-an-environment", h: s.getEnvironment})
	s.add(&route{template: "/repos/{owner}/{repo}/environments/{environment_name}/secrets", oaPath: "/repos/{owner}/{repo}/environments/{environment_name}/secrets", need: envRead, doc: docBase + "actions/secrets#list-environment-secrets", h: s.listEnvSecrets})
	s.add(&route{template: "/repos/{owner}/{repo}/environments/{environment_name}/variables", oaPath: "/repos/{owner}/{repo}/environments/{environment_name}/variables", need: envRead, doc: docBase + "actions/variables#list-environment-variables", h: s.listEnvVariables})
	s.add(&route{template: "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies", oaPath: "/repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies", need: actionsRead, doc: docBase + "deployments/branch-policies#list-deployment-branch-policies", h: s.listBranchPolicies})

	s.add(&route{template: "/orgs/{org}/actions/secrets", oaPath: "/orgs/{org}/actions/secrets", need: orgSecrets, doc: docBase + "actions/secrets#list-organization-secrets", h: s.listOrgSecrets})
	s.add(&route{template: "/orgs/{org}/actions/secrets/{secret_name}/repositories", oaPath: "/orgs/{org}/actions/secrets/{secret_name}/repositories", need: orgSecrets, doc: docBase + "actions/secrets#list-selected-repositories-for-an-organization-secret", h: s.listOrgSecretRepos})
	s.add(&route{template: "/orgs/{org}/actions/variables", oaPath: "/orgs/{org}/actions/variables", need: orgVars, doc: docBase + "actions/variables#list-organization-variables", h: s.listOrgVariables})
	s.add(&route{template: "/orgs/{org}/actions/variables/{name}/repositories", oaPath: "/orgs/{org}/actions/variables/{name}/repositories", need: orgVars, doc: docBase + "actions/variables#list-selected-repositories-for-an-organization-variable", h: s.listOrgVariableRepos})

	contentsOA := func(c *rctx) map[string]string {
		p := c.params["path"]
		if p == "" {
			p = "." // the root listing has no template of its own
		}
		return map[string]string{"owner": c.params["owner"], "repo": c.params["repo"], "path": p}
	}
	s.add(&route{template: "/repos/{owner}/{repo}/contents/{path}", oaPath: "/repos/{owner}/{repo}/contents/{path}", oaParams: contentsOA, greedy: true, need: contents, doc: docBase + "repos/contents#get-repository-content", h: s.getContents})
	s.add(&route{template: "/repos/{owner}/{repo}/git/trees/{tree_sha}", oaPath: "/repos/{owner}/{repo}/git/trees/{tree_sha}", need: contents, doc: docBase + "git/trees#get-a-tree", h: s.getTree})
	s.add(&route{template: "/repos/{owner}/{repo}/git/blobs/{file_sha}", oaPath: "/repos/{owner}/{repo}/git/blobs/{file_sha}", need: contents, doc: docBase + "git/blobs#get-a-blob", h: s.getBlob})
	s.add(&route{template: "/repos/{owner}/{repo}/commits/{ref}", oaPath: "/repos/{owner}/{repo}/commits/{ref}", need: contents, doc: docBase + "commits/commits#get-a-commit", h: s.getCommit})

	s.add(&route{template: "/installation/repositories", oaPath: "/installation/repositories", doc: docBase + "apps/installations#list-repositories-accessible-to-the-app-installation", h: s.listInstallationRepos})
	s.add(&route{template: "/orgs/{org}/installation", oaPath: "/orgs/{org}/installation", need: need{app: true}, doc: docBase + "apps/apps#get-an-organization-installation-for-the-authenticated-app", h: s.getOrgInstallation})
	s.addCodeScanningRoutes()
	s.add(&route{method: "POST", template: "/app/installations/{installation_id}/access_tokens", oaPath: "/app/installations/{installation_id}/access_tokens", need: need{app: true}, doc: docBase + "apps/apps#create-an-installation-access-token-for-an-app", h: s.createInstallationToken})
	return s.routes
}

// pageParams reads page and per_page. GitHub clamps per_page to the
// endpoint's maximum and falls back to the default for nonsense.
func (c *rctx) pageParams(def, max int) (page, per int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = def
	}
	if per > max {
		per = max
	}
	page, err = strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return page, per
}

// pageOf cuts one page from items (after a TruncateListAt fault, if any)
// and, when link is set and there is more than one page, adds GitHub's Link
// header: one header, rels in GitHub's order prev, next, last, first.
// linkPath is the path (relative to the API base) the Link URLs use.
func pageOf[T any](c *rctx, resp *response, items []T, def, max int, link bool, linkPath string) []T {
	if n := c.s.truncateAt(c.path); n >= 0 && n < len(items) {
		items = items[:n]
	}
	page, per := c.pageParams(def, max)
	last := (len(items) + per - 1) / per
	if last < 1 {
		last = 1
	}
	start := (page - 1) * per
	var out []T
	if start < len(items) {
		end := min(start+per, len(items))
		out = items[start:end]
	}
	if out == nil {
		out = []T{}
	}
	if link && len(items) > per {
		var rels []string
		u := func(p int, rel string) {
			rels = append(rels, fmt.Sprintf("<%s>; rel=%q", c.pageURL(linkPath, p), rel))
		}
		if page > 1 {
			u(min(page-1, last), "prev")
		}
		if page < last {
			u(page+1, "next")
			u(last, "last")
		}
		if page > 1 {
			u(1, "first")
		}
		if len(rels) > 0 {
			resp.header.Set("Link", strings.Join(rels, ", "))
		}
	}
	if link || len(items) > 0 {
		resp.weakETag = true
	}
	return out
}

// pageURL keeps the request's other query parameters in their order and
// sets page, as GitHub's Link URLs do.
func (c *rctx) pageURL(linkPath string, page int) string {
	var parts []string
	for _, kv := range strings.Split(c.r.URL.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		if k == "page" {
			continue
		}
		parts = append(parts, kv)
	}
	parts = append(parts, "page="+strconv.Itoa(page))
	return c.base() + strings.TrimPrefix(linkPath, "/") + "?" + strings.Join(parts, "&")
}

// ok wraps a JSON body in a 200 response; the caller may add headers.
func ok(v any) *response { return jsonResponse(http.StatusOK, v) }

// replaceBody re-encodes v into resp (used after pageOf set headers).
func (resp *response) setJSON(v any) *response {
	r := jsonResponse(resp.status, v)
	resp.body = r.body
	resp.contentType = r.contentType
	return resp
}

func newOK() *response { return &response{status: http.StatusOK, header: http.Header{}} }

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
