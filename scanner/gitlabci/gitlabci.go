// Package gitlabci parses GitLab CI/CD files (.gitlab-ci.yml and the files
// it includes) into the CI-neutral model.
//
// The parser works on yaml.v3 nodes, never on decoded interface values, so
// every key and script line keeps its file position. It applies what GitLab
// applies before a job runs: YAML anchors and `<<` merge keys, `extends:`
// (deep merge), `!reference` tags, `default:` inheritance and local includes
// (as a source of templates). Each job's `before_script`, `script` and
// `after_script` become one synthetic step each, whose script is parsed into
// shell commands with the file position of every word.
package gitlabci

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
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

// Include resolves a local include path (relative to the repository root, as
// written in `include: local:` or a bare string) to a file; ok=false when not
// present in the checkout. The path is passed cleaned: without a leading "/"
// or "./".
type Include func(path string) (*model.File, bool)

// ParseError is a problem found in a GitLab CI file. Its message never quotes
// file content: only a position and a reason.
type ParseError struct {
	Path    string
	Line    int
	Column  int
	Message string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Message)
}

// Limits that keep a hostile file from making the parser hang.
const (
	// maxNodes caps the nodes walked (aliases re-walk their targets) and
	// the script bytes parsed; past it the file is rejected.
	maxNodes = 1_000_000
	// maxExtendsDepth is GitLab's own nesting limit for `extends:`.
	maxExtendsDepth = 10
	// maxRefDepth is GitLab's nesting limit for `!reference`.
	maxRefDepth = 10
	// maxNesting bounds recursion into nested sequences and mappings.
	maxNesting = 64
	// maxIncludes bounds the local files read through `include:`.
	maxIncludes = 100
)

// reserved are the top-level keys that are not jobs.
var reserved = map[string]bool{
	"stages": true, "variables": true, "default": true, "include": true,
	"workflow": true, "image": true, "services": true, "cache": true,
	"before_script": true, "after_script": true, "types": true, "spec": true,
}

// sections are the script keys, in the order the runner executes them.
var sections = []string{"before_script", "script", "after_script"}

// defaultable are the `default:` keys the model carries; a job that does not
// set one inherits it (job-level replaces, never merges).
var defaultable = map[string]bool{
	"before_script": true, "after_script": true, "image": true, "id_tokens": true, "tags": true,
}

// legacyGlobal are the deprecated top-level keys that act like `default:`.
var legacyGlobal = map[string]bool{"before_script": true, "after_script": true, "image": true}

// Parse parses one GitLab CI file. include, which may be nil, reads local
// includes; their templates serve `extends:` and `!reference`, but their jobs
// are not added (the caller scans each file on its own). A YAML error or a
// top level that is not a mapping gives a nil pipeline; other problems are
// returned alongside the pipeline.
func Parse(file *model.File, include Include) (pl *model.Pipeline, errs []error) {
	p := &parser{
		include:   include,
		defs:      map[string]*def{},
		merged:    map[string]mergeResult{},
		extending: map[string]bool{},
		owner:     map[*yaml.Node]*doc{},
		seenIncl:  map[string]bool{},
		seenErr:   map[string]bool{},
		w:         yamlwalk.New(maxNodes, maxNesting),
	}
	defer func() {
		if r := recover(); r != nil {
			msg := "GitLab CI parser failed on this file"
			if _, ok := r.(yamlwalk.Budget); ok {
				msg = "document expands to too many nodes (alias bomb?); not analysed"
			}
			pl, errs = nil, []error{&ParseError{Path: file.Path, Line: 1, Column: 1, Message: msg}}
		}
	}()
	p.seenIncl[cleanPath(file.Path)] = true
	d, perr := p.load(file)
	if perr != nil {
		return nil, []error{perr}
	}
	p.main = d
	pl = p.pipeline()
	for _, e := range p.errs {
		errs = append(errs, e)
	}
	return pl, errs
}

// doc is one loaded file.
type doc struct {
	file   *model.File
	lines  *source.Lines
	starts []int // byte offset of each line start
	root   *yaml.Node
}

// def is one top-level key of the main file or of an included file.
type def struct {
	Key, Val *yaml.Node
}

type mergeResult struct {
	node *yaml.Node
	// height is the length of the longest `extends:` chain above node.
	height int
}

type parser struct {
	w         *yamlwalk.Walker
	include   Include
	main      *doc
	defs      map[string]*def
	merged    map[string]mergeResult
	extending map[string]bool
	owner     map[*yaml.Node]*doc
	seenIncl  map[string]bool
	// loaded are the local includes read, by cleaned path.
	loaded map[string]bool
	// remoteIncludes is true when the file includes something outside the
	// checkout (project:, remote:, template:, component:).
	remoteIncludes bool
	nIncl          int
	errs           []*ParseError
	seenErr        map[string]bool
	// defaults are the `default:` pairs and legacy top-level keys.
	defaults map[string]pair
}

