package fixers

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzApplyUnified: edits never panic, and the diff of any two texts is
// empty exactly when they are equal and names the path.
func FuzzApplyUnified(f *testing.F) {
	f.Add([]byte("a: 1\nb: 2\n"), []byte("a: 1\nc: 3\n"), 2, 5, "x")
	f.Add([]byte("no newline"), []byte("no newline\n"), 0, 0, "")
	f.Fuzz(func(t *testing.T, a, b []byte, start, end int, repl string) {
		if len(a) > 4096 || len(b) > 4096 {
			return
		}
		if out, err := Apply("f", a, []Edit{{Start: start, End: end, New: repl}}); err == nil {
			if !bytes.HasPrefix(out, a[:start]) || !bytes.HasSuffix(out, a[end:]) {
				t.Fatalf("edit touched bytes outside %d–%d", start, end)
			}
		}
		d := Unified("p.yml", a, b)
		if (d == "") != bytes.Equal(a, b) {
			t.Fatalf("diff emptiness wrong for %q vs %q", a, b)
		}
	})
}

// FuzzParseDoc: the fixers' YAML reader never panics on any input.
func FuzzParseDoc(f *testing.F) {
	f.Add([]byte("jobs:\n  a:\n    steps:\n      - uses: x\n        with:\n          password: y\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDoc(b)
		if err != nil {
			return
		}
		for _, p := range []string{"jobs.a.steps[0].with.password", "jobs.a.env.X", "on"} {
			_, _, _ = d.lookup(p)
			_, _ = d.removeEntry(p, 2)
		}
		_, _ = ensurePermissions(d, "a", new([]string))
	})
}

func TestRefusalDetailsNeverHoldATokenValue(t *testing.T) {
	canary := "npm_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
	if got := scrub("line 3: unexpected " + canary); strings.Contains(got, canary) {
		t.Errorf("scrub kept the token: %s", got)
	}
}
