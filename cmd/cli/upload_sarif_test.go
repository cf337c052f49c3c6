package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tpscan/tpscan/internal/fakegithub"
)

const (
	uploadE2EToken  = "ghp_UploadE2eUploadE2eUploadE2eUpload0123"
	noScopeE2EToken = "ghp_NoScopeE2eNoScopeE2eNoScopeE2eNo01234"
	fgReadE2EToken  = "github_pat_11E2eReadOnlyCodeScanning0123456789"
	// A registry token planted in SARIF files (a result's message, a
	// partial run's missing list): it must never be printed.
	uploadCanary = "npm_Zq8Vt3Lm9Xw2Pk7Rb4Yc6Hd1Nf5Gs0Ja8Ue3"
)

func uploadOrg() *fakegithub.State {
	files := map[string]string{".github/workflows/release.yml": "on: push\njobs: {}\n"}
	return &fakegithub.State{
		Orgs: map[string]*fakegithub.Org{"acme": {Login: "acme", Repos: []*fakegithub.Repo{
			{Name: "web", Visibility: "public", Files: files},
			{Name: "api", Visibility: "private", Files: files},
			{Name: "old", Visibility: "public", Archived: true, Files: files},
			{Name: "locked", Visibility: "private", CodeScanningDisabled: true, Files: files},
			{Name: "big", Visibility: "public", Files: files},
		}}},
		Tokens: map[string]*fakegithub.Token{
			uploadE2EToken:  {Kind: fakegithub.KindClassic, Login: "uploader", Scopes: []string{"security_events"}},
			noScopeE2EToken: {Kind: fakegithub.KindClassic, Login: "reader", Scopes: []string{"read:org"}},
			fgReadE2EToken:  {Kind: fakegithub.KindFineGrained, Login: "fg", Org: "acme", Permissions: map[string]string{"security_events": "read"}},
		},
	}
}

// uploadRun describes one tpscan SARIF file: the run tpscan org
// --sarif-dir writes for a repository.
type uploadRun struct {
	repo, commit string
	results      int
	partial      bool
	missing      []string
	noLocation   bool   // a result without a location (GitHub fails it)
	noProvenance bool   // a third-party file that does not say where it belongs
	padding      string // makes the file large
}

