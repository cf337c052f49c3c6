package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/internal/fakegithub"
)

// The GitHub Action (action.yml) and the example workflow the README shows
// (testdata/action/example-workflow.yml): their structure, actionlint's
// verdict, tpscan's own verdict on them, and the scan step's script run for
// real with this test binary standing in for the tpscan it builds.

// asCLIEnv makes the test binary run tpscan's Main instead of the tests, so
// the action's script can call "$TPSCAN_BIN" without a go build.
const asCLIEnv = "TPSCAN_TEST_RUN_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], System()))
	}
	os.Exit(m.Run())
}

var (
	actionPath  = filepath.Join("..", "..", "action.yml")
	examplePath = filepath.Join("..", "..", "testdata", "action", "example-workflow.yml")
)

type actionInput struct {
	Description string  `yaml:"description"`
	Required    bool    `yaml:"required"`
	Default     *string `yaml:"default"`
}

type actionStep struct {
	Name             string            `yaml:"name"`
	ID               string            `yaml:"id"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Run              string            `yaml:"run"`
	Shell            string            `yaml:"shell"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
}

type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs  map[string]actionInput `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) (*actionFile, string) {
	t.Helper()
	raw := string(mustRead(t, actionPath))
	var a actionFile
	dec := yaml.NewDecoder(strings.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return &a, raw
}

func (a *actionFile) step(t *testing.T, id string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", id)
	return actionStep{}
}

var (
	inputRef  = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	outputRef = regexp.MustCompile(`^\$\{\{ *steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+) *\}\}$`)
	// A `uses:` pinned to a full commit, with the version it is in a comment.
	pinnedUses = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$`)
)

