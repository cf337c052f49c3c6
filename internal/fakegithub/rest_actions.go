package fakegithub

import (
	"net/http"
	"net/url"
	"sort"
)

// Secrets and variables. Secret values are never served; variable values
// are. Lists are sorted by name. Secrets pages are 30 by default, 100 at
// most; variables 10 and 30 (GitHub's variables-per-page parameter).

func secretJSON(s *Secret) obj {
	return obj{"name": s.Name, "created_at": ts(s.CreatedAt), "updated_at": ts(s.UpdatedAt)}
}

func variableJSON(v *Variable) obj {
	return obj{"name": v.Name, "value": v.Value, "created_at": ts(v.CreatedAt), "updated_at": ts(v.UpdatedAt)}
}

func sortedByName[T any](items []T, name func(T) string) []T {
	out := append([]T(nil), items...)
	sort.SliceStable(out, func(i, j int) bool { return name(out[i]) < name(out[j]) })
	return out
}

func (c *rctx) secretsPage(items []*Secret) *response {
	items = sortedByName(items, func(s *Secret) string { return s.Name })
	resp := newOK()
	page := pageOf(c, resp, items, 30, 100, true, c.path)
	out := make([]obj, 0, len(page))
	for _, s := range page {
		out = append(out, secretJSON(s))
	}
	return resp.setJSON(obj{"total_count": len(items), "secrets": out})
}

func (c *rctx) variablesPage(items []*Variable) *response {
	items = sortedByName(items, func(v *Variable) string { return v.Name })
	resp := newOK()
	page := pageOf(c, resp, items, 10, 30, true, c.path)
	out := make([]obj, 0, len(page))
	for _, v := range page {
		out = append(out, variableJSON(v))
	}
	return resp.setJSON(obj{"total_count": len(items), "variables": out})
}

func (s *Server) listRepoSecrets(c *rctx) *response {
	_, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	return c.secretsPage(r.Secrets)
}

// GET /repos/{o}/{r}/actions/organization-secrets: the organisation
// secrets that reach this repository, without visibility.
func (s *Server) listRepoOrgSecrets(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	var items []*Secret
	for _, os := range o.Secrets {
		if orgItemReaches(os.Visibility, os.SelectedRepos, r) {
			items = append(items, &Secret{Name: os.Name, CreatedAt: os.CreatedAt, UpdatedAt: os.UpdatedAt})
		}
	}
	return c.secretsPage(items)
}

func (s *Server) listRepoVariables(c *rctx) *response {
	_, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	return c.variablesPage(r.Variables)
}

func (s *Server) listRepoOrgVariables(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	var items []*Variable
	for _, ov := range o.Variables {
		if orgItemReaches(ov.Visibility, ov.SelectedRepos, r) {
			items = append(items, &Variable{Name: ov.Name, Value: ov.Value, CreatedAt: ov.CreatedAt, UpdatedAt: ov.UpdatedAt})
		}
	}
	return c.variablesPage(items)
}

func visibilityOr(v string) string {
	switch v {
	case "private", "selected":
		return v
	}
	return "all"
}

func (s *Server) listOrgSecrets(c *rctx) *response {
	o, denied := c.orgAccess()
	if denied != nil {
		return denied
	}
	items := sortedByName(o.Secrets, func(s *OrgSecret) string { return s.Name })
	resp := newOK()
	page := pageOf(c, resp, items, 30, 100, true, c.path)
	out := make([]obj, 0, len(page))
	for _, sec := range page {
		j := obj{"name": sec.Name, "created_at": ts(sec.CreatedAt), "updated_at": ts(sec.UpdatedAt), "visibility": visibilityOr(sec.Visibility)}
		if j["visibility"] == "selected" {
			j["selected_repositories_url"] = c.base() + "orgs/" + o.Login + "/actions/secrets/" + url.PathEscape(sec.Name) + "/repositories"
		}
		out = append(out, j)
	}
	return resp.setJSON(obj{"total_count": len(items), "secrets": out})
}

func (s *Server) listOrgVariables(c *rctx) *response {
	o, denied := c.orgAccess()
	if denied != nil {
		return denied
	}
	items := sortedByName(o.Variables, func(v *OrgVariable) string { return v.Name })
	resp := newOK()
	page := pageOf(c, resp, items, 10, 30, true, c.path)
	out := make([]obj, 0, len(page))
	for _, v := range page {
		j := obj{"name": v.Name, "value": v.Value, "created_at": ts(v.CreatedAt), "updated_at": ts(v.UpdatedAt), "visibility": visibilityOr(v.Visibility)}
		if j["visibility"] == "selected" {
			j["selected_repositories_url"] = c.base() + "orgs/" + o.Login + "/actions/variables/" + url.PathEscape(v.Name) + "/repositories"
		}
		out = append(out, j)
	}
	return resp.setJSON(obj{"total_count": len(items), "variables": out})
}

// selectedRepos serves {total_count, repositories} for a selected-visibility
// organisation secret or variable. OpenAPI declares no Link header here, so
// none is sent: clients must page by total_count. Repositories the token
// cannot see are left out of the page but, as on GitHub (unverified),
// counted.
func (c *rctx) selectedRepos(o *Org, names []string) *response {
	var repos []*Repo
	for _, r := range o.sortedRepos() {
		if containsFold(names, r.Name) {
			repos = append(repos, r)
		}
	}
	resp := newOK()
	page := pageOf(c, resp, repos, 30, 100, false, c.path)
	out := make([]obj, 0, len(page))
	for _, r := range page {
		if c.p.canSee(o, r) {
			out = append(out, c.repoJSON(o, r))
		}
	}
	return resp.setJSON(obj{"total_count": len(repos), "repositories": out})
}

func (s *Server) listOrgSecretRepos(c *rctx) *response {
	o, denied := c.orgAccess()
	if denied != nil {
		return denied
	}
	for _, sec := range o.Secrets {
		if sec.Name == c.params["secret_name"] {
			if visibilityOr(sec.Visibility) != "selected" {
				return errResponse(http.StatusConflict, "The visibility of the secret is not set to selected.", c.route.doc)
			}
			return c.selectedRepos(o, sec.SelectedRepos)
		}
	}
	return notFound()
}

func (s *Server) listOrgVariableRepos(c *rctx) *response {
	o, denied := c.orgAccess()
	if denied != nil {
		return denied
	}
	for _, v := range o.Variables {
		if v.Name == c.params["name"] {
			if visibilityOr(v.Visibility) != "selected" {
				return errResponse(http.StatusConflict, "The visibility of the variable is not set to selected.", c.route.doc)
			}
			return c.selectedRepos(o, v.SelectedRepos)
		}
	}
	return notFound()
}
