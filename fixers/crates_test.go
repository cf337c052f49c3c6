package fixers

import (
	"testing"

	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

func TestReleasePlzActionOK(t *testing.T) {
	for ref, want := range map[string]bool{
		"v0.5": true, "v0.5.117": true, "v0.5.131": true, "v0.6": true, "v1": true, "main": true,
		"v0.5.116": false, "v0.5.50": false, "v0.4": false, "v0.3.0": false,
		"e8792575c7f2366cf6ff3ccc33ead9ace5b691c7": false, "master": false,
	} {
		if got := cratesReleasePlzActionOK(ref); got != want {
			t.Errorf("cratesReleasePlzActionOK(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestCratesCommand(t *testing.T) {
	for text, want := range map[string]cratesCmdKind{
		"cargo publish -p a":             cratesCmdPublish,
		"cargo +nightly publish":         cratesCmdPublish,
		"cargo workspaces publish --yes": cratesCmdPublish,
		"cargo ws version":               cratesCmdOther,
		"cargo release --execute":        cratesCmdPublish,
		"release-plz release":            cratesCmdPublish,
		"release-plz release-pr":         cratesCmdOther,
		"cargo login":                    cratesCmdLogin,
		"cargo yank --version 1.0.0":     cratesCmdNoTP,
		"cargo owner --add x":            cratesCmdNoTP,
		"cargo test":                     cratesCmdOther,
		"cargo xtask publish":            cratesCmdOpaque,
		"./scripts/release.sh":           cratesCmdOpaque,
		"make publish":                   cratesCmdOpaque,
	} {
		sc := shell.Parse(shell.Input{Text: text})
		if len(sc.Commands) != 1 {
			t.Fatalf("%q: %d commands", text, len(sc.Commands))
		}
		if got, _ := cratesCommand(sc.Commands[0]); got != want {
			t.Errorf("cratesCommand(%q) = %v, want %v", text, got, want)
		}
	}
	if k, _ := cratesCommand(&model.Command{}); k != cratesCmdOther {
		t.Error("empty command")
	}
}

func TestCratesScalarSource(t *testing.T) {
	src := "a:\n  if: ${{ startsWith(github.ref, 'refs/tags') }} # tags\n  b: 'it''s'\n  c: \"x \\\" y\"\n"
	d, err := parseDoc([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := &cratesJob{d: d}
	_, a := child(d.root, "a")
	for key, want := range map[string]string{
		"if": "${{ startsWith(github.ref, 'refs/tags') }}",
		"b":  "'it''s'",
		"c":  `"x \" y"`,
	} {
		_, v := child(a, key)
		got, ok := c.scalarSource(v)
		if !ok || got != want {
			t.Errorf("scalarSource(%s) = %q, %v; want %q", key, got, ok, want)
		}
	}
}
