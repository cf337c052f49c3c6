package github

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	gh "github.com/google/go-github/v62/github"

	"github.com/tpscan/tpscan/scanner/model"
)

// Page sizes are GitHub's maxima: fewer requests for the same answer.
const (
	perPage         = 100
	perPageVariable = 30
)

// orgSecrets reads organisation secrets and variables with their
// visibility and selected repositories. Without organisation-admin rights
// GitHub refuses; they are then read per repository (two more requests each)
// and their visibility is unknown.
func (s *state) orgSecrets(ctx context.Context) error {
	org := s.opts.Org
	secrets, err := paginate(ctx, "org secrets", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Secret, *gh.Response, int, error) {
		r, resp, err := s.c.rest.Actions.ListOrgSecrets(ctx, org, o)
		if r == nil {
			return nil, resp, 0, err
		}
		return r.Secrets, resp, r.TotalCount, err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if st := status(err); st == 403 || st == 404 {
			s.res.OrgAdmin = false
			s.refused("org secrets", err)
			s.gap(nil, "not-visible", "", fmt.Sprintf("organisation secrets of %s are not listable with this credential (HTTP %d%s): they are read per repository, without their visibility", org, st, needs(err)))
			return nil
		}
		return fmt.Errorf("organisation secrets of %s: %w", org, s.c.safe(err))
	}
	s.res.OrgAdmin = true
	for _, sec := range secrets {
		m := &model.Secret{Name: sec.Name, Scope: model.ScopeOrganization, Visibility: sec.Visibility,
			CreatedAt: sec.CreatedAt.GetTime().UTC(), UpdatedAt: sec.UpdatedAt.GetTime().UTC()}
		if sec.Visibility == "selected" {
			repos, err := paginate(ctx, "org secret repositories", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Repository, *gh.Response, int, error) {
				r, resp, err := s.c.rest.Actions.ListSelectedReposForOrgSecret(ctx, org, sec.Name, o)
				if r == nil {
					return nil, resp, 0, err
				}
				return r.Repositories, resp, r.GetTotalCount(), err
			})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.gap(nil, "partial", "", fmt.Sprintf("the repositories that organisation secret %s is shared with could not be listed: %v", sec.Name, s.c.safe(err)))
			}
			for _, r := range repos {
				m.SelectedRepos = append(m.SelectedRepos, r.GetFullName())
			}
		}
		s.inv.OrgSecrets = append(s.inv.OrgSecrets, m)
	}
	vars, err := paginate(ctx, "org variables", perPageVariable, func(ctx context.Context, o *gh.ListOptions) ([]*gh.ActionsVariable, *gh.Response, int, error) {
		r, resp, err := s.c.rest.Actions.ListOrgVariables(ctx, org, o)
		if r == nil {
			return nil, resp, 0, err
		}
		return r.Variables, resp, r.TotalCount, err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.refused("org variables", err)
		s.gap(nil, "not-visible", "", fmt.Sprintf("organisation variables of %s could not be listed (%v)", org, s.c.safe(err)))
	}
	for _, v := range vars {
		s.inv.OrgVariables = append(s.inv.OrgVariables, &model.Variable{Name: v.Name, Scope: model.ScopeOrganization,
			Visibility: v.GetVisibility(), Value: v.Value, UpdatedAt: v.UpdatedAt.GetTime().UTC()})
	}
	return nil
}

// perRepo starts the workers that read each repository's secrets,
// variables and environments as repositories arrive on work; the returned
// function waits for them.
func (s *state) perRepo(ctx context.Context, work <-chan *repoWork) func() error {
	var (
		wg   sync.WaitGroup
		done atomic.Int64
	)
	orgSeen := &orgSeen{byName: map[string]*model.Secret{}, vars: map[string]*model.Variable{}}
	for w := 0; w < s.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rw := range work {
				if ctx.Err() == nil {
					s.repoInventory(ctx, rw, orgSeen)
					rw.mu.Lock()
					rw.read = true
					rw.mu.Unlock()
				}
				n := done.Add(1)
				if s.opts.Progress != nil {
					s.opts.Progress(int(n), max(int(s.total.Load()), int(n)))
				}
			}
		}()
	}
	return func() error {
		wg.Wait()
		if !s.res.OrgAdmin && s.opts.Org != "" {
			s.inv.OrgSecrets = append(s.inv.OrgSecrets, orgSeen.secrets()...)
			s.inv.OrgVariables = append(s.inv.OrgVariables, orgSeen.variables()...)
		}
		if err := ctx.Err(); err != nil {
			unread := 0
			for _, rw := range s.repos {
				if !rw.read {
					rw.meta.Complete = false
					rw.gaps = append(rw.gaps, model.CoverageGap{Repo: rw.repo.Name, Kind: "interrupted", Message: "scan interrupted before its secrets were read"})
					unread++
				}
			}
			s.gap(nil, "interrupted", "", fmt.Sprintf("scan interrupted: the secrets of %d of %d listed repositories were not read", unread, len(s.repos)))
			return err
		}
		return nil
	}
}

