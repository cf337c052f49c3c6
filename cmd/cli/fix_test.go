package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/fixers"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/local"
	"github.com/tpscan/tpscan/scanner/model"
)

var updateFixes = flag.Bool("update-fixes", false, "rewrite testdata/fixers/*/expected.patch")

// scanFile runs the engine on one workflow file as a checkout would.
func scanFile(t *testing.T, name string, content []byte) (*model.Inventory, []*rules.Finding) {
	t.Helper()
	// A fixed repository name: fingerprints include it, and a test that
	// compares findings before and after a patch needs them comparable.
	dir := filepath.Join(t.TempDir(), "repo")
	rel := filepath.Join(".github", "workflows", name)
	if name == ".gitlab-ci.yml" {
		rel = name
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), content, 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := local.Load(context.Background(), []string{dir}, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return inv, rules.Run(inv, rules.All(), cat, &rules.Options{ReadFile: local.ReadFile})
}

// TestFixGolden holds every fixer to an expected patch: testdata/fixers/NAME/
// has input.yml (or input.gitlab-ci.yml) and expected.patch (-update-fixes
// rewrites them).
func TestFixGolden(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "fixers", "*"))
	if len(dirs) == 0 {
		t.Fatal("no fixer golden cases")
	}
	seen := map[string]bool{}
	defer func() {
		// Every publishing method of the catalogue has a golden case,
		// whether it is patched or refused.
		cat, err := catalog.Load()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cat.Methods() {
			// An action that only stores a credential for later steps
			// is reported as the publish that uses it (a golden case
			// feeds it: rubygems-configure-*).
			if !seen[m.ID] && !m.Configures {
				t.Errorf("no golden case in testdata/fixers for method %s", m.ID)
			}
		}
	}()
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			// input.yml is a GitHub workflow, input.gitlab-ci.yml a GitLab
			// CI file.
			name, in, err := "release.yml", []byte(nil), error(nil)
			if in, err = os.ReadFile(filepath.Join(dir, "input.gitlab-ci.yml")); err == nil {
				name = ".gitlab-ci.yml"
			} else if in, err = os.ReadFile(filepath.Join(dir, "input.yml")); err != nil {
				t.Fatal(err)
			}
			inv, fs := scanFile(t, name, in)
			for _, f := range fs {
				seen[f.Method] = true
			}
			res := fixers.Plan(inv, fs)
			var got strings.Builder
			for _, ff := range res.Files {
				got.WriteString(ff.Patch)
			}
			var refused []string
			for _, f := range fs {
				if r := res.Refused[f.Fingerprint]; r != nil && (f.Rule == "TP001" || f.Rule == "TP003") {
					refused = append(refused, "# no patch: "+string(r.Reason)+"\n")
				}
			}
			sort.Strings(refused)
			got.WriteString(strings.Join(refused, ""))
			want := filepath.Join(dir, "expected.patch")
			if *updateFixes {
				if err := os.WriteFile(want, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(exp) {
				t.Errorf("patch differs from %s:\n%s", want, got.String())
			}
		})
	}
}

