package fixers

import (
	"bytes"
	"fmt"
	"strings"
)

// Unified returns a unified diff of a and b that `git apply` accepts, with
// three lines of context; "" when they are equal.
func Unified(path string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	// Patches are small: trim the common head and tail, then align the
	// middle with an LCS table.
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	ops := align(al[pre:len(al)-suf], bl[pre:len(bl)-suf])
	// ops over the whole files.
	var all []op
	for i := 0; i < pre; i++ {
		all = append(all, op{kind: ' ', a: i, b: i})
	}
	for _, o := range ops {
		o.a += pre
		o.b += pre
		all = append(all, o)
	}
	for i := 0; i < suf; i++ {
		all = append(all, op{kind: ' ', a: len(al) - suf + i, b: len(bl) - suf + i})
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
	const ctx = 3
	for i := 0; i < len(all); {
		if all[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-ctx, 0)
		end := i
		for end < len(all) {
			if all[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(all) && all[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(all) {
				end = min(end+ctx, len(all))
				break
			}
			end = run
		}
		writeHunk(&out, all[start:end], al, bl)
		i = end
	}
	return out.String()
}

type op struct {
	kind byte // ' ', '-', '+'
	a, b int  // line indexes in a and b
}

func writeHunk(w *strings.Builder, ops []op, al, bl []string) {
	aStart, bStart, aN, bN := -1, -1, 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			if aStart < 0 {
				aStart = o.a
			}
			aN++
		}
		if o.kind != '-' {
			if bStart < 0 {
				bStart = o.b
			}
			bN++
		}
	}
	if aStart < 0 {
		// A pure insertion: the range names the line it follows.
		for _, o := range ops {
			if o.kind == '+' {
				aStart = o.a
				break
			}
		}
	}
	if bStart < 0 {
		bStart = ops[0].b
	}
	fmt.Fprintf(w, "@@ -%s +%s @@\n", rng(aStart, aN), rng(bStart, bN))
	for _, o := range ops {
		var line string
		switch o.kind {
		case '-':
			line = al[o.a]
		default:
			if o.kind == ' ' {
				line = al[o.a]
			} else {
				line = bl[o.b]
			}
		}
		w.WriteByte(o.kind)
		w.WriteString(strings.TrimSuffix(line, "\n"))
		w.WriteByte('\n')
		if !strings.HasSuffix(line, "\n") {
			w.WriteString("\\ No newline at end of file\n")
		}
	}
}

// rng formats a hunk range: 1-based start, and the count unless it is 1;
// an empty range names the line before it.
func rng(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// align returns the edit script from a to b by longest common subsequence.
func align(a, b []string) []op {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{kind: ' ', a: i, b: j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// Deletions before insertions, as diff(1) writes them.
			ops = append(ops, op{kind: '-', a: i, b: j})
			i++
		default:
			ops = append(ops, op{kind: '+', a: i, b: j})
			j++
		}
	}
	return ops
}

// splitLines keeps each line's newline, so a missing final newline shows.
func splitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}
