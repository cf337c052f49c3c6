package fakegithub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// Tokens of the test state.
const (
	tokAdmin   = "ghp_classicAdmin000000000000000000000000" // classic, repo + admin:org, org owner
	tokNoRepo  = "ghp_classicNoRepo00000000000000000000000" // classic, read:org only
	tokMember  = "ghp_classicMember00000000000000000000000" // classic, repo + admin:org, not an owner
	tokFG      = "github_pat_fineGrainedAll"                // fine-grained, web + api, all read permissions
	tokFGNone  = "github_pat_fineGrainedNone"               // fine-grained, web only, no permissions
	tokInst    = "ghs_installation000000000000000000000000" // installation, everything
	tokSmall   = "ghp_classicSmall000000000000000000000000" // classic, budget 3
	tokAdmin2  = "ghp_classicAdminTwo000000000000000000000" // classic, another user with the same rights
	bigBlobLen = 600000
)

var fixedNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func testState() *State {
	web := &Repo{
		Name: "web", ID: 2001, Visibility: "public",
		Files: map[string]string{
			".github/workflows/ci.yml":      "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
			".github/workflows/release.yml": "on: release\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
			"README.md":                     "# web\n",
			"src/app.js":                    "console.log('hi')\n",
		},
		Secrets: []*Secret{{Name: "NPM_TOKEN"}, {Name: "PYPI_API_TOKEN"}},
		Environments: []*Environment{
			{Name: "production", WaitTimer: 30, PreventSelfReview: true,
				Reviewers:      []Reviewer{{Type: "User", Login: "octocat"}, {Type: "Team", Slug: "release-team"}},
				BranchPolicies: []BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}},
				Secrets:        []*Secret{{Name: "PROD_NPM_TOKEN"}},
				Variables:      []*Variable{{Name: "REGION", Value: "us"}}},
			{Name: "prod/eu", ProtectedBranches: true, Secrets: []*Secret{{Name: "EU_TOKEN"}}},
			{Name: "staging"},
		},
	}
	for i := 0; i < 35; i++ {
		web.Variables = append(web.Variables, &Variable{Name: fmt.Sprintf("VAR_%02d", i), Value: fmt.Sprint(i)})
	}
	big := strings.Repeat("# padding line for a very large workflow file\n", bigBlobLen/46+1)
	api := &Repo{
		Name: "api", ID: 2002, Visibility: "private",
		Files: map[string]string{
			".github/workflows/big.yml": big,
			".github/workflows/ci.yml":  "on: push\n",
			".github/workflows/bin.dat": "\x00\x01binary",
		},
		Secrets: []*Secret{{Name: "DEPLOY_KEY"}},
	}
	o := &Org{
		Login: "acme", ID: 1000, Admins: []string{"octo-admin"},
		Repos: []*Repo{web, api,
			{Name: "internal-tools", ID: 2003, Visibility: "internal", Files: map[string]string{"x.txt": "x"}},
			{Name: "empty", ID: 2004, Empty: true},
			{Name: "old", ID: 2005, Archived: true, Fork: true, Files: map[string]string{"README": "old"}},
		},
		Secrets: []*OrgSecret{
			{Name: "ORG_ALL"},
			{Name: "ORG_PRIVATE", Visibility: "private"},
			{Name: "ORG_SELECTED", Visibility: "selected", SelectedRepos: []string{"web", "api", "old"}},
		},
		Variables: []*OrgVariable{
			{Name: "ORG_VAR_ALL", Value: "a"},
			{Name: "ORG_VAR_SELECTED", Value: "s", Visibility: "selected", SelectedRepos: []string{"web"}},
		},
	}
	for i := 1; i <= 30; i++ {
		o.Repos = append(o.Repos, &Repo{Name: fmt.Sprintf("repo-%02d", i), ID: int64(3000 + i),
			Files: map[string]string{".github/workflows/ci.yml": fmt.Sprintf("on: push # %d\n", i)}})
	}
	allRead := map[string]string{"metadata": "read", "contents": "read", "secrets": "read", "actions": "read",
		"environments": "read", "variables": "read", "organization_secrets": "read", "organization_variables": "read"}
	return &State{
		Orgs: map[string]*Org{"acme": o},
		Tokens: map[string]*Token{
			tokAdmin:  {Kind: KindClassic, Login: "octo-admin", Scopes: []string{"repo", "admin:org", "workflow"}},
			tokAdmin2: {Kind: KindClassic, Login: "octo-admin-2", Scopes: []string{"repo", "admin:org"}},
			tokNoRepo: {Kind: KindClassic, Login: "octo-reader", Scopes: []string{"read:org"}},
			tokMember: {Kind: KindClassic, Login: "octo-member", Scopes: []string{"repo", "admin:org"}},
			tokFG:     {Kind: KindFineGrained, Login: "fg-user", Org: "acme", Repos: []string{"web", "api"}, Permissions: allRead},
			tokFGNone: {Kind: KindFineGrained, Login: "fg-none", Org: "acme", Repos: []string{"web"}},
			tokInst:   {Kind: KindInstallation, Login: "tpscan[bot]", Org: "acme", Permissions: allRead, InstallationID: 77},
			tokSmall:  {Kind: KindClassic, Login: "small-user", Scopes: []string{"repo"}, RateLimit: 3},
		},
	}
}

// newServer starts a fake over testState with a validator. Tests that want
// a bare server pass validate=false.
func newServer(t *testing.T, opts Options, validate bool) *Server {
	t.Helper()
	if validate {
		opts.Validator = LoadValidator(t)
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	s := New(testState(), opts)
	s.Start(t)
	if validate {
		t.Cleanup(func() {
			for _, v := range s.Violations() {
				t.Errorf("violation: %s", v)
			}
		})
	}
	return s
}

func ghClient(t *testing.T, s *Server, token string) *github.Client {
	t.Helper()
	c := github.NewClient(nil)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// get performs a raw request; path is relative to the REST base.
func get(t *testing.T, s *Server, token, path string, hdr ...string) result {
	t.Helper()
	return do(t, "GET", s.URL()+strings.TrimPrefix(path, "/"), token, "", hdr...)
}

func do(t *testing.T, method, u, token, body string, hdr ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, b}
}

// graphql posts a query and decodes the response.
func graphql(t *testing.T, s *Server, token, query string, vars map[string]any) (int, map[string]any, http.Header) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	r := do(t, "POST", s.GraphQLURL(), token, string(body), "Content-Type", "application/json")
	var m map[string]any
	if len(r.body) > 0 {
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("graphql body %q: %v", r.body, err)
		}
	}
	return r.status, m, r.header
}

// dig walks a decoded JSON value: keys for objects, ints for arrays.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// testClock is an Options.Now that tests may move.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
