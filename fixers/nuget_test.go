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
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

func TestNuGetUses(t *testing.T) {
	isSecret := func(r model.Ref) bool { return r.Kind == "secrets" && r.Name == "K" }
	for text, want := range map[string][2]int{
		"dotnet nuget push a.nupkg --api-key ${{ secrets.K }} -s https://api.nuget.org/v3/index.json": {1, 1},
		"dotnet nuget push a.nupkg --api-key=${{ secrets.K }}":                                        {1, 1},
		"nuget.exe push a.nupkg -ApiKey ${{ secrets.K }} -Source nuget.org":                           {1, 1},
		"dotnet nuget push a.nupkg -k ${{ secrets.K }} -sk ${{ secrets.K }}":                          {2, 2},
		// Another feed, another use, a key glued to other text.
		"dotnet nuget push a.nupkg -k ${{ secrets.K }} -s https://nuget.pkg.github.com/o/index.json": {0, 1},
		"echo ${{ secrets.K }} > key; dotnet nuget push a.nupkg -k ${{ secrets.K }}":                 {1, 2},
		"dotnet nuget push a.nupkg -k x${{ secrets.K }}":                                             {0, 1},
		"K=${{ secrets.K }} dotnet nuget push a.nupkg":                                               {0, 1},
		"dotnet nuget push a.nupkg -k \"$(echo ${{ secrets.K }})\"":                                  {0, 2},
	} {
		sc := shell.Parse(shell.Input{Text: text, Expressions: true})
		v, tot := nugetUses(sc, isSecret, "${{…}}")
		if v != want[0] || tot != want[1] {
			t.Errorf("%q: valid %d total %d, want %v", text, v, tot, want)
		}
	}
}

