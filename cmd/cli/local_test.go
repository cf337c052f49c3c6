package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

var testNow = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// runCLI runs tpscan with args through the real command tree.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

const publishWorkflow = `on: release
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
`

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "publish.yml")
	write(t, wf, publishWorkflow)
	clean := filepath.Join(dir, "clean.yml")
	write(t, clean, "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n")
	broken := filepath.Join(dir, "broken.yml")
	write(t, broken, "on: push\njobs: [\n")
	tests := []struct {
		name string
		args []string
		code int
		errs string
	}{
		{"finding at default fail-on", []string{"local", wf}, ExitFindings, ""},
		{"finding below fail-on", []string{"local", "--fail-on", "critical", wf}, ExitOK, ""},
		{"fail-on none", []string{"local", "--fail-on", "none", wf}, ExitOK, ""},
		{"clean", []string{"local", clean}, ExitOK, ""},
		{"incomplete ignored by default", []string{"local", clean, broken}, ExitOK, ""},
		{"incomplete", []string{"local", "--fail-on-incomplete", clean, broken}, ExitIncomplete, ""},
		{"findings win over incomplete", []string{"local", "--fail-on-incomplete", wf, broken}, ExitFindings, ""},
		{"no path", []string{"local"}, ExitUsage, "at least one PATH"},
		{"missing path", []string{"local", filepath.Join(dir, "nope")}, ExitUsage, "nope"},
		{"bad format", []string{"local", "--format", "xml", wf}, ExitUsage, "--format"},
		{"bad fail-on", []string{"local", "--fail-on", "severe", wf}, ExitUsage, "--fail-on"},
		{"unknown flag", []string{"local", "--nope", wf}, ExitUsage, "unknown flag"},
		{"unknown rule", []string{"rules", "TP999"}, ExitUsage, "no rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if tt.errs != "" && !strings.Contains(stderr, tt.errs) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.errs)
			}
		})
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := runCLI(t, "rules")
	if code != 0 || !strings.Contains(out, "TP001") || !strings.Contains(out, "TP006") {
		t.Fatalf("rules list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "rules", "half-done-migration")
	if code != 0 || !strings.Contains(out, "TP003") || !strings.Contains(out, "How to fix") {
		t.Fatalf("rules explain: %d %q", code, out)
	}
}

func TestSuppressions(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".github", "workflows", "publish.yml"), publishWorkflow)
	write(t, filepath.Join(dir, ".github", "workflows", "other.yml"), strings.ReplaceAll(publishWorkflow, "PYPI_API_TOKEN", "OTHER_PYPI_TOKEN"))
	write(t, filepath.Join(dir, ".tpscan.yml"), `version: 1
suppressions:
  - rule: stored-token-publish
    path: .github/workflows/publish.yml
    reason: migrating next sprint
  - rule: TP001
    path: .github/workflows/other.yml
    reason: was fine last year
    expires: 2026-01-31
`)
	var out, errOut bytes.Buffer
	opts := &LocalOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{dir}, Format: "json", FailOn: "high", Now: testNow}
	err := localRun(context.Background(), opts)
	var rep struct {
		Summary struct {
			Findings, Suppressed int
		}
		Findings []struct {
			Path              string
			Suppressed        bool
			SuppressionReason string `json:"suppression_reason"`
		}
		ExpiredSuppressions []struct {
			Line    int
			Expires string
		} `json:"expired_suppressions"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatal(jerr)
	}
	if rep.Summary.Suppressed != 1 || rep.Summary.Findings != 1 {
		t.Errorf("summary = %+v", rep.Summary)
	}
	for _, f := range rep.Findings {
		if strings.HasSuffix(f.Path, "publish.yml") != f.Suppressed {
			t.Errorf("%s suppressed=%v", f.Path, f.Suppressed)
		}
		if f.Suppressed && f.SuppressionReason != "migrating next sprint" {
			t.Errorf("reason = %q", f.SuppressionReason)
		}
	}
	if len(rep.ExpiredSuppressions) != 1 || rep.ExpiredSuppressions[0].Line != 6 {
		t.Errorf("expired = %+v", rep.ExpiredSuppressions)
	}
	// The unsuppressed finding still fails the run.
	if ee, ok := err.(*exitError); !ok || ee.code != ExitFindings {
		t.Errorf("err = %v", err)
	}
}

func TestBadConfigIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".github", "workflows", "p.yml"), publishWorkflow)
	write(t, filepath.Join(dir, ".tpscan.yml"), "suppressions:\n  - rule: TP001\n    path: x\n")
	code, _, stderr := runCLI(t, "local", dir)
	if code != ExitUsage || !strings.Contains(stderr, ".tpscan.yml:2") || !strings.Contains(stderr, "reason") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestDemoGolden pins the JSON, table, Markdown and SARIF reports of the demo organisation.
// Run `go test ./cmd/cli -run TestDemoGolden -update` after an intended change.
func TestDemoGolden(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "demo-org")
	for _, tc := range []struct{ format, golden string }{
		{"json", "demo-org.json"},
		{"table", "demo-org.txt"},
		{"sarif", "demo-org.sarif"},
		{"markdown", "demo-org.md"},
	} {
		var out, errOut bytes.Buffer
		opts := &LocalOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{demo}, Format: tc.format,
			FailOn: "none", Verbose: tc.format == "table", Now: testNow, Workers: 2}
		if err := localRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "testdata", "golden", tc.golden)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(want, out.Bytes()) {
			t.Errorf("%s differs from %s; run with -update if the change is intended.\ngot:\n%s", tc.format, path, firstDiff(string(want), out.String()))
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestOutputIsDeterministic: parallel workers and map walks must not change
// the report, or golden files and bots diffing reports would flap.
func TestOutputIsDeterministic(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "corpus", "*.y*ml"))
	var first string
	for i := 0; i < 3; i++ {
		var out, errOut bytes.Buffer
		opts := &LocalOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: paths, Format: "json", FailOn: "none", Now: testNow, Workers: 4}
		if err := localRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = out.String()
		} else if out.String() != first {
			t.Fatalf("run %d differs from the first: %s", i+1, firstDiff(first, out.String()))
		}
	}
}
