// Package expr finds the references inside GitHub Actions `${{ }}` expressions
// and GitLab `$VAR` variables without evaluating anything. Rules only need to
// know which secrets, variables and env entries a value can carry; they never
// need the value.
package expr

import (
	"strings"

	"github.com/tpscan/tpscan/scanner/model"
)

// Span is one `${{ ... }}` in a string: byte offsets of the whole template
// [Start, End) and the references of its expression.
type Span struct {
	Start, End int
	Refs       []model.Ref
}

// Templates returns every `${{ ... }}` in s. An unterminated `${{` ends the
// scan: GitHub rejects it, and nothing after it is an expression.
func Templates(s string) []Span {
	var out []Span
	i := 0
	for {
		j := strings.Index(s[i:], "${{")
		if j < 0 {
			return out
		}
		start := i + j
		end := closing(s, start+3)
		if end < 0 {
			return out
		}
		out = append(out, Span{Start: start, End: end, Refs: Refs(s[start+3 : end-2])})
		i = end
	}
}

// closing finds the end (just after "}}") of an expression body starting at i,
// skipping '...' string literals, which may contain "}}".
func closing(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\'':
			k := strings.IndexByte(s[i+1:], '\'')
			if k < 0 {
				return -1
			}
			i += k + 2
			continue
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				return i + 2
			}
		}
		i++
	}
	return -1
}

// TemplateRefs returns the references of every `${{ }}` in s.
func TemplateRefs(s string) []model.Ref {
	if !strings.Contains(s, "${{") {
		return nil
	}
	var refs []model.Ref
	for _, sp := range Templates(s) {
		refs = append(refs, sp.Refs...)
	}
	return refs
}

// contexts whose properties name things tpscan follows.
var contexts = map[string]string{
	"secrets": "secrets", "vars": "vars", "env": "env", "inputs": "inputs",
	"matrix": "matrix", "steps": "steps", "needs": "needs", "github": "github",
}

// Refs returns the context references of one expression body, in order. The
// operands after a `||` are marked Fallback: `secrets.A || secrets.B` carries
// one of the two.
func Refs(body string) []model.Ref {
	var refs []model.Ref
	fallback := false
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\'':
			k := strings.IndexByte(body[i+1:], '\'')
			if k < 0 {
				return refs
			}
			i += k + 2
		case c == '|' && i+1 < len(body) && body[i+1] == '|':
			fallback = true
			i += 2
		case isIdentStart(c) && (i == 0 || !isIdent(body[i-1]) && body[i-1] != '.'):
			j := i
			for j < len(body) && isIdent(body[j]) {
				j++
			}
			word := body[i:j]
			kind, ok := contexts[strings.ToLower(word)]
			if !ok {
				i = j
				continue
			}
			name, next := property(body, j)
			if name == "" {
				i = next
				continue
			}
			if kind == "steps" || kind == "needs" {
				// steps.ID.outputs.NAME: keep the whole path, it names one output.
				for next < len(body) && body[next] == '.' {
					more, n := property(body, next)
					if more == "" {
						break
					}
					name += "." + more
					next = n
				}
			}
			// A reference that is compared (`vars.USE_TEST == 'true'`) or
			// negated decides a condition; it does not carry its value.
			if !compared(body, i, next) {
				refs = append(refs, model.Ref{Kind: kind, Name: name, Fallback: fallback})
			}
			i = next
		default:
			i++
		}
	}
	return refs
}

// compared reports whether the operand at [start, end) is negated or is one
// side of a comparison.
func compared(body string, start, end int) bool {
	k := start - 1
	for k >= 0 && body[k] == ' ' {
		k--
	}
	if k >= 0 && body[k] == '!' {
		return true
	}
	if k >= 1 && (body[k] == '=' && (body[k-1] == '=' || body[k-1] == '!') || body[k] == '<' || body[k] == '>') {
		return true
	}
	k = end
	for k < len(body) && body[k] == ' ' {
		k++
	}
	if k+1 < len(body) && (body[k:k+2] == "==" || body[k:k+2] == "!=") {
		return true
	}
	return k < len(body) && (body[k] == '<' || body[k] == '>')
}

// property reads `.name` or `['name']` at i (spaces allowed around the dot).
func property(s string, i int) (string, int) {
	k := i
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if k >= len(s) {
		return "", i
	}
	switch s[k] {
	case '.':
		k++
		for k < len(s) && s[k] == ' ' {
			k++
		}
		j := k
		for j < len(s) && (isIdent(s[j]) || s[j] == '-') {
			j++
		}
		return s[k:j], j
	case '[':
		k++
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) && (s[k] == '\'' || s[k] == '"') {
			q := s[k]
			e := strings.IndexByte(s[k+1:], q)
			if e < 0 {
				return "", len(s)
			}
			name := s[k+1 : k+1+e]
			j := k + 1 + e + 1
			for j < len(s) && s[j] != ']' {
				j++
			}
			return name, min(j+1, len(s))
		}
	}
	return "", i
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

// VarRefs returns the `$NAME` and `${NAME}` references in a GitLab value, where
// the runner expands variables in `variables:` values.
func VarRefs(s string) []model.Ref {
	var refs []model.Ref
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '$' { // $$ is an escaped dollar
			i++
			continue
		}
		j := i + 1
		braced := s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && isIdent(s[k]) {
			k++
		}
		if k == j || !isIdentStart(s[j]) {
			continue
		}
		refs = append(refs, model.Ref{Kind: "var", Name: s[j:k]})
		i = k - 1
	}
	return refs
}
