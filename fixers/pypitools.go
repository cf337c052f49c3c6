package fixers

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// PyPI clients other than twine and uv, and third-party PyPI actions
// (reference §2.5, §2.7, §2.8, §2.9), on GitHub Actions:
//
//   - poetry, flit, hatch and rye cannot exchange an OIDC token. Their
//     publish command, when it stands alone on the last line of its run:
//     script, becomes `<tool> build` (poetry --build, flit) or goes (poetry,
//     hatch and rye upload what is already in dist/), and
//     pypa/gh-action-pypi-publish uploads dist/ in a new step right after,
//     with repository-url for TestPyPI. The credential goes with it: the
//     `poetry config pypi-token.*` / `http-basic.*` line, the POETRY_*,
//     FLIT_*, HATCH_INDEX_* variables, and the variable the command line
//     read the token from.
//   - JRubics/poetry-publish becomes a poetry build on the runner followed
//     by the action; casperdcl/deploy-pypi@v2 keeps building (upload: false)
//     and the action uploads.
//   - pdm (2.6.0+) and maturin (0.15.0+) exchange the token themselves once
//     no stored credential is set: only the credential goes.
//
// The action is a container action: it runs only on Linux runners
// (ubuntu-*), and is reported to fail inside a job container.
// GitLab is left to the manual steps.

const (
	// pypitoolAction is the official action at the pin the reference
	// recommends (release/v1, the form PyPI's documentation uses).
	pypitoolAction = "pypa/gh-action-pypi-publish@release/v1"
	// pypitoolTestPyPI is TestPyPI's upload URL (§2.9).
	pypitoolTestPyPI = "https://test.pypi.org/legacy/"
)

// fixPyPITool fixes PyPI tools without trusted publishing (poetry, flit,
// hatch, rye), pdm and maturin-action, and the PyPI actions tpscan knows.
func fixPyPITool(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if !strings.HasPrefix(f.Path, ".github/workflows/") {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " outside GitHub Actions yet: follow the manual steps"}
	}
	fx := map[string]fixer{
		"poetry-publish": pypitoolCommand, "flit-publish": pypitoolCommand, "hatch-publish": pypitoolCommand, "rye-publish": pypitoolCommand,
		"pdm-publish": pypitoolPDM, "maturin-action": pypitoolMaturin, "poetry-publish-action": pypitoolJRubics, "deploy-pypi-action": pypitoolDeployPyPI,
	}[f.Method]
	if fx == nil {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + ": replace the action by pypa/gh-action-pypi-publish by hand (tpscan does not know what it builds or where it uploads)"}
	}
	edits, err := fx(d, f, notes)
	if err != nil {
		return nil, err
	}
	return keepNoFinalNewline(d, edits), nil
}

// ---- jobs and runners ----

func pypitoolJob(d *doc, f *rules.Finding) (string, *yaml.Node, error) {
	job := jobOf(f.YAMLPath)
	if job == "" {
		job = f.Job
	}
	_, jv := child(mustChild(d.root, "jobs"), job)
	if jv == nil || jv.Kind != yaml.MappingNode || jv.Style&yaml.FlowStyle != 0 {
		return "", nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job + " is not a block mapping"}
	}
	return job, jv, nil
}

// pypitoolLinux refuses a job pypa/gh-action-pypi-publish cannot run in:
// it is a container action (Linux runners only), reported to fail inside a
// job container (§2.5a, §2.7 items 6 and 7).
func pypitoolLinux(job string, jv *yaml.Node) error {
	_, ro := child(jv, "runs-on")
	var labels []string
	switch {
	case ro == nil:
	case ro.Kind == yaml.ScalarNode:
		labels = []string{ro.Value}
	case ro.Kind == yaml.SequenceNode:
		for _, c := range ro.Content {
			if c.Kind == yaml.ScalarNode {
				labels = append(labels, c.Value)
			}
		}
	}
	linux := false
	for _, l := range labels {
		if strings.HasPrefix(l, "ubuntu-") && !strings.Contains(l, "${{") {
			linux = true
		}
	}
	if !linux {
		on := "a runner tpscan cannot tell is Linux"
		if len(labels) > 0 {
			on = strings.Join(labels, ", ")
		}
		return &Refusal{Reason: ReasonNoFixer, Detail: fmt.Sprintf("job %s runs on %s: pypa/gh-action-pypi-publish is a container action that runs only on Linux (ubuntu-*) runners; publish from an ubuntu-* job by hand", job, on)}
	}
	if _, c := child(jv, "container"); c != nil {
		return &Refusal{Reason: ReasonNoFixer, Detail: "job " + job + " runs in a container: pypa/gh-action-pypi-publish is reported to fail inside a job container; publish from a job without one by hand"}
	}
	return nil
}

// pypitoolStepsOf returns the block steps of a job.
func pypitoolStepsOf(jv *yaml.Node) []*yaml.Node {
	_, seq := child(jv, "steps")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	return seq.Content
}

// pypitoolLabel says whether step i is the one a finding names (its id,
// name or uses, or #i).
func pypitoolLabel(st *yaml.Node, i int, label string) bool {
	for _, k := range []string{"id", "name", "uses"} {
		if _, v := child(st, k); v != nil && v.Kind == yaml.ScalarNode {
			return v.Value == label
		}
	}
	return label == fmt.Sprintf("#%d", i)
}

// ---- run: scripts, one command per line ----

// ptWord is one shell word of a command line.
type ptWord struct {
	raw, val   string // as written; unquoted (expressions kept)
	start, end int    // byte offsets in the line
}

// pypitoolWords splits one command line into words. ok is false when the
// line is more than one simple command: ; & | < > ( ) ` $( or a trailing
// backslash outside quotes and ${{ }}, or an unclosed quote.
func pypitoolWords(s string) ([]ptWord, bool) {
	var words []ptWord
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] == '#' {
			return words, true
		}
		start := i
		var val strings.Builder
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			c := s[i]
			switch {
			case strings.HasPrefix(s[i:], "${{"):
				j := strings.Index(s[i:], "}}")
				if j < 0 {
					return nil, false
				}
				val.WriteString(s[i : i+j+2])
				i += j + 2
			case c == '\'':
				j := strings.IndexByte(s[i+1:], '\'')
				if j < 0 {
					return nil, false
				}
				val.WriteString(s[i+1 : i+1+j])
				i += j + 2
			case c == '"':
				j := i + 1
				for ; j < len(s) && s[j] != '"'; j++ {
					switch {
					case s[j] == '\\' && j+1 < len(s):
						j++
						val.WriteByte(s[j])
						continue
					case s[j] == '`' || strings.HasPrefix(s[j:], "$("):
						return nil, false
					}
					val.WriteByte(s[j])
				}
				if j >= len(s) {
					return nil, false
				}
				i = j + 1
			case c == '\\':
				if i+1 >= len(s) {
					return nil, false
				}
				val.WriteByte(s[i+1])
				i += 2
			case strings.IndexByte(";&|<>()`", c) >= 0, c == '$' && i+1 < len(s) && s[i+1] == '(':
				return nil, false
			default:
				val.WriteByte(c)
				i++
			}
		}
		words = append(words, ptWord{raw: s[start:i], val: val.String(), start: start, end: i})
	}
}

// ptCmd is one command line of a run: script.
type ptCmd struct {
	line  int    // 1-based line in the file
	text  string // the line without its end of line (inline: the value)
	words []ptWord
	ok    bool // one simple command
}

// ptScript is a step's run: script.
type ptScript struct {
	path           string // jobs.<job>.steps[i]
	index          int
	step           *yaml.Node
	runKey, runVal *yaml.Node
	inline         bool // run: on one line; else a literal block
	cmds           []ptCmd
	// simple: no heredoc, no control structure, no quote spanning lines:
	// a command line can be edited on its own.
	simple bool
}

