package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/scanner/local"
	"github.com/tpscan/tpscan/scanner/model"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const wf = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n"

func TestDetect(t *testing.T) {
	tests := []struct{ content, want string }{
		{wf, "workflow"},
		{"name: x\nruns:\n  using: composite\n  steps: []\n", "composite"},
		{"stages: [build]\nbuild:\n  script:\n    - make\n", "gitlab"},
		{"publish:\n  script: twine upload dist/*\n", "gitlab"},
		{"foo: bar\n", ""},
		{"\"on\": push\njobs: {}\n", "workflow"},
	}
	for _, tt := range tests {
		if got := local.Detect([]byte(tt.content)); got != tt.want {
			t.Errorf("Detect(%q) = %q, want %q", tt.content, got, tt.want)
		}
	}
}

func TestCheckoutAndCoverage(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "r")
	write(t, filepath.Join(repo, ".github", "workflows", "ok.yml"), wf)
	write(t, filepath.Join(repo, ".github", "workflows", "bad.yml"), "on: push\njobs: [\n")
	// An alias bomb must end as an error entry, quickly.
	bomb := "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
	for i, prev := 'b', 'a'; i <= 'i'; i, prev = i+1, i {
		bomb += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+",", 8) + "*" + string(prev) + "]\n"
	}
	write(t, filepath.Join(repo, ".github", "workflows", "bomb.yml"), "on: push\n"+bomb+"jobs: {}\n")
	write(t, filepath.Join(repo, ".github", "workflows", "huge.yml"), "on: push\n#"+strings.Repeat("x", local.MaxCIFile)+"\n")
	write(t, filepath.Join(repo, ".github", "workflows", "bin.yml"), "on: push\x00\x01\x02")
	write(t, filepath.Join(repo, "action.yml"), "name: a\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n")
	write(t, filepath.Join(repo, ".gitlab-ci.yml"), "include: ci/missing.yml\njob:\n  script: [make]\n")
	write(t, filepath.Join(repo, "scripts", "publish.sh"), "twine upload dist/*\n")
	write(t, filepath.Join(repo, "node_modules", "x", ".npmrc"), "ignored")
	start := time.Now()
	inv, err := local.Load(context.Background(), []string{repo}, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("loading took %v: an alias bomb or a huge file must not stall a scan", d)
	}
	if len(inv.Repos) != 1 || inv.Repos[0].Name != "r" {
		t.Fatalf("repos = %+v", inv.Repos)
	}
	r := inv.Repos[0]
	kinds := map[model.CIKind]int{}
	for _, p := range r.Pipelines {
		kinds[p.Kind]++
	}
	// ok.yml and bomb.yml parse (the bomb's aliases are never expanded).
	if kinds[model.GitHubWorkflow] != 2 || kinds[model.GitHubComposite] != 1 || kinds[model.GitLabCI] != 1 {
		t.Errorf("pipelines by kind = %v", kinds)
	}
	var paths []string
	for _, f := range r.Files {
		paths = append(paths, f.Path)
	}
	joined := strings.Join(paths, " ")
	if !strings.Contains(joined, "scripts/publish.sh") || strings.Contains(joined, "node_modules") {
		t.Errorf("files = %v", paths)
	}
	gaps := map[string]string{}
	for _, g := range inv.Coverage {
		gaps[filepath.Base(g.Path)] = g.Kind
	}
	for file, kind := range map[string]string{"bad.yml": "parse-error", "huge.yml": "too-large", "bin.yml": "binary", ".gitlab-ci.yml": "unresolved"} {
		if gaps[file] != kind {
			t.Errorf("coverage for %s = %q, want %q (all: %+v)", file, gaps[file], kind, inv.Coverage)
		}
	}
}

func TestSnapshot(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "api", ".github", "workflows", "w.yml"), wf)
	write(t, filepath.Join(root, "extra", ".github", "workflows", "w.yml"), wf)
	write(t, filepath.Join(root, local.InventoryFile), `{"version": 1, "org": "acme",
  "secrets": [{"name": "ORG_NPM_TOKEN", "visibility": "selected", "selected_repositories": ["acme/api"]}],
  "repositories": [
    {"name": "acme/api", "visibility": "public", "secrets_listed": true,
     "secrets": [{"name": "PYPI_TOKEN", "updated_at": "2024-01-01T00:00:00Z"}, {"name": "E", "environment": "pypi"}],
     "environments": [{"name": "pypi", "required_reviewers": 2}]},
    {"name": "acme/gone", "secrets_listed": false}
  ]}`)
	inv, err := local.Load(context.Background(), []string{root}, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Org != "acme" || len(inv.OrgSecrets) != 1 || inv.OrgSecrets[0].Scope != model.ScopeOrganization {
		t.Errorf("org = %q %+v", inv.Org, inv.OrgSecrets)
	}
	names := map[string]*model.Repo{}
	for _, r := range inv.Repos {
		names[r.Name] = r
	}
	api := names["acme/api"]
	if api == nil || !api.SecretsKnown || len(api.Pipelines) != 1 || len(api.Secrets) != 2 || api.Secrets[1].Scope != model.ScopeEnvironment || !api.Environments[0].Protected() {
		t.Errorf("api = %+v", api)
	}
	if names["acme/extra"] == nil || names["acme/extra"].SecretsKnown {
		t.Errorf("a directory without an inventory entry is scanned with no secrets known: %+v", names["acme/extra"])
	}
	missing := false
	for _, g := range inv.Coverage {
		if g.Repo == "acme/gone" && g.Kind == "missing" {
			missing = true
		}
	}
	if !missing {
		t.Errorf("a listed repository without a directory must be reported: %+v", inv.Coverage)
	}
	if !inv.OrgSecrets[0].Visible(api) || inv.OrgSecrets[0].Visible(names["acme/extra"]) {
		t.Errorf("selected visibility")
	}
}

func TestSnapshotRejectsUnknownFields(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, local.InventoryFile), `{"version": 1, "repositories": [{"name": "a/b", "secretz": []}]}`)
	if _, err := local.Load(context.Background(), []string{root}, local.Options{}); err == nil || !strings.Contains(err.Error(), "secretz") {
		t.Errorf("err = %v", err)
	}
}

func TestInterruptedScanReportsWhatWasRead(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 50; i++ {
		write(t, filepath.Join(root, "w"+strconv.Itoa(i)+".yml"), wf)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, err := local.Load(ctx, []string{root}, local.Options{})
	if err == nil || inv == nil {
		t.Fatalf("err = %v, inv = %v", err, inv)
	}
	found := false
	for _, g := range inv.Coverage {
		if g.Kind == "interrupted" && strings.Contains(g.Message, "of 50 files not read") {
			found = true
		}
	}
	if !found {
		t.Errorf("coverage = %+v", inv.Coverage)
	}
}
