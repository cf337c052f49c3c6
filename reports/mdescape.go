package reports

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tpscan/tpscan/rules/tokens"
)

// Escaping. Scanned content reaches the report in three places: running
// text (mdText), code spans (mdCode, cellCode) and the HTML of <summary>
// lines (htmlText).

// zwj breaks a would-be @mention or #123 reference without changing what a
// reader sees: GitHub links neither when the character after @ or # is not
// a letter or digit.
const zwj = "\u200d"

// oneLine prepares scanned text for one line of the report. It replaces
// any literal token by its fingerprint: the engine has done so already, and
// this keeps it so whatever a future finding field carries (escaping would
// split a token, so this comes first). Then every line break and control
// character becomes one space: a newline in a table cell ends the row, and
// in a list item it can start a heading or a new block.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(scrub(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}

// scrub replaces every literal token in s by its fingerprint.
func scrub(s string) string {
	for _, m := range tokens.Find([]byte(s)) {
		s = strings.ReplaceAll(s, m.Secret(), m.Fingerprint)
	}
	return s
}

// mdText escapes s as running Markdown text. Words that Markdown would take
// apart are written as code spans: a $ (GitHub renders $…$ as math) or an
// angle bracket (an HTML tag, a <placeholder>, a URL that a < would cut).
// Plain URLs stay bare so that GitHub links them.
func mdText(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	words := strings.Split(s, " ")
	for i, w := range words {
		words[i] = mdWord(w)
	}
	// A heading drops a closing run of #s.
	if last := words[len(words)-1]; strings.Trim(last, "#") == "" {
		words[len(words)-1] = `\` + last
	}
	return escapeLead(strings.Join(words, " "))
}

// escapeLead keeps a text that starts a line (a list item, a paragraph)
// from starting a heading, a list, an ordered item or a thematic break.
func escapeLead(out string) string {
	markerEnd := func(i int) bool { return i == len(out) || out[i] == ' ' }
	switch out[0] {
	case '#':
		if n := len(out) - len(strings.TrimLeft(out, "#")); n <= 6 && markerEnd(n) {
			return `\` + out
		}
	case '-', '+':
		if markerEnd(1) {
			return `\` + out
		}
	}
	if strings.Trim(out, "-= ") == "" {
		return `\` + out
	}
	if i := strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i <= 9 &&
		(out[i] == '.' || out[i] == ')') && markerEnd(i+1) {
		return out[:i] + `\` + out[i:]
	}
	return out
}

func mdWord(w string) string {
	if w == "" {
		return ""
	}
	if bareURL(w) {
		return w
	}
	// A mention or reference in a code span is neither linked nor
	// notified, and copies as it reads (a zero-width joiner would not:
	// "npm trust github @scope/pkg" must paste as it is).
	if strings.ContainsRune(w, '$') || len(w) > 1 && strings.ContainsAny(w, "<>") || strings.Contains(w, "://") || hasReference(w) {
		lead, core, tail := splitPunct(w)
		if core == "" {
			return escapeChars(w)
		}
		return escapeChars(lead) + mdCode(core) + escapeChars(tail)
	}
	return escapeChars(w)
}

// hasReference says whether w holds an @mention or an issue reference as
// GitHub finds them: @ after a non-word character and before a letter or
// digit, or # before a digit (#12, and owner/repo#12 after a word).
func hasReference(w string) bool {
	rs := []rune(w)
	for i := range rs {
		if breaksAfter(rs, i) {
			return true
		}
	}
	return false
}

// breaksAfter says whether rs[i] opens a mention or reference.
func breaksAfter(rs []rune, i int) bool {
	if i+1 >= len(rs) {
		return false
	}
	switch rs[i] {
	case '@':
		return (i == 0 || !isWord(rs[i-1])) && isAlnum(rs[i+1])
	case '#':
		return unicode.IsDigit(rs[i+1])
	}
	return false
}

// bareURL says whether w is an http(s) URL GitHub will link as it is: only
// characters that its autolinker takes in and Markdown leaves alone.
func bareURL(w string) bool {
	rest, ok := strings.CutPrefix(w, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(w, "http://")
	}
	if !ok || rest == "" || !isAlnum(rune(rest[0])) {
		return false
	}
	for _, r := range rest {
		if !isAlnum(r) && !strings.ContainsRune("-._~:/?#!&'()+,;=%", r) {
			return false
		}
	}
	return true
}

// splitPunct splits the punctuation that surrounds a word off it, so that a
// code span holds the word alone.
func splitPunct(w string) (lead, core, tail string) {
	core = strings.TrimLeft(w, `("'`)
	lead = w[:len(w)-len(core)]
	trimmed := strings.TrimRight(core, `.,;:!?)"'`)
	tail = core[len(trimmed):]
	return lead, trimmed, tail
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isWord(r rune) bool { return isAlnum(r) || r == '_' }

// escapeChars escapes one word's Markdown and HTML characters.
func escapeChars(w string) string {
	rs := []rune(w)
	var b strings.Builder
	for i, r := range rs {
		switch r {
		case '\\', '`', '*', '[', ']', '~', '|', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '_':
			// A run of underscores between letters or digits can neither
			// open nor close emphasis: NODE_AUTH_TOKEN and
			// BUNDLE_GEM__PUSH_KEY stay readable.
			j, k := i, i
			for j > 0 && rs[j-1] == '_' {
				j--
			}
			for k+1 < len(rs) && rs[k+1] == '_' {
				k++
			}
			if j == 0 || k+1 == len(rs) || !isAlnum(rs[j-1]) || !isAlnum(rs[k+1]) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@', '#':
			b.WriteRune(r)
			if breaksAfter(rs, i) {
				b.WriteString(zwj)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode writes s as a code span, fenced by more backticks than any run in
// it: nothing inside a code span is Markdown, HTML or a mention.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cellCode is mdCode for a table cell. A pipe splits cells even inside a
// code span, and the \| that GFM allows there cannot follow a backslash, so
// a value with a pipe is written as escaped text instead.
func cellCode(s string) string {
	if strings.ContainsRune(s, '|') {
		return escapeChars(oneLine(s))
	}
	return mdCode(s)
}

// htmlText escapes s for the HTML of a <summary> line, where Markdown is
// not read but mentions still are.
func htmlText(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(oneLine(s))
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		b.WriteRune(r)
		if breaksAfter(rs, i) {
			b.WriteString(zwj)
		}
	}
	return b.String()
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// listText lists names as text, the first limit of them.
func listText(names []string, limit int) string {
	out := make([]string, 0, min(len(names), limit)+1)
	for _, n := range names[:min(len(names), limit)] {
		out = append(out, mdText(n))
	}
	if len(names) > limit {
		out = append(out, fmt.Sprintf("and %d more", len(names)-limit))
	}
	return strings.Join(out, ", ")
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
