package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spf13/cobra"
	"github.com/tpscan/tpscan/internal/fakegithub"
	"github.com/tpscan/tpscan/scanner/github"
)

const (
	e2eToken = "ghp_E2eE2eE2eE2eE2eE2eE2eE2eE2eE2eE2e0123"
	// Canaries: a registry token stored as an Actions variable, and a
	// secret name that must never be confused with a value.
	e2eVariableCanary = "pypi-AgEIcHlwaS5vcmcCJGNhbmFyeS1lMmUtb3JnLXNjYW4tdGVzdC10b2tlbgACKlsidmVyc2lvbiJdAAAGIP9vQ2bF3nY1cXk8pL2aR6tW0sD4hJ7mZ9uB5eC1gA3"
	e2eNpmCanary      = "npm_q3Xv9LkP2mZt7RwY4sNb8JcH1gFd6VaE5uTo"
)

// corpusOrg builds a fake organisation of one repository per labelled
// GitHub workflow in testdata/corpus, with the publishing secrets stored as
// the labels say, plus the awkward cases a real organisation has.
func corpusOrg(t *testing.T) (*fakegithub.State, []label) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "corpus")
	raw, err := os.ReadFile(filepath.Join(dir, "LABELS.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []label
	if err := yaml.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)
	org := &fakegithub.Org{Login: "corpus", Admins: []string{"auditor"}}
	var kept []label
	// Three copies of the corpus: an organisation of hundreds of
	// repositories, which takes several GraphQL pages.
	var all []label
	for copy := 0; copy < 3; copy++ {
		all = append(all, labels...)
	}
	for i, l := range all {
		if l.CI != "github" || !strings.Contains(l.File, "__.github__workflows__") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		wf := l.File[strings.Index(l.File, "__.github__workflows__")+len("__.github__workflows__"):]
		r := &fakegithub.Repo{Name: fmt.Sprintf("r%03d", i), Visibility: "public",
			Files: map[string]string{".github/workflows/" + wf: string(b)}}
		seen := map[string]bool{}
		for _, p := range l.Publishes {
			for _, n := range names(p.Secret) {
				if !seen[n] {
					seen[n] = true
					r.Secrets = append(r.Secrets, &fakegithub.Secret{Name: n, CreatedAt: t0, UpdatedAt: t0})
				}
			}
		}
		org.Repos = append(org.Repos, r)
		kept = append(kept, l)
	}
	// The awkward cases.
	org.Repos = append(org.Repos,
		&fakegithub.Repo{Name: "zz-envs", Visibility: "private", Files: map[string]string{
			".github/workflows/release.yml": "on:\n  push:\n    tags: [v*]\njobs:\n  pub:\n    runs-on: ubuntu-latest\n    environment: release/pypi\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n          password: ${{ secrets.PYPI_TOKEN }}\n"},
			Environments: []*fakegithub.Environment{{Name: "release/pypi", Secrets: []*fakegithub.Secret{{Name: "PYPI_TOKEN", CreatedAt: t0, UpdatedAt: t0}}}},
			Variables:    []*fakegithub.Variable{{Name: "PYPI_UPLOAD", Value: e2eVariableCanary, CreatedAt: t0, UpdatedAt: t0}},
		},
		&fakegithub.Repo{Name: "zz-denied", Visibility: "private", Files: map[string]string{
			".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"}},
		&fakegithub.Repo{Name: "zz-huge", Visibility: "public", Files: map[string]string{
			".github/workflows/huge.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n" +
				"      - run: echo '" + strings.Repeat("y", 520_000) + "'\n"},
			Secrets: []*fakegithub.Secret{{Name: "NPM_TOKEN", CreatedAt: t0, UpdatedAt: t0}}},
		&fakegithub.Repo{Name: "zz-archived", Archived: true, Files: map[string]string{".github/workflows/x.yml": "on: push\njobs: {}\n"}},
	)
	org.Secrets = []*fakegithub.OrgSecret{{Name: "ORG_NPM_TOKEN", Visibility: "all", CreatedAt: t0, UpdatedAt: t0}}
	org.Variables = []*fakegithub.OrgVariable{{Name: "NPM_PUBLISH_TOKEN", Value: e2eNpmCanary, Visibility: "all", CreatedAt: t0, UpdatedAt: t0}}
	st := &fakegithub.State{
		Orgs:   map[string]*fakegithub.Org{"corpus": org},
		Tokens: map[string]*fakegithub.Token{e2eToken: {Kind: fakegithub.KindClassic, Login: "auditor", Scopes: []string{"repo", "admin:org"}}},
		Faults: fakegithub.Faults{
			Deny:           map[string]int{`^/repos/corpus/zz-denied/actions/secrets`: 403},
			ServerErrors:   map[string]int{`^/repos/corpus/r0[0-4][0-9]/actions/variables`: 1},
			SecondaryLimit: &fakegithub.SecondaryLimit{Every: 97, RetryAfter: 1},
		},
	}
	return st, kept
}

