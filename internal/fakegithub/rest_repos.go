package fakegithub

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GET /rate_limit: not charged; reports the caller's core and graphql
// budgets. The deprecated top-level "rate" (= core) is dropped under API
// version 2026-03-10, as GitHub's changelog says.
func (s *Server) getRateLimit(c *rctx) *response {
	now := s.now()
	core := s.bucketFor(c.p, "core")
	gql := s.bucketFor(c.p, "graphql")
	one := func(b *bucket) obj {
		return obj{"limit": b.limit, "remaining": b.remaining(now), "used": b.used, "reset": b.resetAt(now).Unix()}
	}
	fixed := func(limit int) obj {
		return obj{"limit": limit, "remaining": limit, "used": 0, "reset": now.Add(time.Minute).Unix()}
	}
	body := obj{"resources": obj{
		"core":                        one(core),
		"graphql":                     one(gql),
		"search":                      fixed(30),
		"code_search":                 fixed(10),
		"integration_manifest":        fixed(5000),
		"source_import":               fixed(100),
		"actions_runner_registration": fixed(10000),
		"scim":                        fixed(15000),
		"dependency_snapshots":        fixed(100),
		"code_scanning_autofix":       fixed(10),
	}}
	if c.version != "2026-03-10" {
		body["rate"] = one(core)
	}
	return ok(body)
}

// GET /user. Installation tokens have no user: 403 as on GitHub.
func (s *Server) getUser(c *rctx) *response {
	switch c.p.kind() {
	case "":
		return requiresAuth()
	case KindInstallation, KindGitHubActions:
		return errResponse(http.StatusForbidden, "Resource not accessible by integration", c.route.doc)
	}
	resp := ok(c.privateUserJSON(c.p.tok))
	resp.lastModified = DefaultTime
	return resp
}

func (s *Server) getOrg(c *rctx) *response {
	o := s.state.org(c.params["org"])
	if o == nil {
		return notFound()
	}
	return ok(c.orgFullJSON(o))
}

func (c *rctx) orgByID() *Org {
	id, err := strconv.ParseInt(c.params["organization_id"], 10, 64)
	if err != nil {
		return nil
	}
	for _, o := range c.s.state.Orgs {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func (o *Org) orgLoginOr(def string) string {
	if o == nil {
		return def
	}
	return o.Login
}

// GET /orgs/{org}/repos and its id-based alias
// /organizations/{organization_id}/repos, which GitHub uses in Link URLs.
func (s *Server) listOrgRepos(c *rctx) *response {
	var o *Org
	if _, byID := c.params["organization_id"]; byID {
		o = c.orgByID()
	} else {
		o = s.state.org(c.params["org"])
	}
	if o == nil {
		return notFound()
	}
	q := c.r.URL.Query()
	typ := q.Get("type")
	var repos []*Repo
	for _, r := range o.sortedRepos() {
		if !c.p.canSee(o, r) {
			continue
		}
		switch typ {
		case "public":
			if r.isPrivate() {
				continue
			}
		case "private":
			if !r.isPrivate() {
				continue
			}
		case "forks":
			if !r.Fork {
				continue
			}
		case "sources":
			if r.Fork {
				continue
			}
		}
		repos = append(repos, r)
	}
	sortRepos(repos, q.Get("sort"), q.Get("direction"))
	resp := newOK()
	page := pageOf(c, resp, repos, 30, 100, true, fmt.Sprintf("organizations/%d/repos", o.ID))
	out := make([]obj, 0, len(page))
	for _, r := range page {
		out = append(out, c.repoJSON(o, r))
	}
	return resp.setJSON(out)
}

// sortRepos applies GitHub's sort (created by default) and direction (asc
// for full_name, else desc by default). Ties keep name order.
func sortRepos(rs []*Repo, by, dir string) {
	if by == "" {
		by = "created"
	}
	if dir == "" {
		dir = "desc"
		if by == "full_name" {
			dir = "asc"
		}
	}
	key := func(r *Repo) string {
		switch by {
		case "updated", "pushed":
			return ts(r.PushedAt)
		case "full_name":
			return strings.ToLower(r.Name)
		}
		return ts(r.CreatedAt)
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := key(rs[i]), key(rs[j])
		if dir == "asc" {
			return a < b
		}
		return a > b
	})
}

func (s *Server) getRepo(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	j := c.repoJSON(o, r)
	// The single-repository view adds the owning organisation and, for
	// admins, the merge settings (as GitHub does).
	j["organization"] = c.orgOwnerJSON(o)
	if c.p.hasScope("repo") {
		for _, k := range []string{"allow_auto_merge", "allow_merge_commit", "allow_rebase_merge", "allow_squash_merge",
			"allow_update_branch", "delete_branch_on_merge", "use_squash_pr_title_as_default"} {
			j[k] = k == "allow_merge_commit" || k == "allow_rebase_merge" || k == "allow_squash_merge"
		}
		j["temp_clone_token"] = ""
	}
	resp := ok(j)
	resp.lastModified = orTime(r.PushedAt)
	return resp
}

func (c *rctx) repoByID() (*Org, *Repo) {
	id, err := strconv.ParseInt(c.params["repository_id"], 10, 64)
	if err != nil {
		return nil, nil
	}
	for _, o := range c.s.state.Orgs {
		for _, r := range o.Repos {
			if r.ID == id {
				return o, r
			}
		}
	}
	return nil, nil
}

// GET /repositories/{id} (go-github GetByID).
func (s *Server) getRepoByID(c *rctx) *response {
	o, r := c.repoByID()
	if r == nil {
		return notFound()
	}
	c.params["owner"], c.params["repo"] = o.Login, r.Name
	return s.getRepo(c)
}
