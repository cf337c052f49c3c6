// Package shell turns script text (GitHub `run:`, GitLab `script:`, a script
// file in the checkout) into simple commands with argv words, assignments and
// redirections, using a real shell parser (mvdan.cc/sh). Rules match commands
// by argv, never by searching the text.
package shell

import (
	"fmt"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/tpscan/tpscan/scanner/expr"
	"github.com/tpscan/tpscan/scanner/model"
)

// Input is one script to parse.
type Input struct {
	Text string
	// Lines gives the file position of the first byte of each line of Text
	// (index 0 is the script's first line). Lines past the end continue from
	// the last known line with the same column.
	Lines []model.Pos
	// Expressions is true for GitHub Actions, where `${{ }}` is substituted
	// before the shell runs and must not reach the shell parser.
	Expressions bool
}

const placeholderPrefix = "__TPSE"

// MaxScript is the longest script text parsed.
const MaxScript = 512 << 10

// Deferred returns a script whose parse waits for Ensure.
func Deferred(in Input) *model.Script {
	sc := &model.Script{Text: in.Text, Pending: &model.PendingParse{Lines: in.Lines, Expressions: in.Expressions}}
	if len(in.Lines) > 0 {
		sc.Pos = in.Lines[0]
	}
	return sc
}

// Ensure parses a deferred script in place; it does nothing for a script
// that is already parsed.
func Ensure(sc *model.Script) {
	if sc == nil || sc.Pending == nil {
		return
	}
	p := Parse(Input{Text: sc.Text, Lines: sc.Pending.Lines, Expressions: sc.Pending.Expressions})
	sc.Commands, sc.ParseError, sc.Pending = p.Commands, p.ParseError, nil
}

// Parse parses a script. It never fails: when the parser rejects the whole
// script, each line is parsed on its own and ParseError says why, so one odd
// line does not hide the publish on the next.
func Parse(in Input) *model.Script {
	if len(in.Text) > MaxScript {
		// No CI script is this long; refusing keeps a crafted file from
		// stalling the scan.
		sc := &model.Script{Text: in.Text, ParseError: "script longer than 512 KiB: not parsed"}
		if len(in.Lines) > 0 {
			sc.Pos = in.Lines[0]
		}
		return sc
	}
	text, exprs := maskExpressions(in.Text, in.Expressions)
	sc := &model.Script{Text: in.Text}
	if len(in.Lines) > 0 {
		sc.Pos = in.Lines[0]
	}
	c := converter{lines: in.Lines, exprs: exprs}
	parser := syntax.NewParser(syntax.Variant(syntax.LangBash))
	f, err := parser.Parse(strings.NewReader(text), "")
	if err == nil {
		c.stmts(f.Stmts)
		sc.Commands = c.out
		return sc
	}
	sc.ParseError = sanitizeError(err)
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		lf, lerr := parser.Parse(strings.NewReader(line), "")
		if lerr != nil {
			continue
		}
		c.lineOffset = i
		c.stmts(lf.Stmts)
	}
	sc.Commands = c.out
	return sc
}

// sanitizeError keeps the parser's position and reason but drops any quoted
// source text, which could hold a literal token.
func sanitizeError(err error) string {
	var pe syntax.ParseError
	if e, ok := err.(syntax.ParseError); ok {
		pe = e
		return fmt.Sprintf("line %d: %s", pe.Pos.Line(), redactQuoted(pe.Text))
	}
	return "shell parse error"
}

func redactQuoted(s string) string {
	if i := strings.IndexAny(s, "\"'`"); i >= 0 {
		return s[:i] + "…"
	}
	return s
}