func TestNuGetQuote(t *testing.T) {
	for in, want := range map[string]string{
		"src/A/A.csproj":       "src/A/A.csproj",
		`src\A B\A.csproj`:     `"src\A B\A.csproj"`,
		"-p:Platform=Any CPU":  `"-p:Platform=Any CPU"`,
		"a;rm -rf /":           "",
		"$(whoami)":            "",
		"`id`":                 "",
		"":                     "",
		"Release":              "Release",
		"a\"b":                 "",
		"src/*.csproj":         "",
		"C:/x/y.csproj":        "C:/x/y.csproj",
		"proj.csproj # commnt": "",
	} {
		if got := nugetQuote(in); got != want {
			t.Errorf("nugetQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNuGetPushCovers(t *testing.T) {
	for src, want := range map[string]bool{
		"on:\n  push:\n    branches: [main]\n  pull_request:\n    types: [closed]\n    branches: [main]\n":                   true,
		"on:\n  push:\n  pull_request:\n    types: [closed]\n":                                                               true,
		"on:\n  push:\n    branches: [dev]\n  pull_request:\n    types: [closed]\n    branches: [main]\n":                    false,
		"on:\n  push:\n    branches: [main]\n  pull_request:\n    types: [closed]\n":                                         false,
		"on:\n  push:\n    tags: ['v*']\n  pull_request:\n    types: [closed]\n":                                             false,
		"on:\n  push:\n    branches: [main]\n    paths: [src]\n  pull_request:\n    types: [closed]\n    branches: [main]\n": false,
		"on:\n  workflow_dispatch:\n  pull_request:\n    types: [closed]\n":                                                  false,
	} {
		d, err := parseDoc([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, on := child(d.root, "on")
		_, pr := child(on, "pull_request")
		if got := nugetPushCovers(on, pr); got != want {
			t.Errorf("%q: %v, want %v", src, got, want)
		}
	}
}

// nugetPlan scans one workflow as a checkout would and plans its fixes.
func nugetPlan(t *testing.T, src string) *Result {
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
	return Plan(inv, rules.Run(inv, rules.All(), cat, &rules.Options{ReadFile: local.ReadFile}))
}

func TestNuGetNotes(t *testing.T) {
	res := nugetPlan(t, `on:
  push:
    branches: [main]
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      HAS_KEY: ${{ secrets.NUGET_KEY != '' }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-dotnet@v4
        with:
          source-url: https://api.nuget.org/v3/index.json
        env:
          NUGET_AUTH_TOKEN: ${{ secrets.NUGET_KEY }}
      - uses: rohith/publish-nuget@v2
        if: env.HAS_KEY == 'true'
        with:
          PROJECT_FILE_PATH: src/A/A.csproj
          NUGET_KEY: ${{ secrets.NUGET_KEY }}
`)
	if len(res.Files) != 1 {
		t.Fatalf("no patch: %v", res.Refused)
	}
	ff := res.Files[0]
	notes := strings.Join(ff.Notes, "\n")
	for _, want := range []string{
		"from secrets.NUGET_USER: create it",
		"git tag v* for each new version",
		"jobs.publish.steps[1] (actions/setup-dotnet) still gets secrets.NUGET_KEY as NUGET_AUTH_TOKEN",
		"secrets.NUGET_KEY is also read outside the push (line 8)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	fixed := string(ff.Fixed)
	for _, want := range []string{
		"      - name: Pack for nuget.org\n        if: env.HAS_KEY == 'true'\n        run: dotnet pack src/A/A.csproj --configuration Release --output \"${{ runner.temp }}/nupkg\"\n",
		"      - uses: NuGet/login@v1\n        id: login\n        if: env.HAS_KEY == 'true'\n        with:\n",
		"--api-key ${{ steps.login.outputs.NUGET_API_KEY }} --source https://api.nuget.org/v3/index.json --skip-duplicate --no-symbols\n",
	} {
		if !strings.Contains(fixed, want) {
			t.Errorf("fixed file lacks %q:\n%s", want, fixed)
		}
	}
	if strings.Contains(fixed, "publish-nuget") {
		t.Errorf("the action is still there:\n%s", fixed)
	}
}

func TestNuGetRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		src    string
		reason Reason
	}{
		"job env read by another step": {`on: {push: {tags: ['v*']}}
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      NUGET_TOKEN: ${{ secrets.NUGET_TOKEN }}
    steps:
      - run: test -n "$NUGET_TOKEN"
      - run: dotnet nuget push a.nupkg -k "$NUGET_TOKEN" -s https://api.nuget.org/v3/index.json
`, ReasonScript},
		"job env in the push step's if": {`on: {push: {tags: ['v*']}}
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      NUGET_TOKEN: ${{ secrets.NUGET_TOKEN }}
    steps:
      - if: env.NUGET_TOKEN != ''
        run: dotnet nuget push a.nupkg -k "$NUGET_TOKEN" -s https://api.nuget.org/v3/index.json
`, ReasonScript},
		"implicit key another push may read": {`on: {push: {tags: ['v*']}}
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      NUGET_API_KEY: ${{ secrets.NUGET_API_KEY }}
    steps:
      - run: dotnet nuget push a.nupkg -s https://api.nuget.org/v3/index.json
      - run: dotnet nuget push b.nupkg -s https://api.nuget.org/v3/index.json
`, ReasonScript},
		"action step with an id": {`on: {push: {branches: [main]}}
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: brandedoutcast/publish-nuget@v2
        id: publish
        with:
          PROJECT_FILE_PATH: src/A/A.csproj
          NUGET_KEY: ${{ secrets.NUGET_KEY }}
`, ReasonLayout},
	} {
		res := nugetPlan(t, c.src)
		if len(res.Files) != 0 {
			t.Errorf("%s: patched:\n%s", name, res.Files[0].Patch)
			continue
		}
		got := Reason("")
		for _, r := range res.Refused {
			if r.Reason != ReasonNotFixable {
				got = r.Reason
			}
		}
		if got != c.reason {
			t.Errorf("%s: refused %v, want %s", name, res.Refused, c.reason)
		}
	}
}