// errorAt records a non-fatal problem at a node, in the file the node is in.
func (p *parser) errorAt(n *yaml.Node, msg string) {
	d := p.docOf(n)
	e := &ParseError{Path: d.file.Path, Message: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	key := fmt.Sprintf("%s\x00%d\x00%d\x00%s", e.Path, e.Line, e.Column, e.Message)
	if p.seenErr[key] {
		return
	}
	p.seenErr[key] = true
	p.errs = append(p.errs, e)
}

func (p *parser) docOf(n *yaml.Node) *doc {
	if d, ok := p.owner[n]; ok {
		return d
	}
	return p.main
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// yamlError turns a yaml.v3 error into a ParseError that keeps the line and
// the reason but no quoted content.
func yamlError(path string, err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
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
	return &ParseError{Path: path, Line: line, Message: "invalid YAML: " + msg}
}

// load parses a file's YAML. A CI/CD component starts with a `spec:` header
// document; the configuration is then the second document.
func (p *parser) load(file *model.File) (*doc, *ParseError) {
	dec := yaml.NewDecoder(bytes.NewReader(file.Content))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Path: file.Path, Line: 1, Message: "empty file: no GitLab CI mapping"}
		}
		return nil, yamlError(file.Path, err)
	}
	root := p.w.Resolve(&first)
	if root != nil && root.Kind == yaml.MappingNode && hasKey(root, "spec") {
		var second yaml.Node
		err := dec.Decode(&second)
		switch {
		case err == nil:
			root = p.w.Resolve(&second)
		case errors.Is(err, io.EOF):
			// a lone document with spec: keep it
		default:
			return nil, yamlError(file.Path, err)
		}
	}
	if root == nil || root.Kind != yaml.MappingNode {
		line := 1
		if root != nil && root.Line > 0 {
			line = root.Line
		}
		return nil, &ParseError{Path: file.Path, Line: line, Message: "top level is not a mapping"}
	}
	d := &doc{file: file, lines: source.NewLines(file.Content), root: root}
	d.starts = append(d.starts, 0)
	for i, c := range file.Content {
		if c == '\n' {
			d.starts = append(d.starts, i+1)
		}
	}
	// Record which file every node is in: scripts and errors need it when
	// a template comes from an included file. Content is a tree (aliases
	// are separate nodes), so this walk is linear.
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil {
			continue
		}
		p.w.Spend(1)
		p.owner[n] = d
		stack = append(stack, n.Content...)
	}
	return d, nil
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return true
		}
	}
	return false
}

// pipeline builds the model for the main file.
func (p *parser) pipeline() *model.Pipeline {
	root := p.main.root
	// Included files first, in order; the main file's keys override theirs,
	// as GitLab merges includes under the including file.
	if _, inc := p.w.Get(root, "include"); inc != nil {
		p.includes(inc)
	}
	top := p.w.Pairs(root)
	for _, kv := range top {
		p.defs[kv.Key.Value] = &def{Key: kv.Key, Val: kv.Val}
	}
	pl := &model.Pipeline{Kind: model.GitLabCI, File: p.main.file}
	if _, wf := p.w.Get(root, "workflow"); wf != nil {
		if _, name := p.w.Get(p.value(wf), "name"); name != nil {
			pl.Name = scalar(p.value(name))
		}
	}
	if _, vars := p.w.Get(root, "variables"); vars != nil {
		pl.Env = p.vars(vars, "global", "variables")
	}
	p.defaults = map[string]pair{}
	for _, kv := range top {
		if legacyGlobal[kv.Key.Value] {
			p.defaults[kv.Key.Value] = kv
		}
	}
	if _, dflt := p.w.Get(root, "default"); dflt != nil {
		for _, kv := range p.w.Pairs(p.value(dflt)) {
			if defaultable[kv.Key.Value] {
				p.defaults[kv.Key.Value] = kv
			}
		}
	}
	for _, kv := range top {
		name := kv.Key.Value
		if reserved[name] {
			continue
		}
		v := p.w.Resolve(kv.Val)
		if v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		pl.Jobs = append(pl.Jobs, p.job(name, kv.Key))
	}
	// Jobs of included files run in this pipeline too (GitLab merges them);
	// their positions stay in the file that defines them.
	var included []string
	for name, d := range p.defs {
		if reserved[name] || p.docOf(d.Key) == p.main {
			continue
		}
		if v := p.w.Resolve(d.Val); v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		included = append(included, name)
	}
	sort.Strings(included)
	for _, name := range included {
		pl.Jobs = append(pl.Jobs, p.job(name, p.defs[name].Key))
	}
	for path, ok := range p.loaded {
		if ok {
			pl.Included = append(pl.Included, path)
		}
	}
	sort.Strings(pl.Included)
	sort.SliceStable(pl.Jobs, func(i, k int) bool {
		di, dk := p.docOf(p.jobKey(pl.Jobs[i])) == p.main, p.docOf(p.jobKey(pl.Jobs[k])) == p.main
		if di != dk {
			return di // the main file's jobs first
		}
		return less(pl.Jobs[i].Pos, pl.Jobs[k].Pos)
	})
	return pl
}