// maskExpressions replaces each `${{ }}` with a same-length identifier-like
// placeholder, so the shell parser sees a plain word and positions stay true.
func maskExpressions(text string, enabled bool) (string, map[string][]model.Ref) {
	if !enabled || !strings.Contains(text, "${{") {
		return text, nil
	}
	spans := expr.Templates(text)
	if len(spans) == 0 {
		return text, nil
	}
	exprs := make(map[string][]model.Ref, len(spans))
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for i, sp := range spans {
		b.WriteString(text[last:sp.Start])
		ph := placeholderPrefix + strconv.Itoa(i) + "_"
		// Keep lengths equal so columns after the expression stay right; an
		// expression holding a newline keeps its newlines.
		orig := text[sp.Start:sp.End]
		nl := strings.Count(orig, "\n")
		width := len(orig) - nl
		if len(ph) < width {
			ph += strings.Repeat("_", width-len(ph))
		}
		b.WriteString(ph)
		b.WriteString(strings.Repeat("\n", nl))
		exprs[placeholderKey(ph)] = sp.Refs
		last = sp.End
	}
	b.WriteString(text[last:])
	return b.String(), exprs
}

// placeholderKey strips the padding so lookups work on any part of a literal.
func placeholderKey(ph string) string { return strings.TrimRight(ph, "_") + "_" }

type converter struct {
	lines      []model.Pos
	lineOffset int
	exprs      map[string][]model.Ref
	out        []*model.Command
	// skipLit drops the start of the next literal: PowerShell's $env:NAME
	// consumed it.
	skipLit int
}

func (c *converter) pos(p syntax.Pos) model.Pos {
	if !p.IsValid() {
		return model.Pos{}
	}
	line := int(p.Line()) - 1 + c.lineOffset
	col := int(p.Col())
	if len(c.lines) == 0 {
		return model.Pos{Line: line + 1, Col: col}
	}
	if line < len(c.lines) {
		base := c.lines[line]
		return model.Pos{Line: base.Line, Col: base.Col + col - 1}
	}
	last := c.lines[len(c.lines)-1]
	return model.Pos{Line: last.Line + line - (len(c.lines) - 1), Col: last.Col + col - 1}
}

func (c *converter) stmts(list []*syntax.Stmt) {
	for _, s := range list {
		c.stmt(s, nil)
	}
}

// stmt converts one statement; stdin is the word piped into it, if visible.
func (c *converter) stmt(s *syntax.Stmt, stdin *model.Word) {
	if s == nil || s.Cmd == nil {
		return
	}
	if _, simple := s.Cmd.(*syntax.CallExpr); !simple && len(s.Redirs) > 0 {
		if _, decl := s.Cmd.(*syntax.DeclClause); !decl {
			// `{ echo ...; } > .npmrc`, `for ...; done >> $GITHUB_ENV`: the
			// redirection applies to every command inside.
			n := len(c.out)
			c.compound(s, stdin)
			for _, cmd := range c.out[n:] {
				c.redirects(cmd, s.Redirs)
			}
			return
		}
	}
	c.compound(s, stdin)
}