var (
	ptVarRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
)

// pypitoolScript reads a step's run: script, or nil when it is not a
// literal block or a one-line scalar (a folded block joins lines).
func pypitoolScript(d *doc, job string, i int, st *yaml.Node) *ptScript {
	if st == nil || st.Kind != yaml.MappingNode || st.Style&yaml.FlowStyle != 0 {
		return nil
	}
	rk, rv := child(st, "run")
	lines, inline, ok := d.runScriptLines(rk, rv)
	if !ok {
		return nil
	}
	sc := &ptScript{path: fmt.Sprintf("jobs.%s.steps[%d]", job, i), index: i, step: st, runKey: rk, runVal: rv, inline: inline}
	for _, l := range lines {
		sc.cmds = append(sc.cmds, ptCmd{line: l.n, text: l.text})
	}
	sc.simple = pypitoolQuotesBalanced(sc.cmds)
	for k := range sc.cmds {
		c := &sc.cmds[k]
		c.words, c.ok = pypitoolWords(c.text)
		if shellStructured(c.text) {
			sc.simple = false
		}
	}
	return sc
}

// pypitoolQuotesBalanced says whether no quote runs past the end of a line.
func pypitoolQuotesBalanced(cmds []ptCmd) bool {
	for _, c := range cmds {
		var q byte
		s := c.text
		for i := 0; i < len(s); i++ {
			switch {
			case q == 0 && s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
				i = len(s)
			case q == 0 && s[i] == '\\':
				i++
			case q == 0 && (s[i] == '\'' || s[i] == '"'):
				q = s[i]
			case q == '"' && s[i] == '\\':
				i++
			case q != 0 && s[i] == q:
				q = 0
			}
		}
		if q != 0 {
			return false
		}
	}
	return true
}

// standalone says whether command k can be edited on its own: one simple
// command, and the line before does not continue into it.
func (sc *ptScript) standalone(k int) bool {
	if !sc.simple || !sc.cmds[k].ok {
		return false
	}
	if k > 0 {
		prev := strings.TrimRight(sc.cmds[k-1].text, " \t")
		for _, s := range []string{"\\", "|", "&&", "||"} {
			if strings.HasSuffix(prev, s) {
				return false
			}
		}
	}
	return true
}

// pypitoolScripts reads every step's run: script of a job (nil for the
// others), and says which steps hold a script tpscan cannot read line by
// line.
func pypitoolScripts(d *doc, job string, jv *yaml.Node) (scripts []*ptScript, unread []int) {
	for i, st := range pypitoolStepsOf(jv) {
		sc := pypitoolScript(d, job, i, st)
		scripts = append(scripts, sc)
		if sc == nil {
			if _, rv := child(st, "run"); rv != nil {
				unread = append(unread, i)
			}
		}
	}
	return scripts, unread
}

// ---- the publish commands ----

// ptOpt is what an option of a publish command becomes.
type ptOpt int

const (
	optKeep      ptOpt = iota // no value; kept on the build line
	optKeepValue              // a build option with a value, kept
	optIgnore                 // no value; dropped
	optDrop                   // a credential: dropped with its value
	optRepo                   // the repository name (or URL for hatch)
	optURL                    // the repository URL
	optBuild                  // poetry --build
	optSkip                   // --skip-existing
	optDry                    // --dry-run: not a publish
	optDist                   // poetry --dist-dir
	optPublisher              // hatch --publisher: only "index"
)

func (o ptOpt) takesValue() bool {
	switch o {
	case optKeepValue, optDrop, optRepo, optURL, optDist, optPublisher:
		return true
	}
	return false
}

// ptSpec is a tool's command line: options before the subcommand, after
// it, and whether publish builds first.
type ptSpec struct {
	globals, opts map[string]ptOpt
	builds        bool
}

var ptPoetryOpts = map[string]ptOpt{
	"-n": optKeep, "--no-interaction": optKeep, "-q": optKeep, "--quiet": optKeep, "-v": optKeep, "-vv": optKeep, "-vvv": optKeep,
	"--verbose": optKeep, "--ansi": optKeep, "--no-ansi": optKeep, "--no-plugins": optKeep, "--no-cache": optKeep,
	"-r": optRepo, "--repository": optRepo, "-u": optDrop, "--username": optDrop, "-p": optDrop, "--password": optDrop,
	"--build": optBuild, "--skip-existing": optSkip, "--dry-run": optDry, "--dist-dir": optDist,
}

var ptSpecs = map[string]ptSpec{
	// poetry (cleo) takes its global options anywhere.
	"poetry": {globals: ptPoetryOpts, opts: ptPoetryOpts},
	// flit publish = flit build + upload; the build options are shared.
	"flit": {builds: true, globals: map[string]ptOpt{"--debug": optKeep},
		opts: map[string]ptOpt{"--format": optKeepValue, "--no-setup-py": optKeep, "--setup-py": optKeep, "--use-vcs": optKeep,
			"--no-use-vcs": optKeep, "--repository": optRepo}},
	// hatch publish uploads what is in dist/; it does not build.
	"hatch": {globals: map[string]ptOpt{"-v": optIgnore, "-vv": optIgnore, "-q": optIgnore, "--verbose": optIgnore, "--quiet": optIgnore,
		"--no-interactive": optIgnore, "--no-color": optIgnore},
		opts: map[string]ptOpt{"-r": optRepo, "--repo": optRepo, "-u": optDrop, "--user": optDrop, "-a": optDrop, "--auth": optDrop,
			"-n": optIgnore, "--no-prompt": optIgnore, "-y": optIgnore, "--yes": optIgnore, "-p": optPublisher, "--publisher": optPublisher}},
	// rye publish uploads dist/*; it does not build.
	"rye": {globals: map[string]ptOpt{"-v": optIgnore, "-q": optIgnore, "--verbose": optIgnore, "--quiet": optIgnore},
		opts: map[string]ptOpt{"--token": optDrop, "-u": optDrop, "--username": optDrop, "-r": optRepo, "--repository": optRepo,
			"--repository-url": optURL, "-y": optIgnore, "--yes": optIgnore, "--skip-existing": optSkip,
			"-v": optIgnore, "-q": optIgnore, "--verbose": optIgnore, "--quiet": optIgnore}},
}

// ptPub is a parsed publish command.
type ptPub struct {
	invocation string   // the words that run the tool ("poetry", "python -m flit")
	pre, post  []string // kept words before and after the subcommand
	dropped    []ptWord // the credential words
	repo, url  string
	build      bool
	skip, dry  bool
	distDir    string
}

// ptLoose finds lines that look like a publish, to refuse what the parser
// does not read rather than miss it.
var ptLoose = map[string]*regexp.Regexp{}

func init() {
	for t := range ptSpecs {
		ptLoose[t] = regexp.MustCompile(`(?:^|[\s/])` + t + `(?:\s.*)?\spublish\b`)
	}
	ptLoose["pdm"] = regexp.MustCompile(`(?:^|[\s/])pdm(?:\s.*)?\spublish\b`)
}

