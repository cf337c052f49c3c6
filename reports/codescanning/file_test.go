package codescanning

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const (
	testCommit = "0123456789abcdef0123456789abcdef01234567"
	// A registry token planted in a file's missing list: it must never be
	// printed.
	canary = "npm_q3Xv9LkP2mZt7RwY4sNb8JcH1gFd6VaE5uTo"
)

// run is one SARIF run in the layout tpscan's writer produces.
type run struct {
	repo, commit, branch, uriHost string
	uriRepo                       string // the provenance URI's OWNER/NAME when it differs from repo
	noProvenance                  bool
	partial                       bool
	missing                       []string
	results                       int
}

func (r run) json() map[string]any {
	results := []any{}
	for i := 0; i < r.results; i++ {
		results = append(results, map[string]any{"ruleId": "TP001", "message": map[string]any{"text": fmt.Sprintf("finding %d", i)},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{"artifactLocation": map[string]any{"uri": ".github/workflows/release.yml"}, "region": map[string]any{"startLine": i + 1}}}}})
	}
	props := map[string]any{"tpscan/partial": r.partial}
	if r.repo != "" {
		props["tpscan/repository"] = r.repo
	}
	if r.missing != nil {
		props["tpscan/missing"] = r.missing
	}
	out := map[string]any{
		"tool":              map[string]any{"driver": map[string]any{"name": "tpscan", "rules": []any{}}},
		"automationDetails": map[string]any{"id": "tpscan/org/"},
		"results":           results,
		"properties":        props,
	}
	if !r.noProvenance {
		host := r.uriHost
		if host == "" {
			host = "github.com"
		}
		uriRepo := r.uriRepo
		if uriRepo == "" {
			uriRepo = r.repo
		}
		out["versionControlProvenance"] = []any{map[string]any{"repositoryUri": "https://" + host + "/" + uriRepo, "revisionId": r.commit, "branch": r.branch}}
	}
	return out
}

