package actions

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/scanner/expr"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
	"github.com/tpscan/tpscan/scanner/source"
	"github.com/tpscan/tpscan/scanner/yamlwalk"
)

// compositeMaxNodes caps the nodes walked in an action file (aliases re-walk
// their targets), so that an alias bomb ends in an error, not a hang.
const compositeMaxNodes = 1_000_000

// compositeMaxNesting bounds alias chains and merge recursion.
const compositeMaxNesting = 64

// ParseComposite parses an action.yml / action.yaml. A composite action
// (`runs.using: composite`) gives one synthetic job "(action)" whose steps
// are `runs.steps`; a JavaScript or Docker action gives a pipeline with no
// jobs, as it has no steps to analyse. The error never quotes file content.
func ParseComposite(file *model.File) (p *model.Pipeline, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := "composite action parser failed on this file"
			if _, ok := r.(yamlwalk.Budget); ok {
				msg = "document expands to too many nodes (alias bomb?); not analysed"
			}
			p, err = nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: msg}
		}
	}()
	var d yaml.Node
	if e := yaml.Unmarshal(file.Content, &d); e != nil {
		return nil, compositeYAMLError(file.Path, e)
	}
	c := &composite{lines: source.NewLines(file.Content), Walker: yamlwalk.New(compositeMaxNodes, compositeMaxNesting)}
	root := c.Resolve(&d)
	if root == nil || root.Kind == 0 || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "empty file: not an action"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ParseError{Path: file.Path, Line: root.Line, Column: root.Column, Message: "top level is not a mapping"}
	}
	out := &model.Pipeline{Kind: model.GitHubComposite, File: file}
	var runsKey, runs *yaml.Node
	for _, kv := range c.Pairs(root) {
		switch kv.Key.Value {
		case "name":
			out.Name = yscalar(c.Resolve(kv.Val))
		case "inputs":
			ins := c.Pairs(kv.Val)
			sort.SliceStable(ins, func(i, k int) bool {
				a, b := ypos(ins[i].Key), ypos(ins[k].Key)
				return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
			})
			for _, in := range ins {
				out.Inputs = append(out.Inputs, in.Key.Value)
			}
		case "runs":
			runsKey, runs = kv.Key, c.Resolve(kv.Val)
		}
	}
	if runsKey == nil {
		return nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "no runs: key: not an action"}
	}
	_, using := c.Get(runs, "using")
	if !strings.EqualFold(strings.TrimSpace(yscalar(c.Resolve(using))), "composite") {
		return out, nil // JavaScript and Docker actions have no steps
	}
	job := &model.Job{ID: "(action)", YAMLPath: "runs", Pos: ypos(runsKey)}
	_, steps := c.Get(runs, "steps")
	if steps = c.Resolve(steps); steps != nil && steps.Kind == yaml.SequenceNode {
		for i, it := range steps.Content {
			m := c.Resolve(it)
			if m == nil || m.Kind != yaml.MappingNode {
				continue
			}
			job.Steps = append(job.Steps, c.step(it, m, i))
		}
	}
	out.Jobs = []*model.Job{job}
	return out, nil
}

// LooksLikeAction reports whether content has a top-level `runs:` key, as
// every action metadata file does.
func LooksLikeAction(content []byte) bool {
	for len(content) > 0 {
		var line []byte
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			line, content = content, nil
		}
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		line = bytes.TrimRight(line, " \t\r")
		for _, k := range []string{"runs", `"runs"`, "'runs'"} {
			if rest, ok := bytes.CutPrefix(line, []byte(k)); ok {
				rest = bytes.TrimLeft(rest, " \t")
				if len(rest) > 0 && rest[0] == ':' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t') {
					return true
				}
			}
		}
	}
	return false
}

var compositeYAMLLine = regexp.MustCompile(`^line (\d+): `)

func compositeYAMLError(path string, err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := compositeYAMLLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			line = n
		}
		msg = msg[len(m[0]):]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = source.SafeMessage(msg)
	if len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	return &ParseError{Path: path, Line: line, Column: 1, Message: "invalid YAML: " + msg}
}

// composite reads an action file's nodes with aliases and `<<` merges
// applied, through the shared walker.
type composite struct {
	lines *source.Lines
	*yamlwalk.Walker
}

