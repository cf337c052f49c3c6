package fakegithub

import (
	"net/url"
	"strings"
)

// Environments. Names are routed as one escaped path segment: "prod/eu"
// must arrive as "prod%2Feu".

// envRules derives the built-in protection rules in the order GitHub's
// example shows them: wait_timer, required_reviewers, branch_policy.
type envRule struct {
	id   int64
	kind string // wait_timer | required_reviewers | branch_policy
}

func envRules(repoID int64, e *Environment) []envRule {
	eid := e.id(repoID)
	var rules []envRule
	if e.WaitTimer > 0 {
		rules = append(rules, envRule{stableID("rule", eid, "wait_timer"), "wait_timer"})
	}
	if len(e.Reviewers) > 0 {
		rules = append(rules, envRule{stableID("rule", eid, "required_reviewers"), "required_reviewers"})
	}
	if e.ProtectedBranches || len(e.BranchPolicies) > 0 {
		rules = append(rules, envRule{stableID("rule", eid, "branch_policy"), "branch_policy"})
	}
	return rules
}

func reviewerID(o *Org, rv Reviewer) int64 {
	if rv.ID != 0 {
		return rv.ID
	}
	if rv.Type == "Team" {
		return stableID("team", o.Login, strings.ToLower(rv.Slug))
	}
	return stableID("user", strings.ToLower(rv.Login))
}

func (c *rctx) envJSON(o *Org, r *Repo, e *Environment) obj {
	eid := e.id(r.ID)
	rules := []obj{}
	for _, rule := range envRules(r.ID, e) {
		j := obj{"id": rule.id, "node_id": nodeID("Gate", rule.id), "type": rule.kind}
		switch rule.kind {
		case "wait_timer":
			j["wait_timer"] = e.WaitTimer
		case "required_reviewers":
			j["prevent_self_review"] = e.PreventSelfReview
			revs := []obj{}
			for _, rv := range e.Reviewers {
				if rv.Type == "Team" {
					revs = append(revs, obj{"type": "Team", "reviewer": c.teamJSON(o, rv.Slug, reviewerID(o, rv))})
				} else {
					revs = append(revs, obj{"type": "User", "reviewer": c.userJSON(rv.Login, reviewerID(o, rv), "User")})
				}
			}
			j["reviewers"] = revs
		}
		rules = append(rules, j)
	}
	var policy any // null: every branch may deploy
	switch {
	case len(e.BranchPolicies) > 0:
		policy = obj{"protected_branches": false, "custom_branch_policies": true}
	case e.ProtectedBranches:
		policy = obj{"protected_branches": true, "custom_branch_policies": false}
	}
	full := o.Login + "/" + r.Name
	return obj{
		"id":                       eid,
		"node_id":                  nodeID("Environment", eid),
		"name":                     e.Name,
		"url":                      c.base() + "repos/" + full + "/environments/" + url.PathEscape(e.Name),
		"html_url":                 c.htmlBase() + full + "/deployments/activity_log?environments_filter=" + url.QueryEscape(e.Name),
		"created_at":               ts(e.CreatedAt),
		"updated_at":               ts(e.UpdatedAt),
		"protection_rules":         rules,
		"deployment_branch_policy": policy,
	}
}

// GET /repos/{o}/{r}/environments: paginated by page/per_page, but GitHub's
// description declares no Link header, so none is sent; clients page by
// total_count.
func (s *Server) listEnvironments(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	envs := sortedByName(r.Environments, func(e *Environment) string { return e.Name })
	resp := newOK()
	page := pageOf(c, resp, envs, 30, 100, false, c.path)
	out := make([]obj, 0, len(page))
	for _, e := range page {
		out = append(out, c.envJSON(o, r, e))
	}
	return resp.setJSON(obj{"total_count": len(envs), "environments": out})
}

func (c *rctx) envAccess() (*Org, *Repo, *Environment, *response) {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return nil, nil, nil, denied
	}
	e := r.env(c.params["environment_name"])
	if e == nil {
		return nil, nil, nil, notFound()
	}
	return o, r, e, nil
}

func (s *Server) getEnvironment(c *rctx) *response {
	o, r, e, denied := c.envAccess()
	if denied != nil {
		return denied
	}
	return ok(c.envJSON(o, r, e))
}

func (s *Server) listEnvSecrets(c *rctx) *response {
	_, _, e, denied := c.envAccess()
	if denied != nil {
		return denied
	}
	return c.secretsPage(e.Secrets)
}

func (s *Server) listEnvVariables(c *rctx) *response {
	_, _, e, denied := c.envAccess()
	if denied != nil {
		return denied
	}
	return c.variablesPage(e.Variables)
}

// GET .../deployment-branch-policies: no Link declared either (and go-github
// v62 cannot page it).
func (s *Server) listBranchPolicies(c *rctx) *response {
	_, r, e, denied := c.envAccess()
	if denied != nil {
		return denied
	}
	resp := newOK()
	page := pageOf(c, resp, e.BranchPolicies, 30, 100, false, c.path)
	out := make([]obj, 0, len(page))
	for _, bp := range page {
		id := bp.ID
		if id == 0 {
			id = stableID("branch-policy", e.id(r.ID), bp.Name, bp.Type)
		}
		typ := bp.Type
		if typ != "tag" {
			typ = "branch"
		}
		out = append(out, obj{"id": id, "node_id": nodeID("DeploymentBranchPolicy", id), "name": bp.Name, "type": typ})
	}
	return resp.setJSON(obj{"total_count": len(e.BranchPolicies), "branch_policies": out})
}
