package fixers

import (
	"strings"
	"testing"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/model"
)

func pubdevRun(t *testing.T, src string, f *rules.Finding) (string, []string, error) {
	t.Helper()
	d, err := parseDoc([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := actions.ParseWorkflow(&model.File{Path: ".github/workflows/release.yml", Content: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	d.pipeline = p
	if f.Path == "" {
		f.Path = ".github/workflows/release.yml"
	}
	if f.Registry == "" {
		f.Registry = "pubdev"
	}
	var notes []string
	edits, err := fixPubDev(d, f, &notes)
	if err != nil {
		return "", notes, err
	}
	out, err := Apply("release.yml", []byte(src), edits)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), notes, nil
}

func TestPubDevCredPath(t *testing.T) {
	for p, want := range map[string]bool{
		"~/.config/dart/pub-credentials.json":                      true,
		`"$XDG_CONFIG_HOME/dart/pub-credentials.json"`:             true,
		`~/Library/Application\ Support/dart/pub-credentials.json`: true,
		"~/.pub-cache/credentials.json":                            true,
		"'$PUB_CACHE/credentials.json'":                            true,
		`%APPDATA%\Pub\Cache\credentials.json`:                     true,
		"./credentials.json":                                       false,
		"~/.config/gcloud/application_default_credentials.json":    false,
		"~/.config/dart/pub-tokens.json":                           false,
		"$HOME/.config/dart/pub-credentials.json.bak":              false,
		"${{ runner.temp }}/dart/pub-credentials.json":             true,
		"/home/runner/.config/dart/../dart/pub-credentials.json":   true,
		"~/.pub-cache":       false,
		"$HOME/.config/dart": false,
		"~/Library/Application Support/dart/pub-credentials.json.old": false,
	} {
		if got := pubdevCredPath(p); got != want {
			t.Errorf("pubdevCredPath(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		"~/.config/dart":                      true,
		`"$XDG_CONFIG_HOME/dart"`:             true,
		"~/.pub-cache/":                       true,
		"$PUB_CACHE":                          true,
		`~/Library/Application\ Support/dart`: true,
		"./dart":                              false,
		"build":                               false,
	} {
		if got := pubdevCredDir(p); got != want {
			t.Errorf("pubdevCredDir(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestPubDevMajorMinor(t *testing.T) {
	for v, want := range map[string][2]int{
		"v1":     {1, 1 << 20},
		"v1.3":   {1, 3},
		"v1.4.0": {1, 4},
		"2.12.4": {2, 12},
		"'3.24'": {3, 24},
		"2.x":    {2, 1 << 20},
	} {
		maj, min, ok := pubdevMajorMinor(v)
		if !ok || maj != want[0] || min != want[1] {
			t.Errorf("pubdevMajorMinor(%q) = %d, %d, %v; want %v", v, maj, min, ok, want)
		}
	}
	for _, v := range []string{"stable", "main", "beta", ""} {
		if _, _, ok := pubdevMajorMinor(v); ok {
			t.Errorf("pubdevMajorMinor(%q) reads a version", v)
		}
	}
}

// Two findings on one step (access and refresh token) get the same edits,
// which Plan then applies once.
func TestPubDevSameEditsPerFinding(t *testing.T) {
	src := `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dart-lang/setup-dart@v1
      - run: |
          cat <<EOF > ~/.config/dart/pub-credentials.json
          {"accessToken":"${{ secrets.ACCESS }}","refreshToken":"${{ secrets.REFRESH }}"}
          EOF
          dart pub publish -f
`
	a, _, err := pubdevRun(t, src, &rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#2", Secret: "ACCESS"})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := pubdevRun(t, src, &rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#2", Secret: "REFRESH"})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("different patches:\n%s\n---\n%s", a, b)
	}
	if strings.Contains(a, "secrets.") || strings.Contains(a, "EOF") || !strings.Contains(a, "dart pub publish -f") {
		t.Fatalf("credentials left or publish lost:\n%s", a)
	}
}

func TestPubDevCRLF(t *testing.T) {
	src := strings.ReplaceAll(`on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: creds
        run: echo "${{ secrets.PUB_CREDENTIALS }}" > ~/.config/dart/pub-credentials.json
      - run: dart pub publish --force
`, "\n", "\r\n")
	got, _, err := pubdevRun(t, src, &rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#2", Secret: "PUB_CREDENTIALS"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`on:
  push:
    tags: ['v*']
jobs:
  publish:
    permissions:
      contents: read
      id-token: write
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Set up Dart and the pub.dev OIDC token
        uses: `+pubdevSetupDartUse+`
      - run: dart pub publish --force
`, "\n", "\r\n")
	if got != want {
		t.Fatalf("got:\n%q\nwant:\n%q", got, want)
	}
}

func TestPubDevRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		f         rules.Finding
		reason    Reason
	}{
		{"pwsh writer", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: windows-latest
    steps:
      - uses: dart-lang/setup-dart@v1
      - shell: pwsh
        run: |
          Set-Content -Path "$env:APPDATA\dart\pub-credentials.json" -Value '${{ secrets.PUB }}'
          dart pub publish -f
`, rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#1", Secret: "PUB"}, ReasonScript},
		{"bare pub", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    container: google/dart:2.8
    steps:
      - run: |
          echo '${{ secrets.PUB }}' > ~/.pub-cache/credentials.json
          pub publish -f
`, rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#0", Secret: "PUB"}, ReasonOldClient},
		{"old flutter", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: subosito/flutter-action@v1
        with:
          flutter-version: '2.5.3'
      - run: |
          echo '${{ secrets.PUB }}' > ~/.config/dart/pub-credentials.json
          flutter pub publish -f
`, rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#1", Secret: "PUB"}, ReasonOldClient},
		{"secret also read", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: dart-lang/setup-dart@v1
      - run: |
          echo '${{ secrets.PUB }}' > ~/.config/dart/pub-credentials.json
          ./notify.sh '${{ secrets.PUB }}'
          dart pub publish -f
`, rules.Finding{Method: "dart-pub-publish", Job: "publish", Step: "#1", Secret: "PUB"}, ReasonScript},
		{"release trigger next to tags", `on:
  push:
    tags: ['v*']
  release:
    types: [published]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: sakebook/actions-flutter-pub-publisher@v1.4.1
        with:
          credential: ${{ secrets.CREDENTIAL_JSON }}
`, rules.Finding{Method: "flutter-pub-publisher", Job: "publish", YAMLPath: "jobs.publish.steps[1].with.credential", Secret: "CREDENTIAL_JSON"}, ReasonRejected},
		{"outputs read", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: publish
        uses: k-paxian/dart-package-publisher@v1.6
        with:
          credentialJson: ${{ secrets.CREDENTIAL_JSON }}
      - if: steps.publish.outputs.success
        uses: hole19/git-tag-action@master
`, rules.Finding{Method: "dart-package-publisher", Job: "publish", YAMLPath: "jobs.publish.steps[1].with.credentialJson", Secret: "CREDENTIAL_JSON"}, ReasonNoFixer},
		{"flutter branch", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: k-paxian/dart-package-publisher@v1.6
        with:
          credentialJson: ${{ secrets.CREDENTIAL_JSON }}
          flutter: true
          flutterBranch: beta
`, rules.Finding{Method: "dart-package-publisher", Job: "publish", YAMLPath: "jobs.publish.steps[0].with.credentialJson", Secret: "CREDENTIAL_JSON"}, ReasonNoFixer},
		{"step-gated with setup-dart", `on:
  push:
    branches: [main]
    tags: ['v*']
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: dart-lang/setup-dart@v1
      - run: dart pub get
      - if: startsWith(github.ref, 'refs/tags/')
        run: |
          echo '${{ secrets.PUB }}' > ~/.config/dart/pub-credentials.json
          dart pub publish -f
`, rules.Finding{Method: "dart-pub-publish", Job: "build", Step: "#2", Secret: "PUB"}, ReasonRejected},
		{"services", `on:
  push:
    tags: ['v*']
jobs:
  publish:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis
    steps:
      - uses: k-paxian/dart-package-publisher@v1.6
        with:
          credentialJson: ${{ secrets.CREDENTIAL_JSON }}
`, rules.Finding{Method: "dart-package-publisher", Job: "publish", YAMLPath: "jobs.publish.steps[0].with.credentialJson", Secret: "CREDENTIAL_JSON"}, ReasonLayout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			_, _, err := pubdevRun(t, tc.src, &f)
			r, ok := err.(*Refusal)
			t.Log(err)
			if !ok || r.Reason != tc.reason {
				t.Fatalf("got %v, want a %s refusal", err, tc.reason)
			}
		})
	}
}