// jobKey finds the key node a job was built from.
func (p *parser) jobKey(j *model.Job) *yaml.Node {
	if d, ok := p.defs[j.ID]; ok {
		return d.Key
	}
	return nil
}

func less(a, b model.Pos) bool {
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

func pos(n *yaml.Node) model.Pos {
	if n == nil {
		return model.Pos{}
	}
	return model.Pos{Line: n.Line, Col: n.Column}
}

// scalar returns a scalar's text, "" for null and for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// ---- includes ----

// includes reads the local files named by an `include:` value.
func (p *parser) includes(inc *yaml.Node) {
	inc = p.value(inc)
	if inc == nil {
		return
	}
	items := []*yaml.Node{inc}
	if inc.Kind == yaml.SequenceNode {
		items = inc.Content
	}
	for _, it := range items {
		it = p.value(it)
		if it == nil {
			continue
		}
		var local *yaml.Node
		switch it.Kind {
		case yaml.ScalarNode:
			s := scalar(it)
			if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
				p.remoteIncludes = true
				continue // remote
			}
			local = it
		case yaml.MappingNode:
			// project:/file:, remote:, template: and component: are not
			// in the checkout: nothing to read, nothing to report.
			_, local = p.w.Get(it, "local")
			local = p.value(local)
			if local == nil {
				p.remoteIncludes = true
			}
		}
		if local == nil {
			continue
		}
		p.includeLocal(local)
	}
}

func (p *parser) includeLocal(n *yaml.Node) {
	raw := scalar(n)
	if raw == "" || strings.ContainsAny(raw, "*?[") {
		return // globs are not followed
	}
	clean := cleanPath(raw)
	if clean == "" || clean == "." || strings.HasPrefix(clean, "../") || p.seenIncl[clean] || p.include == nil {
		return
	}
	p.seenIncl[clean] = true
	if p.nIncl >= maxIncludes {
		p.errorAt(n, "include: too many local includes; rest not read")
		return
	}
	p.nIncl++
	f, ok := p.include(clean)
	if !ok || f == nil {
		// Templates from it stay unknown: say so, as a coverage gap.
		p.errorAt(n, "include: local file not found in the checkout")
		return
	}
	d, perr := p.load(f)
	if perr != nil {
		p.errs = append(p.errs, perr)
		return
	}
	if p.loaded == nil {
		p.loaded = map[string]bool{}
	}
	p.loaded[clean] = true
	if _, inc := p.w.Get(d.root, "include"); inc != nil {
		p.includes(inc)
	}
	for _, kv := range p.w.Pairs(d.root) {
		p.defs[kv.Key.Value] = &def{Key: kv.Key, Val: kv.Val}
	}
}

func cleanPath(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "/")
	s = path.Clean("/" + s)
	return strings.TrimPrefix(s, "/")
}

// ---- extends and !reference ----

