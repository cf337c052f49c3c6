package fixers

import (
	"testing"

	"github.com/tpscan/tpscan/scanner/model"
)

func TestStepInsertionAndReplacement(t *testing.T) {
	src := []byte(`jobs:
  pub:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4   # keep me
      - name: Publish
        run: |
          cargo publish --token ${{ secrets.CRATES }}
        env:
          X: 1
`)
	d, err := parseDoc(src)
	if err != nil {
		t.Fatal(err)
	}
	before, err := d.insertStepBefore("jobs.pub.steps[1]", []string{"uses: rust-lang/crates-io-auth-action@v1", "id: auth"})
	if err != nil {
		t.Fatal(err)
	}
	after, err := d.insertStepAfter("jobs.pub.steps[1]", []string{"run: echo done"})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := d.lookup("jobs.pub.steps[1].run")
	s, e, _ := d.entryRange(key)
	edits := append([]Edit{before, after}, d.replaceAll(s, e, "${{ secrets.CRATES }}", "${{ steps.auth.outputs.token }}")...)
	got, err := Apply("f", src, edits)
	if err != nil {
		t.Fatal(err)
	}
	want := `jobs:
  pub:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4   # keep me
      - uses: rust-lang/crates-io-auth-action@v1
        id: auth
      - name: Publish
        run: |
          cargo publish --token ${{ steps.auth.outputs.token }}
        env:
          X: 1
      - run: echo done
`
	if string(got) != want {
		t.Errorf("got:\n%s", got)
	}
}

func TestApplyDetectsConflicts(t *testing.T) {
	if _, err := Apply("f", []byte("abcdef"), []Edit{{Start: 1, End: 4, New: "x"}, {Start: 2, End: 5, New: "y"}}); err == nil {
		t.Error("overlapping edits must conflict")
	}
	got, err := Apply("f", []byte("abcdef"), []Edit{{Start: 1, End: 2, New: "x"}, {Start: 1, End: 2, New: "x"}, {Start: 3, End: 3, New: "+"}})
	if err != nil || string(got) != "axc+def" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestNewLintErrorsSeesWhatAPatchBreaks(t *testing.T) {
	orig := []byte("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n")
	broken := []byte("on: push\njobs:\n  a:\n    permissions:\n      id-tokn: write\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n")
	msg, err := newLintErrors(orig, broken)
	if err != nil || msg == "" {
		t.Errorf("msg %q, err %v: an unknown permission must be caught", msg, err)
	}
	if msg, _ := newLintErrors(orig, orig); msg != "" {
		t.Errorf("an unchanged file has a new error: %s", msg)
	}
}

func TestReparseRefusesAPatchThatBreaksTheFile(t *testing.T) {
	orig := []byte("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n")
	for _, fixed := range []string{
		"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n   steps:\n      - run: echo\n",                              // indentation
		"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n", // duplicate key
	} {
		if msg := reparse(model.GitHubWorkflow, "w.yml", orig, []byte(fixed)); msg == "" {
			t.Errorf("not refused:\n%s", fixed)
		}
	}
	gl := []byte("job:\n  script:\n    - echo\n")
	if msg := reparse(model.GitLabCI, ".gitlab-ci.yml", gl, []byte("job:\n  script:\n    - echo\n   x: [\n")); msg == "" {
		t.Error("broken GitLab file not refused")
	}
}
