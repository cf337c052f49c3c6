// Package fixers turns findings into minimal patches that move a pipeline to
// trusted publishing. A fix is a set of text edits on byte ranges of the
// original file, like golang.org/x/tools/go/analysis's SuggestedFix: YAML is
// never re-serialised, so every comment, blank line, quote style and
// indentation outside the edited lines stays byte for byte. When no safe
// patch exists, a fix says why with a reason from a fixed list (Reasons)
// and leaves the manual steps to the finding.
package fixers

import (
	"fmt"
	"sort"
)

// Edit replaces Original[Start:End] with New.
type Edit struct {
	Start, End int
	New        string
}

// ConflictError says two edits of one file overlap.
type ConflictError struct {
	Path string
	A, B Edit
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: edits at bytes %d–%d and %d–%d overlap", e.Path, e.A.Start, e.A.End, e.B.Start, e.B.End)
}

// Apply applies edits to src. Identical edits (two findings fixing the same
// line) are applied once; overlapping different ones are a conflict.
func Apply(path string, src []byte, edits []Edit) ([]byte, error) {
	es := append([]Edit(nil), edits...)
	sort.SliceStable(es, func(i, k int) bool {
		if es[i].Start != es[k].Start {
			return es[i].Start < es[k].Start
		}
		return es[i].End < es[k].End
	})
	var uniq []Edit
	for _, e := range es {
		if e.Start < 0 || e.End > len(src) || e.Start > e.End {
			return nil, fmt.Errorf("%s: edit %d–%d outside the file", path, e.Start, e.End)
		}
		if n := len(uniq); n > 0 {
			last := uniq[n-1]
			if last == e {
				continue
			}
			// Two insertions at one point are both kept, in order.
			if e.Start < last.End || (e.Start == last.Start && e.End > e.Start && last.End > last.Start) {
				return nil, &ConflictError{Path: path, A: last, B: e}
			}
		}
		uniq = append(uniq, e)
	}
	out := make([]byte, 0, len(src)+64)
	pos := 0
	for _, e := range uniq {
		out = append(out, src[pos:e.Start]...)
		out = append(out, e.New...)
		pos = e.End
	}
	return append(out, src[pos:]...), nil
}