// mergedJob returns the mapping of a job or template with its `extends:`
// applied (templates in order, later wins, the job's own keys last; nested
// mappings are merged, everything else replaced), and the height of its
// `extends:` chain. The merged mapping keeps the original child nodes, so
// positions stay true; a node inherited from a template in an included file
// keeps that file's position.
func (p *parser) mergedJob(name string, depth int) (*yaml.Node, int, string) {
	if r, ok := p.merged[name]; ok {
		return r.node, r.height, ""
	}
	d := p.defs[name]
	if d == nil {
		if p.remoteIncludes {
			return nil, 0, "extends: template not found here; it may come from a project, remote, template or component include, which tpscan does not read"
		}
		return nil, 0, "extends: template not found in this file or its local includes"
	}
	own := p.w.Resolve(d.Val)
	if own == nil || own.Kind != yaml.MappingNode {
		return nil, 0, "extends: template is not a mapping"
	}
	if p.extending[name] {
		return nil, 0, "extends: circular reference"
	}
	if depth > maxExtendsDepth+1 {
		return nil, 0, "extends: nested deeper than 10 levels"
	}
	p.extending[name] = true
	defer delete(p.extending, name)

	ownPairs := p.w.Pairs(own)
	self := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: own.Line, Column: own.Column}
	var ext *yaml.Node
	for _, kv := range ownPairs {
		if kv.Key.Value == "extends" {
			ext = kv.Val
			continue
		}
		self.Content = append(self.Content, kv.Key, kv.Val)
	}
	var acc *yaml.Node
	height := 0
	if ext != nil {
		for _, pn := range p.strings(ext) {
			parent, h, reason := p.mergedJob(pn.Value, depth+1)
			if parent == nil {
				p.errorAt(pn, reason)
				continue
			}
			if h+1 > maxExtendsDepth {
				p.errorAt(pn, "extends: nested deeper than 10 levels")
				continue
			}
			height = max(height, h+1)
			acc = p.deepMerge(acc, parent, 0)
		}
	}
	out := self
	if acc != nil {
		out = p.deepMerge(acc, self, 0)
	}
	p.merged[name] = mergeResult{node: out, height: height}
	return out, height, ""
}

// deepMerge returns a new mapping with b's keys over a's. It never changes
// its arguments.
func (p *parser) deepMerge(a, b *yaml.Node, depth int) *yaml.Node {
	if a == nil {
		return b
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: b.Line, Column: b.Column}
	index := map[string]int{}
	for _, kv := range p.w.Pairs(a) {
		index[kv.Key.Value] = len(out.Content)
		out.Content = append(out.Content, kv.Key, kv.Val)
	}
	for _, kv := range p.w.Pairs(b) {
		i, ok := index[kv.Key.Value]
		if !ok {
			index[kv.Key.Value] = len(out.Content)
			out.Content = append(out.Content, kv.Key, kv.Val)
			continue
		}
		av, bv := p.w.Resolve(out.Content[i+1]), p.w.Resolve(kv.Val)
		if depth < maxNesting && isMapping(av) && isMapping(bv) {
			out.Content[i], out.Content[i+1] = kv.Key, p.deepMerge(av, bv, depth+1)
		} else {
			out.Content[i], out.Content[i+1] = kv.Key, kv.Val
		}
	}
	return out
}

func isMapping(n *yaml.Node) bool { return n != nil && n.Kind == yaml.MappingNode }

func isReference(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.SequenceNode && n.Tag == "!reference"
}

// value follows aliases and `!reference` tags to the node they stand for;
// nil when a reference cannot be resolved (which is recorded).
func (p *parser) value(n *yaml.Node) *yaml.Node {
	n = p.w.Resolve(n)
	for depth := 0; isReference(n); depth++ {
		if depth >= maxRefDepth {
			p.errorAt(n, "unresolved !reference: nested deeper than 10 levels")
			return nil
		}
		n = p.w.Resolve(p.reference(n, depth))
	}
	return n
}

// reference resolves `!reference [name, key, ...]` against the jobs and
// templates of this file and its local includes, with their `extends:`
// applied, as GitLab resolves tags after merging.
func (p *parser) reference(n *yaml.Node, depth int) *yaml.Node {
	var keys []string
	for _, it := range n.Content {
		it = p.w.Resolve(it)
		if it == nil || it.Kind != yaml.ScalarNode {
			p.errorAt(n, "unresolved !reference: path must be a list of names")
			return nil
		}
		keys = append(keys, it.Value)
	}
	if len(keys) == 0 {
		p.errorAt(n, "unresolved !reference: empty path")
		return nil
	}
	cur, _, _ := p.mergedJob(keys[0], 0)
	if cur == nil {
		if d := p.defs[keys[0]]; d != nil {
			cur = d.Val
		}
	}
	for _, k := range keys[1:] {
		if cur == nil {
			break
		}
		cur = p.w.Resolve(cur)
		if isReference(cur) {
			if depth+1 >= maxRefDepth {
				p.errorAt(n, "unresolved !reference: nested deeper than 10 levels")
				return nil
			}
			cur = p.w.Resolve(p.reference(cur, depth+1))
		}
		_, cur = p.w.Get(cur, k)
	}
	if cur == nil {
		p.errorAt(n, "unresolved !reference: no such job, template or key here or in local includes")
		return nil
	}
	return cur
}