// compound converts the command of a statement.
func (c *converter) compound(s *syntax.Stmt, stdin *model.Word) {
	switch x := s.Cmd.(type) {
	case *syntax.CallExpr:
		cmd := &model.Command{Pos: c.pos(s.Pos()), End: c.pos(s.End()), Stdin: stdin}
		for _, a := range x.Assigns {
			cmd.Assigns = append(cmd.Assigns, c.assign(a))
		}
		for _, w := range x.Args {
			cmd.Args = append(cmd.Args, c.word(w))
		}
		c.redirects(cmd, s.Redirs)
		c.out = append(c.out, cmd)
		c.nested(x.Args)
		c.nestedAssigns(x.Assigns)
	case *syntax.DeclClause:
		cmd := &model.Command{Pos: c.pos(s.Pos()), End: c.pos(s.End())}
		variant := ""
		if x.Variant != nil {
			variant = x.Variant.Value
		}
		cmd.Args = append(cmd.Args, model.Word{Lit: variant, Pos: c.pos(x.Pos())})
		cmd.Export = variant == "export"
		for _, a := range x.Args {
			if a.Name == nil {
				if a.Value != nil {
					cmd.Args = append(cmd.Args, c.word(a.Value))
					if variant == "declare" || variant == "typeset" {
						if a.Value.Lit() == "-x" {
							cmd.Export = true
						}
					}
				}
				continue
			}
			cmd.Assigns = append(cmd.Assigns, c.assign(a))
		}
		c.redirects(cmd, s.Redirs)
		c.out = append(c.out, cmd)
		c.nestedAssigns(x.Args)
	case *syntax.BinaryCmd:
		if x.Op == syntax.Pipe || x.Op == syntax.PipeAll {
			c.stmt(x.X, stdin)
			c.stmt(x.Y, c.pipedWord(x.X))
			return
		}
		c.stmt(x.X, stdin)
		c.stmt(x.Y, stdin)
	case *syntax.Block:
		c.stmts(x.Stmts)
	case *syntax.Subshell:
		c.stmts(x.Stmts)
	case *syntax.IfClause:
		for cl := x; cl != nil; cl = cl.Else {
			c.stmts(cl.Cond)
			c.stmts(cl.Then)
		}
	case *syntax.WhileClause:
		c.stmts(x.Cond)
		c.stmts(x.Do)
	case *syntax.ForClause:
		c.stmts(x.Do)
	case *syntax.CaseClause:
		for _, item := range x.Items {
			c.stmts(item.Stmts)
		}
	case *syntax.FuncDecl:
		c.stmt(x.Body, nil)
	case *syntax.TimeClause:
		c.stmt(x.Stmt, stdin)
	case *syntax.CoprocClause:
		c.stmt(x.Stmt, stdin)
	}
}

// nested walks command substitutions inside arguments: `$(twine upload ...)`
// still runs twine.
func (c *converter) nested(words []*syntax.Word) {
	for _, w := range words {
		syntax.Walk(w, func(n syntax.Node) bool {
			if cs, ok := n.(*syntax.CmdSubst); ok {
				c.stmts(cs.Stmts)
				return false
			}
			return true
		})
	}
}

func (c *converter) nestedAssigns(as []*syntax.Assign) {
	for _, a := range as {
		if a.Value != nil {
			c.nested([]*syntax.Word{a.Value})
		}
	}
}

// pipedWord returns what the left side of a pipe prints, when it is an
// echo/printf whose text is visible.
func (c *converter) pipedWord(s *syntax.Stmt) *model.Word {
	call, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) < 2 {
		return nil
	}
	name := call.Args[0].Lit()
	if name != "echo" && name != "printf" && name != "cat" {
		return nil
	}
	var joined model.Word
	for i, a := range call.Args[1:] {
		w := c.word(a)
		if strings.HasPrefix(w.Lit, "-") && i == 0 && name == "echo" {
			continue
		}
		if joined.Lit != "" {
			joined.Lit += " "
		} else {
			joined.Pos = w.Pos
		}
		joined.Lit += w.Lit
		joined.Refs = append(joined.Refs, w.Refs...)
		joined.Dynamic = joined.Dynamic || w.Dynamic
	}
	for _, r := range s.Redirs {
		if r.Op == syntax.WordHdoc && r.Word != nil {
			w := c.word(r.Word)
			joined.Refs = append(joined.Refs, w.Refs...)
		}
	}
	return &joined
}

func (c *converter) redirects(cmd *model.Command, redirs []*syntax.Redirect) {
	for _, r := range redirs {
		rd := model.Redirect{Op: r.Op.String()}
		if r.Word != nil {
			rd.Target = c.word(r.Word)
		}
		if r.Hdoc != nil {
			body := c.word(r.Hdoc)
			rd.Body = &body
		}
		if r.Op == syntax.WordHdoc && r.Word != nil {
			w := c.word(r.Word)
			cmd.Stdin = &w
		}
		cmd.Redirects = append(cmd.Redirects, rd)
	}
}

func (c *converter) assign(a *syntax.Assign) model.Assign {
	as := model.Assign{Pos: c.pos(a.Pos())}
	if a.Name != nil {
		as.Name = a.Name.Value
	}
	if a.Value != nil {
		as.Value = c.word(a.Value)
	}
	return as
}

