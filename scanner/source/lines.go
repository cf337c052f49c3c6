// Package source holds helpers shared by the parsers that read file bytes:
// line tables, script line maps and the safe wording of parse errors.
package source

import (
	"bytes"
	"strings"

	"github.com/tpscan/tpscan/scanner/model"
)

// Lines indexes the start offset of every line of a file.
type Lines struct {
	src    []byte
	starts []int
}

// NewLines indexes src.
func NewLines(src []byte) *Lines {
	starts := make([]int, 1, bytes.Count(src, []byte{'\n'})+1)
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &Lines{src: src, starts: starts}
}

// Count is the number of lines.
func (l *Lines) Count() int { return len(l.starts) }

// Line returns line n (1-based) without its newline.
func (l *Lines) Line(n int) string {
	if n < 1 || n > len(l.starts) {
		return ""
	}
	start := l.starts[n-1]
	end := len(l.src)
	if n < len(l.starts) {
		end = l.starts[n] - 1
	}
	s := string(l.src[start:end])
	return strings.TrimSuffix(s, "\r")
}

// Offset converts a position to a byte offset (clamped to the file).
func (l *Lines) Offset(p model.Pos) int {
	if p.Line < 1 {
		return 0
	}
	if p.Line > len(l.starts) {
		return len(l.src)
	}
	off := l.starts[p.Line-1] + max(p.Col-1, 0)
	return min(off, len(l.src))
}

// ScriptLines maps the lines of a YAML scalar at pos to file positions. For a
// block scalar (`|` or `>`) the text starts on the next line at the block's
// indentation; for a plain or quoted scalar it starts at pos (after the quote).
func (l *Lines) ScriptLines(pos model.Pos, text string) []model.Pos {
	n := strings.Count(text, "\n") + 1
	out := make([]model.Pos, 0, n)
	line := l.Line(pos.Line)
	col := pos.Col - 1
	if col >= 0 && col < len(line) && (line[col] == '|' || line[col] == '>') {
		folded := line[col] == '>'
		indent := -1
		for k := pos.Line + 1; k <= l.Count(); k++ {
			s := l.Line(k)
			if strings.TrimSpace(s) == "" {
				if indent >= 0 || len(out) < n {
					out = append(out, model.Pos{Line: k, Col: max(indent, 0) + 1})
				}
			} else {
				if indent < 0 {
					indent = len(s) - len(strings.TrimLeft(s, " \t"))
					// blank lines seen before the first content line share its indent
					for i := range out {
						out[i].Col = indent + 1
					}
				}
				if folded {
					// Folded text joins lines: every command starts where
					// the block does; line numbers are approximate.
					out = append(out, model.Pos{Line: k, Col: indent + 1})
				} else {
					out = append(out, model.Pos{Line: k, Col: indent + 1})
				}
			}
			if len(out) >= n && !folded {
				break
			}
			if folded && len(out) >= n {
				break
			}
		}
		return out
	}
	if col >= 0 && col < len(line) && (line[col] == '"' || line[col] == '\'') {
		pos.Col++
	}
	out = append(out, pos)
	// A multi-line plain or quoted scalar: later lines are approximated.
	for i := 1; i < n; i++ {
		out = append(out, model.Pos{Line: pos.Line + i, Col: 1})
	}
	return out
}

// FindInLines returns the first line in [from, to] whose text contains s, or 0.
func (l *Lines) FindInLines(from, to int, s string) int {
	for k := max(from, 1); k <= min(to, l.Count()); k++ {
		if strings.Contains(l.Line(k), s) {
			return k
		}
	}
	return 0
}

// SafeMessage strips quoted fragments from a parser message: parser errors
// may echo source text, and source text may hold a token.
func SafeMessage(msg string) string {
	var b strings.Builder
	quote := byte(0)
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if quote != 0 {
			if c == quote {
				quote = 0
				b.WriteString("…")
				b.WriteByte(c)
			}
			continue
		}
		if c == '"' || c == '\'' || c == '`' {
			quote = c
		}
		b.WriteByte(c)
	}
	if quote != 0 {
		b.WriteString("…")
	}
	return b.String()
}