// strings flattens a scalar or a (nested) sequence of scalars.
func (p *parser) strings(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	onPath := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		p.w.Spend(1)
		n = p.value(n)
		if n == nil || depth > maxNesting {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Tag != "!!null" {
				out = append(out, n)
			}
		case yaml.SequenceNode:
			if onPath[n] {
				return // a sequence that contains itself
			}
			onPath[n] = true
			for _, c := range n.Content {
				walk(c, depth+1)
			}
			delete(onPath, n)
		}
	}
	walk(n, 0)
	return out
}

// ---- jobs ----

func (p *parser) job(name string, key *yaml.Node) *model.Job {
	j := &model.Job{ID: name, Pos: pos(key), YAMLPath: name, Hidden: strings.HasPrefix(name, ".")}
	m, _, reason := p.mergedJob(name, 0)
	if m == nil {
		if reason != "" {
			p.errorAt(key, reason)
		}
		return j
	}
	fields := map[string]pair{}
	for _, kv := range p.w.Pairs(m) {
		fields[kv.Key.Value] = kv
	}
	inherits := p.inheritDefault(fields["inherit"].Val)
	field := func(k string) pair {
		if kv, ok := fields[k]; ok {
			return kv
		}
		if defaultable[k] && inherits(k) {
			return p.defaults[k]
		}
		return pair{}
	}

	if kv := field("variables"); kv.Val != nil {
		j.Env = p.vars(kv.Val, "job", name+".variables")
	}
	if kv := field("id_tokens"); kv.Val != nil {
		j.IDTokens = p.idTokens(kv.Val)
	}
	if kv := field("environment"); kv.Val != nil {
		env := p.value(kv.Val)
		if isMapping(env) {
			_, env = p.w.Get(env, "name")
			env = p.value(env)
		}
		if s := scalar(env); s != "" {
			j.Environment, j.EnvironmentPos = s, pos(env)
		}
	}
	j.Rules = p.rules(fields)
	if kv := field("image"); kv.Val != nil {
		img := p.value(kv.Val)
		if isMapping(img) {
			_, img = p.w.Get(img, "name")
			img = p.value(img)
		}
		j.Image = scalar(img)
	}
	if kv := field("tags"); kv.Val != nil {
		for _, t := range p.strings(kv.Val) {
			j.RunsOn = append(j.RunsOn, t.Value)
		}
		j.SelfHosted = selfHosted(j.RunsOn)
	}
	for _, sec := range sections {
		kv := field(sec)
		if kv.Key == nil {
			continue
		}
		items := p.scriptItems(kv.Val)
		if len(items) == 0 {
			continue // `before_script: []` switches the default off
		}
		j.Steps = append(j.Steps, &model.Step{
			Index:    len(j.Steps),
			Name:     sec,
			Pos:      pos(kv.Key),
			YAMLPath: name + "." + sec,
			Run:      p.script(items),
		})
	}
	return j
}

// selfHosted is deliberately conservative: GitLab tags always select
// specific runners, but only these names say the runner is the project's own.
func selfHosted(tags []string) bool {
	for _, t := range tags {
		t = strings.ToLower(t)
		if strings.Contains(t, "self-hosted") || strings.Contains(t, "shell") {
			return true
		}
	}
	return false
}

// inheritDefault reads `inherit: default:` (true, false or a list of keys).
func (p *parser) inheritDefault(inh *yaml.Node) func(string) bool {
	all := func(string) bool { return true }
	inh = p.value(inh)
	if !isMapping(inh) {
		return all
	}
	_, d := p.w.Get(inh, "default")
	d = p.value(d)
	switch {
	case d == nil:
		return all
	case d.Kind == yaml.ScalarNode:
		if strings.EqualFold(d.Value, "false") {
			return func(string) bool { return false }
		}
		return all
	case d.Kind == yaml.SequenceNode:
		keep := map[string]bool{}
		for _, s := range p.strings(d) {
			keep[s.Value] = true
		}
		return func(k string) bool { return keep[k] }
	}
	return all
}

// vars converts a `variables:` mapping. A value is a scalar or a mapping
// with `value:` (and `description:`, `expand:`); `expand: false` makes the
// value raw, so it references nothing.
func (p *parser) vars(n *yaml.Node, level, prefix string) []*model.Var {
	n = p.value(n)
	var out []*model.Var
	for _, kv := range p.w.Pairs(n) {
		v := p.value(kv.Val)
		expand := true
		if isMapping(v) {
			if _, e := p.w.Get(v, "expand"); e != nil && strings.EqualFold(scalar(p.value(e)), "false") {
				expand = false
			}
			_, v = p.w.Get(v, "value")
			v = p.value(v)
		}
		val := model.Value{Raw: scalar(v), Pos: pos(v)}
		if expand {
			val.Refs = expr.VarRefs(val.Raw)
		}
		mv := &model.Var{
			Name: kv.Key.Value, Value: val, Pos: pos(kv.Key), Level: level,
			YAMLPath: prefix + "." + kv.Key.Value,
		}
		if d := p.docOf(kv.Key); d != p.main && d != nil {
			mv.Path = d.file.Path
		}
		out = append(out, mv)
	}
	sort.SliceStable(out, func(i, k int) bool { return less(out[i].Pos, out[k].Pos) })
	return out
}