func ypos(n *yaml.Node) model.Pos {
	if n == nil {
		return model.Pos{}
	}
	return model.Pos{Line: n.Line, Col: n.Column}
}

func yscalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// step converts one `runs.steps` item (item is the node as written, m the
// mapping it stands for).
func (c *composite) step(item, m *yaml.Node, i int) *model.Step {
	path := fmt.Sprintf("runs.steps[%d]", i)
	out := &model.Step{Index: i, Pos: ypos(item), YAMLPath: path}
	var run *yaml.Node
	shellName := ""
	for _, kv := range c.Pairs(m) {
		v := c.Resolve(kv.Val)
		switch kv.Key.Value {
		case "id":
			out.ID = yscalar(v)
		case "name":
			out.Name = yscalar(v)
		case "if":
			out.If = yscalar(v)
		case "uses":
			out.Uses, out.UsesPos = yscalar(v), ypos(v)
		case "with":
			out.With = c.vars(v, "input", path+".with")
		case "env":
			out.Env = c.vars(v, "step", path+".env")
		case "run":
			run = v
		case "shell":
			shellName = yscalar(v)
		}
	}
	if run != nil && run.Kind == yaml.ScalarNode {
		text := yscalar(run)
		c.Spend(8 + len(text)/4) // shell parsing is the costly part
		// Deferred like the workflow parser's scripts: shell.Ensure parses
		// it when a rule needs the commands.
		sc := shell.Deferred(shell.Input{Text: text, Lines: c.lines.ScriptLines(c.valuePos(run), text), Expressions: true})
		sc.Shell = shellName
		out.Run = sc
	}
	return out
}

// vars converts a `with:` or `env:` mapping, sorted by position; an
// expression in place of the mapping (`env: ${{ fromJSON(...) }}`) gives one
// nameless entry carrying its references.
func (c *composite) vars(n *yaml.Node, level, path string) []*model.Var {
	n = c.Resolve(n)
	if n == nil {
		return nil
	}
	var out []*model.Var
	if n.Kind == yaml.ScalarNode {
		if s := yscalar(n); s != "" {
			out = append(out, &model.Var{Value: model.Value{Raw: s, Pos: ypos(n), Refs: expr.TemplateRefs(s)}, Pos: ypos(n), Level: level, YAMLPath: path})
		}
		return out
	}
	for _, kv := range c.Pairs(n) {
		v := c.Resolve(kv.Val)
		raw := yscalar(v)
		out = append(out, &model.Var{
			Name: kv.Key.Value, Value: model.Value{Raw: raw, Pos: ypos(v), Refs: expr.TemplateRefs(raw)},
			Pos: ypos(kv.Key), Level: level, YAMLPath: path + "." + kv.Key.Value,
		})
	}
	sortVars(out)
	return out
}

// valuePos is where a scalar's text or block indicator starts: yaml.v3 puts
// an anchored or tagged node at its `&anchor`/`!tag`.
func (c *composite) valuePos(n *yaml.Node) model.Pos {
	ln := n.Line
	line := c.lines.Line(ln)
	idx := compositeByteIndex(line, n.Column-1)
	if n.Anchor == "" && n.Style&yaml.TaggedStyle == 0 {
		return model.Pos{Line: ln, Col: idx + 1}
	}
	for guard := 0; guard < 8; guard++ {
		for idx < len(line) && (line[idx] == '&' || line[idx] == '!') {
			for idx < len(line) && line[idx] != ' ' && line[idx] != '\t' {
				idx++
			}
			for idx < len(line) && (line[idx] == ' ' || line[idx] == '\t') {
				idx++
			}
		}
		if (idx < len(line) && line[idx] != '#') || ln >= c.lines.Count() {
			break
		}
		ln++
		line = c.lines.Line(ln)
		idx = len(line) - len(strings.TrimLeft(line, " \t"))
	}
	return model.Pos{Line: ln, Col: idx + 1}
}

func compositeByteIndex(line string, col int) int {
	if col <= 0 {
		return 0
	}
	n := 0
	for i := range line {
		if n == col {
			return i
		}
		n++
	}
	return len(line)
}
