package fixers

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/scanner/model"
)

// doc is a YAML file as text with its parse: positions come from the parse,
// edits are made on the text.
type doc struct {
	src   []byte
	root  *yaml.Node // the top-level mapping
	lines []int      // byte offset of each line start
	// pipeline is the scan's parse of the same file (nil when the scan
	// has none): fixers read jobs and steps from it rather than parse the
	// file a second time.
	pipeline *model.Pipeline
}

func parseDoc(src []byte) (*doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, err
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	d := &doc{src: src, root: n.Content[0], lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	return d, nil
}

// lineStart is the byte offset of 1-based line n (len(src) past the end).
func (d *doc) lineStart(n int) int {
	if n-1 < len(d.lines) {
		return d.lines[n-1]
	}
	return len(d.src)
}

func (d *doc) line(n int) string {
	return string(d.src[d.lineStart(n):d.lineStart(n+1)])
}

func (d *doc) nLines() int {
	n := len(d.lines)
	if len(d.src) > 0 && d.src[len(d.src)-1] == '\n' {
		n--
	}
	return n
}

// child returns the value of key in a mapping, and the key node.
func child(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// lookup follows a YAML path such as "jobs.publish.steps[2].with.password"
// and returns the mapping holding the last key, the key and the value.
func (d *doc) lookup(path string) (parent, key, val *yaml.Node) {
	cur := d.root
	segs := splitPath(path)
	for i, s := range segs {
		name, idx := s, -1
		if j := strings.IndexByte(s, '['); j >= 0 && strings.HasSuffix(s, "]") {
			name = s[:j]
			n, err := strconv.Atoi(s[j+1 : len(s)-1])
			if err != nil {
				return nil, nil, nil
			}
			idx = n
		}
		k, v := child(cur, name)
		if v == nil {
			return nil, nil, nil
		}
		if idx >= 0 {
			if v.Kind != yaml.SequenceNode || idx >= len(v.Content) {
				return nil, nil, nil
			}
			if i == len(segs)-1 {
				return cur, k, v.Content[idx]
			}
			cur = v.Content[idx]
			continue
		}
		if i == len(segs)-1 {
			return cur, k, v
		}
		cur = v
	}
	return nil, nil, nil
}

// splitPath splits on dots outside brackets.
func splitPath(p string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range p {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

func indentOf(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

func blankOrComment(s string) bool {
	t := strings.TrimSpace(s)
	return t == "" || strings.HasPrefix(t, "#")
}

// entryLines is the 1-based line range [from, to] of a block mapping entry:
// its key line and every more-indented line after it, trailing blank and
// comment lines excluded (they belong to what follows).
func (d *doc) entryLines(key *yaml.Node) (from, to int, ok bool) {
	from = key.Line
	keyIndent := key.Column - 1
	to = from
	for n := from + 1; n <= d.nLines(); n++ {
		l := d.line(n)
		if blankOrComment(l) {
			continue
		}
		if indentOf(l) <= keyIndent || strings.HasPrefix(strings.TrimLeft(l, " "), "- ") && indentOf(l) <= keyIndent {
			break
		}
		to = n
	}
	// The key must start its line (after indentation or a "- " list
	// marker): a flow mapping cannot be edited by lines.
	prefix := d.line(from)[:min(keyIndent, len(d.line(from)))]
	if strings.TrimLeft(prefix, " -") != "" {
		return 0, 0, false
	}
	return from, to, true
}

// removeEntry deletes key (with its value) from the mapping parent; when
// that empties the mapping, the entry holding the mapping goes too, up to
// but excluding stop (a step or a job, which must stay).
func (d *doc) removeEntry(path string, stopDepth int) (Edit, error) {
	parent, key, _ := d.lookup(path)
	if key == nil {
		return Edit{}, fmt.Errorf("%s not found", path)
	}
	segs := splitPath(path)
	for len(segs) > stopDepth+1 && parent != nil && len(parent.Content) == 2 && parent.Kind == yaml.MappingNode && parent.Style&yaml.FlowStyle == 0 {
		up := strings.Join(segs[:len(segs)-1], ".")
		if strings.HasSuffix(up, "]") {
			break // a sequence item (a step) stays
		}
		p2, k2, _ := d.lookup(up)
		if k2 == nil {
			break
		}
		parent, key, segs = p2, k2, segs[:len(segs)-1]
	}
	from, to, ok := d.entryLines(key)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("%s is written in flow style on line %d", path, key.Line)}
	}
	// A key on a "- " line starts the sequence item: keep the marker by
	// moving it to the next entry is a rewrite; refuse instead.
	if strings.HasPrefix(strings.TrimLeft(d.line(from), " "), "- ") {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("%s opens its list item on line %d", path, key.Line)}
	}
	return Edit{Start: d.lineStart(from), End: d.lineStart(to + 1)}, nil
}

// setScalar replaces a one-line scalar's text, keeping its quote style.
func (d *doc) setScalar(n *yaml.Node, value string) (Edit, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Line == 0 {
		return Edit{}, false
	}
	lineOff := d.lineStart(n.Line)
	l := d.line(n.Line)
	col := n.Column - 1
	if col >= len(l) {
		return Edit{}, false
	}
	rest := l[col:]
	var end int
	switch n.Style {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		q := rest[0]
		j := strings.IndexByte(rest[1:], q)
		if j < 0 {
			return Edit{}, false
		}
		end = j + 2
		value = string(q) + value + string(q)
	case 0:
		end = len(strings.TrimRight(rest, "\r\n"))
		if i := strings.Index(rest, " #"); i >= 0 && i < end {
			end = i
		}
		end = len(strings.TrimRight(rest[:end], " \t"))
	default:
		return Edit{}, false
	}
	return Edit{Start: lineOff + col, End: lineOff + col + end, New: value}, true
}

// childIndent is the indentation of a mapping's entries.
func (d *doc) childIndent(m *yaml.Node) (int, bool) {
	if m == nil || m.Kind != yaml.MappingNode || len(m.Content) == 0 || m.Style&yaml.FlowStyle != 0 {
		return 0, false
	}
	return m.Content[0].Column - 1, true
}

// lastLine is the last line of a block mapping.
func (d *doc) lastLine(m *yaml.Node) int {
	k := m.Content[len(m.Content)-2]
	_, to, _ := d.entryLines(k)
	return to
}

// eol is the file's line ending.
func (d *doc) eol() string {
	if bytes.Contains(d.src, []byte("\r\n")) {
		return "\r\n"
	}
	return "\n"
}

// entryRange is the byte range of a block entry: key line through its last
// line.
func (d *doc) entryRange(key *yaml.Node) (start, end int, ok bool) {
	from, to, ok := d.entryLines(key)
	if !ok {
		return 0, 0, false
	}
	return d.lineStart(from), d.lineStart(to + 1), true
}

// replaceAll replaces every occurrence of old within [start, end) — the
// text of one entry, say a run: script — by new. It is how an expression
// such as ${{ secrets.CARGO_REGISTRY_TOKEN }} is swapped for a step output
// without touching the shell around it.
func (d *doc) replaceAll(start, end int, old, new string) []Edit {
	var out []Edit
	if old == "" {
		return nil
	}
	for i := start; i < end; {
		j := bytes.Index(d.src[i:end], []byte(old))
		if j < 0 {
			break
		}
		out = append(out, Edit{Start: i + j, End: i + j + len(old), New: new})
		i += j + len(old)
	}
	return out
}

// stepNode returns a step's mapping and the line of its "- " marker.
func (d *doc) stepNode(stepPath string) (*yaml.Node, int, bool) {
	_, _, st := d.lookup(stepPath)
	if st == nil || st.Kind != yaml.MappingNode || len(st.Content) == 0 || st.Style&yaml.FlowStyle != 0 {
		return nil, 0, false
	}
	first := st.Content[0]
	l := d.line(first.Line)
	dash := first.Column - 3 // "- " before the first key
	if dash < 0 || dash+2 > len(l) || l[dash:dash+2] != "- " {
		return nil, 0, false
	}
	return st, first.Line, true
}

// insertStepBefore inserts a new step before stepPath. lines are the new
// step's lines relative to the step's content column: the first is its
// first key ("uses: x"), the others indented by two per level ("  with:",
// "    user: y"); they are written with the existing step's indentation.
func (d *doc) insertStepBefore(stepPath string, lines []string) (Edit, error) {
	st, line, ok := d.stepNode(stepPath)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: stepPath + " is not a block step"}
	}
	col := st.Content[0].Column - 1
	var b strings.Builder
	eol := d.eol()
	for i, l := range lines {
		if i == 0 {
			b.WriteString(strings.Repeat(" ", col-2) + "- " + l + eol)
			continue
		}
		b.WriteString(strings.Repeat(" ", col) + l + eol)
	}
	at := d.lineStart(line)
	return Edit{Start: at, End: at, New: b.String()}, nil
}