func (p *parser) idTokens(n *yaml.Node) []model.IDToken {
	var out []model.IDToken
	for _, kv := range p.w.Pairs(p.value(n)) {
		t := model.IDToken{Name: kv.Key.Value, Pos: pos(kv.Key)}
		if _, aud := p.w.Get(p.value(kv.Val), "aud"); aud != nil {
			for _, a := range p.strings(aud) {
				t.Audience = append(t.Audience, a.Value)
			}
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, k int) bool { return less(out[i].Pos, out[k].Pos) })
	return out
}

// rules flattens a job's conditions into strings: each `rules:` `if:` as
// written (a `rules:` given as one string, such as a component input, as
// written too), then `only:`/`except:` entries as "only:REF",
// "except:REF", "only:variables:EXPR" and "except:variables:EXPR".
func (p *parser) rules(fields map[string]pair) []string {
	var out []string
	if kv, ok := fields["rules"]; ok {
		onPath := map[*yaml.Node]bool{}
		var walk func(n *yaml.Node, depth int)
		walk = func(n *yaml.Node, depth int) {
			p.w.Spend(1)
			n = p.value(n)
			if n == nil || depth > maxNesting {
				return
			}
			switch n.Kind {
			case yaml.ScalarNode:
				if s := scalar(n); s != "" && depth == 0 {
					out = append(out, s)
				}
			case yaml.SequenceNode:
				if onPath[n] {
					return
				}
				onPath[n] = true
				for _, c := range n.Content {
					walk(c, depth+1)
				}
				delete(onPath, n)
			case yaml.MappingNode:
				if _, cond := p.w.Get(n, "if"); cond != nil {
					if s := scalar(p.value(cond)); s != "" {
						out = append(out, s)
					}
				}
			}
		}
		walk(kv.Val, 0)
	}
	for _, which := range []string{"only", "except"} {
		kv, ok := fields[which]
		if !ok {
			continue
		}
		n := p.value(kv.Val)
		if isMapping(n) {
			if _, refs := p.w.Get(n, "refs"); refs != nil {
				for _, s := range p.strings(refs) {
					out = append(out, which+":"+s.Value)
				}
			}
			if _, vs := p.w.Get(n, "variables"); vs != nil {
				for _, s := range p.strings(vs) {
					out = append(out, which+":variables:"+s.Value)
				}
			}
			continue
		}
		for _, s := range p.strings(n) {
			out = append(out, which+":"+s.Value)
		}
	}
	return out
}

// ---- scripts ----

// scriptItems flattens a script section: a string, or a sequence whose
// items are strings, nested sequences or `!reference` tags.
func (p *parser) scriptItems(n *yaml.Node) []*yaml.Node { return p.strings(n) }

// script parses each item on its own and concatenates the commands: GitLab
// runs all items of a section in one shell, so later items see earlier
// assignments.
func (p *parser) script(items []*yaml.Node) *model.Script {
	// Charge the whole section before parsing any of it: shell parsing is
	// the costly part, and aliases can repeat one item many times.
	cost := 0
	for _, it := range items {
		cost += scriptCost(it.Value)
	}
	p.w.Spend(cost)
	sc := &model.Script{}
	texts := make([]string, 0, len(items))
	for i, it := range items {
		one := p.parseItem(it)
		if i == 0 {
			sc.Pos = one.Pos
		}
		texts = append(texts, it.Value)
		sc.Commands = append(sc.Commands, one.Commands...)
		if sc.ParseError == "" && one.ParseError != "" {
			sc.ParseError = one.ParseError
		}
	}
	sc.Text = strings.Join(texts, "\n")
	return sc
}

// scriptCost is what parsing a script item counts against maxNodes: about
// 125,000 small items or 4 MB of script text per file.
func scriptCost(text string) int { return 8 + len(text)/4 }

