package rules

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/gitlabci"
	"github.com/tpscan/tpscan/scanner/model"
)

type nameCase struct {
	name string
	in   string
	want string
}

func runNameCases(t *testing.T, parse func([]byte) string, cases []nameCase) {
	t.Helper()
	for _, tc := range cases {
		if got := parse([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPyprojectName(t *testing.T) {
	runNameCases(t, pyprojectName, []nameCase{
		{"project", "[build-system]\nrequires = [\"hatchling\"]\n\n[project]\nname = \"demo-pkg\"\nversion = \"1.0\"\n", "demo-pkg"},
		{"literal string and comment", "[project]\nname = 'demo_pkg' # the dist name\n", "demo_pkg"},
		{"quoted, spaced header", "[ \"project\" ]\nname=\"a.b\"\n", "a.b"},
		{"poetry", "[tool.poetry]\nname = \"poetry-pkg\"\nversion = \"0.1.0\"\n", "poetry-pkg"},
		{"project wins over poetry", "[tool.poetry]\nname = \"old\"\n[project]\nname = \"new\"\n", "new"},
		{"dotted key at the root", "project.name = \"dotted\"\n", "dotted"},
		{"sub-table is not the table", "[project.urls]\nname = \"https://x\"\n[project]\nversion = \"1\"\n", ""},
		{"array of tables is not the table", "[[project]]\nname = \"x\"\n", ""},
		{"authors' names in a multi-line array", "[project]\nauthors = [\n  { name = \"Alice\" },\n  {name=\"Bob\"}, # [not] a header\n]\nname = \"real\"\n", "real"},
		{"multi-line string", "[project]\ndescription = \"\"\"\nname = \"wrong\"\n[tool.poetry]\n\"\"\"\nname = \"right\"\n", "right"},
		{"literal multi-line string", "[project]\ndescription = '''\nname = \"wrong\"\n'''\nname = \"right\"\n", "right"},
		{"escapes", "[project]\nname = \"a\\\"b\"\n", ""},
		{"CRLF", "[project]\r\nname = \"crlf-pkg\"\r\n", "crlf-pkg"},
		{"template", "[project]\nname = \"{{ cookiecutter.project_slug }}\"\n", ""},
		{"not a string", "[project]\nname = 42\n", ""},
		{"broken header", "[project\nname = \"x\"\n", ""},
		{"unterminated string", "[project]\nname = \"oops\n", ""},
		{"unterminated array", "[project]\nclassifiers = [\n\"a\",\n", ""},
		{"no project", "[tool.black]\nline-length = 100\n", ""},
		{"empty", "", ""},
		{"binary", "\x00\xff[\x00]=\"\"\"", ""},
	})
}

func TestCargoName(t *testing.T) {
	runNameCases(t, cargoName, []nameCase{
		{"package", "[package]\nname = \"demo-cli\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\n", "demo-cli"},
		{"virtual workspace", "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n", ""},
		{"workspace with a root package", "[workspace]\nmembers = [\"x\"]\n\n[package]\nname = \"root_crate\"\n", "root_crate"},
		{"dependency table named name", "[dependencies.name]\nname = \"x\"\n", ""},
		{"inherited", "[package]\nname.workspace = true\n", ""},
		{"invalid crate name", "[package]\nname = \"9lives\"\n", ""},
		{"garbage", "[[[\n=\n\"\"\"", ""},
	})
}

func TestSetupCfgName(t *testing.T) {
	runNameCases(t, setupCfgName, []nameCase{
		{"metadata", "[metadata]\nname = cfg-pkg\nversion = attr: pkg.__version__\n", "cfg-pkg"},
		{"colon and case", "[metadata]\nName: Cfg_Pkg\n", "Cfg_Pkg"},
		{"other section", "[options]\nname = nope\n[metadata]\nversion = 1\n", ""},
		{"continuation lines are skipped", "[metadata]\ndescription = a\n    name = nope\nname = yes\n", "yes"},
		{"interpolation", "[metadata]\nname = %(x)s\n", ""},
		{"comments", "; c\n# c\n[metadata]\n# name = nope\nname = ok\n", "ok"},
		{"broken", "[metadata\nname", ""},
	})
}

func TestSetupPyName(t *testing.T) {
	runNameCases(t, setupPyName, []nameCase{
		{"literal", "from setuptools import setup\nsetup(name=\"py-pkg\", version=\"1.0\")\n", "py-pkg"},
		{"setuptools.setup, single quotes", "import setuptools\nsetuptools.setup(\n    name = 'py_pkg',\n    packages=[],\n)\n", "py_pkg"},
		{"module constant", "NAME = \"const-pkg\"  # dist\nsetup(\n    name=NAME,\n)\n", "const-pkg"},
		{"computed", "setup(name=\"pkg\" + SUFFIX)\n", ""},
		{"computed constant", "setup(name=NAME.lower())\nNAME = 'x'\n", ""},
		{"f-string", "setup(name=f\"{x}\")\n", ""},
		{"nested name is not setup's", "setup(ext_modules=[Extension(name=\"ext\")], name=\"outer\")\n", "outer"},
		{"nested only", "setup(ext_modules=[Extension(name=\"ext\")])\n", ""},
		{"comment and docstring", "# setup(name=\"bad\")\n\"\"\"setup(name='bad2')\"\"\"\nsetup(\n  # name=\"bad3\",\n  name=\"good\",\n)\n", "good"},
		{"sphinx-style def setup", "def setup(app):\n    app.add_css_file('x')\n", ""},
		{"comparison", "setup(name == \"x\")\n", ""},
		{"unterminated", "setup(name=\"oops", ""},
		{"no setup", "print('hello')\n", ""},
		{"odd bytes", "setup(\x00name=\xff'\\", ""},
	})
}

func TestGemspecName(t *testing.T) {
	runNameCases(t, gemspecName, []nameCase{
		{"spec", "Gem::Specification.new do |spec|\n  spec.name          = \"demo_gem\"\n  spec.version = \"1\"\nend\n", "demo_gem"},
		{"s, single quotes, freeze", "Gem::Specification.new do |s|\n  s.name = 'demo-gem'.freeze\nend\n", "demo-gem"},
		{"interpolation", "spec.name = \"#{prefix}-gem\"\n", ""},
		{"constant", "spec.name = NAME\n", ""},
		{"commented", "# spec.name = \"old\"\nspec.name = \"new\"\n", "new"},
		{"comparison", "spec.name == \"x\"\n", ""},
		{"other attribute", "spec.name_prefix = \"x\"\n", ""},
		{"one line", "Gem::Specification.new { |s| s.name = 'one' }\n", "one"},
		{"in a comment", "x = 1 # ; s.name = 'c'\n", ""},
		{"hash inside the string", "s.name = 'a#b'\n", ""},
		{"empty", "", ""},
	})
}

func TestPackageJSONName(t *testing.T) {
	runNameCases(t, packageJSONName, []nameCase{
		{"scoped", `{"name": "@demo-org/widget", "version": "1.0.0"}`, "@demo-org/widget"},
		{"plain", `{"name":"left-pad"}`, "left-pad"},
		{"private monorepo root", `{"name": "root", "private": true, "workspaces": ["packages/*"]}`, ""},
		{"private false", `{"name": "pub", "private": false}`, "pub"},
		{"name not a string", `{"name": ["x"]}`, ""},
		{"invalid name", `{"name": "my package"}`, ""},
		{"not an object", `["name"]`, ""},
		{"truncated", `{"name": "x"`, ""},
		{"empty", ``, ""},
	})
}

func TestCsprojName(t *testing.T) {
	cases := []struct {
		name, file, in, want string
	}{
		{"PackageId", "src/Lib/Lib.csproj", `<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net8.0</TargetFramework><PackageId>Demo.Lib</PackageId></PropertyGroup></Project>`, "Demo.Lib"},
		{"last PackageId wins", "Lib.csproj", `<Project><PropertyGroup><PackageId>A</PackageId></PropertyGroup><PropertyGroup><PackageId>B</PackageId></PropertyGroup></Project>`, "B"},
		{"AssemblyName", "Lib.csproj", `<?xml version="1.0" encoding="utf-8"?><Project><PropertyGroup><AssemblyName>Demo.Asm</AssemblyName></PropertyGroup></Project>`, "Demo.Asm"},
		{"file name", "src/Demo.Tool/Demo.Tool.csproj", `<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup><ItemGroup><PackageReference Include="X" Version="1" /></ItemGroup></Project>`, "Demo.Tool"},
		{"not packable", "Tests.csproj", `<Project><PropertyGroup><IsPackable>false</IsPackable></PropertyGroup></Project>`, ""},
		{"computed", "Lib.csproj", `<Project><PropertyGroup><PackageId>$(Company).Lib</PackageId></PropertyGroup></Project>`, ""},
		{"outside a PropertyGroup", "Lib.csproj", `<Project><ItemGroup><PackageId>Nope</PackageId></ItemGroup></Project>`, "Lib"},
		{"malformed", "Lib.csproj", `<Project><PropertyGroup><PackageId>X</PropertyGroup>`, ""},
		{"utf-16", "Lib.csproj", `<?xml version="1.0" encoding="utf-16"?><Project/>`, ""},
		{"not XML", "Lib.csproj", "\x00\x01", ""},
	}
	for _, tc := range cases {
		if got := csprojName([]byte(tc.in), tc.file); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPubspecName(t *testing.T) {
	runNameCases(t, pubspecName, []nameCase{
		{"name", "name: demo_pkg\nversion: 1.0.0\nenvironment:\n  sdk: ^3.0.0\n", "demo_pkg"},
		{"quoted", "name: 'demo_pkg'\n", "demo_pkg"},
		{"invalid name", "name: Demo-Pkg\n", ""},
		{"name is a list", "name: [a]\n", ""},
		{"malformed", "name: [\n", ""},
		{"alias", "a: &a demo\nname: *a\n", "demo"},
		{"not a mapping", "- name\n", ""},
	})
}

func TestPyPIPublishingURL(t *testing.T) {
	cases := []struct {
		name string
		v    publisher
		want string
	}{
		{"all values", publisher{owner: "demo-org", repo: "pkg", workflow: "release.yml", env: "pypi", name: "demo-pkg"},
			"https://pypi.org/manage/project/demo-pkg/settings/publishing/?provider=github&owner=demo-org&repository=pkg&workflow_filename=release.yml&environment=pypi"},
		{"escaped", publisher{owner: "o&x=1", repo: "r#?", workflow: "a b.yml", env: "prod/eu+1", name: "p"},
			"https://pypi.org/manage/project/p/settings/publishing/?provider=github&owner=o%26x%3D1&repository=r%23%3F&workflow_filename=a+b.yml&environment=prod%2Feu%2B1"},
		{"unknown project, owner and environment", publisher{workflow: "release.yml"},
			"https://pypi.org/manage/project/<project>/settings/publishing/?provider=github&workflow_filename=release.yml"},
		{"gitlab", publisher{gitlab: true, owner: "group/sub", repo: "proj", workflow: "ci/release.yml", name: "x"},
			"https://pypi.org/manage/project/x/settings/publishing/?provider=gitlab&namespace=group%2Fsub&project=proj&workflow_filepath=ci%2Frelease.yml"},
	}
	for _, tc := range cases {
		if got := pypiPublishingURL("https://pypi.org", tc.v); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	if got := pypiPublishingURL("https://test.pypi.org", publisher{name: "a"}); got != "https://test.pypi.org/manage/project/a/settings/publishing/?provider=github" {
		t.Errorf("testpypi: %s", got)
	}
}

func TestSplitRepo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		gitlab bool
		o, r   string
	}{
		{"owner/name", false, "owner", "name"},
		{"dirname", false, "", ""},
		{"", false, "", ""},
		{"group/sub/proj", true, "group/sub", "proj"},
		{"/x", false, "", ""},
		{"x/", false, "", ""},
	} {
		if o, r := splitRepo(tc.name, tc.gitlab); o != tc.o || r != tc.r {
			t.Errorf("%q: %q %q", tc.name, o, r)
		}
	}
}

// memRepo parses workflows and GitLab files among files into a repository.
func memRepo(t *testing.T, name string, files map[string]string) *model.Repo {
	t.Helper()
	r := &model.Repo{Name: name, Root: "mem", SecretsKnown: true}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := &model.File{Path: p, Content: []byte(files[p])}
		switch {
		case strings.HasPrefix(p, ".github/workflows/"):
			pl, err := actions.ParseWorkflow(f)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			r.Pipelines = append(r.Pipelines, pl)
			r.Files = append(r.Files, f)
		case strings.HasSuffix(p, "/action.yml"):
			pl, err := actions.ParseComposite(f)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			r.Pipelines = append(r.Pipelines, pl)
			r.Files = append(r.Files, f)
		case p == ".gitlab-ci.yml":
			pl, errs := gitlabci.Parse(f, nil)
			if len(errs) > 0 {
				t.Fatalf("%s: %v", p, errs)
			}
			r.Pipelines = append(r.Pipelines, pl)
			r.Files = append(r.Files, f)
		}
	}
	return r
}

// stepsFor runs the engine with a ReadFile over files and returns the
// manual steps of the first publish finding of registry.
func stepsFor(t *testing.T, inv *model.Inventory, files map[string]string, registry string) string {
	t.Helper()
	read := func(_ *model.Repo, p string) ([]byte, bool) {
		s, ok := files[p]
		return []byte(s), ok
	}
	for _, f := range Run(inv, All(), catalog.MustLoad(), &Options{ReadFile: read}) {
		if f.Registry == registry && f.Rule == StoredTokenPublish.ID {
			return strings.Join(f.ManualSteps, "\n")
		}
	}
	t.Fatalf("no %s publish finding", registry)
	return ""
}

func TestManualStepsNameTheValues(t *testing.T) {
	tagged := "on:\n  push:\n    tags: ['v*']\n"
	cases := []struct {
		name     string
		repo     string
		registry string
		files    map[string]string
		secrets  []*model.Secret
		want     []string
		not      []string
	}{
		{
			name: "pypi in a working directory, environment secret", repo: "demo-org/py", registry: "pypi",
			files: map[string]string{
				".github/workflows/release.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    environment: release\n    defaults:\n      run:\n        working-directory: python\n    steps:\n      - uses: actions/checkout@v4\n      - run: twine upload dist/*\n        env:\n          TWINE_USERNAME: __token__\n          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}\n",
				"pyproject.toml":                "[project]\nname = \"root-pkg\"\n",
				"python/pyproject.toml":         "[project]\nname = \"sub-pkg\"\n",
			},
			secrets: []*model.Secret{{Name: "PYPI_TOKEN", Scope: model.ScopeEnvironment, Repo: "demo-org/py", Environment: "release"}},
			want: []string{
				"Register a trusted publisher on PyPI for project sub-pkg: owner demo-org, repository py, workflow file release.yml, environment \"release\".",
				"https://pypi.org/manage/project/sub-pkg/settings/publishing/?provider=github&owner=demo-org&repository=py&workflow_filename=release.yml&environment=release",
				"If sub-pkg is not on PyPI yet, add a pending publisher instead at https://pypi.org/manage/account/publishing/ with project name sub-pkg",
				"Delete the environment secret PYPI_TOKEN of environment release (Settings → Environments → release)",
				"Revoke the long-lived PyPI token at https://pypi.org/manage/account/token/.",
			},
			not: []string{"root-pkg", "<project>"},
		},
		{
			name: "pypi from setup.py, name unknown repository", repo: "checkout", registry: "pypi",
			files: map[string]string{
				".github/workflows/release.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: twine upload -u __token__ -p ${{ secrets.PYPI_TOKEN }} dist/*\n",
				"setup.py":                      "from setuptools import setup\nsetup(name='legacy-pkg')\n",
			},
			want: []string{
				"for project legacy-pkg: the owner and name of this repository, workflow file release.yml, environment left empty.",
				"https://pypi.org/manage/project/legacy-pkg/settings/publishing/?provider=github&workflow_filename=release.yml",
				"Delete the stored secret PYPI_TOKEN once",
			},
		},
		{
			name: "rubygems from gem build", repo: "o/r", registry: "rubygems",
			files: map[string]string{
				".github/workflows/gem.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: gem build my_gem.gemspec\n      - run: gem push my_gem-*.gem\n        env:\n          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_API_KEY }}\n",
				"my_gem.gemspec":            "Gem::Specification.new do |spec|\n  spec.name = \"my_gem\"\nend\n",
			},
			secrets: []*model.Secret{{Name: "RUBYGEMS_API_KEY", Scope: model.ScopeRepository, Repo: "o/r"}},
			want: []string{
				"Register a trusted publisher on RubyGems.org for gem my_gem: repository owner o, repository name r, workflow filename gem.yml, environment left empty, at https://rubygems.org/gems/my_gem/trusted_publishers/new.",
				"https://rubygems.org/profile/oidc/pending_trusted_publishers with gem name my_gem",
				"Delete the repository secret RUBYGEMS_API_KEY (Settings → Secrets and variables → Actions)",
			},
		},
		{
			name: "npm", repo: "o/r", registry: "npm",
			files: map[string]string{
				".github/workflows/npm.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    environment: npm\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
				"package.json":              `{"name": "@o/pkg", "version": "1.0.0"}`,
			},
			want: []string{
				"Register a trusted publisher on npm for package @o/pkg: organization or user o, repository r, workflow filename npm.yml, environment \"npm\"",
				"npm trust github @o/pkg --file npm.yml --repo o/r --env npm --allow-publish --yes",
				"Require two-factor authentication and disallow tokens",
			},
		},
		{
			name: "crates from cargo publish -p in a workspace", repo: "o/r", registry: "crates",
			files: map[string]string{
				".github/workflows/crate.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo publish -p my-crate\n        env:\n          CARGO_REGISTRY_TOKEN: ${{ secrets.CARGO_REGISTRY_TOKEN }}\n",
				"Cargo.toml":                  "[workspace]\nmembers = [\"crates/*\"]\n",
			},
			want: []string{
				"Register a trusted publisher on crates.io for crate my-crate: repository owner o, repository name r, workflow filename crate.yml, environment left empty, at https://crates.io/crates/my-crate/settings (Trusted Publishing → Add → GitHub",
				"Require trusted publishing for all new versions",
			},
		},
		{
			name: "crates workspace without -p stays unknown", repo: "o/r", registry: "crates",
			files: map[string]string{
				".github/workflows/crate.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo publish\n        env:\n          CARGO_REGISTRY_TOKEN: ${{ secrets.CARGO_REGISTRY_TOKEN }}\n",
				"Cargo.toml":                  "[workspace]\nmembers = [\"crates/*\"]\n",
			},
			want: []string{"for crate <crate>:", "https://crates.io/crates/<crate>/settings"},
		},
		{
			name: "nuget from dotnet pack", repo: "o/r", registry: "nuget",
			files: map[string]string{
				".github/workflows/nuget.yml": tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: dotnet pack src/Lib/Lib.csproj -o out\n      - run: dotnet nuget push out/*.nupkg --api-key ${{ secrets.NUGET_API_KEY }} --source https://api.nuget.org/v3/index.json\n",
				"src/Lib/Lib.csproj":          "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><PackageId>Demo.Lib</PackageId></PropertyGroup></Project>",
			},
			want: []string{
				"Register a trusted publishing policy on nuget.org at https://www.nuget.org/account/trustedpublishing: package owner the nuget.org account or organisation that owns Demo.Lib, repository owner o, repository r, workflow file nuget.yml, environment left empty",
			},
		},
		{
			name: "pub.dev", repo: "o/r", registry: "pubdev",
			files: map[string]string{
				".github/workflows/pub.yml": "on:\n  push:\n    tags: ['release-v[0-9]+*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    environment: pub.dev\n    steps:\n      - uses: k-paxian/dart-package-publisher@v1\n        with:\n          credentialJson: ${{ secrets.CREDENTIAL_JSON }}\n",
				"pubspec.yaml":              "name: my_dart_pkg\nversion: 1.0.0\n",
			},
			want: []string{
				"Enable automated publishing on pub.dev for package my_dart_pkg at https://pub.dev/packages/my_dart_pkg/admin: publishing from GitHub Actions enabled, repository o/r, tag pattern release-v{{version}}, require GitHub Actions environment \"pub.dev\"",
			},
		},
		{
			name: "npm through a reusable workflow: the caller's file, the environment its input sets", repo: "o/r", registry: "npm",
			files: map[string]string{
				".github/workflows/ci.yml":      tagged + "jobs:\n  release:\n    uses: ./.github/workflows/publish.yml\n    with:\n      environment: npm-prod\n    secrets:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
				".github/workflows/publish.yml": "on:\n  workflow_call:\n    inputs:\n      environment:\n        type: string\n    secrets:\n      NPM_TOKEN:\n        required: true\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    environment: ${{ inputs.environment }}\n    steps:\n      - run: npm publish\n        working-directory: packages/lib\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
				"packages/lib/package.json":     `{"name": "lib-in-sub"}`,
				"package.json":                  `{"name": "root", "private": true}`,
			},
			want: []string{"for package lib-in-sub: organization or user o, repository r, workflow filename ci.yml, environment \"npm-prod\"", "--file ci.yml --repo o/r --env npm-prod"},
		},
		{
			name: "npm in a reusable workflow read alone: the caller is to be named", repo: "o/r", registry: "npm",
			files: map[string]string{
				".github/workflows/publish.yml": "on:\n  workflow_call:\n    secrets:\n      token:\n        required: true\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.token }}\n",
				"package.json":                  `{"name": "alone"}`,
			},
			want: []string{"workflow filename: the file name of the top-level workflow that calls this reusable workflow", "npm trust github alone --file <workflow.yml> --repo o/r", "Delete the stored secret that callers pass as token"},
			not:  []string{"publish.yml"},
		},
		{
			name: "crates in a composite action: the workflow using it is named", repo: "o/r", registry: "crates",
			files: map[string]string{
				".github/actions/pub/action.yml": "name: pub\ninputs:\n  token:\n    required: true\nruns:\n  using: composite\n  steps:\n    - run: cargo publish\n      shell: bash\n      env:\n        CARGO_REGISTRY_TOKEN: ${{ inputs.token }}\n",
				".github/workflows/rel.yml":      tagged + "jobs:\n  publish:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/pub\n        with:\n          token: ${{ secrets.CRATES_TOKEN }}\n",
				"Cargo.toml":                     "[package]\nname = \"comp\"\n",
			},
			want: []string{"for crate comp: repository owner o, repository name r, workflow filename rel.yml,"},
			not:  []string{"action.yml"},
		},
		{
			name: "gitlab rubygems has no trusted publishing", repo: "g/p", registry: "rubygems",
			files: map[string]string{
				".gitlab-ci.yml": "release:\n  script:\n    - gem build x.gemspec\n    - gem push x-*.gem\n  variables:\n    GEM_HOST_API_KEY: $RUBYGEMS_KEY\n  rules:\n    - if: $CI_COMMIT_TAG\n",
				"x.gemspec":      "Gem::Specification.new { |s| s.name = 'x' }\n",
			},
			want: []string{"RubyGems.org has no trusted publishing for GitLab CI/CD", "restricted to gem x,"},
			not:  []string{"Register", "Revoke"},
		},
		{
			name: "gitlab pypi", repo: "group/sub/proj", registry: "pypi",
			files: map[string]string{
				".gitlab-ci.yml": "publish:\n  stage: deploy\n  environment: release\n  script:\n    - twine upload -u __token__ -p $PYPI_TOKEN dist/*\n  rules:\n    - if: $CI_COMMIT_TAG\n",
				"setup.cfg":      "[metadata]\nname = gl-pkg\n",
			},
			secrets: []*model.Secret{{Name: "PYPI_TOKEN", Scope: model.ScopeRepository, Repo: "group/sub/proj"}},
			want: []string{
				"Register a trusted publisher on PyPI for project gl-pkg: GitLab namespace group/sub, project proj, top-level pipeline file .gitlab-ci.yml, environment \"release\".",
				"https://pypi.org/manage/project/gl-pkg/settings/publishing/?provider=gitlab&namespace=group%2Fsub&project=proj&workflow_filepath=.gitlab-ci.yml&environment=release",
				"Delete the project CI/CD variable PYPI_TOKEN (Settings → CI/CD → Variables)",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := memRepo(t, tc.repo, tc.files)
			repo.Secrets = tc.secrets
			inv := &model.Inventory{Org: "demo-org", Repos: []*model.Repo{repo}}
			got := stepsFor(t, inv, tc.files, tc.registry)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
		})
	}
}

func TestPackageNameNilSafe(t *testing.T) {
	if n := packageName(nil, "pypi", nil); n != "" {
		t.Error(n)
	}
	pass := &Pass{Repo: &model.Repo{Name: "o/r", Files: []*model.File{{Path: "package.json", Content: []byte(`{"name":"from-files"}`)}}}}
	if n := packageName(pass, "npm", nil); n != "from-files" {
		t.Errorf("without Options: %q", n)
	}
	if n := packageName(pass, "unknown-registry", nil); n != "" {
		t.Error(n)
	}
}

// FuzzManifestNames feeds every manifest parser the same bytes: none may
// panic, and a name given is one the registry accepts.
func FuzzManifestNames(f *testing.F) {
	for _, s := range []string{
		"[project]\nname = \"x\"\n", "[package]\nname = 'y'\n[workspace]\n", "[metadata]\nname = z\n",
		"setup(name=\"a\", ext=[E(name='b')])", "spec.name = \"g\"", `{"name":"@s/p"}`,
		`<Project><PropertyGroup><PackageId>P</PackageId></PropertyGroup></Project>`, "name: d\n",
		"a = \"\"\"\n'''\n\"\"\"\nb = [\n{c = 1},\n]\n", "[[a]]\n[a.b]\n\"k\".\"l\" = 'm'\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check := func(reg, n string) {
			if n != "" && checkName(reg, n) != n {
				t.Errorf("%s parser gave %q", reg, n)
			}
		}
		check("pypi", pyprojectName(b))
		check("pypi", setupCfgName(b))
		check("pypi", setupPyName(b))
		check("crates", cargoName(b))
		check("rubygems", gemspecName(b))
		check("npm", packageJSONName(b))
		check("nuget", csprojName(b, "x/Y.csproj"))
		check("pubdev", pubspecName(b))
		_ = parseTOML(b)
		_ = cargoPackageArg(string(b))
	})
}

// TestManifestParsersAreLinear guards against a parser that rescans the
// rest of the file at every occurrence of something (a quadratic setup.py
// scan took a minute on 768 KiB of "setup(").
func TestManifestParsersAreLinear(t *testing.T) {
	parsers := map[string]func([]byte) string{
		"pyproject": pyprojectName, "setup.cfg": setupCfgName, "setup.py": setupPyName, "Cargo.toml": cargoName,
		"gemspec": gemspecName, "package.json": packageJSONName, "pubspec": pubspecName,
		"csproj":   func(b []byte) string { return csprojName(b, "a.csproj") },
		"cargo -p": func(b []byte) string { return cargoPackageArg(string(b)) },
	}
	for _, unit := range []string{"setup(", "setup(name=X,", "a=[", "a=[\n", "\"\"\"\n", "[[a.\"b\"]]\n", "\"a\".b = 'x'\n", "<a>", "- [", "s.name = '", "'#", "cargo publish -p "} {
		in := []byte(strings.Repeat(unit, maxManifest/len(unit)))
		for name, p := range parsers {
			start := time.Now()
			p(in)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s on %q×%d: %v", name, unit, maxManifest/len(unit), d)
			}
		}
	}
}