// pypitoolParse reads a publish command of tool. is is false when the
// words are not that tool's publish; why says which part tpscan does not
// translate.
func pypitoolParse(tool string, words []ptWord) (pub *ptPub, why string, is bool) {
	if len(words) == 0 {
		return nil, "", false
	}
	i := 0
	base := path.Base(words[0].val)
	switch {
	case base == tool:
		i = 1
	case (base == "python" || base == "python3" || strings.HasPrefix(base, "python3.")) && len(words) > 2 && words[1].val == "-m" && words[2].val == tool:
		i = 3
	default:
		return nil, "", false
	}
	spec := ptSpecs[tool]
	pub = &ptPub{build: spec.builds}
	var inv []string
	for _, w := range words[:i] {
		inv = append(inv, w.raw)
	}
	pub.invocation = strings.Join(inv, " ")
	sub := false
	hasPublish := false
	for _, w := range words[i:] {
		if w.val == "publish" {
			hasPublish = true
		}
	}
	for ; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w.val, "-") || w.val == "-" {
			if !sub {
				if w.val != "publish" {
					return nil, "", false
				}
				sub = true
				continue
			}
			return pub, fmt.Sprintf("the argument %q", w.raw), true
		}
		name, val, hasVal := w.val, "", false
		if strings.HasPrefix(name, "--") {
			name, val, hasVal = strings.Cut(w.val, "=")
		}
		table := spec.globals
		if sub {
			table = spec.opts
		}
		kind, known := table[name]
		if !known {
			if !hasPublish {
				return nil, "", false
			}
			return pub, fmt.Sprintf("the option %s", name), true
		}
		raw := []ptWord{w}
		if kind.takesValue() && !hasVal {
			if i+1 >= len(words) {
				return pub, "the option " + name + " without a value", true
			}
			i++
			val = words[i].val
			raw = append(raw, words[i])
		} else if !kind.takesValue() && hasVal {
			return pub, "the option " + w.val, true
		}
		keep := func() {
			for _, r := range raw {
				if sub {
					pub.post = append(pub.post, r.raw)
				} else {
					pub.pre = append(pub.pre, r.raw)
				}
			}
		}
		switch kind {
		case optKeep, optKeepValue:
			keep()
		case optDrop:
			pub.dropped = append(pub.dropped, raw...)
		case optRepo:
			pub.repo = val
		case optURL:
			pub.url = val
		case optBuild:
			pub.build = true
		case optSkip:
			pub.skip = true
		case optDry:
			pub.dry = true
		case optDist:
			pub.distDir = val
		case optPublisher:
			if val != "index" {
				return pub, "the publisher " + val, true
			}
		}
	}
	if !sub {
		return nil, "", false
	}
	if strings.Contains(pub.repo+pub.url+pub.distDir, "${{") || strings.Contains(pub.repo+pub.url+pub.distDir, "$") {
		return pub, "a repository or directory chosen at run time", true
	}
	if pub.build && pub.distDir != "" {
		return pub, "--build with --dist-dir", true
	}
	return pub, "", true
}

// buildLine is the command that replaces a publish that builds first:
// poetry's kept options are global ones, valid after the subcommand;
// flit's are the build options publish shares with build.
func (p *ptPub) buildLine() string {
	parts := append([]string{p.invocation}, p.pre...)
	parts = append(parts, "build")
	return strings.Join(append(parts, p.post...), " ")
}

// pypitoolIndex says which index an upload URL is: pypi, testpypi or "".
func pypitoolIndex(u string) string {
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(u)), "/") {
	case "https://upload.pypi.org/legacy":
		return "pypi"
	case "https://test.pypi.org/legacy":
		return "testpypi"
	}
	return ""
}

func pypitoolIndexName(target string) string {
	if target == "testpypi" {
		return "TestPyPI"
	}
	return "PyPI"
}

// ---- env ----

// pypitoolEnvPaths are the env maps a step sees, nearest first.
func pypitoolEnvPaths(step, job string) []string {
	return []string{step + ".env", "jobs." + job + ".env", "env"}
}

// pypitoolEnv finds a variable in the env maps, nearest first.
func pypitoolEnv(d *doc, paths []string, name string) (val, at string, ok bool) {
	for _, p := range paths {
		_, _, m := d.lookup(p)
		if _, v := child(m, name); v != nil {
			return v.Value, p, true
		}
	}
	return "", "", false
}

// ptDrops collects env entries to delete, by env map path.
type ptDrops map[string][]string

func (dr ptDrops) add(envPath, name string) {
	for _, n := range dr[envPath] {
		if n == name {
			return
		}
	}
	dr[envPath] = append(dr[envPath], name)
}

