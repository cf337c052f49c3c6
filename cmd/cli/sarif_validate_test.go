package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/internal/fakegithub"
)

// Microsoft's SARIF validator (the SARIF multitool's `validate`, pinned in
// .ci/npm) checks tpscan's SARIF against the SARIF 2.1.0 schema and rules
// ("Sarif") and against what GitHub code scanning requires of an upload
// ("Gh"): a file that passes the Go tests can still be refused by code
// scanning, or lose its locations there, and only this tool knows GitHub's
// rules.

// sarifValidator returns the validator's native binary. It is called
// directly: the npm wrapper (bin.js) runs it through a shell, which splits
// `--rule-kind Sarif;Gh` at the ";".
func sarifValidator(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		// The Linux package holds an x86-64 binary only, and the darwin and
		// win32 packages are not installed here. CI is linux/amd64.
		t.Skipf("the SARIF validator's binary is pinned for linux/amd64 only, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	nm := fakegithub.NPMDir(t)
	bin := filepath.Join(nm, "@microsoft", "sarif-multitool-linux", "Sarif.Multitool")
	why := ""
	if st, err := os.Stat(bin); err != nil {
		why = err.Error()
	} else if st.Mode()&0o100 == 0 {
		// npm ci --ignore-scripts skips the package's postinstall chmod;
		// the Makefile does it instead.
		why = bin + " is not executable"
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("SARIF validator missing (%s); run `make npm-deps`", why)
		}
		t.Skipf("SARIF validator missing (%s); run `make npm-deps`", why)
	}
	return bin
}

// validatorProblem is one result of the validator's own SARIF log.
type validatorProblem struct {
	Rule, Level, Message, Location string
}

func (p validatorProblem) String() string {
	return fmt.Sprintf("%s %s at %s: %s", p.Level, p.Rule, p.Location, p.Message)
}