// runOrg runs `tpscan org` against the fake through the real flag parsing.
func runOrg(t *testing.T, srv *fakegithub.Server, cacheDir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{Out: &out, ErrOut: &errOut}
	env := map[string]string{"GH_ENTERPRISE_TOKEN": e2eToken}
	cmd := NewCmdOrg(io, func(ctx context.Context, o *AuditOptions) error {
		o.Getenv = func(k string) string { return env[k] }
		o.Limits = fastLimits()
		if o.CacheDir == "" && !o.NoCache {
			o.CacheDir = cacheDir
		}
		return auditRun(ctx, o)
	})
	code := execute(cmd, &out, &errOut, append([]string{"--github-url", strings.TrimSuffix(srv.URL(), "/api/v3/")}, args...))
	return code, out.String(), errOut.String()
}

// fastLimits is the limiter for tests against the fake: every wait cut to
// nothing, no per-endpoint pacing.
func fastLimits() github.LimitConfig {
	return github.LimitConfig{SecondaryWait: 5 * time.Millisecond, BackoffBase: time.Millisecond, BackoffCap: 2 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }, EndpointPerMinute: -1}
}

// execute runs a command through its real flag parsing and returns the
// exit status Main would give; an error message that says more than the
// status goes to errOut, as Main prints it.
func execute(cmd *cobra.Command, out, errOut *bytes.Buffer, args []string) int {
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if err == nil {
		return 0
	}
	code := ExitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if err.Error() != fmt.Sprintf("exit %d", code) {
		errOut.WriteString(err.Error())
	}
	return code
}