// TestActionDefinition checks action.yml's structure: what GitHub requires of
// a composite action, inputs and outputs that match what the steps use and
// write, pinned actions, and no ${{ }} in any script.
func TestActionDefinition(t *testing.T) {
	a, raw := loadAction(t)
	if a.Name == "" || a.Description == "" {
		t.Errorf("name %q, description %q: both are required", a.Name, a.Description)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("runs.using %q with %d steps, want a composite action", a.Runs.Using, len(a.Runs.Steps))
	}

	// Inputs: each documented, none required (every one has a default),
	// and the defaults the README promises.
	wantDefaults := map[string]string{"mode": "local", "path": ".", "target": "", "format": "sarif",
		"output": "tpscan.sarif", "fail-on": "none", "args": "", "token": ""}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		want, ok := wantDefaults[name]
		switch {
		case !ok:
			t.Errorf("input %s is not one the README documents", name)
		case in.Required || in.Default == nil:
			t.Errorf("input %s: required %v, default %v; every input is optional", name, in.Required, in.Default)
		case *in.Default != want:
			t.Errorf("input %s defaults to %q, want %q", name, *in.Default, want)
		}
	}
	for name := range wantDefaults {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("input %s is missing", name)
		}
	}

	// Every input used exists, and every input is used, only through a
	// step's env: (or with: of setup-go, which takes none).
	used := map[string]bool{}
	for i, s := range a.Runs.Steps {
		if s.Uses == "" && (s.Run == "" || s.Shell == "") {
			t.Errorf("step %d (%s): a composite run step needs run and shell", i, s.Name)
		}
		if strings.Contains(s.Run, "${{") {
			// The runner pastes ${{ }} into the script before bash parses it:
			// an input (or anything else) would be code, not data.
			t.Errorf("step %d (%s): ${{ }} inside run:; pass it through env:", i, s.Name)
		}
		for k, v := range s.Env {
			for _, m := range inputRef.FindAllStringSubmatch(v, -1) {
				used[m[1]] = true
				if v != "${{ inputs."+m[1]+" }}" {
					t.Errorf("step %s env %s = %q: pass the input as it is", s.Name, k, v)
				}
			}
		}
		for k, v := range s.With {
			if inputRef.MatchString(v) {
				t.Errorf("step %s passes an input to %s's %s", s.Name, s.Uses, k)
			}
		}
		if inputRef.MatchString(s.WorkingDirectory) || inputRef.MatchString(s.Uses) {
			t.Errorf("step %s: an input in working-directory or uses", s.Name)
		}
	}
	for name := range used {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("inputs.%s is used but not declared", name)
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}
	// The raw text too: no input referenced anywhere else (an if:, a name:).
	for _, m := range inputRef.FindAllStringSubmatchIndex(raw, -1) {
		line := raw[strings.LastIndex(raw[:m[0]], "\n")+1:]
		line = line[:strings.IndexByte(line, '\n')]
		if !regexp.MustCompile(`^\s+TPSCAN_[A-Z_]+: \$\{\{ inputs\.[a-z-]+ \}\}$`).MatchString(line) &&
			!strings.HasPrefix(strings.TrimSpace(line), "#") {
			t.Errorf("action.yml: input used outside a TPSCAN_* env entry: %q", line)
		}
	}

	// Outputs name a step that exists and writes them.
	wantOutputs := []string{"findings", "report", "sarif-file"}
	var gotOutputs []string
	for name, o := range a.Outputs {
		gotOutputs = append(gotOutputs, name)
		m := outputRef.FindStringSubmatch(o.Value)
		if m == nil || m[2] != name || o.Description == "" {
			t.Errorf("output %s: value %q, description %q", name, o.Value, o.Description)
			continue
		}
		if s := a.step(t, m[1]); !strings.Contains(s.Run, "'"+name+"=%s\\n'") {
			t.Errorf("output %s: step %s never writes it to $GITHUB_OUTPUT", name, m[1])
		}
	}
	sort.Strings(gotOutputs)
	if strings.Join(gotOutputs, " ") != strings.Join(wantOutputs, " ") {
		t.Errorf("outputs %v, want %v", gotOutputs, wantOutputs)
	}

	// Go comes from setup-go, for the version in the action's own go.mod;
	// tpscan is built from the action's own source.
	var setup *actionStep
	for i, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			setup = &a.Runs.Steps[i]
		}
	}
	if setup == nil || setup.With["go-version-file"] != "${{ github.action_path }}/go.mod" {
		t.Errorf("setup-go step %+v: want go-version-file ${{ github.action_path }}/go.mod", setup)
	}
	build := a.step(t, "build")
	if build.WorkingDirectory != "${{ github.action_path }}" || !strings.Contains(build.Run, `go build -trimpath -o "$bin" ./cmd/tpscan`) ||
		!strings.Contains(build.Run, `bin="$RUNNER_TEMP/tpscan"`) {
		t.Errorf("build step does not build ./cmd/tpscan into $RUNNER_TEMP in the action's directory:\n%s", build.Run)
	}
	for _, line := range strings.Split(raw, "\n") {
		if strings.Contains(line, "uses:") && !pinnedUses.MatchString(line) {
			t.Errorf("action.yml: %q is not pinned to a commit with its version in a comment", strings.TrimSpace(line))
		}
	}

	// The token reaches tpscan's own variables and nothing prints it.
	scan := a.step(t, "scan")
	if scan.Env["TPSCAN_TOKEN"] != "${{ inputs.token }}" {
		t.Errorf("scan step env TPSCAN_TOKEN = %q", scan.Env["TPSCAN_TOKEN"])
	}
	for _, line := range strings.Split(scan.Run, "\n") {
		if strings.Contains(line, "TOKEN") && regexp.MustCompile(`\b(echo|printf|tee|cat)\b|GITHUB_OUTPUT|GITHUB_ENV|GITHUB_STEP_SUMMARY|set -x`).MatchString(line) &&
			!strings.HasPrefix(strings.TrimSpace(line), "#") {
			t.Errorf("scan step: a line that could print the token: %q", line)
		}
	}
}