// writeUploadSARIF writes the file to dir/OWNER/NAME.sarif, as --sarif-dir does.
func writeUploadSARIF(t *testing.T, dir, host string, r uploadRun) string {
	t.Helper()
	results := []any{}
	for i := 0; i < r.results; i++ {
		res := map[string]any{"ruleId": "TP001", "level": "error",
			"message":             map[string]any{"text": fmt.Sprintf("NPM_TOKEN (%s) is a long-lived token, finding %d", uploadCanary, i)},
			"partialFingerprints": map[string]any{"primaryLocationLineHash": fmt.Sprintf("%016x:1", i)}}
		if !r.noLocation {
			res["locations"] = []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": ".github/workflows/release.yml"}, "region": map[string]any{"startLine": i + 1}}}}
		}
		results = append(results, res)
	}
	props := map[string]any{"tpscan/repository": r.repo, "tpscan/partial": r.partial}
	if r.missing != nil {
		props["tpscan/missing"] = r.missing
	}
	if r.padding != "" {
		props["padding"] = r.padding
	}
	run := map[string]any{
		"tool":              map[string]any{"driver": map[string]any{"name": "tpscan", "informationUri": "https://github.com/tpscan/tpscan", "rules": []any{}}},
		"automationDetails": map[string]any{"id": "tpscan/org/"},
		"results":           results,
		"properties":        props,
	}
	if r.noProvenance {
		delete(props, "tpscan/repository")
	} else {
		run["versionControlProvenance"] = []any{map[string]any{"repositoryUri": "https://" + host + "/" + r.repo, "revisionId": r.commit, "branch": "refs/heads/main"}}
	}
	b, err := json.Marshal(map[string]any{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []any{run}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(r.repo)+".sarif")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// countingTransport counts the requests tpscan makes.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// runUploadSARIF runs `tpscan upload-sarif` against the fake through the
// real flag parsing, with token in GH_ENTERPRISE_TOKEN ("" = none).
func runUploadSARIF(t *testing.T, srv *fakegithub.Server, token string, tr http.RoundTripper, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{Out: &out, ErrOut: &errOut}
	cmd := NewCmdUploadSARIF(io, func(ctx context.Context, o *UploadSARIFOptions) error {
		o.Getenv = func(k string) string {
			if k == "GH_ENTERPRISE_TOKEN" {
				return token
			}
			return ""
		}
		o.Transport = tr
		o.Limits = fastLimits()
		o.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
		return uploadSARIFRun(ctx, o)
	})
	code := execute(cmd, &out, &errOut, append([]string{"--github-url", strings.TrimSuffix(srv.URL(), "/api/v3/")}, args...))
	return code, out.String(), errOut.String()
}

type uploadJSON struct {
	Results []struct {
		File        string   `json:"file"`
		Repository  string   `json:"repository"`
		Status      string   `json:"status"`
		Reason      string   `json:"reason"`
		Missing     []string `json:"missing"`
		HTTPStatus  int      `json:"http_status"`
		AnalysesURL string   `json:"analyses_url"`
		Errors      []string `json:"errors"`
		RetryAfter  string   `json:"retry_after"`
	} `json:"results"`
	Summary map[string]int `json:"summary"`
	OK      bool           `json:"ok"`
	DryRun  bool           `json:"dry_run"`
}

func TestUploadSARIFEndToEnd(t *testing.T) {
	type want struct {
		status string
		reason string // in the reason (or the analyses URL when accepted)
	}
	tests := []struct {
		name   string
		token  string
		runs   []uploadRun
		args   []string // before the directory
		file   bool     // pass the single file, not the directory
		code   int
		want   map[string]want // repository -> outcome
		sent   int             // uploads GitHub recorded
		noReqs bool            // not a single request may be made
	}{
		{name: "accepted", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/web", results: 2}},
			code: ExitOK, want: map[string]want{"acme/web": {"accepted", "/code-scanning/analyses?sarif_id="}}, sent: 1},
		{name: "empty run closes alerts", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/web"}},
			code: ExitOK, want: map[string]want{"acme/web": {"accepted", "analyses"}}, sent: 1},
		{name: "private repository", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/api", results: 1}},
			code: ExitOK, want: map[string]want{"acme/api": {"accepted", "analyses"}}, sent: 1},
		{name: "archived", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/old", results: 1}},
			code: ExitFindings, want: map[string]want{"acme/old": {"refused", "the repository is archived, so read-only: code scanning takes no uploads (GitHub: Repository was archived so is read-only.)"}}},
		{name: "code scanning disabled", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/locked", results: 1}},
			code: ExitFindings, want: map[string]want{"acme/locked": {"refused", "code scanning is not enabled for the repository: turn on GitHub Code Security (Advanced Security on Enterprise Server) in its settings (GitHub: Advanced Security must be enabled for this repository to use code scanning.)"}}},
		{name: "missing scope", token: noScopeE2EToken, runs: []uploadRun{{repo: "acme/web", results: 1}},
			code: ExitFindings, want: map[string]want{"acme/web": {"refused", "the credential may not upload code scanning results: it needs the security_events scope (the token has: read:org)"}}},
		{name: "fine-grained read only", token: fgReadE2EToken, runs: []uploadRun{{repo: "acme/web", results: 1}},
			code: ExitFindings, want: map[string]want{"acme/web": {"refused", `it needs the "security_events=write" permission ("Code scanning alerts: write"`}}},
		{name: "invisible repository", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/nope", results: 1}},
			code: ExitFindings, want: map[string]want{"acme/nope": {"refused", "repository not found, or the credential cannot see it"}}},
		{name: "413 from GitHub", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/big", results: 1, padding: uploadNoise(6000)}},
			code: ExitFindings, want: map[string]want{"acme/big": {"refused", "too large for GitHub (HTTP 413): split the analysis or report fewer results (GitHub: Payload Too Large)"}}},
		{name: "commit GitHub does not have", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/web", commit: strings.Repeat("d", 40), results: 1}},
			code: ExitFindings, want: map[string]want{"acme/web": {"refused", "GitHub rejected the upload (HTTP 400) (GitHub: No commit found for SHA: dddd"}}},
		{name: "processing fails", token: uploadE2EToken, runs: []uploadRun{{repo: "acme/web", results: 1, noLocation: true}},
			code: ExitFindings, want: map[string]want{"acme/web": {"failed", "GitHub could not process the analysis: locationFromSarifResult: expected at least one location"}}, sent: 1},
		{name: "partial refused, nothing sent", token: uploadE2EToken,
			runs: []uploadRun{{repo: "acme/web", results: 1, partial: true, missing: []string{"repository secrets: HTTP 403", "variable PUBLISH " + uploadCanary}}},
			code: ExitFindings, noReqs: true,
			want: map[string]want{"acme/web": {"skipped", "partial: the repository was only partly read (missing: repository secrets: HTTP 403; variable PUBLISH [redacted "}}},
		{name: "dry run", token: uploadE2EToken, args: []string{"--dry-run"}, runs: []uploadRun{{repo: "acme/web", results: 3}, {repo: "acme/old", results: 1}},
			code: ExitOK, noReqs: true, want: map[string]want{"acme/web": {"would-upload", "3 results"}, "acme/old": {"would-upload", "1 results"}}},
		{name: "dry run needs no credential", runs: []uploadRun{{repo: "acme/web", results: 1}, {repo: "acme/api", partial: true}}, args: []string{"--dry-run"},
			code: ExitFindings, noReqs: true, want: map[string]want{"acme/web": {"would-upload", ""}, "acme/api": {"skipped", "partial"}}},
		{name: "a directory of several", token: uploadE2EToken,
			runs: []uploadRun{{repo: "acme/web", results: 1}, {repo: "acme/old", results: 1}, {repo: "acme/api", partial: true}, {repo: "acme/locked"}},
			code: ExitFindings, sent: 1, want: map[string]want{"acme/web": {"accepted", ""}, "acme/old": {"refused", "archived"},
				"acme/api": {"skipped", "partial"}, "acme/locked": {"refused", "not enabled"}}},
		{name: "single file with flags", token: uploadE2EToken, file: true, runs: []uploadRun{{repo: "acme/web", results: 1, noProvenance: true}},
			args: []string{"--repo", "acme/web", "--commit", "HEAD", "--ref", "refs/heads/main"},
			code: ExitOK, sent: 1, want: map[string]want{"acme/web": {"accepted", ""}}},
		{name: "no wait", token: uploadE2EToken, args: []string{"--wait=false"}, runs: []uploadRun{{repo: "acme/web", results: 1}},
			code: ExitOK, sent: 1, want: map[string]want{"acme/web": {"uploaded", "processing not awaited"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakegithub.New(uploadOrg(), fakegithub.Options{GHES: true, Validator: fakegithub.LoadValidator(t), SARIFMaxBytes: 4000})
			srv.Start(t)
			host := "127.0.0.1" // the fake's host: the files' repositoryUri must name it
			dir := t.TempDir()
			var last string
			for _, r := range tc.runs {
				if r.commit == "" {
					r.commit = srv.HeadCommit(strings.Split(r.repo, "/")[0], strings.Split(r.repo, "/")[1])
					if r.commit == "" {
						r.commit = strings.Repeat("e", 40)
					}
				}
				last = writeUploadSARIF(t, dir, host, r)
			}
			args := append([]string{}, tc.args...)
			for i, a := range args {
				if a == "HEAD" {
					args[i] = srv.HeadCommit("acme", "web")
				}
			}
			target := dir
			if tc.file {
				target = last
			}
			tr := &countingTransport{}
			code, out, errOut := runUploadSARIF(t, srv, tc.token, tr, append(args, "--format", "json", target)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out, errOut)
			}
			for _, secret := range []string{uploadE2EToken, noScopeE2EToken, fgReadE2EToken, uploadCanary, uploadCanary[:20]} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("output holds a secret (%.8s…)", secret)
				}
			}
			var rep uploadJSON
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v\n%s\n%s", err, out, errOut)
			}
			if len(rep.Results) != len(tc.want) {
				t.Fatalf("%d results, want %d: %s", len(rep.Results), len(tc.want), out)
			}
			for _, r := range rep.Results {
				w, ok := tc.want[r.Repository]
				got := r.Reason
				if r.Status == "accepted" {
					got = r.AnalysesURL
				}
				if !ok || r.Status != w.status || !strings.Contains(got, w.reason) {
					t.Errorf("%s: %s %q, want %s %q", r.Repository, r.Status, got, w.status, w.reason)
				}
			}
			if rep.OK != (tc.code == ExitOK) || rep.DryRun != strings.Contains(strings.Join(tc.args, " "), "--dry-run") {
				t.Errorf("ok %v, dry_run %v", rep.OK, rep.DryRun)
			}
			ups := srv.SARIFUploads()
			if len(ups) != tc.sent {
				t.Errorf("GitHub received %d analyses, want %d: %+v", len(ups), tc.sent, ups)
			}
			for _, u := range ups {
				owner, name, _ := strings.Cut(u.Repo, "/")
				if u.CommitSHA != srv.HeadCommit(owner, name) || u.Ref != "refs/heads/main" || u.Category != "tpscan/org" || u.Tool != "tpscan" {
					t.Errorf("GitHub received %+v", u)
				}
				if w := tc.runs[0].results; len(tc.runs) == 1 && u.Results != w {
					t.Errorf("GitHub received %d results, the file has %d", u.Results, w)
				}
			}
			if n := tr.n.Load(); tc.noReqs && n != 0 {
				t.Errorf("%d requests made, want none", n)
			}
			for _, v := range srv.Violations() {
				t.Errorf("OpenAPI/schema: %s", v)
			}
		})
	}
}

