package reports

import (
	"strings"
	"testing"
	"unicode"
)

// outsideCode returns s with its code spans removed (a run of n backticks
// up to the next run of exactly n; an escaped backtick opens none), as
// CommonMark reads them.
func outsideCode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '`' {
			// An escaped backtick opens no span.
			b.WriteString(s[i : i+2])
			i += 2
			continue
		}
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		rest := s[i+n:]
		end := -1
		for k := 0; k < len(rest); {
			if rest[k] != '`' {
				k++
				continue
			}
			m := 0
			for k+m < len(rest) && rest[k+m] == '`' {
				m++
			}
			if m == n {
				end = k
				break
			}
			k += m
		}
		if end < 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		i += n + end + n
	}
	return b.String()
}

// FuzzMarkdownEscaping: whatever a scanned file holds, running text and
// <summary> HTML stay on one line, open no tag and ping nobody (GitHub takes
// @name as a mention after a non-word character only); a code span
// holds its text whole.
func FuzzMarkdownEscaping(f *testing.F) {
	for _, s := range []string{"@everyone ping", "<img src=x onerror=alert(1)>", "a|b\nc", "```\ncode", "# heading", "$x$ math",
		"see #12 and o/r#3", "- [ ] task", "> quote", "https://example.com/a_b", "``a`b``", "\u200d@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, out := range map[string]string{"mdText": outsideCode(mdText(s)), "htmlText": htmlText(s)} {
			if strings.ContainsAny(out, "\n\r") {
				t.Fatalf("%s(%q) = %q spans lines", name, s, out)
			}
			if strings.Contains(out, "<") {
				t.Fatalf("%s(%q) = %q has a raw <", name, s, out)
			}
			rs := []rune(out)
			for i, r := range rs {
				if r == '@' && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])) && (i == 0 || !isWord(rs[i-1])) {
					t.Fatalf("%s(%q) = %q can mention someone", name, s, out)
				}
			}
		}
		code := mdCode(s)
		if strings.ContainsAny(code, "\n\r") {
			t.Fatalf("mdCode(%q) = %q spans lines", s, code)
		}
		if outsideCode(code) != "" && strings.TrimSpace(oneLine(s)) != "" {
			t.Fatalf("mdCode(%q) = %q is not one code span", s, code)
		}
	})
}