// lintExample lints the example workflow with actionlint, with the action
// resolved locally (`uses: ./` in a copy of the repository layout), so that
// its with: inputs and steps.*.outputs are checked against action.yml.
func lintExample(t *testing.T, example string) []*actionlint.Error {
	t.Helper()
	root := t.TempDir()
	pinned := regexp.MustCompile(`uses: tpscan/tpscan@\S+`)
	if n := len(pinned.FindAllString(example, -1)); n < 2 {
		t.Fatalf("example uses tpscan/tpscan %d times, want the scan and the org audit", n)
	}
	local := pinned.ReplaceAllString(example, "uses: ./")
	write(t, filepath.Join(root, "action.yml"), string(mustRead(t, actionPath)))
	wf := filepath.Join(root, ".github", "workflows", "tpscan.yml")
	write(t, wf, local)
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	// External linters (shellcheck, pyflakes) stay off, as in fixers: the
	// verdict must not depend on the machine.
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(wf, []byte(local), proj)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestActionExampleWorkflow(t *testing.T) {
	raw := mustRead(t, examplePath)
	for _, e := range lintExample(t, string(raw)) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", examplePath, e.Line, e.Column, e.Message, e.Kind)
	}
	// actionlint does check the action's inputs and outputs: a typo in
	// either is reported.
	t.Run("lint catches a wrong input", func(t *testing.T) {
		broken := strings.Replace(strings.Replace(string(raw), "outputs.sarif-file", "outputs.sarif-path", 1), "mode: org", "mod: org", 1)
		var msgs []string
		for _, e := range lintExample(t, broken) {
			msgs = append(msgs, e.Message)
		}
		all := strings.Join(msgs, "\n")
		if !strings.Contains(all, `"sarif-path"`) || !strings.Contains(all, `"mod"`) {
			t.Errorf("actionlint missed a wrong output or input:\n%s", all)
		}
	})

	var wf struct {
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Jobs        map[string]struct {
			Permissions map[string]string `yaml:"permissions"`
			Steps       []actionStep      `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["push"]; !ok {
		t.Error("example does not run on push")
	}
	if _, ok := wf.On["schedule"]; !ok {
		t.Error("example has no schedule")
	}
	if len(wf.Permissions) != 1 || wf.Permissions["contents"] != "read" {
		t.Errorf("workflow permissions %v, want contents: read only", wf.Permissions)
	}
	scan := wf.Jobs["scan"]
	if len(scan.Permissions) != 2 || scan.Permissions["contents"] != "read" || scan.Permissions["security-events"] != "write" {
		t.Errorf("scan job permissions %v, want contents: read and security-events: write", scan.Permissions)
	}
	var tp, upload *actionStep
	for i, s := range scan.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "tpscan/tpscan@"):
			tp = &scan.Steps[i]
		case strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@"):
			upload = &scan.Steps[i]
		}
	}
	if tp == nil || upload == nil || tp.ID == "" {
		t.Fatalf("scan job: tpscan step %+v, upload step %+v", tp, upload)
	}
	if upload.With["sarif_file"] != "${{ steps."+tp.ID+".outputs.sarif-file }}" {
		t.Errorf("upload-sarif sarif_file = %q, want the tpscan step's sarif-file output", upload.With["sarif_file"])
	}
	// The category is the SARIF run's automationDetails.id, so alerts of
	// one scan close in the next.
	if got, want := upload.With["category"], sarifCategoryOf(t, "local"); got != want {
		t.Errorf("upload-sarif category %q, tpscan local writes %q", got, want)
	}
	org := wf.Jobs["org-audit"]
	if len(org.Permissions) != 1 || org.Permissions["contents"] != "read" {
		t.Errorf("org-audit permissions %v: it writes nothing to this repository", org.Permissions)
	}
	var audit *actionStep
	for i, s := range org.Steps {
		if strings.HasPrefix(s.Uses, "tpscan/tpscan@") {
			audit = &org.Steps[i]
		}
	}
	if audit == nil || audit.With["mode"] != "org" || !strings.HasPrefix(audit.With["token"], "${{ secrets.") {
		t.Errorf("org-audit: tpscan step %+v, want mode org with a token from a secret", audit)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, "uses:") && !strings.Contains(line, "tpscan/tpscan@") && !pinnedUses.MatchString(line) {
			t.Errorf("example: %q is not pinned to a commit with its version in a comment", strings.TrimSpace(line))
		}
	}
}

// sarifCategoryOf is the automationDetails.id tpscan writes for a mode.
func sarifCategoryOf(t *testing.T, mode string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ci.yml"), "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n")
	code, out, errs := runCLI(t, mode, "--format", "sarif", dir)
	if code != ExitOK {
		t.Fatalf("tpscan %s: exit %d\n%s", mode, code, errs)
	}
	var l struct {
		Runs []struct {
			AutomationDetails struct {
				ID string `json:"id"`
			} `json:"automationDetails"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Runs) != 1 {
		t.Fatalf("SARIF: %v", err)
	}
	return l.Runs[0].AutomationDetails.ID
}

// TestActionFilesHaveNoFinding: the action and its example hold no token
// the way tpscan warns about (the token input goes to tpscan alone).
func TestActionFilesHaveNoFinding(t *testing.T) {
	code, out, errs := runCLI(t, "local", "--format", "json", "--fail-on", "low", "--fail-on-incomplete", actionPath, examplePath)
	var rep struct {
		Summary struct {
			Files, Findings, Suppressed, Errors int
		} `json:"summary"`
		Findings []struct {
			Rule, Path, Message string
			Line                int
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, errs)
	}
	for _, f := range rep.Findings {
		t.Errorf("%s:%d: %s %s", f.Path, f.Line, f.Rule, f.Message)
	}
	if code != ExitOK || rep.Summary.Files != 2 || rep.Summary.Errors != 0 || rep.Summary.Suppressed != 0 {
		t.Errorf("exit %d, summary %+v, want both files read and nothing found\n%s", code, rep.Summary, errs)
	}
}

// actionRun is one run of the scan step's script.
type actionRun struct {
	code                    int
	stdout, stderr          string
	outputs                 map[string]string
	outputsRaw, summary     string
	workspace, report, home string
}

// runActionScript runs the scan step of action.yml under bash as the runner
// would: the inputs in its env: entries (defaults filled in), the runner's
// variables, and the test binary as tpscan.
func runActionScript(t *testing.T, workspace string, inputs map[string]string, runnerEnv ...string) actionRun {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	a, _ := loadAction(t)
	scan := a.step(t, "scan")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	run := actionRun{workspace: workspace, home: filepath.Join(tmp, "home")}
	outFile, summaryFile := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + run.home, "XDG_CACHE_HOME=" + filepath.Join(tmp, "cache"),
		"RUNNER_TEMP=" + tmp, "RUNNER_OS=Linux", "GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + summaryFile,
		"GITHUB_WORKSPACE=" + workspace, "GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=octo/app",
		"GITHUB_REPOSITORY_OWNER=octo", asCLIEnv + "=1"}
	env = append(env, runnerEnv...)
	for k, v := range scan.Env {
		if m := inputRef.FindStringSubmatch(v); m != nil {
			val, ok := inputs[m[1]]
			if !ok {
				val = *a.Inputs[m[1]].Default
			}
			env = append(env, k+"="+val)
		} else if k == "TPSCAN_BIN" {
			env = append(env, k+"="+self)
		} else {
			t.Fatalf("scan step env %s = %q: unknown to this test", k, v)
		}
	}
	for k := range inputs {
		if _, ok := a.Inputs[k]; !ok {
			t.Fatalf("no input %s", k)
		}
	}
	// The runner runs `bash --noprofile --norc -eo pipefail {0}`.
	script := filepath.Join(tmp, "scan.sh")
	write(t, script, scan.Run)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir, cmd.Env = workspace, env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		run.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	run.stdout, run.stderr = stdout.String(), stderr.String()
	b, _ := os.ReadFile(outFile)
	run.outputsRaw = string(b)
	run.outputs = map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(run.outputsRaw, "\n"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if _, dup := run.outputs[k]; dup {
				t.Errorf("output %s written twice", k)
			}
			run.outputs[k] = v
		}
	}
	b, _ = os.ReadFile(summaryFile)
	run.summary = string(b)
	if p := run.outputs["report"]; p != "" {
		b, _ = os.ReadFile(filepath.Join(workspace, p))
		run.report = string(b)
	}
	return run
}

