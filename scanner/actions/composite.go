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
)

// compositeMaxNodes caps the nodes walked in an action file (aliases re-walk
// their targets), so that an alias bomb ends in an error, not a hang.
const compositeMaxNodes = 1_000_000

// compositeMaxNesting bounds alias chains and merge recursion.
const compositeMaxNesting = 64

type compositeBudget struct{}

// ParseComposite parses an action.yml / action.yaml. A composite action
// (`runs.using: composite`) gives one synthetic job "(action)" whose steps
// are `runs.steps`; a JavaScript or Docker action gives a pipeline with no
// jobs, as it has no steps to analyse. The error never quotes file content.
func ParseComposite(file *model.File) (p *model.Pipeline, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := "composite action parser failed on this file"
			if _, ok := r.(compositeBudget); ok {
				msg = "document expands to too many nodes (alias bomb?); not analysed"
			}
			p, err = nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: msg}
		}
	}()
	var d yaml.Node
	if e := yaml.Unmarshal(file.Content, &d); e != nil {
		return nil, compositeYAMLError(file.Path, e)
	}
	c := &composite{
		lines: source.NewLines(file.Content),
		memo:  map[*yaml.Node][]ypair{},
		busy:  map[*yaml.Node]bool{},
	}
	root := c.resolve(&d)
	if root == nil || root.Kind == 0 || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "empty file: not an action"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ParseError{Path: file.Path, Line: root.Line, Column: root.Column, Message: "top level is not a mapping"}
	}
	out := &model.Pipeline{Kind: model.GitHubComposite, File: file}
	var runsKey, runs *yaml.Node
	for _, kv := range c.pairs(root) {
		switch kv.key.Value {
		case "name":
			out.Name = yscalar(c.resolve(kv.val))
		case "inputs":
			ins := c.pairs(kv.val)
			sort.SliceStable(ins, func(i, k int) bool {
				a, b := ypos(ins[i].key), ypos(ins[k].key)
				return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
			})
			for _, in := range ins {
				out.Inputs = append(out.Inputs, in.key.Value)
			}
		case "runs":
			runsKey, runs = kv.key, c.resolve(kv.val)
		}
	}
	if runsKey == nil {
		return nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "no runs: key: not an action"}
	}
	_, using := c.get(runs, "using")
	if !strings.EqualFold(strings.TrimSpace(yscalar(c.resolve(using))), "composite") {
		return out, nil // JavaScript and Docker actions have no steps
	}
	job := &model.Job{ID: "(action)", YAMLPath: "runs", Pos: ypos(runsKey)}
	_, steps := c.get(runs, "steps")
	if steps = c.resolve(steps); steps != nil && steps.Kind == yaml.SequenceNode {
		for i, it := range steps.Content {
			m := c.resolve(it)
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
// applied.
type composite struct {
	lines *source.Lines
	spent int
	memo  map[*yaml.Node][]ypair
	busy  map[*yaml.Node]bool
}

type ypair struct{ key, val *yaml.Node }

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

func (c *composite) spend(n int) {
	c.spent += n
	if c.spent > compositeMaxNodes {
		panic(compositeBudget{})
	}
}

func (c *composite) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil; i++ {
		if i > compositeMaxNesting {
			return nil
		}
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// pairs returns a mapping's entries with `<<` merges applied; explicit keys
// win, the last duplicate wins, the first merged mapping to set a key wins.
func (c *composite) pairs(n *yaml.Node) []ypair {
	n = c.resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	if ps, ok := c.memo[n]; ok {
		return ps
	}
	if c.busy[n] {
		return nil
	}
	c.busy[n] = true
	defer delete(c.busy, n)
	c.spend(len(n.Content)/2 + 1)
	var explicit, merged []ypair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			src := c.resolve(v)
			if src == nil {
				continue
			}
			switch src.Kind {
			case yaml.MappingNode:
				merged = append(merged, c.pairs(src)...)
			case yaml.SequenceNode:
				for _, it := range src.Content {
					merged = append(merged, c.pairs(it)...)
				}
			}
			continue
		}
		k = c.resolve(k)
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		explicit = append(explicit, ypair{key: k, val: v})
	}
	out := make([]ypair, 0, len(explicit)+len(merged))
	seen := make(map[string]int, len(explicit)+len(merged))
	for _, kv := range explicit {
		if i, ok := seen[kv.key.Value]; ok {
			out[i] = kv
			continue
		}
		seen[kv.key.Value] = len(out)
		out = append(out, kv)
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key.Value]; ok {
			continue
		}
		seen[kv.key.Value] = len(out)
		out = append(out, kv)
	}
	c.memo[n] = out
	return out
}

func (c *composite) get(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for _, kv := range c.pairs(n) {
		if kv.key.Value == key {
			return kv.key, kv.val
		}
	}
	return nil, nil
}

// step converts one `runs.steps` item (item is the node as written, m the
// mapping it stands for).
func (c *composite) step(item, m *yaml.Node, i int) *model.Step {
	path := fmt.Sprintf("runs.steps[%d]", i)
	out := &model.Step{Index: i, Pos: ypos(item), YAMLPath: path}
	var run *yaml.Node
	shellName := ""
	for _, kv := range c.pairs(m) {
		v := c.resolve(kv.val)
		switch kv.key.Value {
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
		c.spend(8 + len(text)/4) // shell parsing is the costly part
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
	n = c.resolve(n)
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
	for _, kv := range c.pairs(n) {
		v := c.resolve(kv.val)
		raw := yscalar(v)
		out = append(out, &model.Var{
			Name: kv.key.Value, Value: model.Value{Raw: raw, Pos: ypos(v), Refs: expr.TemplateRefs(raw)},
			Pos: ypos(kv.key), Level: level, YAMLPath: path + "." + kv.key.Value,
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
