package fakegithub

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"
)

// go-github v62 decodes everything the fake serves, and the validator finds
// nothing wrong with it.

func TestGoGitHubListByOrgFollowsLink(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{}, true)
	for _, tc := range []struct {
		token string
		want  int // repositories visible
	}{
		{tokAdmin, 35},  // all
		{tokNoRepo, 33}, // no private or internal
		{tokFG, 34},     // public ones plus its selected private one (api)
		{"", 33},        // anonymous: public only
	} {
		c := ghClient(t, s, tc.token)
		opt := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 10}}
		var names []string
		pages := 0
		for {
			repos, resp, err := c.Repositories.ListByOrg(ctx, "acme", opt)
			if err != nil {
				t.Fatalf("%s: %v", Fingerprint(tc.token), err)
			}
			pages++
			for _, r := range repos {
				names = append(names, r.GetName())
				if r.GetOwner().GetLogin() != "acme" || r.GetVisibility() == "" || r.GetDefaultBranch() == "" {
					t.Errorf("incomplete repository %+v", r)
				}
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
		if len(names) != tc.want || pages != (tc.want+9)/10 {
			t.Errorf("%s: got %d repos in %d pages, want %d", Fingerprint(tc.token), len(names), pages, tc.want)
		}
	}
}

// The Link URLs are id-based (/organizations/{id}/repos), like GitHub's;
// following them literally must work too.
func TestLinkURLsAreServed(t *testing.T) {
	s := newServer(t, Options{}, true)
	u := s.URL() + "orgs/acme/repos?per_page=20&type=all"
	var got int
	for u != "" {
		r := do(t, "GET", u, tokAdmin, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", u, r.status, r.body)
		}
		if n := len(r.header.Values("Link")); n > 1 {
			t.Fatalf("%d Link headers, want one", n)
		}
		got += strings.Count(string(r.body), `"full_name"`)
		u = ""
		for _, part := range strings.Split(r.header.Get("Link"), ",") {
			if strings.Contains(part, `rel="next"`) {
				u = strings.Trim(strings.TrimSpace(strings.Split(part, ";")[0]), "<>")
				if !strings.Contains(u, "/organizations/1000/repos?") || !strings.Contains(u, "type=all") {
					t.Errorf("next link %s: want id-based and keeping the query", u)
				}
			}
		}
	}
	if got != 35 {
		t.Errorf("followed Link to %d repos, want 35", got)
	}
}