// publishingCheckout is a checkout whose release workflow publishes with a
// stored PyPI token, and whose CI is clean.
func publishingCheckout(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	write(t, filepath.Join(ws, ".github", "workflows", "release.yml"), publishWorkflow)
	write(t, filepath.Join(ws, ".github", "workflows", "ci.yml"), "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n")
	return ws
}

func TestActionScriptLocal(t *testing.T) {
	ws := publishingCheckout(t)
	want := jsonFindings(t, ws)
	if want == 0 {
		t.Fatal("the fixture has no finding")
	}

	t.Run("defaults", func(t *testing.T) {
		r := runActionScript(t, ws, nil)
		if r.code != 0 {
			t.Fatalf("exit %d with fail-on none\n%s", r.code, r.stderr)
		}
		if r.outputs["sarif-file"] != "tpscan.sarif" || r.outputs["report"] != "tpscan.sarif" || r.outputs["findings"] != itoa(want) {
			t.Errorf("outputs %q, want sarif-file and report tpscan.sarif, findings %d", r.outputsRaw, want)
		}
		// The report is the same SARIF tpscan writes itself, in the
		// workspace, and stdout has nothing of it.
		_, direct, _ := runCLI(t, "local", "--format", "sarif", "--fail-on", "none", ws)
		if r.report == "" || !strings.Contains(r.report, `"automationDetails"`) || r.stdout != "" {
			t.Errorf("report %.200q, stdout %.200q", r.report, r.stdout)
		}
		if n := strings.Count(direct, `"ruleId"`); n != strings.Count(r.report, `"ruleId"`) || n == 0 {
			t.Errorf("the action's SARIF has %d results, tpscan's %d", strings.Count(r.report, `"ruleId"`), n)
		}
		if !strings.Contains(r.summary, itoa(want)+" finding(s)") {
			t.Errorf("step summary %q", r.summary)
		}
	})

	t.Run("fail-on high fails after writing everything", func(t *testing.T) {
		r := runActionScript(t, ws, map[string]string{"fail-on": "high", "output": "out/reports/tp.json", "format": "json"})
		if r.code != ExitFindings {
			t.Errorf("exit %d, want %d\n%s", r.code, ExitFindings, r.stderr)
		}
		if _, ok := r.outputs["sarif-file"]; ok || r.outputs["report"] != "out/reports/tp.json" || r.outputs["findings"] != itoa(want) {
			t.Errorf("outputs %q", r.outputsRaw)
		}
		if !strings.Contains(r.report, `"schema_version"`) {
			t.Errorf("report %.200q is not the JSON report", r.report)
		}
	})

	t.Run("several paths", func(t *testing.T) {
		r := runActionScript(t, ws, map[string]string{"path": ".github/workflows/ci.yml\n\n.github/workflows/release.yml\n", "format": "json"})
		var rep struct {
			Summary struct{ Files, Findings int } `json:"summary"`
		}
		if err := json.Unmarshal([]byte(r.report), &rep); err != nil || r.code != 0 || rep.Summary.Files != 2 || rep.Summary.Findings != want {
			t.Errorf("exit %d, summary %+v (%v)\n%s", r.code, rep.Summary, err, r.stderr)
		}
	})

	t.Run("args", func(t *testing.T) {
		// One argument per word, over lines; --fail-on given twice: the
		// last wins.
		r := runActionScript(t, ws, map[string]string{"args": "--fail-on-incomplete\n  --fail-on low", "fail-on": "none"})
		if r.code != ExitFindings || r.outputs["findings"] != itoa(want) {
			t.Errorf("exit %d, outputs %q\n%s", r.code, r.outputsRaw, r.stderr)
		}
	})

	t.Run("inputs are data, not code", func(t *testing.T) {
		inputs := map[string]string{
			"args":   `--config $(touch pwned-args) ; touch pwned-semicolon *`,
			"path":   "`touch pwned-path`",
			"format": `sarif$(touch pwned-format)`,
		}
		r := runActionScript(t, ws, inputs)
		if r.code != ExitUsage {
			t.Errorf("exit %d, want %d (usage error)\n%s", r.code, ExitUsage, r.stderr)
		}
		entries, _ := filepath.Glob(filepath.Join(ws, "pwned*"))
		if len(entries) > 0 {
			t.Errorf("an input ran as shell code: %v", entries)
		}
		// "*" reached tpscan as it is, not as the workspace's file names.
		if strings.Contains(r.stderr, ".github") {
			t.Errorf("stderr %q: a glob was expanded", r.stderr)
		}
		if r.outputsRaw != "" {
			t.Errorf("a failed scan wrote outputs %q", r.outputsRaw)
		}
	})

	t.Run("bad mode and output", func(t *testing.T) {
		for _, in := range []map[string]string{{"mode": "everything"}, {"output": "a\nfindings=0"}, {"output": ""}} {
			r := runActionScript(t, ws, in)
			if r.code != ExitUsage || !strings.Contains(r.stdout, "::error title=tpscan::") || r.outputsRaw != "" {
				t.Errorf("%q: exit %d, stdout %q, outputs %q", in, r.code, r.stdout, r.outputsRaw)
			}
			if strings.Contains(r.stdout, "everything") || strings.Contains(r.stdout, "findings=0") {
				t.Errorf("%q: the message repeats the input: %q", in, r.stdout)
			}
		}
	})
}

