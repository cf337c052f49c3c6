package fixers

import (
	"strings"
	"testing"

	"github.com/tpscan/tpscan/rules"
)

func rubygemsRun(t *testing.T, src string, fs ...*rules.Finding) (string, []string, error) {
	t.Helper()
	d, err := parseDoc([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var edits []Edit
	var notes []string
	for _, f := range fs {
		if f.Path == "" {
			f.Path = ".github/workflows/release.yml"
		}
		e, err := fixRubyGems(d, f, &notes)
		if err != nil {
			return "", notes, err
		}
		edits = append(edits, e...)
	}
	out, err := Apply("release.yml", []byte(src), edits)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), notes, nil
}

func TestRubyGemsCRLF(t *testing.T) {
	src := strings.ReplaceAll(`jobs:
  build:
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v4
    - name: Publish
      run: |
        mkdir -p ~/.gem
        printf -- "---\n:rubygems_api_key: ${GEM_HOST_API_KEY}\n" > ~/.gem/credentials
        chmod 600 ~/.gem/credentials
        gem push *.gem
      env:
        GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS }}
`, "\n", "\r\n")
	got, _, err := rubygemsRun(t, src, &rules.Finding{Method: "gem-push", YAMLPath: "jobs.build.steps[1].env.GEM_HOST_API_KEY", Job: "build", Step: "Publish"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`jobs:
  build:
    permissions:
      contents: read
      id-token: write
    runs-on: ubuntu-latest
    steps:
    - uses: actions/checkout@v4
    - name: Configure RubyGems credentials
      uses: `+rubygemsConfigureUse+`
    - name: Publish
      run: |
        gem push *.gem
`, "\n", "\r\n")
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// Two findings of one job (the step writing the credentials file and the
// push's own env) make one credentials step, not two: a second one would
// fail on the :rubygems_api_key the first one wrote.
func TestRubyGemsTwoFindingsOneStep(t *testing.T) {
	src := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - name: Credentials
        run: 'echo ":rubygems_api_key: $KEY" > ~/.gem/credentials'
        env:
          KEY: ${{ secrets.RUBYGEMS_KEY }}
      - name: Push
        if: github.ref_type == 'tag'
        run: gem push *.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_KEY }}
`
	// The credentials step runs unconditionally while the push does not:
	// refused rather than guessed.
	if _, _, err := rubygemsRun(t, src,
		&rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[0].env.KEY", Job: "pub", Step: "Push"}); err == nil {
		t.Error("different conditions were not refused")
	}
	src = strings.Replace(src, "        if: github.ref_type == 'tag'\n", "", 1)
	got, _, err := rubygemsRun(t, src,
		&rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[0].env.KEY", Job: "pub", Step: "Push"},
		&rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[1].env.GEM_HOST_API_KEY", Job: "pub", Step: "Push"})
	if err != nil {
		t.Fatal(err)
	}
	want := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
    steps:
      - name: Configure RubyGems credentials
        uses: ` + rubygemsConfigureUse + `
      - name: Push
        run: gem push *.gem
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRubyGemsCopiesMultiLineIf(t *testing.T) {
	src := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: gem build x.gemspec
      - if: >-
          github.event_name == 'push' &&
          startsWith(github.ref, 'refs/tags/v')
        run: gem push x-*.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_KEY }}
          OTHER: 1
`
	got, _, err := rubygemsRun(t, src, &rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[1].env.GEM_HOST_API_KEY", Job: "pub", Step: "#1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `      - run: gem build x.gemspec
      - name: Configure RubyGems credentials
        if: >-
          github.event_name == 'push' &&
          startsWith(github.ref, 'refs/tags/v')
        uses: ` + rubygemsConfigureUse + `
      - if: >-
          github.event_name == 'push' &&
          startsWith(github.ref, 'refs/tags/v')
        run: gem push x-*.gem
        env:
          OTHER: 1
`
	if !strings.HasSuffix(got, want) {
		t.Errorf("got\n%s", got)
	}
}

func TestRubyGemsOldConfigurePin(t *testing.T) {
	src := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: rubygems/configure-rubygems-credentials@v0.9.0 # old
        with:
          api-token: ${{ secrets.RUBYGEMS_KEY }}
          gem-server: https://rubygems.org
      - run: gem push *.gem
`
	got, notes, err := rubygemsRun(t, src, &rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[0].with.api-token", Job: "pub", Step: "#1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `      - uses: ` + rubygemsConfigureUse + `
        with:
          gem-server: https://rubygems.org
      - run: gem push *.gem
`
	if !strings.HasSuffix(got, want) {
		t.Errorf("got\n%s", got)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "predates trusted publishing") {
		t.Errorf("notes: %v", notes)
	}
}

func TestRubyGemsScriptClassifier(t *testing.T) {
	for _, tc := range []struct {
		script string
		clean  bool // every credentials line goes
	}{
		{"mkdir -p $HOME/.gem\ntouch $HOME/.gem/credentials\nchmod 0600 $HOME/.gem/credentials\nprintf -- \"---\\n:rubygems_api_key: ${K}\\n\" > $HOME/.gem/credentials\ngem push *.gem", true},
		{"mkdir -p ~/.gem\ncat <<'EOF' > ~/.gem/credentials\n---\n:rubygems_api_key: ${K}\nEOF\ngem push *.gem", true},
		{"cat > \"$HOME/.gem/credentials\" << EOF\n:rubygems_api_key: ${K}\nEOF\ngem push *.gem", true},
		{"echo \"---\" > ~/.gem/credentials\necho \":rubygems_api_key: $K\" >> ~/.gem/credentials\ngem push *.gem", true},
		// Not plainly a credentials write: left alone.
		{"printf ':github: Bearer %s\\n' $T > ~/.gem/credentials\ngem push *.gem", false},
		{"echo \":rubygems_api_key: $K\" | tee ~/.gem/credentials\ngem push *.gem", false},
		{"[ -n \"$K\" ] && echo \":rubygems_api_key: $K\" > ~/.gem/credentials\ngem push *.gem", false},
		{"mkdir -p ~/.gem && \\\n  echo \":rubygems_api_key: $K\" > ~/.gem/credentials\ngem push *.gem", false},
		{"cat << EOF > ~/.gem/credentials\n:rubygems_api_key: ${K}\nother: x\nEOF\ngem push *.gem", false},
		{"for f in a b; do echo $f; done\nchmod 600 ~/.gem/credentials\ngem push *.gem", false},
	} {
		var b strings.Builder
		b.WriteString("jobs:\n  pub:\n    runs-on: x\n    steps:\n      - name: P\n        run: |\n")
		for _, l := range strings.Split(tc.script, "\n") {
			b.WriteString("          " + l + "\n")
		}
		d, err := parseDoc([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		j, err := rubygemsLoadJob(d, "pub")
		if err != nil {
			t.Fatal(err)
		}
		var notes []string
		edits, _, _ := j.cleanScript(j.steps[0], true, &notes)
		out, _ := Apply("f", d.src, edits)
		left := string(out)
		if tc.clean && (strings.Contains(left, "credentials") || !strings.Contains(left, "gem push *.gem")) {
			t.Errorf("%q: left\n%s", tc.script, left)
		}
		if !tc.clean && len(edits) > 0 {
			t.Errorf("%q: edited\n%s", tc.script, left)
		}
	}
}

func TestRubyGemsGitLabRejected(t *testing.T) {
	d, _ := parseDoc([]byte("publish:\n  script: [gem push x.gem]\n"))
	_, err := fixRubyGems(d, &rules.Finding{Path: ".gitlab-ci.yml", Method: "gem-push", YAMLPath: "publish.variables.GEM_HOST_API_KEY"}, new([]string))
	if r, ok := err.(*Refusal); !ok || r.Reason != ReasonRejected {
		t.Errorf("GitLab: %v", err)
	}
}

func TestRubyGemsOtherGemServerAfterRefused(t *testing.T) {
	src := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - run: gem push x.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_KEY }}
      - run: gem push --host https://gems.example.com x.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.PRIVATE_KEY }}
`
	_, _, err := rubygemsRun(t, src, &rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[0].env.GEM_HOST_API_KEY", Job: "pub", Step: "#0"})
	if r, ok := err.(*Refusal); !ok || r.Reason != ReasonLayout || !strings.Contains(r.Detail, "another gem server") {
		t.Errorf("got %v", err)
	}
}

// A stored key in the push's env next to a configure step that still has
// its api-token: both go, with the same edits that finding's own fix makes.
func TestRubyGemsConfigureTokenAndEnv(t *testing.T) {
	src := `jobs:
  pub:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: rubygems/configure-rubygems-credentials@v1.0.0
        with:
          api-token: ${{ secrets.RUBYGEMS_KEY }}
      - run: gem push x.gem
        env:
          GEM_HOST_API_KEY: ${{ secrets.RUBYGEMS_KEY }}
`
	got, _, err := rubygemsRun(t, src,
		&rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[1].env.GEM_HOST_API_KEY", Job: "pub", Step: "#1"},
		&rules.Finding{Method: "gem-push", YAMLPath: "jobs.pub.steps[0].with.api-token", Job: "pub", Step: "#1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `    steps:
      - uses: rubygems/configure-rubygems-credentials@v1.0.0
      - run: gem push x.gem
`
	if !strings.HasSuffix(got, want) || strings.Count(got, "id-token: write") != 1 {
		t.Errorf("got\n%s", got)
	}
}
