package tokens

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzFind checks the invariants callers rely on: no panic, spans inside
// the input, sorted and non-overlapping, Secret equal to the span,
// positions consistent with offsets, and String free of the secret.
func FuzzFind(f *testing.F) {
	fx := fixtures()
	for _, tc := range findCases {
		f.Add([]byte(expand(tc.input, fx)))
	}
	f.Add([]byte(benchWorkflow))
	f.Fuzz(func(t *testing.T, content []byte) {
		ms := Find(content)
		prevEnd := 0
		for i, m := range ms {
			if m.Offset < prevEnd || m.Offset >= m.End || m.End > len(content) {
				t.Fatalf("match %d (%v): span [%d,%d) out of order or bounds (prev end %d, len %d)",
					i, m, m.Offset, m.End, prevEnd, len(content))
			}
			prevEnd = m.End
			if m.Secret() != string(content[m.Offset:m.End]) {
				t.Fatalf("match %d (%v): Secret differs from content[Offset:End]", i, m)
			}
			line := 1 + bytes.Count(content[:m.Offset], []byte{'\n'})
			col := m.Offset - (bytes.LastIndexByte(content[:m.Offset], '\n') + 1) + 1
			if m.Line != line || m.Col != col || m.EndLine != line || m.EndCol != col+m.End-m.Offset {
				t.Fatalf("match %d (%v): position %d:%d-%d:%d, want %d:%d-%d:%d",
					i, m, m.Line, m.Col, m.EndLine, m.EndCol, line, col, line, col+m.End-m.Offset)
			}
			if strings.Contains(m.String(), m.Secret()) || strings.Contains(m.Fingerprint, m.Secret()) {
				t.Fatalf("match %d (%v): String or Fingerprint contains the secret", i, m)
			}
			if c, ok := Classify(m.Secret()); ok && (c.Kind != m.Kind || c.Registry != m.Registry) {
				t.Fatalf("match %d (%v): Classify of its secret says %v", i, m, c)
			}
		}
	})
}

// FuzzDecodePyPI checks that decoding never panics and that errors never
// echo the input.
func FuzzDecodePyPI(f *testing.F) {
	for name, fx := range fixtures() {
		if strings.Contains(name, "pypi") {
			f.Add(fx.value)
			f.Add(fx.value[:len(fx.value)/2])
		}
	}
	f.Add("pypi-")
	f.Add("pypi-AgEIcHlwaS5vcmc")
	f.Fuzz(func(t *testing.T, token string) {
		m, err := DecodePyPI(token)
		if err == nil {
			if m == nil {
				t.Fatal("nil Macaroon without error")
			}
			switch m.Scope {
			case ScopeUser, ScopeProject, ScopeTrustedPublishing, ScopeUnknown:
			default:
				t.Fatalf("invalid scope %q", m.Scope)
			}
			if m.Scope == ScopeUser && m.UnknownCaveats > 0 {
				t.Fatal("user scope despite unknown caveats")
			}
			return
		}
		if m != nil {
			t.Fatal("non-nil Macaroon with error")
		}
		// Very short inputs can coincide with words of the fixed error
		// texts; they are not tokens.
		body := strings.TrimPrefix(token, "pypi-")
		for _, s := range []string{token, body} {
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatal("error text contains the input")
			}
		}
	})
}
