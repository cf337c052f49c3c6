package rules_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/gitlabci"
	"github.com/tpscan/tpscan/scanner/model"
)

var cat = catalog.MustLoad()

var fixedNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// repoOf parses in-memory files into a repository the way the local source
// would: workflows, composite actions and GitLab CI files become pipelines.
func repoOf(t *testing.T, files map[string]string) *model.Repo {
	t.Helper()
	r := &model.Repo{Name: "o/r", Root: "mem"}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	byPath := map[string]*model.File{}
	for _, p := range paths {
		f := &model.File{Path: p, Content: []byte(files[p])}
		byPath[p] = f
		r.Files = append(r.Files, f)
	}
	for _, p := range paths {
		f := byPath[p]
		var pl *model.Pipeline
		var err error
		switch {
		case strings.HasPrefix(p, ".github/workflows/"):
			pl, err = actions.ParseWorkflow(f)
		case strings.HasSuffix(p, "action.yml"):
			pl, err = actions.ParseComposite(f)
		case strings.HasSuffix(p, ".gitlab-ci.yml"):
			var errs []error
			pl, errs = gitlabci.Parse(f, func(s string) (*model.File, bool) { f, ok := byPath[s]; return f, ok })
			if len(errs) > 0 {
				err = errs[0]
			}
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		r.Pipelines = append(r.Pipelines, pl)
	}
	return r
}

func run(t *testing.T, inv *model.Inventory, repo *model.Repo) []*rules.Finding {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range repo.Files {
		files[f.Path] = f.Content
	}
	opts := &rules.Options{Now: func() time.Time { return fixedNow }, ReadFile: func(_ *model.Repo, p string) ([]byte, bool) {
		b, ok := files[p]
		return b, ok
	}}
	return rules.Run(inv, rules.All(), cat, opts)
}

// want is one expected finding: "RULE registry secret line".
type want string

func describe(f *rules.Finding) string {
	return fmt.Sprintf("%s %s %s %d", f.Rule, f.Registry, f.Secret, f.Line)
}

func TestFlow(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []want
	}{
		{
			name: "action input",
			files: map[string]string{".github/workflows/p.yml": `on: release
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
`},
			want: []want{"TP001 pypi PYPI_API_TOKEN 8"},
		},
		{
			name: "workflow env through env context into a flag",
			files: map[string]string{".github/workflows/p.yml": `on: push
env:
  TOKEN: ${{ secrets.CARGO_TOKEN }}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: cargo publish --token ${{ env.TOKEN }}
`},
			want: []want{"TP001 crates CARGO_TOKEN 3"},
		},
		{
			name: "GITHUB_ENV carries the token to a later step",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: echo "GEM_HOST_API_KEY=${{ secrets.RUBYGEMS_API_KEY }}" >> $GITHUB_ENV
      - run: gem push *.gem
`},
			want: []want{"TP001 rubygems RUBYGEMS_API_KEY 6"},
		},
		{
			name: "npmrc written in a script, GitHub Packages untouched",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  npm:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "//registry.npmjs.org/:_authToken=${{ secrets.NPM_TOKEN }}" > ~/.npmrc
          npm publish
  gpr:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with:
          registry-url: https://npm.pkg.github.com
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.GITHUB_TOKEN }}
`},
			want: []want{"TP001 npm NPM_TOKEN 7"},
		},
		{
			name: "private index is not a public-registry finding",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: twine upload --repository-url https://pypi.internal.example/legacy/ -p ${{ secrets.INTERNAL_PYPI_PASSWORD }} dist/*
`},
			want: nil,
		},
		{
			name: "poetry config names the TestPyPI repository",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  test-pypi:
    runs-on: ubuntu-latest
    steps:
      - run: |
          poetry config repositories.test-pypi https://test.pypi.org/legacy/
          poetry config pypi-token.test-pypi ${{ secrets.TEST_PYPI_API_TOKEN }}
      - run: poetry publish --build -r test-pypi
`},
			want: []want{"TP001 testpypi TEST_PYPI_API_TOKEN 8"},
		},
		{
			name: "cargo login from stdin, launchers unwrapped",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  c:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ secrets.CRATES_IO_KEY }}" | cargo login
      - run: cargo publish
  p:
    runs-on: ubuntu-latest
    steps:
      - run: python3 -m twine upload -u __token__ -p "${{ secrets.PYPI_TOKEN }}" dist/*
`},
			want: []want{"TP001 crates CRATES_IO_KEY 6", "TP001 pypi PYPI_TOKEN 11"},
		},
		{
			name: "half-done migration",
			files: map[string]string{".github/workflows/p.yml": `on:
  push:
    tags: ['v*']
jobs:
  pypi:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_TOKEN }}
`},
			want: []want{"TP003 pypi PYPI_TOKEN 12"},
		},
		{
			name: "trusted publishing refused on pull_request_target",
			files: map[string]string{".github/workflows/p.yml": `on: pull_request_target
permissions:
  id-token: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: rust-lang/crates-io-auth-action@v1
        id: auth
      - run: cargo publish
        env:
          CARGO_REGISTRY_TOKEN: ${{ steps.auth.outputs.token }}
`},
			want: []want{"TP005 crates  10"},
		},
		{
			name: "pub.dev refuses a release trigger",
			files: map[string]string{".github/workflows/p.yml": `on:
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: dart-lang/setup-dart@v1
      - run: dart pub publish --force
`},
			want: []want{"TP005 pubdev  11"},
		},
		{
			name: "same-repository reusable workflow resolved through the caller",
			files: map[string]string{
				".github/workflows/release.yml": `on: push
jobs:
  deploy:
    uses: ./.github/workflows/reusable.yml
    with:
      repo: testpypi
    secrets:
      pw: ${{ secrets.TESTPYPI_TOKEN }}
`,
				".github/workflows/reusable.yml": `on:
  workflow_call:
    inputs:
      repo:
        type: string
    secrets:
      pw:
        required: true
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: twine upload --repository ${{ inputs.repo }} dist/*
        env:
          TWINE_PASSWORD: ${{ secrets.pw }}
`},
			want: []want{"TP001 testpypi TESTPYPI_TOKEN 8"},
		},
		{
			name: "secrets inherit to another repository's workflow",
			files: map[string]string{".github/workflows/ci.yml": `on: push
jobs:
  publish:
    uses: acme/workflows/.github/workflows/publish-rubygems.yml@main
    secrets: inherit
`},
			want: []want{"TP001 rubygems * 5"},
		},
		{
			name: "local composite action gets the token as an input",
			files: map[string]string{
				".github/workflows/p.yml": `on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/publish
        with:
          token: ${{ secrets.NPM_TOKEN }}
`,
				".github/actions/publish/action.yml": `name: publish
inputs:
  token:
    required: true
runs:
  using: composite
  steps:
    - run: npm publish
      shell: bash
      env:
        NODE_AUTH_TOKEN: ${{ inputs.token }}
`},
			want: []want{"TP001 npm NPM_TOKEN 8"},
		},
		{
			name: "script in the checkout is followed",
			files: map[string]string{
				".github/workflows/p.yml": `on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: ./scripts/release.sh
        env:
          TWINE_PASSWORD: ${{ secrets.PYPI_UPLOAD }}
`,
				"scripts/release.sh": "#!/bin/sh\nset -e\npython -m build\ntwine upload dist/*\n",
			},
			want: []want{"TP001 pypi PYPI_UPLOAD 8"},
		},
		{
			name: "fallback expression names both candidates",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  up:
    runs-on: ubuntu-latest
    steps:
      - run: uv publish
        env:
          UV_PUBLISH_TOKEN: ${{ secrets.A_PYPI_TOKEN || secrets.PYPI_TOKEN }}
`},
			want: []want{"TP001 pypi A_PYPI_TOKEN 8", "TP001 pypi PYPI_TOKEN 8"},
		},
		{
			name: "a token in a test job is exposed, not published",
			files: map[string]string{".github/workflows/p.yml": `on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
    steps:
      - run: npm test
`},
			want: []want{"TP006 npm NPM_TOKEN 6"},
		},
		{
			name: "GitLab CI/CD variable into twine; job token to GitLab's registry is not a finding",
			files: map[string]string{".gitlab-ci.yml": `stages: [publish]
.py:
  image: python:3.12
pypi:
  extends: .py
  stage: publish
  script:
    - pip install twine
    - twine upload -u __token__ -p $PYPI_TOKEN dist/*
gitlab:
  extends: .py
  script:
    - TWINE_PASSWORD=${CI_JOB_TOKEN} TWINE_USERNAME=gitlab-ci-token twine upload --repository-url ${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi dist/*
`},
			want: []want{"TP001 pypi PYPI_TOKEN 9"},
		},
		{
			name: "npm run follows package.json, including a pre hook",
			files: map[string]string{
				".gitlab-ci.yml": `publish:
  script:
    - npm config set '//registry.npmjs.org/:_authToken' "${NPM_TOKEN}"
    - npm run release
`,
				"package.json": `{"scripts": {"prerelease": "npm run build", "release": "npm publish --access public"}}`,
			},
			want: []want{"TP001 npm NPM_TOKEN 3"},
		},
		{
			name: "a script invoked to check is not followed; PowerShell env names the target",
			files: map[string]string{
				".github/workflows/p.yml": `on: push
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - run: bash scripts/dists.sh check
        env:
          PYPI_TOKEN: ${{ secrets.PYPI_TOKEN }}
  myget:
    runs-on: windows-latest
    steps:
      - name: Push to MyGet
        shell: pwsh
        run: ./Push.ps1
        env:
          NUGET_URL: https://www.myget.org/F/acme/api/v3/index.json
          NUGET_API_KEY: ${{ secrets.MYGET_API_KEY }}
`,
				"scripts/dists.sh": "maturin publish --password \"$PYPI_TOKEN\"\n",
				"Push.ps1":         "dotnet nuget push pkg.nupkg --source $Env:NUGET_URL --api-key $env:NUGET_API_KEY\n",
			},
			want: []want{"TP006 pypi PYPI_TOKEN 8"},
		},
		{
			name: "script arguments bind to $1 after shift; composite action_path; private feed names",
			files: map[string]string{
				".github/workflows/p.yml": `on: release
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/publish
        with:
          token: ${{ secrets.CARGO_LOGIN }}
      - run: ./build.cmd Publish
        env:
          AZURE_DEVOPS_NUGET_API_KEY: ${{ secrets.AZURE_DEVOPS_NUGET_API_KEY }}
`,
				".github/actions/publish/action.yml": `name: publish
inputs:
  token:
    required: true
runs:
  using: composite
  steps:
    - shell: bash
      run: ${{ github.action_path }}/publish.sh --token ${{ inputs.token }}
`,
				".github/actions/publish/publish.sh": "while true; do\n  case $1 in\n    --token) shift; token=\"$1\"; shift;;\n    *) break;;\n  esac\ndone\necho \"$token\" | cargo login\ncargo publish\n",
			},
			want: []want{"TP001 crates CARGO_LOGIN 8"},
		},
		{
			name: "here-document credentials point at their own lines; GitHub Packages host with a variable",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  pub:
    runs-on: ubuntu-latest
    steps:
      - run: |
          cat <<EOF > ~/.pub-cache/credentials.json
          {
            "accessToken":"${{ secrets.OAUTH_ACCESS_TOKEN }}",
            "refreshToken":"${{ secrets.OAUTH_REFRESH_TOKEN }}",
            "tokenEndpoint":"https://accounts.google.com/o/oauth2/token"
          }
          EOF
      - run: dart pub publish -f
  gpr:
    runs-on: ubuntu-latest
    steps:
      - run: |
          printf -- "---\n:github: ${GEM_HOST_API_KEY}\n" > $HOME/.gem/credentials
          gem push --KEY github --host https://rubygems.pkg.github.com/${OWNER} *.gem
        env:
          GEM_HOST_API_KEY: "Bearer ${{ secrets.BOT_TOKEN }}"
          OWNER: ${{ github.repository_owner }}
`},
			want: []want{"TP001 pubdev OAUTH_ACCESS_TOKEN 9", "TP001 pubdev OAUTH_REFRESH_TOKEN 10"},
		},
		{
			name: "local reusable workflow with secrets: inherit; escaped npmrc template",
			files: map[string]string{
				".github/workflows/release.yml": `on: release
jobs:
  call:
    uses: ./.github/workflows/gem.yml
    secrets: inherit
`,
				".github/workflows/gem.yml": `on: workflow_call
jobs:
  push:
    runs-on: ubuntu-latest
    steps:
      - run: gem push *.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_AUTH_TOKEN }}
`,
				".gitlab-ci.yml": `publish:
  script:
    - echo "//registry.npmjs.org/:_authToken=\${NPM_TOKEN}" >> $HOME/.npmrc
    - npm publish
`},
			want: []want{"TP001 rubygems RUBYGEMS_AUTH_TOKEN 5", "TP001 npm NPM_TOKEN 3"},
		},
		{
			name: "GitLab: a tool's own credential variable named in rules; a private index from a variable",
			files: map[string]string{".gitlab-ci.yml": `pypi:
  rules:
    - if: $CI_COMMIT_TAG && $FLIT_PASSWORD != null
  variables:
    FLIT_USERNAME: __token__
  script:
    - flit publish
stage:
  variables:
    TWINE_PASSWORD: $STAGE_PASSWORD
  script:
    - twine upload --repository-url $PACKAGR_REPOSITORY_URL dist/*
`},
			want: []want{"TP001 pypi FLIT_PASSWORD 7"},
		},
		{
			name: "xargs and find -exec run the publish; an action writes the credentials file",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  nuget:
    runs-on: ubuntu-latest
    steps:
      - run: find . -name "*.nupkg" -print0 | xargs -0 -I pkg dotnet nuget push pkg -k $KEY -s https://api.nuget.org/v3/index.json
        env:
          KEY: ${{ secrets.NUGET_API_KEY }}
      - run: find . -name "*.nupkg" -exec dotnet nuget push {} -k ${{ secrets.NUGET_OTHER }} -s nuget.org \;
  pub:
    runs-on: ubuntu-latest
    steps:
      - uses: joutvhu/write-file@v1
        with:
          path: ~/.config/dart/pub-credentials.json
          contents: ${{ secrets.PUB_CREDENTIALS }}
      - run: dart pub publish -f
`},
			want: []want{"TP001 nuget NUGET_API_KEY 8", "TP001 nuget NUGET_OTHER 9", "TP001 pubdev PUB_CREDENTIALS 16"},
		},
		{
			name: "sudo tee writes the credentials file like tee",
			files: map[string]string{".github/workflows/p.yml": `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir -p ~/.config/dart
          echo "${{ secrets.PUB_CREDENTIALS }}" | sudo -E tee ~/.config/dart/pub-credentials.json
          dart pub publish --force
`},
			want: []want{"TP001 pubdev PUB_CREDENTIALS 10"},
		},
		{
			name: "npx with a pinned version and changesets v2's publish-script are publishes",
			files: map[string]string{".github/workflows/r.yml": `on:
  push:
    branches: [main]
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: npx semantic-release@25
        env:
          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
      - uses: changesets/action@v2
        with:
          publish-script: pnpm release
        env:
          NPM_TOKEN: ${{ secrets.NPM_TOKEN2 }}
`},
			want: []want{"TP001 npm NPM_TOKEN 10", "TP001 npm NPM_TOKEN2 15"},
		},
		{
			name: "echo that mentions publish is not a publish",
			files: map[string]string{".github/workflows/p.yml": `on: push
env:
  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - run: echo "Can't publish a prerelease" && exit 1
`},
			want: []want{"TP006 npm NPM_TOKEN 3"},
		},
		{
			name: "trusted publishing with id-token and no token: nothing",
			files: map[string]string{".github/workflows/p.yml": `on:
  release:
    types: [published]
jobs:
  pypi:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
`},
			want: nil,
		},
		{
			name: "dry runs and unrelated secrets are not publishes",
			files: map[string]string{".github/workflows/p.yml": `on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: cargo publish --dry-run
      - uses: codecov/codecov-action@v4
        with:
          token: ${{ secrets.CODECOV_TOKEN }}
`},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := repoOf(t, tt.files)
			fs := run(t, &model.Inventory{Repos: []*model.Repo{repo}}, repo)
			var got []string
			for _, f := range fs {
				got = append(got, describe(f))
			}
			sort.Strings(got)
			var exp []string
			for _, w := range tt.want {
				exp = append(exp, string(w))
			}
			sort.Strings(exp)
			if strings.Join(got, "\n") != strings.Join(exp, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
				for _, f := range fs {
					t.Logf("  %s: %s", describe(f), f.Message)
				}
			}
		})
	}
}

// TestScoreFactors checks that scores are the sum of their factors and that
// exposure raises them in the documented order.
func TestScoreFactors(t *testing.T) {
	repo := repoOf(t, map[string]string{".github/workflows/p.yml": `on: [push, pull_request_target]
env:
  WIDE: ${{ secrets.NPM_WIDE }}
jobs:
  a:
    runs-on: [self-hosted]
    env:
      NODE_AUTH_TOKEN: ${{ secrets.NPM_JOB }}
    steps:
      - run: npm ci
      - run: npm publish
  b:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_STEP }}
`})
	inv := &model.Inventory{Repos: []*model.Repo{repo}}
	fs := run(t, inv, repo)
	score := map[string]int{}
	for _, f := range fs {
		sum := 0
		names := map[string]bool{}
		for _, fa := range f.Factors {
			sum += fa.Points
			names[fa.Name] = true
		}
		if f.Score != min(max(sum, 0), 100) {
			t.Errorf("%s: score %d is not the sum %d", describe(f), f.Score, sum)
		}
		if f.Secret == "NPM_JOB" && (!names["job-env"] || !names["self-hosted-runner"] || !names["trigger-pull_request_target"] || !names["default-permissions"]) {
			t.Errorf("NPM_JOB factors: %+v", f.Factors)
		}
		score[f.Secret] = f.Score
	}
	if !(score["NPM_JOB"] > score["NPM_STEP"]) {
		t.Errorf("job-level token on a self-hosted runner should outrank a step-level one: %v", score)
	}
}

// TestInventoryFactors checks storage, age and known-value factors and the
// unused-secret rule.
func TestInventoryFactors(t *testing.T) {
	repo := repoOf(t, map[string]string{".github/workflows/p.yml": `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    environment: pypi
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.ENV_TOKEN }}
  b:
    runs-on: ubuntu-latest
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.ORG_PYPI_TOKEN }}
`})
	repo.SecretsKnown = true
	repo.Environments = []*model.Environment{{Name: "pypi", RequiredReviewers: 1}}
	repo.Secrets = []*model.Secret{
		{Name: "ENV_TOKEN", Scope: model.ScopeEnvironment, Environment: "pypi", Repo: "o/r", UpdatedAt: fixedNow.AddDate(0, -1, 0)},
		{Name: "STALE_NPM_TOKEN", Scope: model.ScopeRepository, Repo: "o/r", UpdatedAt: fixedNow.AddDate(-2, 0, 0)},
	}
	inv := &model.Inventory{Repos: []*model.Repo{repo}, OrgSecrets: []*model.Secret{
		{Name: "ORG_PYPI_TOKEN", Scope: model.ScopeOrganization, Visibility: "all", UpdatedAt: fixedNow.AddDate(-2, 0, 0)},
		{Name: "ORG_UNUSED_CARGO_TOKEN", Scope: model.ScopeOrganization, Visibility: "all"},
	}}
	fs := run(t, inv, repo)
	byName := map[string]*rules.Finding{}
	for _, f := range fs {
		byName[f.Rule+" "+f.Secret] = f
	}
	has := func(key, factor string) {
		t.Helper()
		f := byName[key]
		if f == nil {
			t.Fatalf("no finding %q in %v", key, keys(byName))
		}
		for _, fa := range f.Factors {
			if fa.Name == factor {
				return
			}
		}
		t.Errorf("%s: no factor %s in %+v", key, factor, f.Factors)
	}
	has("TP001 ENV_TOKEN", "protected-environment")
	has("TP001 ORG_PYPI_TOKEN", "org-secret-all")
	has("TP001 ORG_PYPI_TOKEN", "secret-age")
	has("TP004 STALE_NPM_TOKEN", "secret-age")
	has("TP004 ORG_UNUSED_CARGO_TOKEN", "org-secret-all")
	if byName["TP001 ENV_TOKEN"].Score >= byName["TP001 ORG_PYPI_TOKEN"].Score {
		t.Errorf("a protected environment secret should score below an old organisation-wide one")
	}
	if _, ok := byName["TP004 ORG_PYPI_TOKEN"]; ok {
		t.Errorf("a used organisation secret was reported unused")
	}
}

func keys(m map[string]*rules.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestFingerprintsSurviveUnrelatedEdits moves lines around and checks that
// fingerprints stay, and that no two findings share one.
func TestFingerprintsSurviveUnrelatedEdits(t *testing.T) {
	base := `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - id: up
        run: twine upload dist/*
        env:
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`
	edited := "# a comment\n\n" + strings.Replace(base, "    steps:\n", "    steps:\n      - run: echo unrelated\n      - uses: actions/checkout@v4\n", 1)
	fp := func(src string) map[string]string {
		repo := repoOf(t, map[string]string{".github/workflows/p.yml": src})
		out := map[string]string{}
		seen := map[string]bool{}
		for _, f := range run(t, &model.Inventory{Repos: []*model.Repo{repo}}, repo) {
			if seen[f.Fingerprint] {
				t.Errorf("two findings share fingerprint %s", f.Fingerprint)
			}
			seen[f.Fingerprint] = true
			out[f.Rule+" "+f.Secret] = f.Fingerprint
		}
		return out
	}
	a, b := fp(base), fp(edited)
	if len(a) != 2 {
		t.Fatalf("want 2 findings, got %v", a)
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("%s: fingerprint changed after an unrelated edit (%s → %s)", k, v, b[k])
		}
	}
}

// TestGitLabIncludePositions checks that a credential written in a template
// of a local include is reported in that file, at its line.
func TestGitLabIncludePositions(t *testing.T) {
	repo := repoOf(t, map[string]string{
		".gitlab-ci.yml": "include:\n  - local: ci/templates.yml\npublish:\n  extends: .twine\n",
		"ci/templates.yml": `.twine:
  image: python:3.12
  script:
    - pip install twine
    - twine upload -u __token__ -p "$PYPI_TOKEN" dist/*
`})
	fs := run(t, &model.Inventory{Repos: []*model.Repo{repo}}, repo)
	if len(fs) != 1 {
		t.Fatalf("findings = %v", fs)
	}
	if f := fs[0]; f.Path != "ci/templates.yml" || f.Line != 5 || f.Job != "publish" || f.Secret != "PYPI_TOKEN" {
		t.Errorf("finding at %s:%d job %s secret %s", f.Path, f.Line, f.Job, f.Secret)
	}
}

func TestNpmLoginWithStoredPassword(t *testing.T) {
	repo := repoOf(t, map[string]string{".github/workflows/p.yml": `on: push
jobs:
  p:
    runs-on: ubuntu-latest
    env:
      NPM_PASS: ${{ secrets.NPM_PASSWORD }}
    steps:
      - run: npx npm-cli-login -u bot -e bot@example.com
      - run: npm publish
`})
	fs := run(t, &model.Inventory{Repos: []*model.Repo{repo}}, repo)
	if len(fs) != 1 || describe(fs[0]) != "TP001 npm NPM_PASSWORD 6" {
		t.Errorf("findings = %v", fs)
	}
}