func sarifDoc(t testing.TB, runs ...run) []byte {
	t.Helper()
	var rs []any
	for _, r := range runs {
		rs = append(rs, r.json())
	}
	b, err := json.Marshal(map[string]any{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": rs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func good() run {
	return run{repo: "acme/web", commit: testCommit, branch: "refs/heads/main", results: 2}
}

func TestParse(t *testing.T) {
	with := func(f func(*run)) run { r := good(); f(&r); return r }
	many := make([]run, 21)
	for i := range many {
		many[i] = good()
	}
	for _, tc := range []struct {
		name    string
		doc     []byte
		opts    ReadOptions
		problem string // "" = may be uploaded
		repo    string
		commit  string
		ref     string
	}{
		{name: "tpscan's file", doc: sarifDoc(t, good()), repo: "acme/web", commit: testCommit, ref: "refs/heads/main"},
		{name: "empty run closes alerts", doc: sarifDoc(t, with(func(r *run) { r.results = 0 })), repo: "acme/web"},
		{name: "partial", doc: sarifDoc(t, with(func(r *run) { r.partial, r.missing = true, []string{"repository secrets: HTTP 403"} })),
			problem: "partial: the repository was only partly read (missing: repository secrets: HTTP 403)"},
		{name: "partial is refused whatever the flags", doc: sarifDoc(t, with(func(r *run) { r.partial = true })),
			opts: ReadOptions{Overrides: Overrides{Repo: "acme/web", Commit: testCommit, Ref: "refs/heads/main"}}, problem: "partial:"},
		{name: "no provenance", doc: sarifDoc(t, run{noProvenance: true, results: 1}), problem: "no repository"},
		{name: "no provenance, no commit", doc: sarifDoc(t, run{noProvenance: true, repo: "acme/web"}), problem: "no commit"},
		{name: "no provenance, flags fill in", doc: sarifDoc(t, run{noProvenance: true, results: 1}),
			opts: ReadOptions{Overrides: Overrides{Repo: "acme/api", Commit: testCommit, Ref: "refs/tags/v1"}}, repo: "acme/api", commit: testCommit, ref: "refs/tags/v1"},
		{name: "--repo never contradicts the file", doc: sarifDoc(t, good()), opts: ReadOptions{Overrides: Overrides{Repo: "acme/api"}},
			problem: "the file is for acme/web, not acme/api"},
		{name: "--commit and --ref win", doc: sarifDoc(t, good()), opts: ReadOptions{Overrides: Overrides{Commit: strings.Repeat("b", 40), Ref: "refs/pull/7/merge"}},
			repo: "acme/web", commit: strings.Repeat("b", 40), ref: "refs/pull/7/merge"},
		{name: "sha-256 commit", doc: sarifDoc(t, with(func(r *run) { r.commit = strings.Repeat("c", 64) })), commit: strings.Repeat("c", 64)},
		{name: "short commit", doc: sarifDoc(t, with(func(r *run) { r.commit = "0123456" })), problem: "is not 40 or 64 hex digits"},
		{name: "bare branch name", doc: sarifDoc(t, with(func(r *run) { r.branch = "main" })), problem: `ref "main" is not refs/heads/`},
		{name: "no branch", doc: sarifDoc(t, with(func(r *run) { r.branch = "" })), problem: "no ref"},
		{name: "repository from the URI alone", doc: sarifDoc(t, run{uriRepo: "acme/web.git", commit: testCommit, branch: "refs/heads/main"}), repo: "acme/web"},
		{name: "URI without a repository", doc: sarifDoc(t, run{commit: testCommit, branch: "refs/heads/main"}), problem: "no repository"},
		{name: "other host", doc: sarifDoc(t, good()), opts: ReadOptions{Host: "github.example.com"}, problem: "for a repository on github.com"},
		{name: "same host", doc: sarifDoc(t, with(func(r *run) { r.uriHost = "github.example.com" })), opts: ReadOptions{Host: "GitHub.example.com"}, repo: "acme/web"},
		{name: "runs disagree", doc: sarifDoc(t, good(), with(func(r *run) { r.repo = "acme/api" })), problem: "runs name different repositories"},
		{name: "21 runs", doc: sarifDoc(t, many...), problem: "21 runs: GitHub takes at most 20 per file"},
		{name: "20 runs", doc: sarifDoc(t, many[:20]...), repo: "acme/web"},
		{name: "results over a lowered limit", doc: sarifDoc(t, with(func(r *run) { r.results = 3 })), opts: ReadOptions{MaxResultsPerRun: 2},
			problem: "run 0 has 3 results: GitHub takes at most 2 per run"},
		{name: "not JSON", doc: []byte("<xml/>"), problem: "not a SARIF file"},
		{name: "SARIF 2.0", doc: []byte(`{"version":"2.0.0","runs":[]}`), problem: `SARIF version "2.0.0"`},
		{name: "no runs", doc: []byte(`{"version":"2.1.0","runs":[]}`), problem: "no runs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := Parse("x.sarif", tc.doc, tc.opts)
			if tc.problem == "" {
				if f.Problem != "" {
					t.Fatalf("refused: %s", f.Problem)
				}
				if f.Encoded() == "" || f.GzipBytes == 0 {
					t.Fatal("not encoded")
				}
				back, err := Decode(f.Encoded())
				if err != nil || !bytes.Equal(back, tc.doc) {
					t.Fatalf("gzip+base64 round trip: %v", err)
				}
			} else {
				if !strings.Contains(f.Problem, tc.problem) {
					t.Fatalf("problem %q, want %q", f.Problem, tc.problem)
				}
				if f.Encoded() != "" {
					t.Error("a refused file is encoded")
				}
			}
			for _, c := range []struct{ got, want, what string }{{f.Repo, tc.repo, "repo"}, {f.Commit, tc.commit, "commit"}, {f.Ref, tc.ref, "ref"}} {
				if c.want != "" && c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	r := good()
	r.partial, r.missing = true, []string{"environment secrets of prod", "workflow .github/workflows/x.yml truncated"}
	f := Parse("acme/web.sarif", sarifDoc(t, r, good()), ReadOptions{})
	if !f.Partial || len(f.Missing) != 2 || f.Runs != 2 || f.Results != 4 || f.Category != "tpscan/org/" || f.Tool != "tpscan" {
		t.Errorf("%+v", f)
	}
}

// TestParseRealLimits runs the checks at GitHub's own numbers: 25,001
// results in a run and a file over 10 MB compressed are refused before
// anything is sent, rather than left to GitHub's 413.
func TestParseRealLimits(t *testing.T) {
	r := good()
	r.results = MaxResultsPerRun + 1
	if f := Parse("big.sarif", sarifDoc(t, r), ReadOptions{}); !strings.Contains(f.Problem, "has 25001 results: GitHub takes at most 25000 per run") {
		t.Errorf("problem %q", f.Problem)
	}
	// Incompressible text: ~14 MB of it compresses to over 10 MB.
	doc := sarifDoc(t, good())
	pad := noise(14_000_000)
	doc = append(doc[:len(doc)-1], []byte(`,"properties":{"padding":"`+pad+`"}}`)...)
	f := Parse("huge.sarif", doc, ReadOptions{})
	if !strings.Contains(f.Problem, "compressed: GitHub takes at most 10000000") || f.GzipBytes <= MaxGzipBytes || f.Encoded() != "" {
		t.Errorf("problem %q, %d bytes compressed", f.Problem, f.GzipBytes)
	}
}

// noise is n bytes of base64-alphabet text from a fixed xorshift sequence.
func noise(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	x := uint64(88172645463325252)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = alphabet[x>>58]
	}
	return string(b)
}