// word flattens a shell word into its literal text and references.
func (c *converter) word(w *syntax.Word) model.Word {
	out := model.Word{Pos: c.pos(w.Pos())}
	var b strings.Builder
	c.parts(w.Parts, &b, &out)
	out.Lit = b.String()
	return out
}

func (c *converter) parts(parts []syntax.WordPart, b *strings.Builder, out *model.Word) {
	for i, p := range parts {
		switch x := p.(type) {
		case *syntax.Lit:
			v := x.Value
			if c.skipLit > 0 {
				v = v[min(c.skipLit, len(v)):]
				c.skipLit = 0
			}
			c.lit(v, b, out)
		case *syntax.SglQuoted:
			c.lit(x.Value, b, out)
		case *syntax.DblQuoted:
			c.parts(x.Parts, b, out)
		case *syntax.ParamExp:
			c.param(x, parts, i, b, out)
		case *syntax.CmdSubst:
			out.Dynamic = true
			b.WriteString("$(…)")
			for _, s := range x.Stmts {
				if w := c.pipedWord(s); w != nil {
					// $(echo $X) still carries X.
					out.Refs = append(out.Refs, w.Refs...)
				}
			}
		case *syntax.ArithmExp:
			out.Dynamic = true
			b.WriteString("$((…))")
		case *syntax.ProcSubst:
			out.Dynamic = true
			b.WriteString("<(…)")
		case *syntax.ExtGlob:
			b.WriteString(x.Pattern.Value)
		}
	}
}

func (c *converter) param(x *syntax.ParamExp, parts []syntax.WordPart, i int, b *strings.Builder, out *model.Word) {
	if x.Param == nil {
		out.Dynamic = true
		return
	}
	name := x.Param.Value
	// PowerShell's $env:NAME reaches the bash parser as $env followed by
	// ":NAME"; treat it as a reference to NAME.
	if strings.EqualFold(name, "env") && x.Short && i+1 < len(parts) {
		if lit, ok := parts[i+1].(*syntax.Lit); ok && strings.HasPrefix(lit.Value, ":") {
			j := 1
			for j < len(lit.Value) && isIdent(lit.Value[j]) {
				j++
			}
			if j > 1 {
				out.Refs = append(out.Refs, model.Ref{Kind: "var", Name: lit.Value[1:j]})
				b.WriteString("${" + lit.Value[1:j] + "}")
				c.skipLit = j // the name is consumed here, not by the next part
				return
			}
		}
	}
	if x.Length {
		b.WriteString("${#" + name + "}")
		return
	}
	out.Refs = append(out.Refs, model.Ref{Kind: "var", Name: name, Indirect: x.Excl})
	b.WriteString("${" + name + "}")
	if x.Exp != nil && x.Exp.Word != nil {
		var inner model.Word
		var ib strings.Builder
		c.parts(x.Exp.Word.Parts, &ib, &inner)
		for _, r := range inner.Refs {
			r.Fallback = true
			out.Refs = append(out.Refs, r)
		}
	}
	if x.Slice != nil || x.Repl != nil {
		out.Dynamic = true
	}
}

// lit copies literal text, turning expression placeholders back into
// references and their original `${{ }}` marker.
func (c *converter) lit(s string, b *strings.Builder, out *model.Word) {
	if c.exprs == nil || !strings.Contains(s, placeholderPrefix) {
		b.WriteString(s)
		return
	}
	for {
		i := strings.Index(s, placeholderPrefix)
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		j := i + len(placeholderPrefix)
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j < len(s) && s[j] == '_' {
			j++
		}
		key := s[i:j]
		for j < len(s) && s[j] == '_' {
			j++
		}
		if refs, ok := c.exprs[key]; ok {
			out.Refs = append(out.Refs, refs...)
			b.WriteString("${{…}}")
		} else {
			b.WriteString(s[i:j])
		}
		s = s[j:]
	}
}

func isIdent(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
