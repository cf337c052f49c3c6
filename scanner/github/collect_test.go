package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/internal/fakegithub"
	"github.com/tpscan/tpscan/scanner/github"
	"github.com/tpscan/tpscan/scanner/model"
)

const (
	adminToken = "ghp_AdminAdminAdminAdminAdminAdmin012345"
	plainToken = "ghp_PlainPlainPlainPlainPlainPlain012345"
	// A canary registry token stored as an Actions variable.
	variableCanary = "npm_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
)

const publishWorkflow = `name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: release/pypi
    steps:
      - uses: actions/checkout@v4
      - uses: ./.github/actions/build
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
`

const compositeAction = `name: build
runs:
  using: composite
  steps:
    - run: python -m build
      shell: bash
`

func smallOrg() *fakegithub.State {
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	return &fakegithub.State{
		Orgs: map[string]*fakegithub.Org{"acme": {
			Login: "acme", Admins: []string{"admin"},
			Repos: []*fakegithub.Repo{
				{Name: "web", Visibility: "public", Files: map[string]string{
					".github/workflows/release.yml":       publishWorkflow,
					".github/actions/build/action.yml":    compositeAction,
					".github/workflows/ci.yml":            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
					"README.md":                           "hello",
					".github/workflows/big.yml":           "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo " + strings.Repeat("x", 600_000) + "\n",
					".github/workflows/not-a-workflow.md": "docs",
				},
					Secrets:   []*fakegithub.Secret{{Name: "PYPI_API_TOKEN", CreatedAt: t0, UpdatedAt: t0}},
					Variables: []*fakegithub.Variable{{Name: "NPM_TOKEN", Value: variableCanary, CreatedAt: t0, UpdatedAt: t0}},
					Environments: []*fakegithub.Environment{{Name: "release/pypi",
						Secrets: []*fakegithub.Secret{{Name: "PYPI_TOKEN", CreatedAt: t0, UpdatedAt: t0}}}},
				},
				{Name: "old", Archived: true, Files: map[string]string{".github/workflows/x.yml": publishWorkflow}},
				{Name: "forked", Fork: true},
				{Name: "private-lib", Visibility: "private", Files: map[string]string{"x": "y"}},
			},
			Secrets: []*fakegithub.OrgSecret{
				{Name: "ORG_NPM_TOKEN", Visibility: "all", CreatedAt: t0, UpdatedAt: t0},
				{Name: "SHARED_PYPI_TOKEN", Visibility: "selected", SelectedRepos: []string{"web"}, CreatedAt: t0, UpdatedAt: t0},
			},
		}},
		Tokens: map[string]*fakegithub.Token{
			adminToken: {Kind: fakegithub.KindClassic, Login: "admin", Scopes: []string{"repo", "admin:org"}},
			plainToken: {Kind: fakegithub.KindClassic, Login: "dev", Scopes: []string{"repo"}},
		},
	}
}