// orgSeen gathers organisation secrets and variables as repositories report
// them, when the organisation's own list is out of reach.
type orgSeen struct {
	mu     sync.Mutex
	byName map[string]*model.Secret
	vars   map[string]*model.Variable
}

func (o *orgSeen) secret(repo string, sec *gh.Secret) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.byName[sec.Name]
	if m == nil {
		// Visibility is unknown; "selected" with the repositories that
		// report it is exactly what can be said.
		m = &model.Secret{Name: sec.Name, Scope: model.ScopeOrganization, Visibility: "selected",
			CreatedAt: sec.CreatedAt.GetTime().UTC(), UpdatedAt: sec.UpdatedAt.GetTime().UTC()}
		o.byName[sec.Name] = m
	}
	m.SelectedRepos = append(m.SelectedRepos, repo)
}

func (o *orgSeen) variable(v *gh.ActionsVariable) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.vars[v.Name]; !ok {
		o.vars[v.Name] = &model.Variable{Name: v.Name, Scope: model.ScopeOrganization, Visibility: "selected", Value: v.Value, UpdatedAt: v.UpdatedAt.GetTime().UTC()}
	}
}

func (o *orgSeen) secrets() []*model.Secret {
	out := make([]*model.Secret, 0, len(o.byName))
	for _, m := range o.byName {
		sort.Strings(m.SelectedRepos)
		out = append(out, m)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func (o *orgSeen) variables() []*model.Variable {
	out := make([]*model.Variable, 0, len(o.vars))
	for _, m := range o.vars {
		out = append(out, m)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

// repoInventory reads one repository's secrets, variables and environment
// secrets. A refusal is recorded for the repository, never fatal.
func (s *state) repoInventory(ctx context.Context, rw *repoWork, seen *orgSeen) {
	r := rw.repo
	owner, name, _ := strings.Cut(r.Name, "/")
	secrets, err := paginate(ctx, "repo secrets", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Secret, *gh.Response, int, error) {
		x, resp, err := s.c.rest.Actions.ListRepoSecrets(ctx, owner, name, o)
		if x == nil {
			return nil, resp, 0, err
		}
		return x.Secrets, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "repository secrets", err)
	} else {
		r.SecretsKnown = true
		for _, sec := range secrets {
			r.Secrets = append(r.Secrets, &model.Secret{Name: sec.Name, Scope: model.ScopeRepository, Repo: r.Name,
				CreatedAt: sec.CreatedAt.GetTime().UTC(), UpdatedAt: sec.UpdatedAt.GetTime().UTC()})
		}
	}
	vars, err := paginate(ctx, "repo variables", perPageVariable, func(ctx context.Context, o *gh.ListOptions) ([]*gh.ActionsVariable, *gh.Response, int, error) {
		x, resp, err := s.c.rest.Actions.ListRepoVariables(ctx, owner, name, o)
		if x == nil {
			return nil, resp, 0, err
		}
		return x.Variables, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "repository variables", err)
	}
	for _, v := range vars {
		r.Variables = append(r.Variables, &model.Variable{Name: v.Name, Scope: model.ScopeRepository, Repo: r.Name, Value: v.Value, UpdatedAt: v.UpdatedAt.GetTime().UTC()})
	}
	if !s.res.OrgAdmin && s.opts.Org != "" {
		s.orgPerRepo(ctx, rw, seen)
	}
	if rw.envMore {
		s.allEnvironments(ctx, rw)
	}
	for _, env := range r.Environments {
		s.envInventory(ctx, rw, env.Name)
	}
}

// orgPerRepo reads the organisation secrets and variables one repository
// can see, for credentials without organisation-admin rights.
func (s *state) orgPerRepo(ctx context.Context, rw *repoWork, seen *orgSeen) {
	owner, name, _ := strings.Cut(rw.repo.Name, "/")
	secrets, err := paginate(ctx, "repo org-secrets", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Secret, *gh.Response, int, error) {
		x, resp, err := s.c.rest.Actions.ListRepoOrgSecrets(ctx, owner, name, o)
		if x == nil {
			return nil, resp, 0, err
		}
		return x.Secrets, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "organisation secrets shared with it", err)
	}
	for _, sec := range secrets {
		seen.secret(rw.repo.Name, sec)
	}
	vars, err := paginate(ctx, "repo org-variables", perPageVariable, func(ctx context.Context, o *gh.ListOptions) ([]*gh.ActionsVariable, *gh.Response, int, error) {
		x, resp, err := s.c.rest.Actions.ListRepoOrgVariables(ctx, owner, name, o)
		if x == nil {
			return nil, resp, 0, err
		}
		return x.Variables, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "organisation variables shared with it", err)
	}
	for _, v := range vars {
		seen.variable(v)
	}
}

// allEnvironments lists environments over REST when a repository has more
// than the GraphQL query reads.
func (s *state) allEnvironments(ctx context.Context, rw *repoWork) {
	owner, name, _ := strings.Cut(rw.repo.Name, "/")
	envs, err := paginate(ctx, "environments", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Environment, *gh.Response, int, error) {
		x, resp, err := s.c.rest.Repositories.ListEnvironments(ctx, owner, name, &gh.EnvironmentListOptions{ListOptions: *o})
		if x == nil {
			return nil, resp, 0, err
		}
		return x.Environments, resp, x.GetTotalCount(), err
	})
	if err != nil {
		s.notVisible(ctx, rw, "environments", err)
		return
	}
	rw.repo.Environments = rw.repo.Environments[:0]
	for _, e := range envs {
		env := &model.Environment{Name: e.GetName()}
		for _, pr := range e.ProtectionRules {
			switch pr.GetType() {
			case "required_reviewers":
				env.RequiredReviewers += max(len(pr.Reviewers), 1)
			case "branch_policy":
				env.BranchPolicy = true
			case "wait_timer":
				env.WaitTimer = pr.GetWaitTimer()
			}
		}
		if e.DeploymentBranchPolicy != nil {
			env.BranchPolicy = true
		}
		rw.repo.Environments = append(rw.repo.Environments, env)
	}
}

// envInventory reads one environment's secrets and variables. go-github
// v62 lists environment secrets on a path GitHub no longer documents, by
// numeric id and without escaping the name, so the request is built here.
func (s *state) envInventory(ctx context.Context, rw *repoWork, env string) {
	r := rw.repo
	owner, name, _ := strings.Cut(r.Name, "/")
	base := fmt.Sprintf("repos/%s/%s/environments/%s/", url.PathEscape(owner), url.PathEscape(name), url.PathEscape(env))
	secrets, err := paginate(ctx, "environment secrets", perPage, func(ctx context.Context, o *gh.ListOptions) ([]*gh.Secret, *gh.Response, int, error) {
		req, err := s.c.rest.NewRequest("GET", fmt.Sprintf("%ssecrets?per_page=%d&page=%d", base, o.PerPage, max(o.Page, 1)), nil)
		if err != nil {
			return nil, nil, 0, err
		}
		var x gh.Secrets
		resp, err := s.c.rest.Do(ctx, req, &x)
		return x.Secrets, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "secrets of environment "+env, err)
	}
	for _, sec := range secrets {
		r.Secrets = append(r.Secrets, &model.Secret{Name: sec.Name, Scope: model.ScopeEnvironment, Repo: r.Name, Environment: env,
			CreatedAt: sec.CreatedAt.GetTime().UTC(), UpdatedAt: sec.UpdatedAt.GetTime().UTC()})
	}
	vars, err := paginate(ctx, "environment variables", perPageVariable, func(ctx context.Context, o *gh.ListOptions) ([]*gh.ActionsVariable, *gh.Response, int, error) {
		req, err := s.c.rest.NewRequest("GET", fmt.Sprintf("%svariables?per_page=%d&page=%d", base, o.PerPage, max(o.Page, 1)), nil)
		if err != nil {
			return nil, nil, 0, err
		}
		var x gh.ActionsVariables
		resp, err := s.c.rest.Do(ctx, req, &x)
		return x.Variables, resp, x.TotalCount, err
	})
	if err != nil {
		s.notVisible(ctx, rw, "variables of environment "+env, err)
	}
	for _, v := range vars {
		r.Variables = append(r.Variables, &model.Variable{Name: v.Name, Scope: model.ScopeEnvironment, Repo: r.Name, Environment: env, Value: v.Value, UpdatedAt: v.UpdatedAt.GetTime().UTC()})
	}
}

// notVisible records what one repository's endpoint refused. 403 and 404
// mean "not visible with this credential": coverage, not failure.
func (s *state) notVisible(ctx context.Context, rw *repoWork, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	st := status(err)
	switch {
	case st == 403 || st == 404:
		s.refused(what, err)
		s.gap(rw, "not-visible", "", fmt.Sprintf("%s not visible with this credential (HTTP %d%s)", what, st, needs(err)))
	case st == 409:
		// 409: the repository is empty or Actions are disabled.
		s.gap(rw, "not-visible", "", fmt.Sprintf("%s: GitHub answered 409 (Actions disabled or repository empty)", what))
	default:
		s.gap(rw, "unreadable", "", fmt.Sprintf("%s could not be read: %v", what, s.c.safe(err)))
	}
}

func needs(err error) string {
	if p := refusedPermissions(err); p != "" {
		return "; needs " + p
	}
	return ""
}

func (s *state) refused(what string, err error) {
	p := refusedPermissions(err)
	if p == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Refused[what] = p
}

// paginate reads every page of a list. It follows GitHub's Link header
// where the endpoint sends one and otherwise pages until total_count items
// are read or a page comes back short: several endpoints (environments,
// selected repositories) are paginated without Link. A list that ends
// before total_count is reported as truncated.
func paginate[T any](ctx context.Context, kind string, size int, fetch func(context.Context, *gh.ListOptions) ([]T, *gh.Response, int, error)) ([]T, error) {
	ctx = withKind(ctx, kind)
	var all []T
	opts := &gh.ListOptions{PerPage: size, Page: 1}
	for pages := 0; pages < 1000; pages++ {
		items, resp, total, err := fetch(ctx, opts)
		if err != nil {
			return all, err
		}
		all = append(all, items...)
		switch {
		case resp != nil && resp.NextPage != 0:
			opts.Page = resp.NextPage
		case len(items) == size && len(all) < total:
			opts.Page++
		default:
			if len(all) < total && len(items) > 0 && len(items) < size {
				return all, &TruncatedError{Kind: kind, Got: len(all), Total: total}
			}
			return all, nil
		}
	}
	return all, nil
}

// TruncatedError says a list ended before the count GitHub announced.
type TruncatedError struct {
	Kind       string
	Got, Total int
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("%s: GitHub announced %d items but returned %d", e.Kind, e.Total, e.Got)
}

// identify finds out who the credential is: the login and, for a classic
// token, its scopes (X-OAuth-Scopes on any response); for an App, the
// installation's permissions as minted.
func (c *Client) identify(ctx context.Context) Identity {
	id := Identity{Kind: c.cred.Kind, Source: c.cred.Source, Fingerprint: c.cred.Fingerprint(), Note: c.cred.Note}
	if c.cred.app != nil {
		if _, err := c.cred.app.Token(ctx); err == nil {
			if p, err := c.cred.app.Permissions(); err == nil {
				id.Permissions = installationPermissions(p)
			}
		}
		return id
	}
	u, resp, err := c.rest.Users.Get(withKind(ctx, "identity"), "")
	if err == nil {
		id.Login = u.GetLogin()
	}
	if resp != nil {
		if sc := resp.Header.Get("X-OAuth-Scopes"); sc != "" {
			for _, x := range strings.Split(sc, ",") {
				if x = strings.TrimSpace(x); x != "" {
					id.Scopes = append(id.Scopes, x)
				}
			}
		}
	}
	return id
}

func installationPermissions(p gh.InstallationPermissions) map[string]string {
	out := map[string]string{}
	add := func(k string, v *string) {
		if v != nil {
			out[k] = *v
		}
	}
	add("actions", p.Actions)
	add("administration", p.Administration)
	add("contents", p.Contents)
	add("environments", p.Environments)
	add("metadata", p.Metadata)
	add("secrets", p.Secrets)
	add("organization_secrets", p.OrganizationSecrets)
	add("security_events", p.SecurityEvents)
	add("workflows", p.Workflows)
	return out
}