// TestFixCorpus fixes every labelled corpus workflow that publishes with a
// long-lived token and holds each patch to the bar: it applies with
// git apply --check, the result parses, no longer hands the token to the
// publish, grants id-token: write only to publishing jobs, changes only the
// hunks, and fixing it again changes nothing.
func TestFixCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "corpus")
	raw, err := os.ReadFile(filepath.Join(dir, "LABELS.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File        string    `yaml:"file"`
		CI          string    `yaml:"ci"`
		Publishes   []publish `yaml:"publishes"`
		ExpectedFix string    `yaml:"expected_fix"`
	}
	if err := yaml.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	git, gitErr := exec.LookPath("git")
	patched, autoLabels, manual := 0, 0, 0
	reasons := map[string]int{}
	for _, l := range labels {
		long := false
		for _, p := range l.Publishes {
			if p.Auth == "long-lived-secret" && public[p.Registry] {
				long = true
			}
		}
		name := "wf.yml"
		switch {
		case !long:
			continue
		case l.CI == "gitlab" && !strings.Contains(l.File, "__.gitlab__"):
			name = ".gitlab-ci.yml"
		case l.CI == "gitlab":
			name = ".gitlab-ci.yml" // an included file, scanned as the top-level one
		case !strings.Contains(l.File, "__.github__workflows__"):
			continue
		}
		isManual := strings.HasPrefix(l.ExpectedFix, "manual:")
		if isManual {
			manual++
		} else {
			autoLabels++
		}
		src, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		inv, fs := scanFile(t, name, src)
		res := fixers.Plan(inv, fs)
		if len(res.Files) == 0 {
			for _, f := range fs {
				if r := res.Refused[f.Fingerprint]; r != nil && f.Rule == "TP001" {
					reasons[string(r.Reason)]++
					label := "automatic"
					if isManual {
						label = "manual"
					}
					t.Logf("no patch (labelled %s): %s (%s): %s: %s", label, l.File, f.Method, r.Reason, r.Detail)
					break
				}
			}
			continue
		}
		if isManual {
			t.Errorf("%s: patched although its label says no safe automatic fix exists: %s", l.File, l.ExpectedFix)
		} else {
			patched++
		}
		ff := res.Files[0]
		// The publish no longer gets the token.
		inv2, fs2 := scanFile(t, name, ff.Fixed)
		before, after := map[string]bool{}, map[string]bool{}
		for _, f := range fs {
			before[f.Fingerprint] = true
		}
		for _, f := range fs2 {
			after[f.Fingerprint] = true
		}
		for _, fp := range ff.Findings {
			if after[fp] {
				t.Errorf("%s: finding %s survives the patch", l.File, fp)
			}
		}
		for _, f := range fs2 {
			if !before[f.Fingerprint] && f.Rule != "TP006" {
				t.Errorf("%s: the patch introduces %s %s", l.File, f.Rule, f.Message)
			}
		}
		// id-token: write only on jobs that publish.
		publishing := map[string]bool{}
		for _, f := range fs {
			publishing[f.Job] = true
		}
		for _, p := range inv2.Repos[0].Pipelines {
			for _, j := range p.Jobs {
				if j.Permissions != nil && j.Permissions.Scopes["id-token"] == "write" && !publishing[j.ID] {
					t.Errorf("%s: id-token: write on job %s, which does not publish", l.File, j.ID)
				}
				if len(j.IDTokens) > 0 && !publishing[j.ID] {
					t.Errorf("%s: id_tokens on job %s, which does not publish", l.File, j.ID)
				}
			}
		}
		// Idempotent.
		if res2 := fixers.Plan(inv2, fs2); len(res2.Files) > 0 {
			t.Errorf("%s: fixing the fixed file changes it again:\n%s", l.File, res2.Files[0].Patch)
		}
		// git apply --check on a fresh copy.
		if gitErr == nil {
			work := t.TempDir()
			p := filepath.Join(work, ff.Path)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			_ = os.WriteFile(p, src, 0o644)
			cmd := exec.Command(git, "apply", "--check", "-")
			cmd.Dir = work
			cmd.Stdin = bytes.NewReader([]byte(ff.Patch))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: git apply --check: %v\n%s\n%s", l.File, err, out, ff.Patch)
			}
			// Applied, the patch gives exactly the fixed file: what it
			// does not show, it does not change.
			cmd = exec.Command(git, "apply", "-")
			cmd.Dir = work
			cmd.Stdin = bytes.NewReader([]byte(ff.Patch))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: git apply: %v\n%s", l.File, err, out)
			} else if got, _ := os.ReadFile(p); !bytes.Equal(got, ff.Fixed) {
				t.Errorf("%s: the applied patch differs from the fixed file", l.File)
			}
		}
	}
	t.Logf("patched %d of %d corpus files whose expected fix is automatic (%d manual); refused: %v", patched, autoLabels, manual, reasons)
	// Coverage grows fixer by fixer; this floor only stops it shrinking.
	if patched < 18 {
		t.Errorf("only %d corpus files patched", patched)
	}
}

func TestFixCommandDryRunAndWrite(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixers", "twine-env", "input.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows", "release.yml")
	_ = os.MkdirAll(filepath.Dir(wf), 0o755)
	if err := os.WriteFile(wf, in, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := fixRun(context.Background(), &FixOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{dir}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "-        TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}") || !strings.Contains(out.String(), "+      id-token: write") {
		t.Errorf("dry run printed:\n%s", out.String())
	}
	if b, _ := os.ReadFile(wf); !bytes.Equal(b, in) {
		t.Error("dry run changed the file")
	}
	if !strings.Contains(errOut.String(), "Register a trusted publisher on PyPI") {
		t.Errorf("registry-side steps missing:\n%s", errOut.String())
	}
	out.Reset()
	if err := fixRun(context.Background(), &FixOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{dir}, Write: true}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(wf)
	if bytes.Contains(b, []byte("TWINE_PASSWORD")) || !bytes.Contains(b, []byte("id-token: write")) {
		t.Errorf("--write left:\n%s", b)
	}
	// Fixed: nothing more to do.
	out.Reset()
	errOut.Reset()
	if err := fixRun(context.Background(), &FixOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{dir}}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("second run printed a patch:\n%s", out.String())
	}
}