func newClient(t *testing.T, srv *fakegithub.Server, token string, cache *github.Cache) *github.Client {
	t.Helper()
	c, err := github.NewClient(github.Config{APIURL: srv.URL(), GraphQLURL: srv.GraphQLURL(),
		Credential: github.TokenCredential(token, "test"), Cache: cache,
		Limits: github.LimitConfig{Concurrency: 4, SecondaryWait: 10 * time.Millisecond, BackoffBase: time.Millisecond, BackoffCap: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func byName(inv *model.Inventory, name string) *model.Repo {
	for _, r := range inv.Repos {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func TestCollectOrganisation(t *testing.T) {
	v := fakegithub.LoadValidator(t)
	srv := fakegithub.New(smallOrg(), fakegithub.Options{Validator: v})
	srv.Start(t)
	c := newClient(t, srv, adminToken, nil)
	res, err := c.Collect(context.Background(), github.Options{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	inv := res.Inventory
	if got := len(inv.Repos); got != 2 {
		t.Fatalf("repos = %d, want web and private-lib (archived and fork skipped)", got)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Repo != "*" {
		t.Errorf("skipped = %+v", res.Skipped)
	}
	web := byName(inv, "acme/web")
	if web == nil || !web.SecretsKnown || web.Visibility != "public" || web.Commit == "" || web.DefaultBranch != "main" {
		t.Fatalf("web = %+v", web)
	}
	files := map[string]bool{}
	for _, f := range web.Files {
		files[f.Path] = true
	}
	for _, p := range []string{".github/workflows/release.yml", ".github/workflows/ci.yml", ".github/workflows/big.yml", ".github/actions/build/action.yml"} {
		if !files[p] {
			t.Errorf("file %s not read; have %v", p, files)
		}
	}
	if files[".github/workflows/not-a-workflow.md"] || files["README.md"] {
		t.Errorf("read files that are not CI: %v", files)
	}
	if len(web.Pipelines) != 4 {
		t.Errorf("pipelines = %d, want 4 (3 workflows + composite)", len(web.Pipelines))
	}
	var secrets []string
	for _, s := range web.Secrets {
		secrets = append(secrets, string(s.Scope)+":"+s.Environment+":"+s.Name)
	}
	if strings.Join(secrets, ",") != "repository::PYPI_API_TOKEN,environment:release/pypi:PYPI_TOKEN" {
		t.Errorf("secrets = %v", secrets)
	}
	if len(web.Variables) != 1 || web.Variables[0].Value != variableCanary {
		t.Errorf("variables = %+v", web.Variables)
	}
	if len(web.Environments) != 1 || web.Environments[0].Name != "release/pypi" || web.Environments[0].Protected() {
		t.Errorf("environments = %+v", web.Environments)
	}
	if !res.OrgAdmin || len(inv.OrgSecrets) != 2 {
		t.Fatalf("org secrets = %+v (admin %v)", inv.OrgSecrets, res.OrgAdmin)
	}
	for _, s := range inv.OrgSecrets {
		if s.Name == "SHARED_PYPI_TOKEN" && (s.Visibility != "selected" || len(s.SelectedRepos) != 1 || s.SelectedRepos[0] != "acme/web") {
			t.Errorf("selected secret = %+v", s)
		}
	}
	if res.Identity.Login != "admin" || len(res.Identity.Scopes) != 2 {
		t.Errorf("identity = %+v", res.Identity)
	}
	for _, g := range inv.Coverage {
		t.Logf("coverage: %+v", g)
	}
	if len(inv.Coverage) != 0 {
		t.Errorf("an admin scan of a healthy org has gaps: %+v", inv.Coverage)
	}
	for _, x := range srv.Violations() {
		t.Errorf("fake/OpenAPI violation: %s", x)
	}
	for _, x := range v.Violations() {
		t.Errorf("validator: %s", x)
	}
	st := c.Stats()
	t.Logf("requests: %+v", st.Requests)
	// 1 identity + 2 org secrets (+1 selected) + 1 org variables + 1
	// GraphQL + 1 composite lookup? no: .github/actions is in the query +
	// 1 REST blob (big.yml) + per repo 2 + 2 per environment.
	if st.Total > 12 {
		t.Errorf("requests = %d: %+v", st.Total, st.Requests)
	}
}

func TestCollectWithoutOrgAdmin(t *testing.T) {
	srv := fakegithub.New(smallOrg(), fakegithub.Options{})
	srv.Start(t)
	c := newClient(t, srv, plainToken, nil)
	res, err := c.Collect(context.Background(), github.Options{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OrgAdmin {
		t.Error("plain token treated as org admin")
	}
	found := false
	for _, g := range res.Inventory.Coverage {
		if g.Kind == "not-visible" && g.Repo == "" && strings.Contains(g.Message, "per repository") {
			found = true
		}
	}
	if !found {
		t.Errorf("no coverage note about organisation secrets: %+v", res.Inventory.Coverage)
	}
	names := map[string]*model.Secret{}
	for _, s := range res.Inventory.OrgSecrets {
		names[s.Name] = s
	}
	if s := names["SHARED_PYPI_TOKEN"]; s == nil || len(s.SelectedRepos) != 1 {
		t.Errorf("per-repository organisation secrets = %+v", res.Inventory.OrgSecrets)
	}
	if s := names["ORG_NPM_TOKEN"]; s == nil || len(s.SelectedRepos) != 2 {
		t.Errorf("ORG_NPM_TOKEN seen by = %+v", s)
	}
}

func TestCollectRecordsRefusalsPerRepository(t *testing.T) {
	st := smallOrg()
	st.Faults.Deny = map[string]int{`^/repos/acme/private-lib/actions/secrets`: 403, `^/repos/acme/web/actions/variables`: 404}
	st.Faults.ServerErrors = map[string]int{`/environments/`: 2}
	st.Faults.SecondaryLimit = &fakegithub.SecondaryLimit{Every: 3, RetryAfter: 0}
	srv := fakegithub.New(st, fakegithub.Options{})
	srv.Start(t)
	c := newClient(t, srv, adminToken, nil)
	res, err := c.Collect(context.Background(), github.Options{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	lib := byName(res.Inventory, "acme/private-lib")
	if lib.SecretsKnown {
		t.Error("private-lib secrets refused but SecretsKnown")
	}
	var kinds []string
	for _, g := range res.Inventory.Coverage {
		kinds = append(kinds, g.Repo+" "+g.Kind)
	}
	want := []string{"acme/private-lib not-visible", "acme/web not-visible"}
	for _, w := range want {
		if !contains(kinds, w) {
			t.Errorf("coverage %v lacks %q", kinds, w)
		}
	}
	web := byName(res.Inventory, "acme/web")
	if !web.SecretsKnown || len(web.Secrets) != 2 {
		t.Errorf("web secrets after 5xx and secondary limits: %+v", web.Secrets)
	}
	s := c.Stats()
	if s.SecondaryLimited == 0 || len(s.Retries) == 0 {
		t.Errorf("faults not exercised: %+v", s)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRescanIsAnsweredFromTheCache(t *testing.T) {
	srv := fakegithub.New(smallOrg(), fakegithub.Options{})
	srv.Start(t)
	dir := t.TempDir()
	run := func() (github.Summary, *model.Inventory) {
		cache, err := github.OpenCache(dir, []byte(adminToken))
		if err != nil {
			t.Fatal(err)
		}
		c := newClient(t, srv, adminToken, cache)
		res, err := c.Collect(context.Background(), github.Options{Org: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		return c.Stats(), res.Inventory
	}
	first, inv1 := run()
	srv.ResetStats()
	second, inv2 := run()
	charged := srv.Stats().Charged
	t.Logf("first %d requests, second %d (%d not modified), charged on re-scan %d", first.Total, second.Total, second.TotalNotModified, charged)
	// Only the GraphQL inventory query (a POST, never conditional) is
	// charged; every REST request is a 304.
	if charged != 1 || second.TotalNotModified != second.Total-1 {
		t.Errorf("re-scan charged %d requests (want 1, the GraphQL query); %+v", charged, second)
	}
	a, _ := json.Marshal(summarise(inv1))
	b, _ := json.Marshal(summarise(inv2))
	if string(a) != string(b) {
		t.Errorf("re-scan differs:\n%s\n%s", a, b)
	}
	// A change is seen on the next scan.
	srv.Update(func(st *fakegithub.State) {
		st.Orgs["acme"].Repos[0].Files[".github/workflows/ci.yml"] = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make check\n"
	})
	_, inv3 := run()
	web := byName(inv3, "acme/web")
	for _, f := range web.Files {
		if f.Path == ".github/workflows/ci.yml" && !strings.Contains(string(f.Content), "make check") {
			t.Error("changed file served from the cache")
		}
	}
}

func summarise(inv *model.Inventory) []string {
	var out []string
	for _, r := range inv.Repos {
		for _, f := range r.Files {
			out = append(out, fmt.Sprintf("%s %s %d", r.Name, f.Path, len(f.Content)))
		}
		for _, s := range r.Secrets {
			out = append(out, r.Name+" secret "+s.Name)
		}
	}
	return out
}

func TestQueriesMatchTheSchema(t *testing.T) {
	v := fakegithub.LoadValidator(t)
	for name, q := range map[string]string{
		"org full":  github.OrgQuery(true, ", isArchived: false, isFork: false"),
		"org light": github.OrgQuery(false, ""),
		"repo":      github.RepoQuery(true),
	} {
		if err := v.ValidateQuery(q); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

var _ = http.StatusOK

func TestLocalActionOutsideGithubActionsIsFetchedAndErrorsListedOnce(t *testing.T) {
	st := smallOrg()
	web := st.Orgs["acme"].Repos[0]
	web.Files[".github/workflows/release.yml"] = strings.Replace(publishWorkflow, "./.github/actions/build", "./tools/build", 1)
	web.Files["tools/build/action.yml"] = compositeAction
	web.Files[".github/workflows/broken.yml"] = "on: push\njobs:\n  t: [\n"
	srv := fakegithub.New(st, fakegithub.Options{})
	srv.Start(t)
	res, err := newClient(t, srv, adminToken, nil).Collect(context.Background(), github.Options{Repo: "acme/web"})
	if err != nil {
		t.Fatal(err)
	}
	r := byName(res.Inventory, "acme/web")
	found := false
	for _, f := range r.Files {
		found = found || f.Path == "tools/build/action.yml"
	}
	if !found {
		t.Error("tools/build/action.yml was not fetched")
	}
	n := 0
	for _, g := range res.Inventory.Coverage {
		if g.Kind == "parse-error" && g.Path == ".github/workflows/broken.yml" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("broken.yml listed %d times: %+v", n, res.Inventory.Coverage)
	}
}