// parseItem parses one script item with the file position of every word.
// Positions are those of the file the item is written in: an item inherited
// from a template in an included file points into that file.
func (p *parser) parseItem(it *yaml.Node) *model.Script {
	d := p.docOf(it)
	text := it.Value
	masked, restore := maskInputs(text)
	vp := d.valuePos(it)
	if it.Style&yaml.LiteralStyle == 0 {
		// Plain, quoted and folded scalars may fold several file lines
		// into one line of text: map every byte back to the file.
		if offs := d.offsets(vp, it.Style, text); offs != nil {
			sc := shell.Parse(shell.Input{Text: masked})
			fixCommands(sc.Commands, textRemap(masked, offs), restore)
			sc.Text, sc.Pos = text, offs[0]
			p.markPath(d, sc)
			return sc
		}
	}
	sc := shell.Parse(shell.Input{Text: masked, Lines: d.lines.ScriptLines(vp, text)})
	fixCommands(sc.Commands, nil, restore)
	sc.Text = text
	p.markPath(d, sc)
	return sc
}

// markPath records that the commands of an item inherited from an included
// file are written there, so findings point into the right file.
func (p *parser) markPath(d *doc, sc *model.Script) {
	if d == p.main || d == nil {
		return
	}
	for _, c := range sc.Commands {
		c.Path = d.file.Path
	}
}

// valuePos is where a scalar's text (or its block indicator, or opening
// quote) starts, as a byte column: yaml.v3 puts an anchored or tagged node
// at its `&anchor`/`!tag`, and counts columns in characters.
func (d *doc) valuePos(n *yaml.Node) model.Pos {
	ln := n.Line
	line := d.lines.Line(ln)
	idx := byteIndex(line, n.Column-1)
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
		if (idx < len(line) && line[idx] != '#') || ln >= d.lines.Count() {
			break
		}
		// the properties stood alone on their line: the text is below
		ln++
		line = d.lines.Line(ln)
		idx = len(line) - len(strings.TrimLeft(line, " \t"))
	}
	return model.Pos{Line: ln, Col: idx + 1}
}