func TestOrgAuditEndToEnd(t *testing.T) {
	st, labels := corpusOrg(t)
	v := fakegithub.LoadValidator(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true, Validator: v})
	srv.Start(t)
	cacheDir := t.TempDir()
	saveDir := filepath.Join(t.TempDir(), "snap")

	code, out, errOut := runOrg(t, srv, cacheDir, "corpus", "--format", "json", "--save", saveDir)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFindings, errOut)
	}
	for _, secret := range []string{e2eToken, e2eVariableCanary, e2eNpmCanary, e2eVariableCanary[:40], e2eNpmCanary[:20]} {
		if strings.Contains(out, secret) || strings.Contains(errOut, secret) {
			t.Errorf("output holds a secret (%.8s…)", secret)
		}
	}
	var rep struct {
		Findings []struct {
			Rule, Registry, Repo, Path, Secret string
			Line                               int
		} `json:"findings"`
		Errors []struct {
			Repo, Path, Kind, Message string
		} `json:"errors"`
		Coverage struct {
			Repositories int `json:"repositories"`
			FullyRead    int `json:"fully_read"`
			PartlyRead   []struct {
				Repo    string
				Missing []string
			} `json:"partly_read"`
			API struct {
				Total         int            `json:"total"`
				PerRepository float64        `json:"per_repository"`
				Requests      map[string]int `json:"requests"`
				OrgAdmin      bool           `json:"org_admin"`
			} `json:"api"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Every labelled long-lived publish is found in its repository, on its line.
	byRepo := map[string][]int{}
	for i, f := range rep.Findings {
		byRepo[f.Repo] = append(byRepo[f.Repo], i)
	}
	positives, found := 0, 0
	repoOf := make([]string, len(labels))
	for i, r := range st.Orgs["corpus"].Repos {
		if i < len(labels) {
			repoOf[i] = "corpus/" + r.Name
		}
	}
	for li, l := range labels {
		for _, p := range l.Publishes {
			if p.Auth != "long-lived-secret" || !public[p.Registry] {
				continue
			}
			positives++
			ok := false
			for _, i := range byRepo[repoOf[li]] {
				f := rep.Findings[i]
				if f.Registry == p.Registry && has(lines(p.Line), f.Line) {
					ok = true
				}
			}
			if ok {
				found++
			} else {
				t.Errorf("%s (%s): missed %s publish at %v", repoOf[li], l.File, p.Registry, p.Line)
			}
		}
	}
	t.Logf("found %d of %d labelled long-lived publishes over the API", found, positives)
	// The awkward cases.
	want := map[string]bool{
		"TP001 corpus/zz-envs":   false, // environment secret with a "/" in the environment's name
		"TP008 corpus/zz-envs":   false, // unprotected environment holding a registry token
		"TP002 corpus/zz-envs":   false, // a PyPI token stored as a variable
		"TP001 corpus/zz-huge":   false, // a workflow GraphQL truncated, read over REST
		"TP007 ":                 false, // ORG_NPM_TOKEN readable by every repository
		"TP002 ":                 false, // an npm token stored as an organisation variable
		"TP001 corpus/zz-denied": true,  // must not exist: nothing publishes there
	}
	for _, f := range rep.Findings {
		k := f.Rule + " " + f.Repo
		if _, ok := want[k]; ok {
			want[k] = !want[k]
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("finding %q: wrong presence", k)
		}
	}
	partly := map[string]string{}
	for _, p := range rep.Coverage.PartlyRead {
		partly[p.Repo] = strings.Join(p.Missing, "; ")
	}
	if !strings.Contains(partly["corpus/zz-denied"], "not-visible") {
		t.Errorf("zz-denied not listed as partly read: %v", partly)
	}
	if len(partly) != 1 {
		t.Errorf("partly read = %v, want only zz-denied", partly)
	}
	nRepos := len(st.Orgs["corpus"].Repos) - 1 // the archived one is not listed
	if rep.Coverage.Repositories != nRepos || rep.Coverage.FullyRead != nRepos-1 {
		t.Errorf("coverage = %d repos, %d fully read; want %d, %d", rep.Coverage.Repositories, rep.Coverage.FullyRead, nRepos, nRepos-1)
	}
	// Frugality: the budget is 2.1 requests per repository plus 2 per
	// environment with an organisation-admin token (retries included here).
	if rep.Coverage.API.PerRepository > 2.25 {
		t.Errorf("%.2f requests per repository: %v", rep.Coverage.API.PerRepository, rep.Coverage.API.Requests)
	}
	t.Logf("first scan: %d requests, %.2f per repository: %v", rep.Coverage.API.Total, rep.Coverage.API.PerRepository, rep.Coverage.API.Requests)
	for _, x := range srv.Violations() {
		t.Errorf("OpenAPI/schema: %s", x)
	}

	// The snapshot re-scans offline to the same findings, without secrets.
	var localOut, localErr bytes.Buffer
	if err := localRun(context.Background(), &LocalOptions{IO: &IOStreams{Out: &localOut, ErrOut: &localErr}, Paths: []string{saveDir}, Format: "json", FailOn: "none"}); err != nil {
		t.Fatalf("local on the snapshot: %v\n%s", err, localErr.String())
	}
	_ = filepath.Walk(saveDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, secret := range []string{e2eToken, e2eVariableCanary[:40], e2eNpmCanary[:20]} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("snapshot file %s holds a secret", p)
			}
		}
		return nil
	})
	if got, want := ruleCounts(t, localOut.String(), "TP001"), ruleCounts(t, out, "TP001"); got != want {
		t.Errorf("snapshot re-scan: %d TP001 findings, API scan %d", got, want)
	}

	// A re-scan of the unchanged organisation is answered from the cache.
	srv.ResetStats()
	code2, out2, errOut2 := runOrg(t, srv, cacheDir, "corpus", "--format", "json")
	if code2 != ExitFindings {
		t.Fatalf("re-scan exit %d\n%s", code2, errOut2)
	}
	first := rep.Coverage.API.Total
	charged := srv.Stats().Charged
	t.Logf("re-scan: %d requests charged of %d sent, first scan %d", charged, srv.Stats().Requests, first)
	if charged*20 >= first {
		t.Errorf("re-scan charged %d requests, not under 5%% of the first scan's %d", charged, first)
	}
	if ruleCounts(t, out2, "") != ruleCounts(t, out, "") {
		t.Error("re-scan findings differ from the first scan")
	}
}

func ruleCounts(t *testing.T, out, rule string) int {
	t.Helper()
	var rep struct {
		Findings []struct{ Rule string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range rep.Findings {
		if rule == "" || f.Rule == rule {
			n++
		}
	}
	return n
}

func TestOrgAuditExitCodesAndErrors(t *testing.T) {
	st, _ := corpusOrg(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "incomplete", args: []string{"corpus", "--fail-on", "none", "--fail-on-incomplete", "--no-cache"}, wantCode: ExitIncomplete},
		{name: "clean enough", args: []string{"corpus", "--fail-on", "none", "--no-cache"}, wantCode: ExitOK},
		{name: "unknown org", args: []string{"nosuchorg", "--no-cache"}, wantCode: 2, wantErr: "nosuchorg"},
		{name: "bad format", args: []string{"corpus", "--format", "xml"}, wantCode: 2, wantErr: "--format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runOrg(t, srv, t.TempDir(), tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tt.wantCode, errOut, tt.wantErr)
			}
			if strings.Contains(errOut, e2eToken) {
				t.Error("stderr shows the token")
			}
		})
	}
}

func TestOrgAuditBadCredentialNamesNoToken(t *testing.T) {
	st, _ := corpusOrg(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	var out, errOut bytes.Buffer
	bad := "ghp_WrongWrongWrongWrongWrongWrongWrong12"
	err := auditRun(context.Background(), &AuditOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Org: "corpus", Format: "table", FailOn: "high",
		GitHubURL: strings.TrimSuffix(srv.URL(), "/api/v3/"), NoCache: true, Concurrency: 4,
		Getenv: func(k string) string { return map[string]string{"GH_ENTERPRISE_TOKEN": bad}[k] }})
	if err == nil {
		t.Fatal("a bad credential must fail")
	}
	all := err.Error() + out.String() + errOut.String()
	if strings.Contains(all, bad) {
		t.Errorf("the token appears: %s", all)
	}
	if !strings.Contains(all, "Bad credentials") && !strings.Contains(all, "401") {
		t.Errorf("error does not say why: %s", all)
	}
}

// cancelAfter cancels the scan after n requests, as Ctrl-C would.
type cancelAfter struct {
	n      atomic.Int32
	after  int32
	cancel context.CancelFunc
}

func (c *cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.n.Add(1) == c.after {
		c.cancel()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOrgAuditInterruptedStillReports(t *testing.T) {
	st, _ := corpusOrg(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	err := auditRun(ctx, &AuditOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Org: "corpus", Format: "json", FailOn: "high",
		GitHubURL: strings.TrimSuffix(srv.URL(), "/api/v3/"), NoCache: true, Concurrency: 4,
		Transport: &cancelAfter{after: 60, cancel: cancel},
		Limits:    github.LimitConfig{EndpointPerMinute: -1},
		Getenv:    func(k string) string { return map[string]string{"GH_ENTERPRISE_TOKEN": e2eToken}[k] }})
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitIncomplete {
		t.Fatalf("err = %v, want exit %d\n%s", err, ExitIncomplete, errOut.String())
	}
	if !strings.Contains(errOut.String(), "interrupted") || !strings.Contains(out.String(), `"interrupted"`) {
		t.Errorf("interruption not reported:\nstderr %s\nstdout %.2000s", errOut.String(), out.String())
	}
	var rep struct {
		Coverage struct{ Repositories int } `json:"coverage"`
	}
	if json.Unmarshal(out.Bytes(), &rep) != nil || rep.Coverage.Repositories == 0 {
		t.Errorf("no partial report: %.500s", out.String())
	}
}

func TestOrgAuditAsGitHubApp(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := corpusOrg(t)
	st.Apps = map[int64]*fakegithub.App{4242: {ID: 4242, Slug: "tpscan-audit", PublicKey: &key.PublicKey,
		Installations: []*fakegithub.Installation{{ID: 77, Org: "corpus", Permissions: map[string]string{
			"metadata": "read", "contents": "read", "actions": "read", "secrets": "read", "variables": "read",
			"environments": "read", "organization_secrets": "read", "organization_variables": "read"}}}}}
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	var out, errOut bytes.Buffer
	err = auditRun(context.Background(), &AuditOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Org: "corpus", Format: "json", FailOn: "none",
		GitHubURL: strings.TrimSuffix(srv.URL(), "/api/v3/"), NoCache: true, Concurrency: 4, AppID: 4242, PrivateKey: pemFile,
		Limits: github.LimitConfig{EndpointPerMinute: -1}, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "GitHub App 4242, installation 77") {
		t.Errorf("identity not announced: %s", errOut.String())
	}
	if n := ruleCounts(t, out.String(), "TP001"); n < 250 {
		t.Errorf("TP001 findings as an App: %d", n)
	}
	var rep struct {
		Coverage struct {
			API struct {
				Identity struct {
					Permissions map[string]string `json:"permissions"`
				} `json:"identity"`
			} `json:"api"`
		} `json:"coverage"`
	}
	if json.Unmarshal(out.Bytes(), &rep) != nil || rep.Coverage.API.Identity.Permissions["secrets"] != "read" {
		t.Errorf("installation permissions not reported: %+v", rep.Coverage.API.Identity)
	}
}

func TestRepoAuditOneRepository(t *testing.T) {
	st, _ := corpusOrg(t)
	st.Orgs["corpus"].Repos = append(st.Orgs["corpus"].Repos, &fakegithub.Repo{Name: "zz-protected", Visibility: "public",
		Files: map[string]string{".github/workflows/release.yml": "on:\n  push:\n    tags: [v*]\njobs:\n  pub:\n    runs-on: ubuntu-latest\n    environment: pypi\n    steps:\n      - uses: pypa/gh-action-pypi-publish@release/v1\n        with:\n          password: ${{ secrets.PYPI_TOKEN }}\n"},
		Environments: []*fakegithub.Environment{{Name: "pypi", Reviewers: []fakegithub.Reviewer{{Type: "User", Login: "lead"}}, ProtectedBranches: true,
			Secrets: []*fakegithub.Secret{{Name: "PYPI_TOKEN"}}}}})
	srv := fakegithub.New(st, fakegithub.Options{GHES: true, Validator: fakegithub.LoadValidator(t)})
	srv.Start(t)
	var out, errOut bytes.Buffer
	io := &IOStreams{Out: &out, ErrOut: &errOut}
	cmd := NewCmdRepo(io, func(ctx context.Context, o *AuditOptions) error {
		o.Getenv = func(k string) string { return map[string]string{"GH_ENTERPRISE_TOKEN": e2eToken}[k] }
		o.NoCache = true
		return auditRun(ctx, o)
	})
	if code := execute(cmd, &out, &errOut, []string{"--github-url", strings.TrimSuffix(srv.URL(), "/api/v3/"), "-v", "corpus/zz-protected"}); code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	table := out.String()
	for _, want := range []string{"TP001", "corpus/zz-protected", "protected-environment", "Coverage: 1 repositories, 1 fully read", "API requests:"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "TP008") {
		t.Error("TP008 on a protected environment")
	}
	for _, x := range srv.Violations() {
		t.Errorf("OpenAPI/schema: %s", x)
	}
}

// TestOrgAuditRefusedFieldsAreGaps: a credential missing a repository
// permission gets GraphQL errors on some fields of some repositories.
// Each becomes a gap of its repository (partly read, not "fully read"),
// and TP004 never calls a secret unused on the strength of what was not
// read. Refused environments null the whole repository node: tpscan asks
// again without them, so the workflows and secrets are still read.
func TestOrgAuditRefusedFieldsAreGaps(t *testing.T) {
	const token = "github_pat_11REFUSEDTEST0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
	tests := []struct {
		drop        string
		partly      []string
		errKind     string
		findings    []string
		notFindings []string
	}{
		{drop: "contents", partly: []string{"octo/app"}, errKind: "unreadable",
			notFindings: []string{"TP004 octo/app PYPI_API_TOKEN", "TP004  NPM_TOKEN"}},
		{drop: "actions", partly: []string{"octo/app"}, errKind: "forbidden", findings: []string{"TP001 octo/app PYPI_API_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run("without "+tt.drop, func(t *testing.T) {
			perms := auditPermissions()
			delete(perms, tt.drop)
			srv := fakegithub.New(actionOrg(token, perms), fakegithub.Options{GHES: true, Validator: fakegithub.LoadValidator(t)})
			srv.Start(t)
			var out, errOut bytes.Buffer
			err := auditRun(context.Background(), &AuditOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Org: "octo", Format: "json", FailOn: "none",
				GitHubURL: strings.TrimSuffix(srv.URL(), "/api/v3/"), NoCache: true, Concurrency: 4,
				Getenv: func(k string) string { return map[string]string{"GH_ENTERPRISE_TOKEN": token}[k] }})
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			var rep struct {
				Findings []struct{ Rule, Repo, Secret string }
				Errors   []struct{ Repo, Kind, Message string }
				Coverage struct {
					PartlyRead []struct{ Repo string } `json:"partly_read"`
				}
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			var partly []string
			for _, p := range rep.Coverage.PartlyRead {
				partly = append(partly, p.Repo)
			}
			if strings.Join(partly, ",") != strings.Join(tt.partly, ",") {
				t.Errorf("partly read %v, want %v", partly, tt.partly)
			}
			kinds := map[string]bool{}
			for _, e := range rep.Errors {
				kinds[e.Kind] = true
				if !strings.Contains(e.Message, "Resource not accessible") {
					t.Errorf("gap %+v does not say what GitHub refused", e)
				}
			}
			if !kinds[tt.errKind] {
				t.Errorf("no %s gap in %+v", tt.errKind, rep.Errors)
			}
			got := map[string]bool{}
			for _, f := range rep.Findings {
				got[f.Rule+" "+f.Repo+" "+f.Secret] = true
			}
			for _, want := range tt.findings {
				if !got[want] {
					t.Errorf("no %s in %v", want, got)
				}
			}
			if vs := srv.Violations(); len(vs) > 0 {
				t.Errorf("schema or OpenAPI violations: %v", vs)
			}
			for _, f := range rep.Findings {
				for _, not := range tt.notFindings {
					if f.Rule+" "+f.Repo+" "+f.Secret == not {
						t.Errorf("%s reported although what could use the secret was not read", not)
					}
				}
			}
		})
	}
}
