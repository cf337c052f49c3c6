package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tpscan/tpscan/internal/fakegithub"
)

// sarifResults reads the results of a one-run SARIF log.
type sarifResultView struct {
	RuleID  string `json:"ruleId"`
	Message struct{ Text string }
	Locs    []struct {
		Phys struct {
			Art struct {
				URI  string `json:"uri"`
				Base string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region struct{ StartLine int } `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	FP         map[string]string `json:"partialFingerprints"`
	Properties map[string]any    `json:"properties"`
}

type sarifRunView struct {
	AutomationDetails struct{ ID string } `json:"automationDetails"`
	Provenance        []struct {
		RepositoryURI string `json:"repositoryUri"`
		RevisionID    string `json:"revisionId"`
		Branch        string `json:"branch"`
	} `json:"versionControlProvenance"`
	Results    []sarifResultView `json:"results"`
	Properties map[string]any    `json:"properties"`
}

func parseSARIFRun(t *testing.T, b []byte) sarifRunView {
	t.Helper()
	var log struct {
		Runs []sarifRunView `json:"runs"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("%v\n%.2000s", err, b)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return log.Runs[0]
}

// sarifOf scans dir with `tpscan local --format sarif`.
func sarifOf(t *testing.T, dir string) sarifRunView {
	t.Helper()
	code, out, errOut := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	return parseSARIFRun(t, []byte(out))
}

const movingWorkflow = `name: release
on:
  push:
    tags: [v*]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - run: npm test
  pypi:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
  npm:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
      - name: gem
        run: gem push *.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_API_KEY }}
`

// TestSARIFFingerprintsSurviveUnrelatedEdits: code scanning matches an
// alert across runs by its primaryLocationLineHash, so comments, new jobs,
// new steps and re-indentation elsewhere must leave every fingerprint as it
// was, while each finding keeps its own.
func TestSARIFFingerprintsSurviveUnrelatedEdits(t *testing.T) {
	edits := map[string]func(string) string{
		"comments at the top": func(s string) string { return "# release workflow\n# owned by the platform team\n\n" + s },
		"a job before the others": func(s string) string {
			return strings.Replace(s, "jobs:\n", "jobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n", 1)
		},
		"a step before the publish": func(s string) string {
			return strings.Replace(s, "      - run: python -m build\n", "      - run: python -m build\n      - run: twine check dist/*\n", 1)
		},
		"a step between npm steps": func(s string) string {
			return strings.Replace(s, "      - run: npm publish\n", "      - run: npm ci\n      - run: npm publish\n", 1)
		},
		"jobs reordered": func(s string) string {
			i, k := strings.Index(s, "  pypi:\n"), strings.Index(s, "  npm:\n")
			return s[:i] + s[k:] + s[i:k]
		},
	}
	write := func(dir, content string) {
		if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "release.yml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := t.TempDir()
	write(base, movingWorkflow)
	before := sarifOf(t, base)
	if len(before.Results) < 4 {
		t.Fatalf("want at least four findings to follow, got %d", len(before.Results))
	}
	key := func(r sarifResultView) string {
		return r.RuleID + " " + r.Locs[0].Phys.Art.URI + " " + r.Properties["tpscan/secret"].(string) + " " + r.Properties["tpscan/method"].(string)
	}
	want := map[string]string{}
	seen := map[string]string{}
	for _, r := range before.Results {
		fp := r.FP["primaryLocationLineHash"]
		if !regexp.MustCompile(`^[0-9a-f]{32}:1$`).MatchString(fp) {
			t.Errorf("%s: primaryLocationLineHash %q", key(r), fp)
		}
		if other, dup := seen[fp]; dup {
			t.Errorf("%s and %s share the fingerprint %s", key(r), other, fp)
		}
		seen[fp] = key(r)
		want[key(r)] = fp
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, edit(movingWorkflow))
			after := sarifOf(t, dir)
			moved := 0
			got := map[string]string{}
			for _, r := range after.Results {
				got[key(r)] = r.FP["primaryLocationLineHash"]
			}
			for k, fp := range want {
				if got[k] != fp {
					t.Errorf("%s: fingerprint %s became %q", k, fp, got[k])
				}
			}
			for _, r := range after.Results {
				for _, b := range before.Results {
					if key(b) == key(r) && b.Locs[0].Phys.Region.StartLine != r.Locs[0].Phys.Region.StartLine {
						moved++
					}
				}
			}
			if len(after.Results) != len(before.Results) {
				t.Errorf("%d results after the edit, %d before", len(after.Results), len(before.Results))
			}
			if name != "jobs reordered" && name != "a step between npm steps" && moved == 0 {
				t.Error("no finding moved: the edit tested nothing")
			}
		})
	}
}

// TestSARIFCorpusFingerprintsAreDistinct: over the labelled corpus, no two
// results share a fingerprint.
func TestSARIFCorpusFingerprintsAreDistinct(t *testing.T) {
	run := sarifOf(t, filepath.Join("..", "..", "testdata", "corpus"))
	seen := map[string]sarifResultView{}
	for _, r := range run.Results {
		fp := r.FP["primaryLocationLineHash"]
		if o, dup := seen[fp]; dup {
			t.Errorf("%s %s and %s %s share %s", r.RuleID, r.Locs[0].Phys.Art.URI, o.RuleID, o.Locs[0].Phys.Art.URI, fp)
		}
		seen[fp] = r
	}
	if len(run.Results) < 90 {
		t.Errorf("only %d results over the corpus", len(run.Results))
	}
}

// TestOrgSARIFDir: --sarif-dir writes one file per repository, each with
// the commit and branch that were read, the partly read ones marked, the
// organisation-level findings in the --org-findings-repo file; a second run
// replaces the files it wrote, and a directory tpscan did not write is
// refused.
func TestOrgSARIFDir(t *testing.T) {
	st, _ := corpusOrg(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	dir := filepath.Join(t.TempDir(), "sarif")
	code, out, errOut := runOrg(t, srv, t.TempDir(), "corpus", "--format", "json", "--sarif-dir", dir)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var rep struct {
		Findings []struct {
			Repo       string
			Suppressed bool
		}
		Repositories []struct {
			Name, Commit  string
			DefaultBranch string `json:"default_branch"`
		} `json:"repositories"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	perRepo := map[string]int{}
	for _, f := range rep.Findings {
		if !f.Suppressed {
			perRepo[f.Repo]++
		}
	}
	for _, r := range rep.Repositories {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.Name)+".sarif"))
		if err != nil {
			t.Errorf("%s: %v", r.Name, err)
			continue
		}
		for _, canary := range []string{e2eToken, e2eVariableCanary, e2eNpmCanary} {
			if strings.Contains(string(b), canary) {
				t.Errorf("%s.sarif holds a secret", r.Name)
			}
		}
		run := parseSARIFRun(t, b)
		if len(run.Results) != perRepo[r.Name] {
			t.Errorf("%s: %d results, want its %d findings", r.Name, len(run.Results), perRepo[r.Name])
		}
		if run.AutomationDetails.ID != "tpscan/org/" {
			t.Errorf("%s: category %q", r.Name, run.AutomationDetails.ID)
		}
		if len(run.Provenance) != 1 || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(run.Provenance[0].RevisionID) ||
			run.Provenance[0].RevisionID != r.Commit || run.Provenance[0].Branch != "refs/heads/"+r.DefaultBranch ||
			!strings.HasSuffix(run.Provenance[0].RepositoryURI, "/"+r.Name) {
			t.Errorf("%s: provenance %+v, want commit %s on %s", r.Name, run.Provenance, r.Commit, r.DefaultBranch)
		}
		partial := run.Properties["tpscan/partial"] == true
		if want := r.Name == "corpus/zz-denied"; partial != want && r.Name != "corpus/zz-huge" {
			t.Errorf("%s: partial %v, want %v", r.Name, partial, want)
		}
	}
	org, err := os.ReadFile(filepath.Join(dir, "corpus", ".github.sarif"))
	if err != nil {
		t.Fatalf("organisation-level findings: %v", err)
	}
	if run := parseSARIFRun(t, org); len(run.Results) != perRepo[""] || len(run.Provenance) != 0 {
		t.Errorf("the organisation file has %d results (want %d) and provenance %v (want none: corpus/.github was not scanned)",
			len(run.Results), perRepo[""], run.Provenance)
	}
	if !strings.Contains(errOut, "cannot be uploaded") {
		t.Errorf("stderr must say the organisation file cannot be uploaded:\n%s", errOut)
	}

	// A second run over fewer repositories leaves no stale file behind.
	code, _, errOut = runOrg(t, srv, t.TempDir(), "corpus", "--repos", "zz-*", "--sarif-dir", dir)
	if code != ExitFindings {
		t.Fatalf("second run: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus", "r000.sarif")); !os.IsNotExist(err) {
		t.Errorf("a file of the first run survived the second: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus", "zz-envs.sarif")); err != nil {
		t.Error(err)
	}

	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runOrg(t, srv, t.TempDir(), "corpus", "--sarif-dir", foreign); code != ExitUsage || !strings.Contains(errOut, "not written by tpscan") {
		t.Errorf("a foreign directory: exit %d, %s", code, errOut)
	}
	if code, _, errOut := runOrg(t, srv, t.TempDir(), "corpus", "--sarif-category", "tpscan"); code != ExitUsage || !strings.Contains(errOut, "must end in") {
		t.Errorf("a category without /: exit %d, %s", code, errOut)
	}
}

// TestOrgUpload: `tpscan org --upload` sends each fully read repository's
// SARIF at the commit that was read, never a partly read one, and no file
// for organisation-level findings that no scanned repository carries.
func TestOrgUpload(t *testing.T) {
	st, _ := corpusOrg(t)
	v := fakegithub.LoadValidator(t)
	srv := fakegithub.New(st, fakegithub.Options{GHES: true, Validator: v})
	srv.Start(t)
	code, out, errOut := runOrg(t, srv, t.TempDir(), "corpus", "--repos", "zz-*,r00[0-4]", "--upload", "--format", "sarif")
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, canary := range []string{e2eToken, e2eVariableCanary, e2eNpmCanary} {
		if strings.Contains(out+errOut, canary) {
			t.Error("the output holds a secret")
		}
	}
	got := map[string]fakegithub.SARIFUpload{}
	for _, u := range srv.SARIFUploads() {
		got[u.Repo] = u
	}
	for _, name := range []string{"zz-envs", "r000", "r001", "r004"} {
		u, ok := got["corpus/"+name]
		if !ok {
			t.Errorf("corpus/%s was not uploaded\n%s", name, errOut)
			continue
		}
		if u.CommitSHA != srv.HeadCommit("corpus", name) || u.Ref != "refs/heads/main" || u.Category != "tpscan/org" || u.Tool != "tpscan" {
			t.Errorf("corpus/%s uploaded as %+v", name, u)
		}
	}
	if _, ok := got["corpus/zz-denied"]; ok {
		t.Error("the partly read corpus/zz-denied was uploaded: its missing alerts would be closed")
	}
	if len(got) != 7 {
		t.Errorf("%d uploads, want the 7 fully read repositories (r000-r004, zz-envs, zz-huge): %v", len(got), got)
	}
	if !strings.Contains(errOut, "zz-denied") || !strings.Contains(errOut, "partial") {
		t.Errorf("stderr must report the partly read repository as not uploaded:\n%s", errOut)
	}
	if vs := srv.Violations(); len(vs) > 0 {
		t.Errorf("OpenAPI violations: %v", vs)
	}
}

// TestLocalCheckoutSARIFIsUploadable: a git checkout's SARIF names the
// commit checked out, its branch and origin's repository, so that
// `tpscan upload-sarif` takes it as it is.
func TestLocalCheckoutSARIFIsUploadable(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	dir := filepath.Join(t.TempDir(), "widget")
	write(t, filepath.Join(dir, ".github", "workflows", "release.yml"), publishWorkflow)
	write(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	write(t, filepath.Join(dir, ".git", "refs", "heads", "main"), sha+"\n")
	write(t, filepath.Join(dir, ".git", "config"), "[remote \"origin\"]\n\turl = git@github.com:acme/widget.git\n")
	run := sarifOf(t, dir)
	if len(run.Provenance) != 1 || run.Provenance[0].RepositoryURI != "https://github.com/acme/widget" ||
		run.Provenance[0].RevisionID != sha || run.Provenance[0].Branch != "refs/heads/main" {
		t.Fatalf("provenance %+v", run.Provenance)
	}
	if run.Properties["tpscan/repository"] != "acme/widget" || len(run.Results) == 0 {
		t.Errorf("repository %v, %d results", run.Properties["tpscan/repository"], len(run.Results))
	}
	code, out, errOut := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", dir)
	if code != 0 {
		t.Fatal(errOut)
	}
	file := filepath.Join(t.TempDir(), "tpscan.sarif")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "upload-sarif", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "acme/widget") || !strings.Contains(out, "would-upload") {
		t.Errorf("upload-sarif --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
}
