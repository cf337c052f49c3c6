package fixers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/local"
)

func TestPyPIToolWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // values; nil: not one simple command
	}{
		{`poetry publish --build`, []string{"poetry", "publish", "--build"}},
		{`  flit publish   # upload`, []string{"flit", "publish"}},
		{`rye publish --token ${{ secrets. PYPI_TOKEN }} --yes`, []string{"rye", "publish", "--token", "${{ secrets. PYPI_TOKEN }}", "--yes"}},
		{`poetry publish -p "$TOKEN" -u '__token__'`, []string{"poetry", "publish", "-p", "$TOKEN", "-u", "__token__"}},
		{`poetry build && poetry publish`, nil},
		{`poetry publish | tee log`, nil},
		{`poetry publish; echo done`, nil},
		{`poetry publish -p $(cat token)`, nil},
		{"poetry publish -p `cat token`", nil},
		{`poetry publish \`, nil},
		{`poetry publish > log`, nil},
		{`echo "unclosed`, nil},
	} {
		ws, ok := pypitoolWords(c.in)
		if c.want == nil {
			if ok {
				t.Errorf("%q: read as one simple command %v", c.in, ws)
			}
			continue
		}
		var got []string
		for _, w := range ws {
			got = append(got, w.val)
			if c.in[w.start:w.end] != w.raw {
				t.Errorf("%q: word %q at %d–%d", c.in, w.raw, w.start, w.end)
			}
		}
		if !ok || strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
			t.Errorf("%q: got %q (ok %v), want %q", c.in, got, ok, c.want)
		}
	}
}

func TestPyPIToolParse(t *testing.T) {
	for _, c := range []struct {
		tool, in string
		is       bool
		why      bool // refused
		build    string
	}{
		{"poetry", "poetry publish --build -n", true, false, "poetry build -n"},
		{"poetry", "poetry -vv publish", true, false, ""},
		{"poetry", "python -m poetry publish --build", true, false, "python -m poetry build"},
		{"poetry", "poetry publish --cert ca.pem", true, true, ""},
		{"poetry", "poetry publish -C sub", true, true, ""},
		{"poetry", "poetry build", false, false, ""},
		{"poetry", "poetry config pypi-token.pypi x", false, false, ""},
		{"flit", "flit publish --format wheel --no-use-vcs", true, false, "flit build --format wheel --no-use-vcs"},
		{"flit", "flit --debug publish", true, false, "flit --debug build"},
		{"flit", "flit publish --pypirc ./x", true, true, ""},
		{"hatch", "hatch publish dist/x.whl", true, true, ""},
		{"hatch", "hatch -p proj publish", true, true, ""},
		{"rye", "rye publish --sign", true, true, ""},
		{"poetry", "poetry publish -r ${{ inputs.repo }}", true, true, ""},
	} {
		ws, ok := pypitoolWords(c.in)
		if !ok {
			t.Fatalf("%q does not split", c.in)
		}
		pub, why, is := pypitoolParse(c.tool, ws)
		if is != c.is || (why != "") != c.why {
			t.Errorf("%q: is %v why %q", c.in, is, why)
			continue
		}
		if c.build != "" && (!pub.build || pub.buildLine() != c.build) {
			t.Errorf("%q: build line %q (build %v), want %q", c.in, pub.buildLine(), pub.build, c.build)
		}
	}
}

// pypitoolPlan scans one workflow as .github/workflows/release.yml and
// plans its fixes.
func pypitoolPlan(t *testing.T, src string) (*Result, []*rules.Finding) {
	t.Helper()
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wf, "release.yml"), []byte(src), 0o644); err != nil {
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
	fs := rules.Run(inv, rules.All(), cat, &rules.Options{ReadFile: local.ReadFile})
	return Plan(inv, fs), fs
}