// insertStepAfter inserts a new step after stepPath, as insertStepBefore.
func (d *doc) insertStepAfter(stepPath string, lines []string) (Edit, error) {
	st, _, ok := d.stepNode(stepPath)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: stepPath + " is not a block step"}
	}
	e, err := d.insertStepBefore(stepPath, lines)
	if err != nil {
		return Edit{}, err
	}
	at := d.lineStart(d.lastLine(st) + 1)
	e.Start, e.End = at, at
	return e, nil
}

// reusable reports a GitHub workflow that others call (on: workflow_call).
// No fixer patches one: registries match the wrong file for it (PyPI, NuGet)
// or the caller's (npm, crates.io), and every caller must grant id-token.
func (d *doc) reusable() bool {
	_, on := child(d.root, "on")
	if on == nil {
		return false
	}
	switch on.Kind {
	case yaml.ScalarNode:
		return on.Value == "workflow_call"
	case yaml.SequenceNode:
		for _, c := range on.Content {
			if c.Value == "workflow_call" {
				return true
			}
		}
	case yaml.MappingNode:
		k, _ := child(on, "workflow_call")
		return k != nil
	}
	return false
}

// removeKeys deletes keys from the block mapping at mapPath, or the whole
// entry holding the mapping when no other key would be left (an empty
// `env:` or `with:` would read as a mistake). It never removes more than
// that entry.
func (d *doc) removeKeys(mapPath string, keys []string) ([]Edit, error) {
	_, _, m := d.lookup(mapPath)
	depth := len(splitPath(mapPath))
	if m != nil && m.Kind == yaml.MappingNode && len(m.Content)/2 == len(keys) {
		e, err := d.removeEntry(mapPath, depth-1)
		if err != nil {
			return nil, err
		}
		return []Edit{e}, nil
	}
	var out []Edit
	for _, k := range keys {
		e, err := d.removeEntry(mapPath+"."+k, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// stepEntryLines returns a step's key entry (its if:, say) as step lines
// relative to the step's content column, for copying onto an inserted
// step; nil when the step has no such key.
func (d *doc) stepEntryLines(stepPath, key string) ([]string, error) {
	_, _, n := d.lookup(stepPath)
	k, _ := child(n, key)
	if k == nil {
		return nil, nil
	}
	from, to, ok := d.entryLines(k)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the " + key + ": of " + stepPath + " is not a block entry"}
	}
	col := k.Column - 1
	var out []string
	for l := from; l <= to; l++ {
		s := strings.TrimRight(d.line(l), "\r\n")
		switch {
		case l == from:
			s = s[col:]
		case strings.TrimSpace(s) == "":
			s = ""
		case indentOf(s) >= col:
			s = s[col:]
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the " + key + ": of " + stepPath + " is not indented under its step"}
		}
		out = append(out, s)
	}
	return out, nil
}

// runWorkDir is the working directory of a run step: its own, the
// job's defaults, or the workflow's; "" for the workspace.
func runWorkDir(d *doc, step *yaml.Node, job string) string {
	if _, v := child(step, "working-directory"); v != nil {
		return v.Value
	}
	for _, p := range []string{"jobs." + job + ".defaults.run.working-directory", "defaults.run.working-directory"} {
		if _, _, v := d.lookup(p); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// packagesDir is the action's packages-dir for dist relative to a
// working directory, or "" for the default (dist).
func packagesDir(wd, dist string) string {
	if dist == "" {
		dist = "dist"
	}
	p := dist
	if wd != "" && !strings.HasPrefix(dist, "/") {
		p = path.Join(wd, dist)
	}
	if path.Clean(p) == "dist" {
		return ""
	}
	return strings.TrimSuffix(p, "/") + "/"
}

// A run: script as lines a fixer edits one at a time.
var (
	runBlockHeader = regexp.MustCompile(`^\s*(?:-\s+)?run:\s*\|[-+0-9]*\s*(?:#.*)?$`)
	shellControl   = map[string]bool{"if": true, "then": true, "else": true, "elif": true, "fi": true, "for": true, "while": true,
		"until": true, "do": true, "done": true, "case": true, "esac": true, "function": true, "select": true, "{": true, "}": true}
)

// scriptLine is one command line of a run: script.
type scriptLine struct {
	n    int // line number in the file
	text string
}

// runScriptLines reads the script of a step's run: entry (rk, rv): the
// non-blank, non-comment lines of a literal block, or the one line of a
// plain scalar on the key's line (inline). ok is false for anything else:
// a folded block joins lines, and a quoted scalar over several lines has no
// line of its own to edit.
func (d *doc) runScriptLines(rk, rv *yaml.Node) (lines []scriptLine, inline, ok bool) {
	if rv == nil || rv.Kind != yaml.ScalarNode {
		return nil, false, false
	}
	from, to, ok := d.entryLines(rk)
	if !ok {
		return nil, false, false
	}
	switch {
	case rv.Style&yaml.LiteralStyle != 0:
		if !runBlockHeader.MatchString(strings.TrimRight(d.line(from), "\r\n")) {
			return nil, false, false
		}
		for n := from + 1; n <= to; n++ {
			if text := strings.TrimRight(d.line(n), "\r\n"); !blankOrComment(text) {
				lines = append(lines, scriptLine{n: n, text: text})
			}
		}
		return lines, false, true
	case rv.Style&yaml.FoldedStyle != 0:
		return nil, false, false
	}
	if from != to || rv.Line != rk.Line || strings.ContainsAny(rv.Value, "\r\n") {
		return nil, false, false
	}
	return []scriptLine{{n: from, text: rv.Value}}, true, true
}

// shellStructured reports whether a script line opens or closes a control
// structure, defines a function or starts a heredoc: then its lines cannot
// be edited one by one.
func shellStructured(text string) bool {
	fields := strings.Fields(text)
	return len(fields) > 0 && (shellControl[fields[0]] || strings.HasSuffix(fields[0], "()")) || strings.Contains(text, "<<")
}

// keepNoFinalNewline keeps a file without a final newline so: a deletion that
// runs to the end of such a file takes the newline before it instead.
func keepNoFinalNewline(d *doc, edits []Edit) []Edit {
	n := len(d.src)
	if n == 0 || d.src[n-1] == '\n' {
		return edits
	}
	for i, e := range edits {
		if e.New == "" && e.End == n && e.Start > 0 && d.src[e.Start-1] == '\n' {
			edits[i].Start--
			if edits[i].Start > 0 && d.src[edits[i].Start-1] == '\r' {
				edits[i].Start--
			}
		}
	}
	return edits
}

// stepValues is the text of a step's with:, env: and if: values
// (what expressions outside the script read).
func stepValues(st *yaml.Node) string {
	var b strings.Builder
	for _, k := range []string{"with", "env"} {
		_, m := child(st, k)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 1; i < len(m.Content); i += 2 {
			b.WriteString(m.Content[i].Value + "\n")
		}
	}
	if _, v := child(st, "if"); v != nil {
		b.WriteString(v.Value + "\n")
	}
	return b.String()
}
