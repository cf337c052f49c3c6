package fakegithub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// GitHub App endpoints: installation lookup and token minting (JWT auth),
// and the installation's repository list (installation token).

func (s *Server) listInstallationRepos(c *rctx) *response {
	if c.p.kind() != KindInstallation {
		if c.p.tok == nil {
			return requiresAuth()
		}
		return errResponse(http.StatusForbidden, "You must authenticate with an installation access token in order to list repositories for an installation.", c.route.doc)
	}
	type pair struct {
		o *Org
		r *Repo
	}
	var all []pair
	for _, login := range sortedOrgLogins(s.state) {
		o := s.state.Orgs[login]
		if !c.p.tokenSeesOrg(o) {
			continue
		}
		for _, r := range o.sortedRepos() {
			if c.p.selected(o, r) {
				all = append(all, pair{o, r})
			}
		}
	}
	resp := newOK()
	page := pageOf(c, resp, all, 30, 100, true, c.path)
	out := make([]obj, 0, len(page))
	for _, p := range page {
		out = append(out, c.repoJSON(p.o, p.r))
	}
	sel := "all"
	if c.p.tok.Repos != nil {
		sel = "selected"
	}
	return resp.setJSON(obj{"total_count": len(all), "repository_selection": sel, "repositories": out})
}

func (c *rctx) installationJSON(app *App, in *Installation) obj {
	o := c.s.state.org(in.Org)
	var account obj
	var targetID int64
	if o != nil {
		account, targetID = c.orgOwnerJSON(o), o.ID
	} else {
		account = c.userJSON(in.Org, stableID("org", in.Org), "Organization")
		targetID = stableID("org", in.Org)
	}
	sel := "all"
	if in.Repos != nil {
		sel = "selected"
	}
	perms := obj{}
	for k, v := range in.Permissions {
		perms[k] = v
	}
	return obj{
		"id": in.ID, "app_id": app.ID, "app_slug": app.Slug, "client_id": app.ClientID,
		"target_id": targetID, "target_type": "Organization", "account": account,
		"single_file_name": nil, "repository_selection": sel,
		"access_tokens_url": fmt.Sprintf("%sapp/installations/%d/access_tokens", c.base(), in.ID),
		"repositories_url":  c.base() + "installation/repositories",
		"html_url":          fmt.Sprintf("%sorganizations/%s/settings/installations/%d", c.htmlBase(), in.Org, in.ID),
		"events":            []string{}, "permissions": perms,
		"created_at": ts(DefaultTime), "updated_at": ts(DefaultTime),
		"suspended_by": nil, "suspended_at": nil,
	}
}

// GET /orgs/{org}/installation (App JWT).
func (s *Server) getOrgInstallation(c *rctx) *response {
	for _, in := range c.p.app.Installations {
		if o := s.state.org(c.params["org"]); o != nil && equalFold(in.Org, o.Login) {
			return ok(c.installationJSON(c.p.app, in))
		}
	}
	return notFound()
}

// POST /app/installations/{id}/access_tokens (App JWT): mints a one-hour
// installation token with the installation's permissions, optionally
// narrowed by the body's repositories and permissions, and registers it.
func (s *Server) createInstallationToken(c *rctx) *response {
	id, _ := strconv.ParseInt(c.params["installation_id"], 10, 64)
	var in *Installation
	for _, x := range c.p.app.Installations {
		if x.ID == id {
			in = x
		}
	}
	if in == nil {
		return notFound()
	}
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if raw, _ := io.ReadAll(io.LimitReader(c.r.Body, 1<<20)); len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			return errResponse(http.StatusBadRequest, "Problems parsing JSON", c.route.doc)
		}
	}
	repos := in.Repos
	if body.Repositories != nil {
		o := s.state.org(in.Org)
		for _, name := range body.Repositories {
			if o == nil || o.repo(name) == nil || (in.Repos != nil && !containsFold(in.Repos, name)) {
				return errResponse(http.StatusUnprocessableEntity, "There is at least one repository that does not exist or is not accessible to the parent installation.", c.route.doc)
			}
		}
		repos = body.Repositories
	}
	perms := map[string]string{}
	for k, v := range in.Permissions {
		perms[k] = v
	}
	if body.Permissions != nil {
		rank := map[string]int{"read": 1, "write": 2, "admin": 3}
		perms = map[string]string{}
		for k, v := range body.Permissions {
			if rank[v] == 0 || rank[v] > rank[in.Permissions[k]] {
				return errResponse(http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation.", c.route.doc)
			}
			perms[k] = v
		}
	}
	s.mintSeq++
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%d/%d", c.p.app.ID, in.ID, s.mintSeq)))
	token := "ghs_" + hex.EncodeToString(sum[:])[:36]
	expires := s.now().Add(time.Hour).UTC().Truncate(time.Second)
	s.state.Tokens[token] = &Token{
		Kind: KindInstallation, Login: c.p.app.Slug + "[bot]", Permissions: perms, Org: in.Org,
		Repos: repos, RateLimit: in.RateLimit, ExpiresAt: expires, InstallationID: in.ID,
	}
	sel := "all"
	if repos != nil {
		sel = "selected"
	}
	j := obj{"token": token, "expires_at": expires.Format(time.RFC3339), "permissions": perms, "repository_selection": sel}
	if repos != nil {
		var rs []obj
		if o := s.state.org(in.Org); o != nil {
			for _, r := range o.sortedRepos() {
				if containsFold(repos, r.Name) {
					rs = append(rs, c.repoJSON(o, r))
				}
			}
		}
		j["repositories"] = rs
	}
	return jsonResponse(http.StatusCreated, j)
}