// uploadNoise is n bytes that gzip cannot shrink much.
func uploadNoise(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%64]
	}
	return string(b)
}

func TestUploadSARIFTableAndHourlyLimit(t *testing.T) {
	srv := fakegithub.New(uploadOrg(), fakegithub.Options{GHES: true, Validator: fakegithub.LoadValidator(t), SARIFUploadsPerHour: 2})
	srv.Start(t)
	host := "127.0.0.1"
	dir := t.TempDir()
	for _, r := range []string{"acme/api", "acme/big", "acme/web"} {
		owner, name, _ := strings.Cut(r, "/")
		writeUploadSARIF(t, dir, host, uploadRun{repo: r, commit: srv.HeadCommit(owner, name), results: 1})
	}
	code, out, errOut := runUploadSARIF(t, srv, uploadE2EToken, nil, "--concurrency", "1", dir)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"REPOSITORY", "acme/api", "accepted", "acme/web", "not-uploaded",
		"not uploaded: hourly limit of SARIF uploads reached, re-run after ", "3 SARIF files: 2 accepted, 1 not-uploaded.",
		"GitHub's hourly upload limit was reached: re-run after "} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "uploading 3 SARIF files to 127.0.0.1 as classic token from GH_ENTERPRISE_TOKEN") {
		t.Errorf("stderr: %s", errOut)
	}
	if n := len(srv.SARIFUploads()); n != 2 {
		t.Errorf("%d uploads, want 2", n)
	}
	if strings.Contains(out+errOut, uploadE2EToken) || strings.Contains(out+errOut, uploadCanary) {
		t.Error("output holds a secret")
	}
	for _, v := range srv.Violations() {
		t.Errorf("OpenAPI/schema: %s", v)
	}
}