func TestGoGitHubActionsAndEnvironments(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{}, true)
	c := ghClient(t, s, tokAdmin)

	secrets, _, err := c.Actions.ListRepoSecrets(ctx, "acme", "web", &github.ListOptions{PerPage: 100})
	if err != nil || secrets.TotalCount != 2 || secrets.Secrets[0].Name != "NPM_TOKEN" || secrets.Secrets[0].CreatedAt.IsZero() {
		t.Errorf("ListRepoSecrets: %+v, %v", secrets, err)
	}
	orgSecrets, _, err := c.Actions.ListOrgSecrets(ctx, "acme", nil)
	if err != nil || orgSecrets.TotalCount != 3 || orgSecrets.Secrets[2].Visibility != "selected" ||
		!strings.HasSuffix(orgSecrets.Secrets[2].SelectedRepositoriesURL, "/orgs/acme/actions/secrets/ORG_SELECTED/repositories") {
		t.Errorf("ListOrgSecrets: %+v, %v", orgSecrets, err)
	}
	sel, resp, err := c.Actions.ListSelectedReposForOrgSecret(ctx, "acme", "ORG_SELECTED", &github.ListOptions{PerPage: 2})
	if err != nil || sel.GetTotalCount() != 3 || len(sel.Repositories) != 2 || resp.NextPage != 0 {
		t.Errorf("ListSelectedReposForOrgSecret: %+v next=%d, %v (no Link is declared: clients page by total_count)", sel, resp.NextPage, err)
	}
	repoOrg, _, err := c.Actions.ListRepoOrgSecrets(ctx, "acme", "api", nil)
	if err != nil || repoOrg.TotalCount != 3 {
		t.Errorf("ListRepoOrgSecrets(api): %+v, %v", repoOrg, err)
	}
	repoOrg, _, err = c.Actions.ListRepoOrgSecrets(ctx, "acme", "repo-01", nil)
	if err != nil || repoOrg.TotalCount != 1 {
		t.Errorf("ListRepoOrgSecrets(repo-01): %+v, %v", repoOrg, err)
	}

	envs, resp, err := c.Repositories.ListEnvironments(ctx, "acme", "web", &github.EnvironmentListOptions{ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil {
		t.Fatalf("ListEnvironments: %v", err)
	}
	if envs.GetTotalCount() != 3 || len(envs.Environments) != 2 || resp.NextPage != 0 {
		t.Errorf("ListEnvironments page: total %d, %d items, next %d", envs.GetTotalCount(), len(envs.Environments), resp.NextPage)
	}
	prod := envs.Environments[1]
	if prod.GetName() != "production" || len(prod.ProtectionRules) != 3 {
		t.Fatalf("production: %+v", prod)
	}
	rules := prod.ProtectionRules
	if rules[0].GetType() != "wait_timer" || rules[0].GetWaitTimer() != 30 ||
		rules[1].GetType() != "required_reviewers" || !rules[1].GetPreventSelfReview() || len(rules[1].Reviewers) != 2 ||
		rules[2].GetType() != "branch_policy" {
		t.Errorf("protection rules: %+v", rules)
	}
	if u, ok := rules[1].Reviewers[0].Reviewer.(*github.User); !ok || u.GetLogin() != "octocat" {
		t.Errorf("user reviewer: %#v", rules[1].Reviewers[0].Reviewer)
	}
	if tm, ok := rules[1].Reviewers[1].Reviewer.(*github.Team); !ok || tm.GetSlug() != "release-team" {
		t.Errorf("team reviewer: %#v", rules[1].Reviewers[1].Reviewer)
	}
	if p := prod.DeploymentBranchPolicy; p == nil || !p.GetCustomBranchPolicies() || p.GetProtectedBranches() {
		t.Errorf("deployment_branch_policy: %+v", p)
	}
	bp, _, err := c.Repositories.ListDeploymentBranchPolicies(ctx, "acme", "web", "production")
	if err != nil || bp.GetTotalCount() != 2 || bp.BranchPolicies[1].GetType() != "tag" {
		t.Errorf("ListDeploymentBranchPolicies: %+v, %v", bp, err)
	}
	env, _, err := c.Repositories.GetEnvironment(ctx, "acme", "web", url.PathEscape("prod/eu"))
	if err != nil || env.GetName() != "prod/eu" || !env.DeploymentBranchPolicy.GetProtectedBranches() {
		t.Errorf("GetEnvironment(prod/eu): %+v, %v", env, err)
	}
	ev, _, err := c.Actions.ListEnvVariables(ctx, "acme", "web", "production", nil)
	if err != nil || ev.TotalCount != 1 || ev.Variables[0].Value != "us" {
		t.Errorf("ListEnvVariables: %+v, %v", ev, err)
	}

	// Variables: at most 30 per page.
	var vars []string
	opt := &github.ListOptions{PerPage: 100}
	pages := 0
	for {
		v, resp, err := c.Actions.ListRepoVariables(ctx, "acme", "web", opt)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if v.TotalCount != 35 {
			t.Errorf("total_count %d", v.TotalCount)
		}
		for _, x := range v.Variables {
			vars = append(vars, x.Name+"="+x.Value)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(vars) != 35 || pages != 2 || vars[34] != "VAR_34=34" {
		t.Errorf("ListRepoVariables: %d vars in %d pages (%v)", len(vars), pages, vars[len(vars)-1])
	}
	ov, _, err := c.Actions.ListOrgVariables(ctx, "acme", nil)
	if err != nil || ov.TotalCount != 2 || ov.Variables[1].GetVisibility() != "selected" {
		t.Errorf("ListOrgVariables: %+v, %v", ov, err)
	}
	ovr, _, err := c.Actions.ListSelectedReposForOrgVariable(ctx, "acme", "ORG_VAR_SELECTED", nil)
	if err != nil || ovr.GetTotalCount() != 1 {
		t.Errorf("ListSelectedReposForOrgVariable: %+v, %v", ovr, err)
	}
	_, resp, err = c.Actions.ListSelectedReposForOrgVariable(ctx, "acme", "ORG_VAR_ALL", nil)
	if err == nil || resp.StatusCode != 409 {
		t.Errorf("selected repos of a visibility-all variable: %v, want 409", err)
	}
}

func TestGoGitHubContentsTreesBlobs(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{}, true)
	c := ghClient(t, s, tokAdmin)

	file, _, _, err := c.Repositories.GetContents(ctx, "acme", "web", ".github/workflows/release.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	text, err := file.GetContent()
	if err != nil || !strings.Contains(text, "npm publish") {
		t.Errorf("GetContents file: %q, %v", text, err)
	}
	_, dir, _, err := c.Repositories.GetContents(ctx, "acme", "web", ".github/workflows", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil || len(dir) != 2 || dir[0].GetName() != "ci.yml" || dir[0].GetType() != "file" {
		t.Errorf("GetContents dir: %+v, %v", dir, err)
	}
	_, root, _, err := c.Repositories.GetContents(ctx, "acme", "web", "", nil)
	if err != nil || len(root) != 3 || root[0].GetType() != "dir" {
		t.Errorf("GetContents root: %+v, %v", root, err)
	}
	_, _, resp, err := c.Repositories.GetContents(ctx, "acme", "web", "nope.yml", nil)
	if err == nil || resp.StatusCode != 404 {
		t.Errorf("missing file: %v", err)
	}

	tree, _, err := c.Git.GetTree(ctx, "acme", "web", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	var blobSHA string
	paths := map[string]string{}
	for _, e := range tree.Entries {
		paths[e.GetPath()] = e.GetType()
		if e.GetPath() == ".github/workflows/ci.yml" {
			blobSHA = e.GetSHA()
		}
	}
	if paths[".github"] != "tree" || paths[".github/workflows/ci.yml"] != "blob" || len(tree.Entries) != 7 || tree.GetTruncated() {
		t.Errorf("GetTree recursive: %v", paths)
	}
	flat, _, err := c.Git.GetTree(ctx, "acme", "web", tree.GetSHA(), false)
	if err != nil || len(flat.Entries) != 3 {
		t.Errorf("GetTree by sha, not recursive: %+v, %v", flat, err)
	}
	blob, _, err := c.Git.GetBlob(ctx, "acme", "web", blobSHA)
	if err != nil || blob.GetEncoding() != "base64" || blob.GetSize() == 0 {
		t.Fatalf("GetBlob: %+v, %v", blob, err)
	}
	if blobSHA != gitHash("blob", []byte(testState().Orgs["acme"].Repos[0].Files[".github/workflows/ci.yml"])) {
		t.Errorf("blob sha %s is not git's", blobSHA)
	}
	raw, _, err := c.Git.GetBlobRaw(ctx, "acme", "web", blobSHA)
	if err != nil || !strings.HasPrefix(string(raw), "on: push") {
		t.Errorf("GetBlobRaw: %q, %v", raw, err)
	}
	sha := get(t, s, tokAdmin, "repos/acme/web/commits/main", "Accept", "application/vnd.github.sha")
	if sha.status != 200 || len(sha.body) != 40 {
		t.Errorf("commit sha: %d %q", sha.status, sha.body)
	}
	commit, _, err := c.Repositories.GetCommit(ctx, "acme", "web", "main", nil)
	if err != nil || commit.GetSHA() != string(sha.body) || commit.Commit.Tree.GetSHA() != tree.GetSHA() {
		t.Errorf("GetCommit: %+v, %v", commit, err)
	}
	repo, _, err := c.Repositories.Get(ctx, "acme", "api")
	if err != nil || !repo.GetPrivate() || repo.GetVisibility() != "private" || !repo.GetPermissions()["admin"] {
		t.Errorf("Get(api): %+v, %v", repo, err)
	}
	byID, _, err := c.Repositories.GetByID(ctx, 2002)
	if err != nil || byID.GetFullName() != "acme/api" {
		t.Errorf("GetByID: %+v, %v", byID, err)
	}
}

func TestGoGitHubRateLimitAndUser(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{}, true)
	c := ghClient(t, s, tokAdmin)
	if _, _, err := c.Users.Get(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Organizations.Get(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	rl, _, err := c.RateLimit.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Core.Limit != 5000 || rl.Core.Remaining != 4998 || rl.GraphQL.Remaining != 5000 {
		t.Errorf("rate limits: core %+v graphql %+v", rl.Core, rl.GraphQL)
	}
	if st := s.Stats(); st.Charged != 2 || st.Requests != 3 {
		t.Errorf("GET /rate_limit must not be charged: %+v", st)
	}
}