func TestPyPIToolLayouts(t *testing.T) {
	for _, c := range []struct {
		name, src string
		reason    Reason   // "" when a patch is expected
		has, not  []string // in / not in the fixed file
	}{
		{
			name: "poetry publish --build standing alone after a token config line",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: |
          poetry config pypi-token.pypi ${{ secrets.PYPI_TOKEN }}
          poetry publish --build
`,
			has: []string{"          poetry build\n      - name: Publish to PyPI\n        uses: pypa/gh-action-pypi-publish@release/v1\n", "id-token: write"},
			not: []string{"pypi-token", "secrets.PYPI_TOKEN"},
		},
		{
			name: "workflow-level poetry token variable",
			src: `on: push
env:
  POETRY_PYPI_TOKEN_PYPI: ${{ secrets.PYPI_TOKEN }}
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: poetry build
      - run: poetry publish
`,
			has: []string{"      - uses: pypa/gh-action-pypi-publish@release/v1\n"},
			not: []string{"POETRY_PYPI_TOKEN_PYPI", "poetry publish"},
		},
		{
			name: "the token variable is read by another step too",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{ secrets.PYPI_TOKEN }}
    steps:
      - run: ./check.sh "$TOKEN"
      - run: poetry publish --build -u __token__ -p $TOKEN
`,
			reason: ReasonScript,
		},
		{
			name: "commands after the publish",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: |
          flit publish
          echo published
        env:
          FLIT_PASSWORD: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonScript,
		},
		{
			name: "a folded script",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: >
          flit publish
        env:
          FLIT_PASSWORD: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonScript,
		},
		{
			name: "a control structure around the publish",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ -n "$GITHUB_REF" ]; then
            flit publish
          fi
        env:
          FLIT_PASSWORD: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonScript,
		},
		{
			name: "a poetry repository tpscan cannot resolve",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: poetry publish -r testpypi --build
        env:
          POETRY_PYPI_TOKEN_TESTPYPI: ${{ secrets.TEST_PYPI_TOKEN }}
`,
			reason: ReasonScript,
		},
		{
			name: "a reusable workflow",
			src: `on:
  push:
    tags: ["v*"]
  workflow_call:
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: poetry publish --build
        env:
          POETRY_PYPI_TOKEN_PYPI: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonReusable,
		},
		{
			name: "a job container",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    container: python:3.12
    steps:
      - run: hatch publish
        env:
          HATCH_INDEX_AUTH: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonNoFixer,
		},
		{
			name: "a matrix runner",
			src: `on: push
jobs:
  p:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest]
    steps:
      - run: hatch publish
        env:
          HATCH_INDEX_AUTH: ${{ secrets.PYPI_TOKEN }}
`,
			reason: ReasonNoFixer,
		},
		{
			name: "JRubics with extra debian packages",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - uses: JRubics/poetry-publish@v2.0
        with:
          pypi_token: ${{ secrets.PYPI_TOKEN }}
          extra_build_dependency_packages: "libpq-dev"
`,
			reason: ReasonNoFixer,
		},
		{
			name: "deploy-pypi v1 has no upload switch",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - uses: casperdcl/deploy-pypi@v1
        with:
          password: ${{ secrets.PYPI_TOKEN }}
          build: true
`,
			reason: ReasonNoFixer,
		},
		{
			name: "deploy-pypi signing",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - uses: casperdcl/deploy-pypi@v2
        with:
          password: ${{ secrets.PYPI_TOKEN }}
          gpg_key: ${{ secrets.GPG_KEY }}
`,
			reason: ReasonNoFixer,
		},
		{
			name: "pdm: stored credentials in pdm config go too",
			src: `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    steps:
      - run: pdm config repository.pypi.username __token__
      - run: |
          pdm build
          pdm publish --no-build
        env:
          PDM_PUBLISH_PASSWORD: ${{ secrets.PYPI_TOKEN }}
`,
			not: []string{"secrets.PYPI_TOKEN", "pdm config"},
			has: []string{"          pdm publish --no-build\n", "id-token: write"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, fs := pypitoolPlan(t, c.src)
			var pub *rules.Finding
			for _, f := range fs {
				if f.Rule == "TP001" {
					pub = f
				}
			}
			if pub == nil {
				t.Fatal("no TP001 finding")
			}
			if c.reason != "" {
				r := res.Refused[pub.Fingerprint]
				if r == nil || r.Reason != c.reason {
					t.Fatalf("refusal %v, want %s; patch:\n%v", r, c.reason, res.Files)
				}
				return
			}
			if len(res.Files) != 1 {
				t.Fatalf("no patch: %v", res.Refused[pub.Fingerprint])
			}
			fixed := string(res.Files[0].Fixed)
			for _, s := range c.has {
				if !strings.Contains(fixed, s) {
					t.Errorf("fixed file lacks %q:\n%s", s, fixed)
				}
			}
			for _, s := range c.not {
				if strings.Contains(fixed, s) {
					t.Errorf("fixed file still has %q:\n%s", s, fixed)
				}
			}
			// Fixing again changes nothing.
			if res2, _ := pypitoolPlan(t, fixed); len(res2.Files) > 0 {
				t.Errorf("second fix changes the file:\n%s", res2.Files[0].Patch)
			}
		})
	}
}

func TestPyPIToolGitLabIsLeftToTheManualSteps(t *testing.T) {
	src := []byte("publish:\n  script:\n    - poetry publish --build\n")
	d, err := parseDoc(src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fixPyPITool(d, &rules.Finding{Path: ".gitlab-ci.yml", Method: "poetry-publish", Job: "publish"}, new([]string))
	if r, ok := err.(*Refusal); !ok || r.Reason != ReasonNoFixer {
		t.Errorf("GitLab poetry: %v", err)
	}
}