// validatorLog is the part of the validator's SARIF log (-o) read here.
type validatorLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []validatorRule `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful            bool           `json:"executionSuccessful"`
			ToolExecutionNotifications     []notification `json:"toolExecutionNotifications"`
			ToolConfigurationNotifications []notification `json:"toolConfigurationNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Kind      string `json:"kind"`
			Message   struct {
				Text      string   `json:"text"`
				ID        string   `json:"id"`
				Arguments []string `json:"arguments"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

type validatorRule struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	DefaultConfiguration *struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	MessageStrings map[string]struct {
		Text string `json:"text"`
	} `json:"messageStrings"`
}

type notification struct {
	Level   string `json:"level"`
	Message struct {
		Text string `json:"text"`
	} `json:"message"`
	Descriptor struct {
		ID string `json:"id"`
	} `json:"descriptor"`
}

// validatorConfig turns off SARIF2006 (UrisShouldBeReachable), which GETs
// every $schema, helpUri and repositoryUri of the file: the tests reach no
// network, and the rule reports notes only.
const validatorConfig = `<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" Type="Driver.RuleEnabledState" />
  </Properties>
</Properties>
`

var (
	placeholder  = regexp.MustCompile(`\{(\d+)\}`)
	scannedFiles = regexp.MustCompile(`Done\. (\d+) files? scanned\.`)
)

// validateSARIF runs one validator over files (absolute paths) and returns
// everything it reported, notes included. A run that did not complete (exit
// status, an unsuccessful invocation, an error notification) fails the test:
// the validator exits 0 whatever it finds, so a non-zero status is never a
// finding.
func validateSARIF(t *testing.T, bin string, files ...string) []validatorProblem {
	t.Helper()
	dir := t.TempDir()
	out, cfg := filepath.Join(dir, "validation.sarif"), filepath.Join(dir, "validation.xml")
	if err := os.WriteFile(cfg, []byte(validatorConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"validate", "--rule-kind", "Sarif;Gh", "-c", cfg,
		// Its default limit, 10 MB, would skip a large organisation's file;
		// code scanning takes 10 MB gzipped.
		"--max-file-size-in-kb", "102400", "-o", out}, files...)...)
	// A .NET app needs ICU for culture data unless told to run invariant;
	// the validator compares no localised text, and CI machines have only
	// what the repository installs.
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	var console bytes.Buffer
	cmd.Stdout, cmd.Stderr = &console, &console
	start := time.Now()
	err := cmd.Run()
	t.Logf("validator on %d file(s): %v", len(files), time.Since(start).Round(10*time.Millisecond))
	if err != nil {
		t.Fatalf("%s validate %s: %v\n%s", bin, strings.Join(files, " "), err, console.String())
	}
	// A file over its size limit (--max-file-size-in-kb) is skipped with
	// no result at all, which would pass for valid.
	if m := scannedFiles.FindStringSubmatch(console.String()); m == nil || m[1] != strconv.Itoa(len(files)) {
		t.Fatalf("validator did not read all %d file(s):\n%s", len(files), console.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("validator wrote no log: %v\n%s", err, console.String())
	}
	var log validatorLog
	if err := json.Unmarshal(raw, &log); err != nil {
		t.Fatalf("validator log %s: %v", out, err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("validator log has %d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	for _, inv := range run.Invocations {
		if !inv.ExecutionSuccessful {
			t.Errorf("validator run was not successful\n%s", console.String())
		}
		for _, n := range append(inv.ToolExecutionNotifications, inv.ToolConfigurationNotifications...) {
			// A notification's level defaults to warning (SARIF §3.58.6).
			// The one for the rule validatorConfig turns off is expected.
			if n.Descriptor.ID == "WRN999.RuleExplicitlyDisabled" && strings.Contains(n.Message.Text, "'SARIF2006'") {
				continue
			}
			if n.Level == "error" || n.Level == "warning" || n.Level == "" {
				t.Errorf("validator: %s %s", n.Descriptor.ID, n.Message.Text)
			} else {
				t.Logf("validator: %s %s", n.Descriptor.ID, n.Message.Text)
			}
		}
	}
	lines := map[string][]string{}
	for _, f := range files {
		lines[f] = strings.Split(string(mustRead(t, f)), "\n")
	}
	var problems []validatorProblem
	for _, r := range run.Results {
		var rule *validatorRule
		rules := run.Tool.Driver.Rules
		if r.RuleIndex != nil && *r.RuleIndex >= 0 && *r.RuleIndex < len(rules) {
			rule = &rules[*r.RuleIndex]
		} else {
			for i := range rules {
				if rules[i].ID == r.RuleID {
					rule = &rules[i]
				}
			}
		}
		p := validatorProblem{Rule: r.RuleID, Message: r.Message.Text}
		// The effective level (SARIF §3.27.10): the result's own, else
		// "none" for a result that is not a failure, else the rule's
		// default, else "warning". The validator leaves it out on most of
		// its warnings.
		switch {
		case r.Level != "":
			p.Level = r.Level
		case r.Kind != "" && r.Kind != "fail":
			p.Level = "none"
		case rule != nil && rule.DefaultConfiguration != nil && rule.DefaultConfiguration.Level != "":
			p.Level = rule.DefaultConfiguration.Level
		default:
			p.Level = "warning"
		}
		if rule != nil {
			if rule.Name != "" {
				p.Rule += " " + rule.Name
			}
			if p.Message == "" {
				p.Message = placeholder.ReplaceAllStringFunc(rule.MessageStrings[r.Message.ID].Text, func(m string) string {
					i, _ := strconv.Atoi(m[1 : len(m)-1])
					if i < len(r.Message.Arguments) {
						return r.Message.Arguments[i]
					}
					return m
				})
			}
		}
		if p.Message == "" {
			p.Message = r.Message.ID + " " + strings.Join(r.Message.Arguments, ", ")
		}
		if len(r.Locations) > 0 {
			pl := r.Locations[0].PhysicalLocation
			// The validator names the file as a file: URI, or as a path
			// when it could not parse it.
			path := pl.ArtifactLocation.URI
			if u, err := url.Parse(path); err == nil && u.Scheme == "file" {
				path = u.Path
			}
			p.Location = fmt.Sprintf("%s:%d:%d", shortPath(path), pl.Region.StartLine, pl.Region.StartColumn)
			// The line of tpscan's SARIF it points at, so the fix needs
			// no second run.
			if l := lines[path]; pl.Region.StartLine >= 1 && pl.Region.StartLine <= len(l) {
				p.Location += " `" + clip(strings.TrimSpace(l[pl.Region.StartLine-1]), 160) + "`"
			}
		}
		problems = append(problems, p)
	}
	return problems
}

// shortPath keeps a path's last two elements (the owner and repository of
// a --sarif-dir file), dropping the temporary directory.
func shortPath(p string) string {
	dir, base := filepath.Split(p)
	return filepath.Join(filepath.Base(dir), base)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// requireValid fails the test on every error and warning the validator
// reported for files, and logs its notes.
func requireValid(t *testing.T, bin string, files ...string) {
	t.Helper()
	problems := validateSARIF(t, bin, files...)
	for _, p := range problems {
		if p.Level == "error" || p.Level == "warning" {
			t.Errorf("%s", p)
		} else {
			t.Logf("%s", p)
		}
	}
}

// writeSARIF writes a tpscan run's SARIF (its stdout) to a file, after
// checking the run ended as expected and produced a SARIF log at all.
func writeSARIF(t *testing.T, name string, code int, stdout, stderr string, want ...int) string {
	t.Helper()
	if !has(want, code) {
		t.Fatalf("tpscan exit %d, want one of %v\n%s", code, want, stderr)
	}
	var probe struct {
		Version string            `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &probe); err != nil || probe.Version != "2.1.0" || len(probe.Runs) == 0 {
		t.Fatalf("tpscan did not write a SARIF 2.1.0 log (%v): %.300s", err, stdout)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sarifResults counts a SARIF file's results over all runs.
func sarifResults(t *testing.T, path string) int {
	t.Helper()
	var l struct {
		Runs []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(mustRead(t, path), &l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, r := range l.Runs {
		n += len(r.Results)
	}
	return n
}

// jsonFindings is the number of unsuppressed findings of the JSON report
// on paths, which the SARIF results must match (each finding is one result).
func jsonFindings(t *testing.T, paths ...string) int {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"local", "--format", "json", "--fail-on", "none"}, paths...)...)
	if code != ExitOK {
		t.Fatalf("tpscan exit %d\n%s", code, errs)
	}
	var rep struct {
		Summary struct {
			Findings int `json:"findings"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Summary.Findings
}

// TestSARIFValidateCatches holds the validator itself to account: on a log
// with known faults it must report both a SARIF rule and a GitHub rule, or
// the --rule-kind argument lost a kind and the other tests prove nothing.
func TestSARIFValidateCatches(t *testing.T) {
	bin := sarifValidator(t)
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.sarif")
	// No $schema (GH1013), a region starting at line 0 (JSON1008), a
	// result without locations (GH1015), a rule without descriptions
	// (GH2012).
	if err := os.WriteFile(bad, []byte(`{"version": "2.1.0", "runs": [{
  "tool": {"driver": {"name": "tpscan", "version": "1.0.0", "informationUri": "https://example.com/", "rules": [{"id": "TP001"}]}},
  "results": [
    {"ruleId": "TP001", "message": {"text": "x"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.yml"}, "region": {"startLine": 0}}}]},
    {"ruleId": "TP001", "message": {"text": "y"}}
  ]}]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range validateSARIF(t, bin, bad) {
		got[strings.Fields(p.Rule)[0]] = p.Level
	}
	for _, id := range []string{"JSON1008", "GH1013", "GH1015", "GH2012"} {
		if got[id] != "error" {
			t.Errorf("validator did not report %s as an error on %s (got %v)", id, bad, got)
		}
	}
}

// TestSARIFValidate runs the validator on tpscan's SARIF for the demo
// organisation, the labelled corpus, a clean repository, and an organisation
// audit against the fake GitHub, whole and per repository (--sarif-dir).
// Every error or warning fails the test. The logs are made one after the
// other in-process; the validators (a second or so each to start) run in
// parallel.
func TestSARIFValidate(t *testing.T) {
	bin := sarifValidator(t)
	root := filepath.Join("..", "..")

	t.Run("demo-org", func(t *testing.T) {
		demo := filepath.Join(root, "testdata", "demo-org")
		code, out, errs := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", demo)
		file := writeSARIF(t, "demo-org.sarif", code, out, errs, ExitOK)
		if n, want := sarifResults(t, file), jsonFindings(t, demo); n != want {
			t.Fatalf("demo SARIF has %d results, the JSON report %d findings", n, want)
		}
		t.Parallel()
		requireValid(t, bin, file)
	})

	t.Run("corpus", func(t *testing.T) {
		dir := filepath.Join(root, "testdata", "corpus")
		var labels []label
		if err := yaml.Unmarshal(mustRead(t, filepath.Join(dir, "LABELS.yaml")), &labels); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, l := range labels {
			paths = append(paths, filepath.Join(dir, l.File))
		}
		code, out, errs := runCLI(t, append([]string{"local", "--format", "sarif", "--fail-on", "none"}, paths...)...)
		file := writeSARIF(t, "corpus.sarif", code, out, errs, ExitOK)
		if n, want := sarifResults(t, file), jsonFindings(t, paths...); n != want || n == 0 {
			t.Fatalf("corpus SARIF has %d results, the JSON report %d findings", n, want)
		}
		t.Parallel()
		requireValid(t, bin, file)
	})

	t.Run("clean", func(t *testing.T) {
		repo := t.TempDir()
		write(t, filepath.Join(repo, ".github", "workflows", "ci.yml"),
			"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n")
		code, out, errs := runCLI(t, "local", "--format", "sarif", repo)
		file := writeSARIF(t, "clean.sarif", code, out, errs, ExitOK)
		if n := sarifResults(t, file); n != 0 {
			t.Fatalf("clean repository: %d SARIF results, want none", n)
		}
		t.Parallel()
		requireValid(t, bin, file)
	})

	t.Run("git checkout", func(t *testing.T) {
		// A checkout's SARIF carries provenance from .git, with its paths
		// under %SRCROOT% (SARIF2007).
		repo := filepath.Join(t.TempDir(), "widget")
		write(t, filepath.Join(repo, ".github", "workflows", "release.yml"), publishWorkflow)
		write(t, filepath.Join(repo, ".git", "HEAD"), "0123456789abcdef0123456789abcdef01234567\n")
		write(t, filepath.Join(repo, ".git", "config"), "[remote \"origin\"]\n\turl = https://github.com/acme/widget.git\n")
		code, out, errs := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", repo)
		file := writeSARIF(t, "checkout.sarif", code, out, errs, ExitOK)
		if !strings.Contains(out, `"revisionId": "0123456789abcdef0123456789abcdef01234567"`) {
			t.Fatal("no provenance to check")
		}
		t.Parallel()
		requireValid(t, bin, file)
	})

	t.Run("absolute paths", func(t *testing.T) {
		// Files named by absolute path become file:// URIs: a relative
		// reference may not begin with a slash (SARIF1004).
		abs, err := filepath.Abs(filepath.Join(root, "testdata", "demo-org", "npm-widget", ".github", "workflows", "ci.yml"))
		if err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", abs)
		file := writeSARIF(t, "absolute.sarif", code, out, errs, ExitOK)
		if n := sarifResults(t, file); n == 0 {
			t.Fatal("no results to check the locations of")
		}
		t.Parallel()
		requireValid(t, bin, file)
	})

	t.Run("org", func(t *testing.T) {
		st, _ := corpusOrg(t)
		srv := fakegithub.New(st, fakegithub.Options{GHES: true})
		srv.Start(t)
		sarifDir := filepath.Join(t.TempDir(), "sarif")
		code, out, errs := runOrg(t, srv, t.TempDir(), "corpus", "--format", "sarif", "--fail-on", "none", "--sarif-dir", sarifDir)
		whole := writeSARIF(t, "org.sarif", code, out, errs, ExitOK)
		var files []string
		err := filepath.WalkDir(sarifDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".sarif") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		// One file per repository scanned (the archived one is skipped) and
		// the organisation-level findings in .github's.
		if len(files) < len(st.Orgs["corpus"].Repos)-1 {
			t.Fatalf("--sarif-dir wrote %d files for %d repositories", len(files), len(st.Orgs["corpus"].Repos))
		}
		// 330 files, each with every rule's help, take the validator half a
		// minute: it gets one file of each shape (the rules of its results,
		// notifications of what was not read, provenance) and the file with
		// the organisation-level findings, in one process.
		orgFile := filepath.Join(sarifDir, "corpus", ".github.sarif")
		shapes := map[string]string{"org-level": orgFile}
		for _, f := range files {
			k := sarifShape(t, f)
			if _, ok := shapes[k]; !ok && f != orgFile {
				shapes[k] = f
			}
		}
		var picked []string
		withResults, notified := false, false
		for _, k := range sortedKeys(shapes) {
			picked = append(picked, shapes[k])
			withResults = withResults || strings.Contains(k, "TP")
			notified = notified || strings.Contains(k, "notified")
		}
		if !withResults || !notified || !has(files, orgFile) {
			t.Fatalf("--sarif-dir shapes %v: want files with results, with notifications, and the organisation's (.github)", sortedKeys(shapes))
		}
		t.Logf("validating %d of %d --sarif-dir files, one per shape", len(picked), len(files))
		t.Parallel()
		t.Run("whole", func(t *testing.T) {
			t.Parallel()
			requireValid(t, bin, whole)
		})
		t.Run("sarif-dir", func(t *testing.T) {
			t.Parallel()
			requireValid(t, bin, picked...)
		})
	})
}

// sarifShape sums up what a SARIF file holds, for picking one file of each
// kind: the rules its results come from, provenance, and tool
// notifications (what could not be read).
func sarifShape(t *testing.T, path string) string {
	t.Helper()
	var l struct {
		Runs []struct {
			VersionControlProvenance []json.RawMessage `json:"versionControlProvenance"`
			Invocations              []struct {
				ToolExecutionNotifications []json.RawMessage `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(mustRead(t, path), &l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var parts []string
	for _, r := range l.Runs {
		rules := map[string]bool{}
		for _, res := range r.Results {
			rules[res.RuleID] = true
		}
		parts = append(parts, sortedKeys(rules)...)
		if len(r.VersionControlProvenance) > 0 {
			parts = append(parts, "provenance")
		}
		for _, inv := range r.Invocations {
			if len(inv.ToolExecutionNotifications) > 0 {
				parts = append(parts, "notified")
			}
		}
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