// edits deletes the collected entries; an env map left empty goes whole.
// Maps inside a step that is deleted are skipped.
func (dr ptDrops) edits(d *doc, deleted map[string]bool) ([]Edit, error) {
	paths := make([]string, 0, len(dr))
	for p := range dr {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var out []Edit
	for _, p := range paths {
		if st := stepOf(p); st != "" && deleted[st] {
			continue
		}
		_, _, m := d.lookup(p)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		names := dr[p]
		sort.Strings(names)
		depth := len(splitPath(p))
		if len(m.Content)/2 == len(names) {
			e, err := d.removeEntry(p, depth-1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			continue
		}
		for _, n := range names {
			e, err := d.removeEntry(p+"."+n, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// pypitoolFindingEnv is the env map and name of a finding's variable, when
// its YAML path is one.
func pypitoolFindingEnv(f *rules.Finding) (envPath, name string, ok bool) {
	segs := splitPath(f.YAMLPath)
	if len(segs) < 2 || segs[len(segs)-2] != "env" {
		return "", "", false
	}
	return strings.Join(segs[:len(segs)-1], "."), segs[len(segs)-1], true
}

// ---- edits on scripts and steps ----

// ptOps are the line edits planned on one script.
type ptOps struct {
	sc   *ptScript
	del  map[int]bool      // command index → deleted
	repl map[int]string    // command index → new command
	refs map[string]string // variables the removed words read → their line
}

func (o *ptOps) remaining() int {
	n := 0
	for k := range o.sc.cmds {
		if !o.del[k] {
			n++
		}
	}
	return n
}

// rest is the text of the script after the edits.
func (o *ptOps) rest() string {
	var b strings.Builder
	for k, c := range o.sc.cmds {
		switch {
		case o.del[k]:
		case o.repl[k] != "":
			b.WriteString(o.repl[k] + "\n")
		default:
			b.WriteString(c.text + "\n")
		}
	}
	return b.String()
}

// lineEdits writes the planned deletions and replacements.
func (o *ptOps) lineEdits(d *doc) ([]Edit, error) {
	var out []Edit
	for k, c := range o.sc.cmds {
		switch {
		case o.del[k]:
			if o.sc.inline {
				return nil, &Refusal{Reason: ReasonLayout, Detail: "a one-line run: cannot lose its command"}
			}
			out = append(out, Edit{Start: d.lineStart(c.line), End: d.lineStart(c.line + 1)})
		case o.repl[k] != "":
			if o.sc.inline {
				if o.sc.runVal.Style != 0 && strings.ContainsAny(o.repl[k], `"'\`) {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "the new command would need YAML escapes"}
				}
				e, ok := d.setScalar(o.sc.runVal, o.repl[k])
				if !ok {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "the run: value cannot be replaced in place"}
				}
				out = append(out, e)
				continue
			}
			ws := c.words
			at := d.lineStart(c.line)
			out = append(out, Edit{Start: at + ws[0].start, End: at + ws[len(ws)-1].end, New: o.repl[k]})
		}
	}
	return out, nil
}

// pypitoolDeleteStep deletes a whole step (its "- " line to its last line).
func pypitoolDeleteStep(d *doc, sc *ptScript) (Edit, error) {
	st, dash, ok := d.stepNode(sc.path)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: sc.path + " is not a block step"}
	}
	if _, id := child(st, "id"); id != nil && strings.Contains(string(d.src), "steps."+id.Value+".") {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: "step " + id.Value + " would go, and later steps read its outputs"}
	}
	return Edit{Start: d.lineStart(dash), End: d.lineStart(d.lastLine(st) + 1)}, nil
}

// pypitoolReplaceEntry replaces a block entry (its key through its last
// line) by lines written at the key's column; the first line takes the
// key's place, so a key on a "- " line keeps its marker.
func pypitoolReplaceEntry(d *doc, key *yaml.Node, lines []string) (Edit, error) {
	from, to, ok := d.entryLines(key)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("%s on line %d is written in flow style", key.Value, key.Line)}
	}
	col := key.Column - 1
	eol := d.eol()
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", col))
		}
		b.WriteString(l + eol)
	}
	end := d.lineStart(to + 1)
	if end == len(d.src) && !strings.HasSuffix(string(d.src), "\n") {
		s := strings.TrimSuffix(b.String(), eol)
		return Edit{Start: d.lineStart(from) + col, End: end, New: s}, nil
	}
	return Edit{Start: d.lineStart(from) + col, End: end, New: b.String()}, nil
}

// pypitoolInsertAfter inserts a step after stepPath, also at the end of a
// file without a final newline.
func pypitoolInsertAfter(d *doc, stepPath string, lines []string) (Edit, error) {
	e, err := d.insertStepAfter(stepPath, lines)
	if err != nil {
		return Edit{}, err
	}
	if e.Start == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		e.New = d.eol() + strings.TrimSuffix(e.New, d.eol())
	}
	return e, nil
}

// pypitoolCopied are the step entries the new publish step inherits, so
// that it runs when, and fails as, the old publish did.
var pypitoolCopied = []string{"if", "continue-on-error", "timeout-minutes"}

// pypitoolActionStep is the new pypa/gh-action-pypi-publish step: a name,
// the conditions copied from the step it follows, and its inputs.
func pypitoolActionStep(d *doc, from *yaml.Node, target, dist string, skip bool) ([]string, error) {
	lines := []string{"name: Publish to " + pypitoolIndexName(target)}
	for _, k := range pypitoolCopied {
		kn, v := child(from, k)
		if v == nil {
			continue
		}
		a, b, ok := d.entryLines(kn)
		if !ok || a != b {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the step's %s: spans several lines; the new publish step must copy it", k)}
		}
		lines = append(lines, strings.TrimRight(d.line(a), "\r\n")[kn.Column-1:])
	}
	return append(lines, pypitoolUses(target, dist, skip)...), nil
}

// pypitoolUses is the uses: line of the action and its with: block.
func pypitoolUses(target, dist string, skip bool) []string {
	lines := []string{"uses: " + pypitoolAction}
	var with []string
	if target == "testpypi" {
		with = append(with, "repository-url: "+pypitoolTestPyPI)
	}
	if dist != "" {
		with = append(with, "packages-dir: "+dist)
	}
	if skip {
		with = append(with, "skip-existing: true")
	}
	if len(with) > 0 {
		lines = append(lines, "with:")
		for _, w := range with {
			lines = append(lines, "  "+w)
		}
	}
	return lines
}

// ---- poetry, flit, hatch, rye ----

// ptCand is a publish command found in a job.
type ptCand struct {
	sc  *ptScript
	k   int
	pub *ptPub
}

// pypitoolCommand moves a poetry, flit, hatch or rye publish to
// pypa/gh-action-pypi-publish: the publish line becomes the build or
// goes, the action uploads dist/ in a new step after it, the credential
// goes (§2.8).
func pypitoolCommand(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	tool := strings.TrimSuffix(f.Method, "-publish")
	job, jv, err := pypitoolJob(d, f)
	if err != nil {
		return nil, err
	}
	if err := pypitoolLinux(job, jv); err != nil {
		return nil, err
	}
	scripts, unread := pypitoolScripts(d, job, jv)
	steps := pypitoolStepsOf(jv)
	for _, i := range unread {
		if _, rv := child(steps[i], "run"); rv != nil && ptLoose[tool].MatchString(rv.Value) {
			return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("step #%d runs %s publish in a script tpscan does not edit line by line (a folded or flow scalar)", i, tool)}
		}
	}
	var cands []ptCand
	dry := 0
	for _, sc := range scripts {
		if sc == nil {
			continue
		}
		for k, c := range sc.cmds {
			if !ptLoose[tool].MatchString(c.text) {
				continue
			}
			if strings.Contains(c.text, "--dry-run") {
				dry++
				continue
			}
			if !sc.standalone(k) {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: %s publish is part of a larger shell command; split it by hand", c.line, tool)}
			}
			pub, why, is := pypitoolParse(tool, c.words)
			if !is {
				continue
			}
			if why != "" {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: %s publish with %s, which tpscan does not translate to pypa/gh-action-pypi-publish", c.line, tool, why)}
			}
			cands = append(cands, ptCand{sc: sc, k: k, pub: pub})
		}
	}
	if len(cands) == 0 {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s has no %s publish standing alone on a line of a run: script", job, tool)}
	}
	// Several publishes in one job: each finding fixes its own step, as
	// long as they go to one index or the job already has its
	// environment (one job has one environment, §2.7 item 4).
	var c ptCand
	var target string
	targets := map[string]bool{}
	named := 0
	for _, x := range cands {
		t, why := pypitoolTarget(d, tool, x, scripts, pypitoolEnvPaths(x.sc.path, job))
		if t == "" {
			if len(cands) == 1 || pypitoolLabel(x.sc.step, x.sc.index, f.Step) {
				return nil, &Refusal{Reason: ReasonScript, Detail: why}
			}
			return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s runs %s publish %d times, one of them to an index tpscan cannot read: split the publishes into jobs by hand", job, tool, len(cands))}
		}
		targets[t] = true
		if len(cands) == 1 || pypitoolLabel(x.sc.step, x.sc.index, f.Step) {
			c, target = x, t
			named++
		}
	}
	if named != 1 {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s runs %s publish %d times and tpscan cannot tell which one this finding is: split the publishes into jobs by hand", job, tool, len(cands))}
	}
	if _, env := child(jv, "environment"); len(targets) > 1 && env == nil {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s publishes to both PyPI and TestPyPI: one job has one environment, and each index's publisher should name its own; split the publishes into two jobs by hand", job)}
	}
	if f.Registry != "" && f.Registry != target {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the command publishes to %s, the scan says %s: check by hand", pypitoolIndexName(target), f.Registry)}
	}
	if c.k != len(c.sc.cmds)-1 {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: commands follow %s publish in its run: script; the new upload step would run after them", c.sc.cmds[c.k].line, tool)}
	}
	for k := 0; k < c.k; k++ {
		if ws := c.sc.cmds[k].words; len(ws) > 0 && (ws[0].val == "cd" || ws[0].val == "pushd") {
			return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: the script changes directory before %s publish; tpscan cannot tell where dist/ is", c.sc.cmds[k].line, tool)}
		}
	}

	// The line edits, by step.
	ops := map[int]*ptOps{}
	opsOf := func(sc *ptScript) *ptOps {
		if ops[sc.index] == nil {
			ops[sc.index] = &ptOps{sc: sc, del: map[int]bool{}, repl: map[int]string{}, refs: map[string]string{}}
		}
		return ops[sc.index]
	}
	pubOps := opsOf(c.sc)
	if c.pub.build {
		pubOps.repl[c.k] = c.pub.buildLine()
	} else {
		pubOps.del[c.k] = true
	}
	for _, w := range c.pub.dropped {
		for _, m := range ptVarRef.FindAllStringSubmatch(w.val, -1) {
			pubOps.refs[m[1]] = ""
		}
	}
	covered := map[int]bool{c.sc.cmds[c.k].line: true}
	if tool == "poetry" {
		repo := c.pub.repo
		if repo == "" {
			repo = "pypi"
		}
		for _, sc := range scripts {
			if sc == nil {
				continue
			}
			for k, cmd := range sc.cmds {
				if !pypitoolPoetryCredLine(cmd.text, repo) {
					continue
				}
				if !sc.standalone(k) {
					return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: the poetry config line that stores the token is part of a larger shell command", cmd.line)}
				}
				o := opsOf(sc)
				o.del[k] = true
				covered[cmd.line] = true
				for _, w := range cmd.words[2:] {
					for _, m := range ptVarRef.FindAllStringSubmatch(w.val, -1) {
						o.refs[m[1]] = ""
					}
				}
			}
		}
	}

	// The credential variables.
	drops := ptDrops{}
	fEnv, fName, fIsEnv := pypitoolFindingEnv(f)
	for _, p := range []string{c.sc.path + ".env", fEnv} {
		if p == "" {
			continue
		}
		_, _, m := d.lookup(p)
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if pypitoolToolVar(tool, m.Content[i].Value, c.pub.repo) {
				drops.add(p, m.Content[i].Value)
			}
		}
	}
	if fIsEnv && !pypitoolToolVar(tool, fName, c.pub.repo) {
		if err := pypitoolOnlyReader(d, tool, scripts, ops, fEnv, fName); err != nil {
			return nil, err
		}
		drops.add(fEnv, fName)
	}
	// Variables of a step's own env that only the removed words read.
	for _, i := range pypitoolSortedOps(ops) {
		o := ops[i]
		rest := o.rest()
		for name := range o.refs {
			if pypitoolReads(rest, name) {
				continue
			}
			p := o.sc.path + ".env"
			if v, _, ok := pypitoolEnv(d, []string{p}, name); ok && strings.Contains(v, "secrets.") {
				drops.add(p, name)
			}
		}
	}
	if !fIsEnv && !covered[f.Line] {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the token reaches %s on line %d in a way tpscan does not edit", tool, f.Line)}
	}

	// Write the edits.
	var edits []Edit
	deleted := map[string]bool{}
	converted := false
	idx := pypitoolSortedOps(ops)
	dist := packagesDir(runWorkDir(d, c.sc.step, job), c.pub.distDir)
	for _, i := range idx {
		o := ops[i]
		switch {
		case o.remaining() > 0:
			es, err := o.lineEdits(d)
			if err != nil {
				return nil, err
			}
			edits = append(edits, es...)
		case o.sc == c.sc:
			es, err := pypitoolConvert(d, c.sc, pypitoolUses(target, dist, c.pub.skip))
			if err != nil {
				return nil, err
			}
			edits = append(edits, es...)
			converted = true
		default:
			e, err := pypitoolDeleteStep(d, o.sc)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			deleted[o.sc.path] = true
		}
	}
	es, err := drops.edits(d, deleted)
	if err != nil {
		return nil, err
	}
	edits = append(edits, es...)
	if !converted {
		lines, err := pypitoolActionStep(d, c.sc.step, target, dist, c.pub.skip)
		if err != nil {
			return nil, err
		}
		e, err := pypitoolInsertAfter(d, c.sc.path, lines)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	pe, err := ensurePermissions(d, job, notes)
	if err != nil {
		return nil, err
	}
	edits = append(append(edits, pe...), ensureEnvironment(d, job, target, notes)...)

	switch {
	case c.pub.build:
		*notes = append(*notes, fmt.Sprintf("%s cannot do trusted publishing: `%s publish` became `%s`, and pypa/gh-action-pypi-publish uploads the result to %s in the next step", tool, tool, c.pub.buildLine(), pypitoolIndexName(target)))
	default:
		*notes = append(*notes, fmt.Sprintf("%s cannot do trusted publishing: pypa/gh-action-pypi-publish now uploads to %s what `%s publish` uploaded from dist/", tool, pypitoolIndexName(target), tool))
	}
	switch tool {
	case "poetry":
		*notes = append(*notes, fmt.Sprintf("pypa/gh-action-pypi-publish uploads every file in %s, where poetry publish took only the project's current version: check that nothing else lands there before it runs", pypitoolOr(dist, "dist/")))
	case "flit":
		*notes = append(*notes, fmt.Sprintf("pypa/gh-action-pypi-publish uploads every file in %s, where flit publish uploaded only what it had just built: check that nothing else lands there before it runs", pypitoolOr(dist, "dist/")))
	}
	if dry > 0 {
		*notes = append(*notes, fmt.Sprintf("job %s: the `%s publish --dry-run` command stays; it uploads nothing, and now runs without a token: check that it still passes, or delete it", job, tool))
	}
	return edits, nil
}

// pypitoolOnlyReader checks that the finding's variable (a $TOKEN the
// command line reads, not one the tool reads by itself) is read by the
// words that go and by nothing that stays, so that it can go too.
func pypitoolOnlyReader(d *doc, tool string, scripts []*ptScript, ops map[int]*ptOps, envPath, name string) error {
	read := false
	for _, o := range ops {
		if _, ok := o.refs[name]; ok {
			read = true
		}
	}
	if !read {
		return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the token reaches %s through %s, which no line tpscan edits reads", tool, name)}
	}
	for _, sc := range scripts {
		if sc == nil || stepOf(envPath) != "" && envPath != sc.path+".env" {
			continue
		}
		text := ""
		if o := ops[sc.index]; o != nil {
			text = o.rest()
		} else {
			for _, cmd := range sc.cmds {
				text += cmd.text + "\n"
			}
		}
		if pypitoolReads(text, name) {
			return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("step #%d still reads %s", sc.index, name)}
		}
	}
	if stepOf(envPath) == "" && strings.Contains(string(d.src), "env."+name) {
		return &Refusal{Reason: ReasonScript, Detail: "an expression also reads env." + name}
	}
	return nil
}

// pypitoolReads says whether a script reads $name or ${name}.
func pypitoolReads(text, name string) bool {
	return regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b`).MatchString(text)
}

func pypitoolOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// pypitoolTarget resolves where a publish command uploads: pypi,
// testpypi, or "" with why.
func pypitoolTarget(d *doc, tool string, c ptCand, scripts []*ptScript, envPaths []string) (string, string) {
	pub := c.pub
	unknown := func(what string) (string, string) {
		return "", fmt.Sprintf("%s publish uploads to %s, which is neither PyPI's nor TestPyPI's upload URL as far as tpscan can read", tool, what)
	}
	switch tool {
	case "poetry":
		if pub.repo == "" || pub.repo == "pypi" {
			return "pypi", ""
		}
		// poetry config repositories.NAME URL, or its variable.
		for _, sc := range scripts {
			if sc == nil {
				continue
			}
			for _, cmd := range sc.cmds {
				ws := pypitoolArgs(cmd.words)
				if len(ws) == 4 && path.Base(ws[0]) == "poetry" && ws[1] == "config" && ws[2] == "repositories."+pub.repo {
					if t := pypitoolIndex(ws[3]); t != "" {
						return t, ""
					}
					return unknown("repository " + pub.repo)
				}
			}
		}
		norm := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(pub.repo))
		if v, _, ok := pypitoolEnv(d, envPaths, "POETRY_REPOSITORIES_"+norm+"_URL"); ok {
			if t := pypitoolIndex(v); t != "" {
				return t, ""
			}
		}
		return unknown("repository " + pub.repo + " (configured outside this job's scripts and env)")
	case "flit":
		u, _, hasURL := pypitoolEnv(d, envPaths, "FLIT_INDEX_URL")
		switch {
		case pub.repo != "" && hasURL:
			return unknown("both --repository and FLIT_INDEX_URL")
		case pub.repo == "pypi":
			return "pypi", ""
		case pub.repo != "":
			return unknown("the .pypirc section " + pub.repo)
		case hasURL:
			if t := pypitoolIndex(u); t != "" {
				return t, ""
			}
			return unknown(u)
		}
		return "pypi", ""
	case "hatch":
		r := pub.repo
		if r == "" {
			r, _, _ = pypitoolEnv(d, envPaths, "HATCH_INDEX_REPO")
		}
		switch r {
		case "", "main":
			return "pypi", ""
		case "test":
			return "testpypi", ""
		}
		if t := pypitoolIndex(r); t != "" {
			return t, ""
		}
		return unknown("the repository " + r)
	case "rye":
		if pub.url != "" {
			if t := pypitoolIndex(pub.url); t != "" {
				return t, ""
			}
			return unknown(pub.url)
		}
		if pub.repo == "" || pub.repo == "pypi" {
			return "pypi", ""
		}
		return unknown("the repository " + pub.repo)
	}
	return "", "unknown tool " + tool
}

// pypitoolArgs are the words' values without the leading options of a
// poetry config (--local).
func pypitoolArgs(ws []ptWord) []string {
	var out []string
	for i, w := range ws {
		if i >= 2 && strings.HasPrefix(w.val, "-") && len(out) == 2 {
			continue
		}
		out = append(out, w.val)
	}
	return out
}

// pypitoolPoetryCredLine says whether a line stores a poetry credential for
// repository repo: poetry config pypi-token.REPO … or http-basic.REPO ….
func pypitoolPoetryCredLine(text, repo string) bool {
	ws, ok := pypitoolWords(text)
	if !ok || len(ws) < 3 || path.Base(ws[0].val) != "poetry" || ws[1].val != "config" {
		// A line that looks like one but is not one simple command.
		return strings.Contains(text, "poetry config pypi-token."+repo) || strings.Contains(text, "poetry config http-basic."+repo)
	}
	args := pypitoolArgs(ws)
	if len(args) < 3 {
		return false
	}
	return args[2] == "pypi-token."+repo || args[2] == "http-basic."+repo
}

// pypitoolToolVar says whether an env variable is a credential, user name
// or index setting of tool (for poetry repository repo).
func pypitoolToolVar(tool, name, repo string) bool {
	switch tool {
	case "poetry":
		if repo == "" {
			repo = "pypi"
		}
		norm := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(repo))
		return strings.HasPrefix(name, "POETRY_PYPI_TOKEN_") || name == "POETRY_HTTP_BASIC_"+norm+"_USERNAME" || name == "POETRY_HTTP_BASIC_"+norm+"_PASSWORD"
	case "flit":
		return name == "FLIT_USERNAME" || name == "FLIT_PASSWORD" || name == "FLIT_INDEX_URL"
	case "hatch":
		return name == "HATCH_INDEX_USER" || name == "HATCH_INDEX_AUTH" || name == "HATCH_INDEX_REPO"
	case "pdm":
		return name == "PDM_PUBLISH_USERNAME" || name == "PDM_PUBLISH_PASSWORD"
	}
	return false
}

// pypitoolConvert turns a run step whose only command was the publish into
// the action step: run: becomes uses: and with:, and the keys a uses: step
// may not have go.
func pypitoolConvert(d *doc, sc *ptScript, uses []string) ([]Edit, error) {
	allowed := map[string]bool{"name": true, "id": true, "if": true, "env": true, "run": true, "shell": true, "working-directory": true,
		"continue-on-error": true, "timeout-minutes": true}
	for i := 0; i+1 < len(sc.step.Content); i += 2 {
		if k := sc.step.Content[i].Value; !allowed[k] {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the publish step has %s:, which tpscan does not carry to a uses: step", k)}
		}
	}
	if _, id := child(sc.step, "id"); id != nil && strings.Contains(string(d.src), "steps."+id.Value+".") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "later steps read the outputs of step " + id.Value + ", which becomes the upload"}
	}
	e, err := pypitoolReplaceEntry(d, sc.runKey, uses)
	if err != nil {
		return nil, err
	}
	edits := []Edit{e}
	for _, k := range []string{"shell", "working-directory"} {
		if _, v := child(sc.step, k); v != nil {
			e, err := d.removeEntry(sc.path+"."+k, len(splitPath(sc.path)))
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
		}
	}
	return edits, nil
}

// ---- pdm ----

var (
	ptPDMPin    = regexp.MustCompile(`\bpdm\s*==\s*(\d+)\.(\d+)`)
	ptPDMConfig = regexp.MustCompile(`\bpdm\s+config\b.*\brepository\.[^\s.]+\.(password|username)\b`)
)

// pypitoolPDM removes the stored credential pdm would prefer over trusted
// publishing (pdm 2.6.0+ exchanges the token itself): PDM_PUBLISH_PASSWORD
// and its user name, -u/-P on a publish line of its own, or a standalone
// `pdm config repository.*.password` line.
func pypitoolPDM(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	job, jv, err := pypitoolJob(d, f)
	if err != nil {
		return nil, err
	}
	scripts, _ := pypitoolScripts(d, job, jv)
	// pdm 2.6.0 added trusted publishing: an older pin cannot be moved.
	pinned := false
	for i, st := range pypitoolStepsOf(jv) {
		_, uses := child(st, "uses")
		if uses != nil && strings.HasPrefix(strings.ToLower(uses.Value), "pdm-project/setup-pdm@") {
			if _, _, v := d.lookup(fmt.Sprintf("jobs.%s.steps[%d].with.version", job, i)); v != nil {
				if m := actionVersion.FindStringSubmatch(v.Value); m != nil {
					pinned = true
					if pypitoolBelow(m[1], m[2], 2, 6) {
						return nil, &Refusal{Reason: ReasonOldClient, Detail: "setup-pdm installs pdm " + v.Value + "; trusted publishing needs pdm 2.6.0 or later"}
					}
				}
			}
		}
		if sc := scripts[i]; sc != nil {
			for _, c := range sc.cmds {
				if m := ptPDMPin.FindStringSubmatch(c.text); m != nil {
					pinned = true
					if pypitoolBelow(m[1], m[2], 2, 6) {
						return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("line %d installs pdm %s.%s; trusted publishing needs pdm 2.6.0 or later", c.line, m[1], m[2])}
					}
				}
			}
		}
	}
	if !pinned {
		*notes = append(*notes, "pdm exchanges the OIDC token itself from pdm 2.6.0: check that the job installs 2.6.0 or later")
	}
	drops := ptDrops{}
	ops := map[int]*ptOps{}
	covered := false
	fEnv, fName, fIsEnv := pypitoolFindingEnv(f)
	if fIsEnv {
		_, _, m := d.lookup(fEnv)
		for i := 0; m != nil && i+1 < len(m.Content); i += 2 {
			if pypitoolToolVar("pdm", m.Content[i].Value, "") {
				drops.add(fEnv, m.Content[i].Value)
			}
		}
		covered = true
	}
	var edits []Edit
	for _, sc := range scripts {
		if sc == nil {
			continue
		}
		for k, c := range sc.cmds {
			cfg := ptPDMConfig.MatchString(c.text)
			pub := !cfg && ptLoose["pdm"].MatchString(c.text) && pypitoolHasCredFlag(c.words)
			if !cfg && !pub {
				continue
			}
			if !sc.standalone(k) {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: the pdm credential is part of a larger shell command", c.line)}
			}
			if ops[sc.index] == nil {
				ops[sc.index] = &ptOps{sc: sc, del: map[int]bool{}, repl: map[int]string{}, refs: map[string]string{}}
			}
			o := ops[sc.index]
			var dropped []ptWord
			if cfg {
				o.del[k] = true
				dropped = c.words
			} else {
				// Drop -u/-P and their values on the publish line.
				ws := c.words
				at := d.lineStart(c.line)
				kept := c.text
				var spans [][2]int
				for i := 1; i < len(ws); i++ {
					name, _, attached := strings.Cut(ws[i].val, "=")
					if name != "-u" && name != "--username" && name != "-P" && name != "--password" {
						continue
					}
					j := i
					if !attached || !strings.HasPrefix(name, "--") {
						if i+1 >= len(ws) {
							return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: %s without a value", c.line, name)}
						}
						j = i + 1
					}
					spans = append(spans, [2]int{ws[i-1].end, ws[j].end})
					dropped = append(dropped, ws[i:j+1]...)
					i = j
				}
				for n := len(spans) - 1; n >= 0; n-- {
					kept = kept[:spans[n][0]] + kept[spans[n][1]:]
					if !sc.inline {
						edits = append(edits, Edit{Start: at + spans[n][0], End: at + spans[n][1]})
					}
				}
				o.repl[k] = strings.TrimSpace(kept) // what the line still says
				if sc.inline {
					// run: pdm publish -u … -P … on the key line.
					if sc.runVal.Style != 0 && strings.ContainsAny(kept, `"'\`) {
						return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("line %d: the new command would need YAML escapes", c.line)}
					}
					e, ok := d.setScalar(sc.runVal, o.repl[k])
					if !ok {
						return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("line %d: the run: value cannot be replaced in place", c.line)}
					}
					edits = append(edits, e)
				}
			}
			if c.line == f.Line {
				covered = true
			}
			for _, w := range dropped {
				for _, m := range ptVarRef.FindAllStringSubmatch(w.val, -1) {
					o.refs[m[1]] = ""
				}
			}
		}
	}
	if !covered {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the token reaches pdm on line %d in a way tpscan does not edit", f.Line)}
	}
	if fIsEnv {
		if !pypitoolToolVar("pdm", fName, "") {
			if err := pypitoolOnlyReader(d, "pdm", scripts, ops, fEnv, fName); err != nil {
				return nil, err
			}
		}
		drops.add(fEnv, fName)
	}
	deleted := map[string]bool{}
	for _, i := range pypitoolSortedOps(ops) {
		o := ops[i]
		for name := range o.refs {
			if pypitoolReads(o.rest(), name) {
				continue
			}
			p := o.sc.path + ".env"
			if v, _, ok := pypitoolEnv(d, []string{p}, name); ok && strings.Contains(v, "secrets.") {
				drops.add(p, name)
			}
		}
		if len(o.del) == 0 {
			continue
		}
		if o.remaining() == 0 {
			e, err := pypitoolDeleteStep(d, o.sc)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			deleted[o.sc.path] = true
			continue
		}
		for k := range o.del {
			c := o.sc.cmds[k]
			if o.sc.inline {
				return nil, &Refusal{Reason: ReasonLayout, Detail: "a one-line run: cannot lose its command"}
			}
			edits = append(edits, Edit{Start: d.lineStart(c.line), End: d.lineStart(c.line + 1)})
		}
	}
	es, err := drops.edits(d, deleted)
	if err != nil {
		return nil, err
	}
	edits = append(edits, es...)
	pe, err := ensurePermissions(d, job, notes)
	if err != nil {
		return nil, err
	}
	return append(append(edits, pe...), ensureEnvironment(d, job, f.Registry, notes)...), nil
}

func pypitoolSortedOps(ops map[int]*ptOps) []int {
	idx := make([]int, 0, len(ops))
	for i := range ops {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// pypitoolHasCredFlag says whether a pdm publish line passes -u or -P.
func pypitoolHasCredFlag(ws []ptWord) bool {
	for _, w := range ws {
		name, _, _ := strings.Cut(w.val, "=")
		switch name {
		case "-u", "--username", "-P", "--password":
			return true
		}
	}
	return false
}

// pypitoolBelow says whether version major.minor is below want.
func pypitoolBelow(major, minor string, wantMajor, wantMinor int) bool {
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	return a < wantMajor || a == wantMajor && b < wantMinor
}

// ---- PyO3/maturin-action ----

// pypitoolMaturin removes MATURIN_PYPI_TOKEN / MATURIN_PASSWORD from the
// env of a maturin-action upload: maturin 0.15.0+ exchanges the token on
// GitHub once MATURIN_PYPI_TOKEN is gone (§2.5c).
func pypitoolMaturin(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if _, _, ok := pypitoolFindingEnv(f); !ok {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the token reaches maturin through args or a file, not through env"}
	}
	job, jv, err := pypitoolJob(d, f)
	if err != nil {
		return nil, err
	}
	for i, st := range pypitoolStepsOf(jv) {
		_, uses := child(st, "uses")
		if uses == nil || !strings.HasPrefix(strings.ToLower(uses.Value), "pyo3/maturin-action@") {
			continue
		}
		_, _, v := d.lookup(fmt.Sprintf("jobs.%s.steps[%d].with.maturin-version", job, i))
		if v == nil {
			continue
		}
		if m := actionVersion.FindStringSubmatch(v.Value); m != nil && pypitoolBelow(m[1], m[2], 0, 15) {
			return nil, &Refusal{Reason: ReasonOldClient, Detail: "maturin-action installs maturin " + v.Value + "; trusted publishing needs maturin 0.15.0 or later"}
		}
	}
	edits, err := fixEnvCredential(nil)(d, f, notes)
	if err != nil {
		return nil, err
	}
	*notes = append(*notes, "maturin exchanges the OIDC token itself (maturin 0.15.0 or later, GitHub only) once MATURIN_PYPI_TOKEN is gone; `maturin upload` is deprecated since 1.11: pypa/gh-action-pypi-publish is the longer-lived choice")
	return edits, nil
}

// ---- JRubics/poetry-publish ----

var (
	ptPoetrySpec   = regexp.MustCompile(`^(==|>=|<=|~=|!=|<|>)\s*[0-9][0-9A-Za-z.*+!-]*$`)
	ptPlainWord    = regexp.MustCompile(`^[A-Za-z0-9_.@:/+=<>~!,\[\]-]+$`)
	ptPlainPath    = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	ptSkipExisting = regexp.MustCompile(`^\s*--skip-existing\s*$`)
)

// pypitoolJRubics replaces JRubics/poetry-publish (poetry build and
// publish in its container) by poetry build on the runner and
// pypa/gh-action-pypi-publish: poetry cannot do trusted publishing.
func pypitoolJRubics(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	step := stepOf(f.YAMLPath)
	if step == "" {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the token does not reach the action through with:"}
	}
	job, jv, err := pypitoolJob(d, f)
	if err != nil {
		return nil, err
	}
	if err := pypitoolLinux(job, jv); err != nil {
		return nil, err
	}
	st, _, ok := d.stepNode(step)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: step + " is not a block step"}
	}
	for i := 0; i+1 < len(st.Content); i += 2 {
		switch st.Content[i].Value {
		case "name", "if", "uses", "with", "continue-on-error", "timeout-minutes":
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the step has " + st.Content[i].Value + ":, which tpscan does not carry over"}
		}
	}
	usesKey, _ := child(st, "uses")
	_, with := child(st, "with")
	if usesKey == nil || with == nil || with.Kind != yaml.MappingNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the step's with: is not a block mapping"}
	}
	in := map[string]string{}
	for i := 0; i+1 < len(with.Content); i += 2 {
		k, v := with.Content[i].Value, with.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "input " + k + " is not a scalar"}
		}
		switch k {
		case "pypi_token", "repository_username", "repository_password":
			continue
		case "plugins", "poetry_version", "python_version", "build_format", "package_directory", "repository_name", "repository_url",
			"poetry_publish_options", "allow_poetry_pre_release", "extra_build_dependency_packages", "poetry_install_options", "ignore_dev_requirements":
		default:
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "JRubics/poetry-publish input " + k + " is not one tpscan translates"}
		}
		if strings.Contains(v.Value, "${{") {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "JRubics/poetry-publish input " + k + " is computed at run time"}
		}
		in[k] = strings.TrimSpace(v.Value)
	}
	refuse := func(why string) error {
		return &Refusal{Reason: ReasonNoFixer, Detail: "JRubics/poetry-publish with " + why + ": replace it by poetry build and pypa/gh-action-pypi-publish by hand"}
	}
	for _, k := range []string{"extra_build_dependency_packages", "poetry_install_options", "ignore_dev_requirements", "allow_poetry_pre_release"} {
		if in[k] != "" {
			return nil, refuse(k)
		}
	}
	if v := in["python_version"]; v != "" && v != "latest" {
		return nil, refuse("python_version " + v + " (set it up with actions/setup-python)")
	}
	target := "pypi"
	switch name, u := in["repository_name"], in["repository_url"]; {
	case name == "" && u == "":
	case name != "" && u != "":
		if target = pypitoolIndex(u); target == "" {
			return nil, refuse("repository_url " + u)
		}
	default:
		return nil, refuse("only one of repository_name and repository_url")
	}
	if f.Registry != "" && f.Registry != target {
		return nil, refuse("a target the scan reads as " + f.Registry)
	}
	skip := false
	if o := in["poetry_publish_options"]; o != "" {
		if !ptSkipExisting.MatchString(o) {
			return nil, refuse("poetry_publish_options " + o)
		}
		skip = true
	}
	install := "pipx install poetry"
	if v := in["poetry_version"]; v != "" && v != "latest" {
		if !ptPoetrySpec.MatchString(v) {
			return nil, refuse("poetry_version " + v)
		}
		install = "pipx install 'poetry" + strings.ReplaceAll(v, " ", "") + "'"
	}
	script := []string{"run: |", "  " + install}
	if p := in["plugins"]; p != "" {
		var qs []string
		for _, w := range strings.Fields(p) {
			w = strings.Trim(w, `"'`)
			if !ptPlainWord.MatchString(w) {
				return nil, refuse("plugins " + p)
			}
			qs = append(qs, "'"+w+"'")
		}
		script = append(script, "  pipx inject poetry "+strings.Join(qs, " "))
	}
	switch bf := in["build_format"]; bf {
	case "":
		script = append(script, "  poetry build")
	case "sdist", "wheel":
		script = append(script, "  poetry build --format "+bf)
	default:
		return nil, refuse("build_format " + bf)
	}
	dist := ""
	if pd := strings.TrimSuffix(in["package_directory"], "/"); pd != "" && pd != "." {
		if !ptPlainPath.MatchString(pd) {
			return nil, refuse("package_directory " + pd)
		}
		script = append([]string{"working-directory: " + pd}, script...)
		dist = packagesDir(pd, "")
	}
	e, err := pypitoolReplaceEntry(d, usesKey, script)
	if err != nil {
		return nil, err
	}
	edits := []Edit{e}
	we, err := d.removeEntry(step+".with", len(splitPath(step)))
	if err != nil {
		return nil, err
	}
	edits = append(edits, we)
	lines, err := pypitoolActionStep(d, st, target, dist, skip)
	if err != nil {
		return nil, err
	}
	ie, err := pypitoolInsertAfter(d, step, lines)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ie)
	pe, err := ensurePermissions(d, job, notes)
	if err != nil {
		return nil, err
	}
	edits = append(append(edits, pe...), ensureEnvironment(d, job, target, notes)...)
	*notes = append(*notes,
		"JRubics/poetry-publish is replaced: poetry cannot do trusted publishing, so the step now builds with poetry (installed with pipx on the runner) and pypa/gh-action-pypi-publish uploads "+pypitoolOr(dist, "dist/")+" to "+pypitoolIndexName(target),
		"JRubics/poetry-publish built in its own container after `poetry install`, with the image's Python; the new step builds with the runner's Python and does not install the project: add actions/setup-python or `poetry install` if the build needs them")
	return edits, nil
}

// ---- casperdcl/deploy-pypi ----

// pypitoolDeployPyPI keeps casperdcl/deploy-pypi@v2 for building and
// checking (upload: false, no password) and uploads with
// pypa/gh-action-pypi-publish, the client the reference documents for
// trusted publishing.
func pypitoolDeployPyPI(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	step := stepOf(f.YAMLPath)
	if step == "" {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the token does not reach the action through with:"}
	}
	job, jv, err := pypitoolJob(d, f)
	if err != nil {
		return nil, err
	}
	if err := pypitoolLinux(job, jv); err != nil {
		return nil, err
	}
	st, _, ok := d.stepNode(step)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: step + " is not a block step"}
	}
	_, uses := child(st, "uses")
	_, with := child(st, "with")
	if uses == nil || with == nil || with.Kind != yaml.MappingNode || with.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the step's with: is not a block mapping"}
	}
	ref := uses.Value[strings.LastIndexByte(uses.Value, '@')+1:]
	if m := actionVersion.FindStringSubmatch(ref); m == nil || m[1] != "2" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi@" + ref + " is not a v2 release, whose upload: false tpscan relies on: move the upload to pypa/gh-action-pypi-publish by hand"}
	}
	var drop []string
	target, dist, skip := "pypi", "", false
	var uploadNode *yaml.Node
	for i := 0; i+1 < len(with.Content); i += 2 {
		k, v := with.Content[i].Value, with.Content[i+1]
		switch k {
		case "password", "user":
			drop = append(drop, k)
			continue
		case "requirements", "setup", "build", "pip", "check", "registry_domain":
			continue
		}
		if v.Kind != yaml.ScalarNode || strings.Contains(v.Value, "${{") {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi input " + k + " is computed at run time: move the upload to pypa/gh-action-pypi-publish by hand"}
		}
		switch k {
		case "upload":
			if v.Value != "true" {
				return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi has upload: " + v.Value}
			}
			uploadNode = v
		case "url":
			if target = pypitoolIndex(v.Value); target == "" {
				return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi uploads to " + v.Value + ", which is neither PyPI nor TestPyPI"}
			}
		case "dist_dir":
			if !ptPlainPath.MatchString(v.Value) {
				return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi dist_dir " + v.Value}
			}
			dist = packagesDir("", v.Value)
		case "skip_existing":
			skip = v.Value == "true"
		default:
			// gpg_key (signatures the new upload would not make) and
			// whatever else tpscan does not know.
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "casperdcl/deploy-pypi input " + k + " has no pypa/gh-action-pypi-publish equivalent tpscan writes"}
		}
	}
	if len(drop) == 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "no password input on the action"}
	}
	if f.Registry != "" && f.Registry != target {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "the scan reads the target as " + f.Registry + ", the inputs as " + target}
	}
	var edits []Edit
	for _, k := range drop {
		e, err := d.removeEntry(step+".with."+k, len(splitPath(step))+1)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	if uploadNode != nil {
		e, ok := d.setScalar(uploadNode, "false")
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "upload: is not a one-line scalar"}
		}
		edits = append(edits, e)
	} else {
		ind, ok := d.childIndent(with)
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the step's with: is not a block mapping"}
		}
		at := d.lineStart(d.lastLine(with) + 1)
		edits = append(edits, Edit{Start: at, End: at, New: strings.Repeat(" ", ind) + "upload: false" + d.eol()})
	}
	lines, err := pypitoolActionStep(d, st, target, dist, skip)
	if err != nil {
		return nil, err
	}
	ie, err := pypitoolInsertAfter(d, step, lines)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ie)
	pe, err := ensurePermissions(d, job, notes)
	if err != nil {
		return nil, err
	}
	edits = append(append(edits, pe...), ensureEnvironment(d, job, target, notes)...)
	*notes = append(*notes, "casperdcl/deploy-pypi now only builds and checks (upload: false, no password); pypa/gh-action-pypi-publish uploads "+pypitoolOr(dist, "dist/")+" to "+pypitoolIndexName(target)+" in the next step")
	return edits, nil
}