// auditPermissions are the fine-grained token (or GitHub App) permissions
// the README and the example workflow list for `tpscan org`, in the fake's
// names (GitHub's permission data).
func auditPermissions() map[string]string {
	return map[string]string{
		// Repository permissions (Metadata: read is implied).
		"contents": "read", "actions": "read", "secrets": "read", "variables": "read", "environments": "read",
		// Organisation permissions.
		"organization_secrets": "read", "organization_variables": "read",
	}
}

// actionOrg is a small organisation with something behind each permission
// of auditPermissions: workflows, a repository secret and variable, an
// environment with a secret, an organisation secret nothing uses and an
// organisation variable. token is a fine-grained token with perms.
func actionOrg(token string, perms map[string]string) *fakegithub.State {
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	return &fakegithub.State{
		Orgs: map[string]*fakegithub.Org{"octo": {Login: "octo", Repos: []*fakegithub.Repo{
			{Name: "app", Visibility: "private", Files: map[string]string{".github/workflows/release.yml": publishWorkflow},
				Secrets:   []*fakegithub.Secret{{Name: "PYPI_API_TOKEN", CreatedAt: t0, UpdatedAt: t0}},
				Variables: []*fakegithub.Variable{{Name: "REGION", Value: "eu", CreatedAt: t0, UpdatedAt: t0}}},
			{Name: "web", Visibility: "public", Files: map[string]string{".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"},
				Environments: []*fakegithub.Environment{{Name: "prod", Secrets: []*fakegithub.Secret{{Name: "DEPLOY_KEY", CreatedAt: t0, UpdatedAt: t0}}}}},
		},
			Secrets:   []*fakegithub.OrgSecret{{Name: "NPM_TOKEN", Visibility: "all", CreatedAt: t0, UpdatedAt: t0}},
			Variables: []*fakegithub.OrgVariable{{Name: "ORG_REGION", Value: "eu", Visibility: "all", CreatedAt: t0, UpdatedAt: t0}},
		}},
		Tokens: map[string]*fakegithub.Token{token: {Kind: fakegithub.KindFineGrained, Login: "auditor", Org: "octo", Permissions: perms}},
	}
}