// byteIndex converts a 0-based character column to a byte index in line.
func byteIndex(line string, col int) int {
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

func (d *doc) posOf(off int) model.Pos {
	i := sort.Search(len(d.starts), func(k int) bool { return d.starts[k] > off }) - 1
	if i < 0 {
		i = 0
	}
	return model.Pos{Line: i + 1, Col: off - d.starts[i] + 1}
}

// offsets maps every byte of a plain, quoted or folded scalar's value to its
// file position, by walking value and source together: non-blank bytes must
// match one for one, source blanks and line breaks may be folded away. It
// returns nil when the two cannot be matched (escape sequences in a
// double-quoted scalar), and the caller falls back to line starts.
func (d *doc) offsets(vp model.Pos, style yaml.Style, v string) []model.Pos {
	src := d.file.Content
	start := d.lines.Offset(vp)
	switch {
	case style&yaml.FoldedStyle != 0:
		k := bytes.IndexByte(src[start:], '\n')
		if k < 0 {
			return nil
		}
		start += k + 1
	case style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		if start >= len(src) || (src[start] != '"' && src[start] != '\'') {
			return nil
		}
		start++
	}
	single := style&yaml.SingleQuotedStyle != 0
	offs := make([]model.Pos, len(v)+1)
	limit := start + 4*len(v) + 4096
	i, j := 0, start
	for i < len(v) {
		if j >= len(src) || j > limit {
			return nil
		}
		c := src[j]
		switch {
		case v[i] == c:
			if single && c == '\'' {
				if j+1 >= len(src) || src[j+1] != '\'' {
					return nil // the closing quote came early
				}
				offs[i] = d.posOf(j)
				i, j = i+1, j+2
				continue
			}
			offs[i] = d.posOf(j)
			i, j = i+1, j+1
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			j++
		case v[i] == ' ' || v[i] == '\t' || v[i] == '\n':
			offs[i] = d.posOf(j) // a folded line break
			i++
		default:
			return nil
		}
	}
	offs[len(v)] = d.posOf(min(j, len(src)))
	return offs
}

// textRemap converts the (line, column) positions shell.Parse gives for a
// text without a line table into file positions through offs.
func textRemap(text string, offs []model.Pos) func(model.Pos) model.Pos {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return func(p model.Pos) model.Pos {
		if p.Line < 1 {
			return p
		}
		off := starts[min(p.Line, len(starts))-1] + max(p.Col-1, 0)
		return offs[min(off, len(offs)-1)]
	}
}

// fixCommands rewrites positions (remap) and component-input placeholders
// (restore) in parsed commands; either may be nil.
func fixCommands(cmds []*model.Command, remap func(model.Pos) model.Pos, restore func(string) string) {
	if remap == nil && restore == nil {
		return
	}
	seen := map[*model.Word]bool{}
	fixPos := func(p *model.Pos) {
		if remap != nil {
			*p = remap(*p)
		}
	}
	fixWord := func(w *model.Word) {
		if w == nil || seen[w] {
			return
		}
		seen[w] = true
		fixPos(&w.Pos)
		if restore != nil {
			w.Lit = restore(w.Lit)
		}
	}
	for _, c := range cmds {
		fixPos(&c.Pos)
		fixPos(&c.End)
		for i := range c.Args {
			fixWord(&c.Args[i])
		}
		for i := range c.Assigns {
			fixPos(&c.Assigns[i].Pos)
			fixWord(&c.Assigns[i].Value)
		}
		for i := range c.Redirects {
			fixWord(&c.Redirects[i].Target)
			fixWord(c.Redirects[i].Body)
		}
		fixWord(c.Stdin)
	}
}

// maskInputs hides CI/CD component inputs (`$[[ inputs.x ]]`, replaced
// before the job runs) from the shell parser, which would read `$[` as
// arithmetic, behind same-length placeholders; restore puts the text back
// into words. Inputs stay literal text with no references.
func maskInputs(s string) (string, func(string) string) {
	if !strings.Contains(s, "$[[") {
		return s, nil
	}
	var b strings.Builder
	var phs, origs []string
	i := 0
	for {
		k := strings.Index(s[i:], "$[[")
		if k < 0 {
			break
		}
		start := i + k
		end := strings.Index(s[start:], "]]")
		nl := strings.IndexByte(s[start:], '\n')
		if end < 0 || (nl >= 0 && nl < end) {
			b.WriteString(s[i : start+3])
			i = start + 3
			continue
		}
		end += start + 2
		orig := s[start:end]
		ph := "_I" + strconv.Itoa(len(phs)) + "_"
		if len(ph) > len(orig) {
			b.WriteString(s[i:end])
			i = end
			continue
		}
		ph += strings.Repeat("_", len(orig)-len(ph))
		b.WriteString(s[i:start])
		b.WriteString(ph)
		phs, origs = append(phs, ph), append(origs, orig)
		i = end
	}
	b.WriteString(s[i:])
	if len(phs) == 0 {
		return s, nil
	}
	return b.String(), func(lit string) string {
		if !strings.Contains(lit, "_I") {
			return lit
		}
		for k := len(phs) - 1; k >= 0; k-- {
			lit = strings.ReplaceAll(lit, phs[k], origs[k])
		}
		return lit
	}
}

// ---- YAML node walking ----

// pair is one entry of a mapping, as the shared walker returns it.
type pair = yamlwalk.Pair

// ---- sniffing ----

// Looks reports whether content looks like a GitLab CI file: top-level
// `stages:`, `include:`, `default:` or `workflow:` keys, or a top-level
// mapping with a script key. GitHub workflows (`on:` + `jobs:`), composite
// actions (`runs:`) and other CI systems (`jobs:`, `steps:`, `pool:`,
// `trigger:`) say no.
func Looks(content []byte) bool {
	keys, scripted := topLevel(content)
	if keys["runs"] || keys["jobs"] || keys["steps"] || keys["pool"] || keys["trigger"] {
		return false
	}
	if keys["stages"] || keys["include"] || keys["default"] || keys["workflow"] {
		return true
	}
	return scripted
}

// topLevel returns the top-level keys of a YAML file and whether a top-level
// key has a script key directly inside, reading lines only.
func topLevel(content []byte) (map[string]bool, bool) {
	keys := map[string]bool{}
	scripted := false
	childIndent := -1
	for len(content) > 0 {
		var line []byte
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			line, content = content, nil
		}
		line = bytes.TrimRight(line, " \t\r")
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		t := bytes.TrimLeft(line, " \t")
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		indent := len(line) - len(t)
		if indent == 0 {
			childIndent = -1
			if k := keyOf(t); k != "" {
				keys[k] = true
			}
			continue
		}
		if childIndent < 0 {
			childIndent = indent
		}
		if indent == childIndent && t[0] != '-' {
			switch keyOf(t) {
			case "script", "before_script", "after_script", "extends":
				scripted = true
			}
		}
	}
	return keys, scripted
}

// keyOf returns the key of a `key:` line, unquoted, or "".
func keyOf(t []byte) string {
	if t[0] == '-' || t[0] == '%' || t[0] == '{' || t[0] == '[' || t[0] == '?' {
		return ""
	}
	s := string(t)
	end := -1
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			end = i
			break
		}
	}
	if end <= 0 {
		return ""
	}
	k := strings.TrimSpace(s[:end])
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
		k = k[1 : len(k)-1]
	}
	return k
}