func TestUploadSARIFUsageAndAuthErrors(t *testing.T) {
	srv := fakegithub.New(uploadOrg(), fakegithub.Options{GHES: true})
	srv.Start(t)
	dir := t.TempDir()
	writeUploadSARIF(t, dir, "127.0.0.1", uploadRun{repo: "acme/web", commit: srv.HeadCommit("acme", "web"), results: 1})
	writeUploadSARIF(t, dir, "127.0.0.1", uploadRun{repo: "acme/api", commit: srv.HeadCommit("acme", "api"), results: 1})
	bad := "ghp_BadBadBadBadBadBadBadBadBadBadBadBad12"
	for _, tc := range []struct {
		name, token string
		args        []string
		code        int
		stderr      string
	}{
		{"bad credential", bad, []string{dir}, ExitUsage, "GitHub refused the credential"},
		{"no credential", "", []string{dir}, ExitUsage, "no GitHub credential"},
		{"--repo with several files", uploadE2EToken, []string{"--repo", "acme/web", dir}, ExitUsage, "for a single file; 2 SARIF files"},
		{"short --commit", uploadE2EToken, []string{"--commit", "abc123", dir}, ExitUsage, "--commit must be a full commit SHA"},
		{"bare --ref", uploadE2EToken, []string{"--ref", "main", dir}, ExitUsage, "--ref must be refs/heads/BRANCH"},
		{"no files", uploadE2EToken, []string{t.TempDir()}, ExitUsage, "no *.sarif files"},
		{"missing path", uploadE2EToken, []string{filepath.Join(dir, "nope.sarif")}, ExitUsage, "no such file"},
		{"bad format", uploadE2EToken, []string{"--format", "sarif", dir}, ExitUsage, "--format must be table or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runUploadSARIF(t, srv, tc.token, nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)\nstdout %s", code, tc.code, errOut, tc.stderr, out)
			}
			if strings.Contains(out+errOut, tc.token) && tc.token != "" {
				t.Error("output shows the token")
			}
		})
	}
	if n := len(srv.SARIFUploads()); n != 0 {
		t.Errorf("%d uploads", n)
	}
}