// TestActionScriptOrg runs the org mode against the fake GitHub Enterprise
// Server with a fine-grained token holding exactly the permissions the
// README lists for the organisation audit: everything must be read, and the
// token must appear nowhere.
func TestActionScriptOrg(t *testing.T) {
	const token = "github_pat_11ACTIONTEST0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	st := actionOrg(token, auditPermissions())
	srv := fakegithub.New(st, fakegithub.Options{GHES: true})
	srv.Start(t)
	server := strings.TrimSuffix(srv.URL(), "/api/v3/")
	ws := t.TempDir()

	r := runActionScript(t, ws, map[string]string{"mode": "org", "token": token, "format": "json", "output": "org.json", "args": "--no-cache"},
		"GITHUB_SERVER_URL="+server, "GITHUB_REPOSITORY=octo/.github", "GITHUB_REPOSITORY_OWNER=octo")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Findings []struct{ Rule, Repo, Secret string } `json:"findings"`
		Coverage struct {
			Repositories int               `json:"repositories"`
			FullyRead    int               `json:"fully_read"`
			PartlyRead   []json.RawMessage `json:"partly_read"`
			API          struct {
				OrgAdmin bool `json:"org_admin"`
			} `json:"api"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(r.report), &rep); err != nil {
		t.Fatalf("%v\n%.500s", err, r.report)
	}
	// org_admin: the organisation's secrets were listed with their
	// visibility, not pieced together per repository.
	if rep.Coverage.Repositories != 2 || rep.Coverage.FullyRead != 2 || len(rep.Coverage.PartlyRead) != 0 || !rep.Coverage.API.OrgAdmin {
		t.Errorf("coverage %+v: the documented permissions must read everything\n%s", rep.Coverage, r.stderr)
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		got[f.Rule+" "+f.Repo+" "+f.Secret] = true
	}
	// The repository secret in use, and the organisation secret nothing
	// uses.
	for _, k := range []string{"TP001 octo/app PYPI_API_TOKEN", "TP004  NPM_TOKEN"} {
		if !got[k] {
			t.Errorf("no finding %q in %v", k, got)
		}
	}
	if r.outputs["findings"] != itoa(len(rep.Findings)) {
		t.Errorf("findings output %q, report has %d", r.outputs["findings"], len(rep.Findings))
	}
	for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "outputs": r.outputsRaw, "summary": r.summary, "report": r.report} {
		if strings.Contains(s, token) || strings.Contains(s, token[len(token)-16:]) {
			t.Errorf("the token reached the %s", name)
		}
	}

	t.Run("sarif with --sarif-dir", func(t *testing.T) {
		r := runActionScript(t, ws, map[string]string{"mode": "org", "token": token, "output": "org.sarif", "args": "--no-cache --sarif-dir sarif"},
			"GITHUB_SERVER_URL="+server, "GITHUB_REPOSITORY_OWNER=octo")
		if r.code != 0 || r.outputs["sarif-file"] != "org.sarif" || r.outputs["findings"] != itoa(len(rep.Findings)) {
			t.Fatalf("exit %d, outputs %q\n%s", r.code, r.outputsRaw, r.stderr)
		}
		for _, f := range []string{"octo/app.sarif", "octo/web.sarif"} {
			if _, err := os.Stat(filepath.Join(ws, "sarif", f)); err != nil {
				t.Errorf("--sarif-dir: %v", err)
			}
		}
	})

	t.Run("upload", func(t *testing.T) {
		// What the example's org audit does: each repository's SARIF goes
		// to its own code scanning, which also needs Code scanning alerts:
		// write.
		perms := auditPermissions()
		perms["security_events"] = "write"
		// Processed at the first status read: tpscan waits 3 s before it.
		up := fakegithub.New(actionOrg(token, perms), fakegithub.Options{GHES: true, SARIFPendingPolls: -1})
		up.Start(t)
		r := runActionScript(t, t.TempDir(), map[string]string{"mode": "org", "token": token, "output": "org.sarif", "args": "--no-cache\n--sarif-dir tpscan-sarif --upload"},
			"GITHUB_SERVER_URL="+strings.TrimSuffix(up.URL(), "/api/v3/"), "GITHUB_REPOSITORY_OWNER=octo")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var repos []string
		for _, u := range up.SARIFUploads() {
			repos = append(repos, u.Repo)
		}
		sort.Strings(repos)
		if strings.Join(repos, " ") != "octo/app octo/web" {
			t.Errorf("uploaded to %v, want octo/app and octo/web\n%s", repos, r.stderr)
		}
	})

	t.Run("repo mode defaults to this repository", func(t *testing.T) {
		r := runActionScript(t, ws, map[string]string{"mode": "repo", "token": token, "format": "json", "output": "repo.json", "args": "--no-cache"},
			"GITHUB_SERVER_URL="+server, "GITHUB_REPOSITORY=octo/app")
		var rep struct {
			Findings []struct{ Rule, Repo string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.report), &rep); err != nil || r.code != 0 {
			t.Fatalf("exit %d (%v)\n%s", r.code, err, r.stderr)
		}
		if len(rep.Findings) == 0 || rep.Findings[0].Repo != "octo/app" {
			t.Errorf("findings %+v, want octo/app's", rep.Findings)
		}
	})

	t.Run("no token", func(t *testing.T) {
		r := runActionScript(t, ws, map[string]string{"mode": "org", "args": "--no-cache"}, "GITHUB_SERVER_URL="+server)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "credential") {
			t.Errorf("exit %d, stderr %q: want tpscan's no-credential error", r.code, r.stderr)
		}
	})
}

// auditResult runs `tpscan org` in-process with a token holding perms and
// sums up what its JSON report says was read and found.
func auditResult(t *testing.T, perms map[string]string) string {
	t.Helper()
	srv := fakegithub.New(actionOrg(e2eToken, perms), fakegithub.Options{GHES: true})
	srv.Start(t)
	code, out, errs := runOrg(t, srv, t.TempDir(), "octo", "--format", "json", "--fail-on", "none", "--no-cache")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rep struct {
		Findings []struct{ Rule, Repo, Secret string } `json:"findings"`
		Errors   []json.RawMessage                     `json:"errors"`
		Coverage struct {
			FullyRead  int               `json:"fully_read"`
			PartlyRead []json.RawMessage `json:"partly_read"`
			API        struct {
				OrgAdmin bool              `json:"org_admin"`
				Refused  map[string]string `json:"refused"`
			} `json:"api"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, f := range rep.Findings {
		found = append(found, f.Rule+" "+f.Repo+" "+f.Secret)
	}
	sort.Strings(found)
	c := rep.Coverage
	return fmt.Sprintf("fully read %d, partly read %d, org_admin %v, refused %v, errors %d, findings %q",
		c.FullyRead, len(c.PartlyRead), c.API.OrgAdmin, sortedKeys(c.API.Refused), len(rep.Errors), found)
}

// TestActionAuditPermissions: the permissions the README and the example
// name for the organisation audit read everything, and each one is needed:
// without it the report changes (a repository partly read, a refusal, the
// organisation's secrets without their visibility, or other findings).
func TestActionAuditPermissions(t *testing.T) {
	all := auditResult(t, auditPermissions())
	want := `fully read 2, partly read 0, org_admin true, refused [], errors 0, findings ["TP001 octo/app PYPI_API_TOKEN" "TP004  NPM_TOKEN"]`
	if all != want {
		t.Fatalf("with the documented permissions: %s\nwant %s", all, want)
	}
	for name := range auditPermissions() {
		t.Run("without "+name, func(t *testing.T) {
			perms := auditPermissions()
			delete(perms, name)
			if got := auditResult(t, perms); got == all {
				t.Errorf("%s is not needed: %s", name, got)
			} else {
				t.Logf("%s", got)
			}
		})
	}
}
