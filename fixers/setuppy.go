package fixers

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// setup.py upload (reference §2.8): distutils' upload command reads its
// credentials from ~/.pypirc and cannot do trusted publishing (setuptools
// has since removed it). On GitHub Actions the command line keeps the
// build it ran (`python setup.py sdist bdist_wheel upload` becomes `python
// setup.py sdist bdist_wheel`), pypa/gh-action-pypi-publish uploads dist/
// in a new step right after it (repository-url for TestPyPI), and the lines
// that wrote ~/.pypirc go with the variables only they read. What cannot be
// separated cleanly is refused: the upload inside a larger shell command or
// not last in its script, a .pypirc handled some other way, another index,
// GPG signing, a non-Linux runner (the action is a container).

const (
	setuppyAction   = "pypa/gh-action-pypi-publish@release/v1"
	setuppyTestPyPI = "https://test.pypi.org/legacy/"
)

var (
	setuppyUploadRe = regexp.MustCompile(`setup\.py\b.*\bupload\b`)
	setuppyPypircRe = regexp.MustCompile(`\.pypirc\b`)
	setuppyHereRe   = regexp.MustCompile(`<<(-?)\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)
	setuppyOtherPub = regexp.MustCompile(`\btwine\s+upload\b|\bflit\s+publish\b|\bhatch\s+publish\b|\bmaturin\s+(?:upload|publish)\b|\bpoetry\s+publish\b`)
	setuppyRepoLine = regexp.MustCompile(`^\s*repository\s*[=:]\s*(\S+)\s*$`)
	setuppySection  = regexp.MustCompile(`^\s*\[([^\]]+)\]\s*$`)
	// setuppyCommands are the distutils and setuptools commands a build
	// line may hold; packagesDirs those that put a distribution in dist/.
	setuppyCommands = map[string]bool{"sdist": true, "bdist_wheel": true, "bdist_egg": true, "bdist": true, "bdist_dumb": true, "bdist_rpm": true,
		"build": true, "build_py": true, "build_ext": true, "build_clib": true, "build_scripts": true, "egg_info": true, "check": true,
		"clean": true, "upload": true, "register": true}
	packagesDirs = map[string]bool{"sdist": true, "bdist_wheel": true, "bdist_egg": true, "bdist": true, "bdist_dumb": true, "bdist_rpm": true}
)

// setuppyUpload is a parsed `python setup.py ... upload` line.
type setuppyUpload struct {
	sc       *jsrelScript
	line     jsrelLine
	build    string // the line without upload and register
	repo     string // -r of upload
	distDir  string
	register bool
	show     bool // --show-response, dropped
}

// fixSetupPyUpload moves a setup.py upload to pypa/gh-action-pypi-publish.
func fixSetupPyUpload(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if !strings.HasPrefix(f.Path, ".github/workflows/") {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for setup.py upload outside GitHub Actions yet: build the distributions and upload them with twine 6.1+ and an id_tokens entry by hand"}
	}
	if f.Registry != "" && f.Registry != "pypi" && f.Registry != "testpypi" {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "trusted publishing is PyPI's and TestPyPI's; this upload goes to " + f.Registry}
	}
	j, err := jsrelLoad(d, f, notes)
	if err != nil {
		return nil, err
	}
	if err := pypitoolLinux(j.id, j.jv); err != nil {
		return nil, err
	}
	text := j.jobText()
	if m := setuppyOtherPub.FindString(text); m != "" {
		return nil, &Refusal{Reason: ReasonScript, Detail: "job " + j.id + " also runs " + m + ", which may read the same ~/.pypirc: migrate both by hand"}
	}
	// The upload command: one, standing alone on the last line of its script.
	var ups []*setuppyUpload
	for i := range j.steps {
		sc := j.scripts[i]
		if sc == nil {
			if setuppyUploadRe.MatchString(j.runText(i)) {
				return nil, &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + " runs setup.py upload in a script tpscan does not edit line by line (a folded or flow scalar)"}
			}
			continue
		}
		for k, l := range sc.lines {
			if !setuppyUploadRe.MatchString(l.text) {
				continue
			}
			if !l.ok || !setuppyLineAlone(sc, k) {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: setup.py upload is part of a larger shell command; split it by hand", l.n)}
			}
			up, why := setuppyParse(l.words)
			if why != "" {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: setup.py upload with %s: tpscan does not translate that to pypa/gh-action-pypi-publish", l.n, why)}
			}
			up.sc, up.line = sc, l
			if k != len(sc.lines)-1 {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: commands follow setup.py upload in its run: script; the new upload step would run after them", l.n)}
			}
			for _, p := range sc.lines[:k] {
				if ws := jsrelArgs(p.words); len(ws) > 0 && (ws[0] == "cd" || ws[0] == "pushd") {
					return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: the script changes directory before setup.py upload; tpscan cannot tell where dist/ is", p.n)}
				}
			}
			ups = append(ups, up)
		}
	}
	switch {
	case len(ups) == 0:
		return nil, &Refusal{Reason: ReasonScript, Detail: "job " + j.id + " has no setup.py upload standing alone on a line of a run: script"}
	case len(ups) > 1:
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s runs setup.py upload %d times: split the uploads by hand", j.id, len(ups))}
	}
	up := ups[0]
	j.pub = up.sc.idx

	// ~/.pypirc: every line of the job that handles it goes.
	pypirc, err := j.setuppyPypirc()
	if err != nil {
		return nil, err
	}
	target, err := setuppyTarget(up.repo, pypirc)
	if err != nil {
		return nil, err
	}
	if f.Registry != "" && f.Registry != target {
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the upload goes to %s, the scan says %s: check by hand", setuppyIndexName(target), f.Registry)}
	}

	// The upload line becomes the build.
	if up.sc.inline {
		v := up.sc.runVal
		if v.Style != 0 && strings.ContainsAny(up.build, `"'\`) {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the build command would need YAML escapes"}
		}
		e, ok := d.setScalar(v, up.build)
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the run: value cannot be replaced in place"}
		}
		j.edits = append(j.edits, e)
	} else {
		ws := up.line.words
		at := d.lineStart(up.line.n)
		j.edits = append(j.edits, Edit{Start: at + ws[0].start, End: at + ws[len(ws)-1].end, New: up.build})
	}
	if err := j.setuppyEnv(); err != nil {
		return nil, err
	}
	if err := j.setuppyVerify(); err != nil {
		return nil, err
	}
	// The new publish step, right after the build.
	dist := packagesDir(runWorkDir(d, up.sc.step, j.id), up.distDir)
	lines := []string{"name: Publish to " + setuppyIndexName(target)}
	for _, k := range []string{"if", "continue-on-error", "timeout-minutes"} {
		kn, v := child(up.sc.step, k)
		if v == nil {
			continue
		}
		a, b, ok := d.entryLines(kn)
		if !ok || a != b {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the step's %s: spans several lines; the new publish step must copy it", k)}
		}
		lines = append(lines, strings.TrimRight(d.line(a), "\r\n")[kn.Column-1:])
	}
	lines = append(lines, "uses: "+setuppyAction)
	var with []string
	if target == "testpypi" {
		with = append(with, "repository-url: "+setuppyTestPyPI)
	}
	if dist != "" {
		with = append(with, "packages-dir: "+dist)
	}
	if len(with) > 0 {
		lines = append(lines, "with:")
		for _, w := range with {
			lines = append(lines, "  "+w)
		}
	}
	ins, err := d.insertStepAfter(up.sc.path, lines)
	if err != nil {
		return nil, err
	}
	if _, dash, ok := d.stepNode(up.sc.path); ok && dash > 1 && strings.TrimSpace(d.line(dash-1)) == "" {
		// Steps set apart by blank lines: so is the new one.
		ins.New = d.eol() + ins.New
	}
	if ins.Start == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		ins.New = d.eol() + strings.TrimSuffix(ins.New, d.eol())
	}
	j.edits = append(j.edits, ins)

	var need []string
	if jsrelPushes.MatchString(text) {
		need = []string{"contents: write"}
	}
	pe, err := jsrelPermissions(d, j.id, need, "the job pushes tags or creates releases", notes)
	if err != nil {
		return nil, err
	}
	j.edits = append(append(j.edits, pe...), ensureEnvironment(d, j.id, target, notes)...)

	*notes = append(*notes, fmt.Sprintf("setup.py upload (removed from setuptools in 2020) cannot do trusted publishing: `%s` now only builds, and pypa/gh-action-pypi-publish uploads the result to %s in the next step", up.build, setuppyIndexName(target)))
	*notes = append(*notes, fmt.Sprintf("pypa/gh-action-pypi-publish uploads every file in %s, where setup.py upload took only what its own command line built: check that nothing else lands there before it runs", setuppyOr(dist, "dist/")))
	if up.register {
		*notes = append(*notes, "setup.py register is dropped: PyPI creates the project on its first upload (a new project needs a pending trusted publisher)")
	}
	if up.show {
		*notes = append(*notes, "--show-response belonged to setup.py upload and is dropped")
	}
	if _, strat := child(j.jv, "strategy"); strat != nil {
		if _, mx := child(strat, "matrix"); mx != nil {
			*notes = append(*notes, "job "+j.id+" is a matrix job: every matrix run uploads what it built, as setup.py upload did; a file another run already uploaded fails the upload (skip-existing: true tolerates it)")
		}
	}
	return keepNoFinalNewline(d, j.edits), nil
}

// setuppyLineAlone says whether line k of a script is a command of its
// own: no heredoc, control structure or quote across lines in the script,
// and no continuation into or out of it.
func setuppyLineAlone(sc *jsrelScript, k int) bool {
	if !setuppyScriptPlain(sc) {
		return false
	}
	if k > 0 {
		prev := strings.TrimRight(sc.lines[k-1].text, " \t")
		for _, s := range []string{"\\", "|", "&&", "||"} {
			if strings.HasSuffix(prev, s) {
				return false
			}
		}
	}
	return true
}

// setuppyScriptPlain is jsrelScript.simple, except that heredocs writing
// ~/.pypirc are allowed (they go whole).
func setuppyScriptPlain(sc *jsrelScript) bool {
	if sc.simple {
		return true
	}
	_, plain := setuppyHeredocs(sc)
	return plain
}

// setuppyHeredocs finds the heredocs of a script that write ~/.pypirc, as
// [from, to] index ranges of sc.lines; plain says that, those aside, every
// line is a command of its own.
func setuppyHeredocs(sc *jsrelScript) (docs [][2]int, plain bool) {
	plain = true
	for k := 0; k < len(sc.lines); k++ {
		l := sc.lines[k]
		if m := setuppyHereRe.FindStringSubmatch(l.text); m != nil {
			end := -1
			for e := k + 1; e < len(sc.lines); e++ {
				t := sc.lines[e].text
				if m[1] == "-" {
					t = strings.TrimLeft(t, "\t")
				}
				if strings.TrimSpace(t) == m[2] {
					end = e
					break
				}
			}
			words, redirect, ok, _ := jsrelSplit(setuppyHereRe.ReplaceAllString(l.text, ""))
			if end < 0 || !ok || path.Base(redirect) != ".pypirc" || len(words) != 1 || words[0].val != "cat" {
				plain = false
				continue
			}
			docs = append(docs, [2]int{k, end})
			k = end
			continue
		}
		_, _, _, balanced := jsrelSplit(l.text)
		fields := strings.Fields(l.text)
		if !balanced || len(fields) > 0 && (shellControl[fields[0]] || strings.HasSuffix(fields[0], "()")) {
			plain = false
		}
		t := strings.TrimRight(l.text, " \t")
		for _, s := range []string{"\\", "|", "&&", "||"} {
			if strings.HasSuffix(t, s) {
				plain = false
			}
		}
	}
	return docs, plain
}

// setuppyParse reads `python setup.py <commands> upload [options]`; why
// says what tpscan does not translate.
func setuppyParse(words []jsrelWord) (*setuppyUpload, string) {
	i := 0
	if len(words) > 0 {
		b := path.Base(words[0].val)
		if b == "python" || b == "python3" || b == "py" || strings.HasPrefix(b, "python3.") || strings.HasPrefix(b, "python2") {
			i = 1
		}
	}
	if i >= len(words) || words[i].val != "setup.py" && words[i].val != "./setup.py" {
		return nil, "a setup.py in another directory or Python options before it"
	}
	up := &setuppyUpload{}
	keep := []string{}
	for _, w := range words[:i+1] {
		keep = append(keep, w.raw)
	}
	cmd := ""
	uploads := 0
	prevOpt := false  // the previous word is an option that may take a value
	var dirs []string // the dist directory of each command that builds one
	for k := i + 1; k < len(words); k++ {
		w := words[k]
		v := w.val
		if !strings.HasPrefix(v, "-") {
			if setuppyCommands[v] {
				cmd, prevOpt = v, false
				switch {
				case v == "upload":
					uploads++
				case v == "register":
					up.register = true
				case uploads > 0:
					if packagesDirs[v] {
						return nil, "a distribution built after upload (" + v + ")"
					}
					keep = append(keep, w.raw)
				default:
					if packagesDirs[v] {
						dirs = append(dirs, "dist")
					}
					keep = append(keep, w.raw)
				}
				continue
			}
			if !prevOpt {
				return nil, "the command " + v + " (an alias or a project command)"
			}
			prevOpt = false
			if cmd != "upload" && cmd != "register" {
				keep = append(keep, w.raw)
			}
			continue
		}
		name, val, hasVal := strings.Cut(v, "=")
		switch cmd {
		case "upload":
			switch name {
			case "-r", "--repository":
				if !hasVal {
					if k+1 >= len(words) {
						return nil, "-r without a value"
					}
					k++
					val = words[k].val
				}
				up.repo = val
			case "--show-response":
				up.show = true
			case "-s", "--sign", "-i", "--identity":
				return nil, "GPG signing (" + name + "), which PyPI has dropped"
			default:
				return nil, "the upload option " + name
			}
			prevOpt = false
			continue
		case "register":
			prevOpt = !hasVal
			continue
		}
		if (name == "-d" || name == "--dist-dir") && packagesDirs[cmd] {
			if !hasVal {
				if k+1 >= len(words) {
					return nil, name + " without a value"
				}
				keep = append(keep, w.raw)
				k++
				val = words[k].val
				w = words[k]
			}
			dirs[len(dirs)-1] = val
			keep = append(keep, w.raw)
			prevOpt = false
			continue
		}
		keep = append(keep, w.raw)
		prevOpt = !hasVal
	}
	switch {
	case uploads != 1:
		return nil, "several upload commands"
	case len(dirs) == 0:
		return nil, "no build command before upload (distutils uploads only what the same command line built)"
	}
	for _, d := range dirs {
		switch {
		case strings.Contains(d, "$"):
			return nil, "a --dist-dir chosen at run time"
		case path.Clean(d) != path.Clean(dirs[0]):
			return nil, "distributions built into different directories"
		}
	}
	if path.Clean(dirs[0]) != "dist" {
		up.distDir = dirs[0]
	}
	if strings.Contains(up.repo, "$") {
		return nil, "a repository chosen at run time"
	}
	up.build = strings.Join(keep, " ")
	return up, ""
}

// setuppyPypircText is what the job writes into ~/.pypirc, as far as it is
// visible: the lines of its heredocs and echo/printf arguments.
type setuppyPypircText struct {
	lines []string
}

// setuppyPypirc removes every line of the job that handles ~/.pypirc
// (writes it, chmods, shows or removes it); a step left with nothing goes
// whole. Any other use of the file is refused.
func (j *jsrelJob) setuppyPypirc() (*setuppyPypircText, error) {
	out := &setuppyPypircText{}
	found := false
	for i := range j.steps {
		sc := j.scripts[i]
		if sc == nil {
			if setuppyPypircRe.MatchString(j.runText(i)) {
				return nil, &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + " handles ~/.pypirc in a script tpscan does not edit line by line"}
			}
			continue
		}
		docs, plain := setuppyHeredocs(sc)
		del := map[int]bool{} // indexes of sc.lines
		for _, r := range docs {
			for k := r[0]; k <= r[1]; k++ {
				del[k] = true
			}
			for k := r[0] + 1; k < r[1]; k++ {
				out.lines = append(out.lines, sc.lines[k].text)
			}
		}
		var extraDel [][2]int // file line ranges of heredocs (bodies hold blank lines too)
		for _, r := range docs {
			extraDel = append(extraDel, [2]int{sc.lines[r[0]].n, sc.lines[r[1]].n})
		}
		for k, l := range sc.lines {
			if del[k] || !setuppyPypircRe.MatchString(l.text) {
				continue
			}
			if !plain || !l.ok {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d handles ~/.pypirc as part of a larger shell command", l.n)}
			}
			args := jsrelArgs(l.words)
			switch {
			case path.Base(l.redirect) == ".pypirc" && len(args) > 0 && (args[0] == "echo" || args[0] == "printf"):
				for _, a := range args[1:] {
					if !strings.HasPrefix(a, "-") {
						out.lines = append(out.lines, strings.Split(a, `\n`)...)
					}
				}
			case l.redirect == "" && len(args) >= 2 && setuppyPypircOnly(args) && (args[0] == "chmod" || args[0] == "touch" || args[0] == "cat" || args[0] == "rm"):
			default:
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d uses ~/.pypirc in a way tpscan does not remove", l.n)}
			}
			del[k] = true
		}
		if len(del) == 0 {
			continue
		}
		found = true
		if i == j.pub && len(del) >= len(sc.lines) {
			return nil, &Refusal{Reason: ReasonScript, Detail: "the upload step's script would be left without a command"}
		}
		if len(del) == len(sc.lines) {
			if !jsrelOnlyKeys(sc.step, "name", "run", "env", "shell", "working-directory", "if") {
				return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + j.label(i) + " would be left without a command"}
			}
			e, err := jsrelDeleteStep(j.d, sc.path, sc.step)
			if err != nil {
				return nil, err
			}
			j.edits = append(j.edits, e)
			j.delStep[i] = true
			*j.notes = append(*j.notes, "step "+j.label(i)+" only wrote ~/.pypirc: removed")
			continue
		}
		if sc.inline {
			return nil, &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + ": a one-line run: cannot lose part of its command"}
		}
		for k := range del {
			n := sc.lines[k].n
			j.delLine[n] = true
		}
		for _, r := range extraDel {
			for n := r[0]; n <= r[1]; n++ {
				j.delLine[n] = true
			}
		}
		ns := make([]int, 0, len(j.delLine))
		for n := range j.delLine {
			if n > sc.runKey.Line && n <= j.d.lastLine(sc.step) {
				ns = append(ns, n)
			}
		}
		sort.Ints(ns)
		for a := 0; a < len(ns); {
			b := a
			for b+1 < len(ns) && ns[b+1] == ns[b]+1 {
				b++
			}
			j.edits = append(j.edits, Edit{Start: j.d.lineStart(ns[a]), End: j.d.lineStart(ns[b] + 1)})
			a = b + 1
		}
		*j.notes = append(*j.notes, "step "+j.label(i)+": the lines writing ~/.pypirc are removed")
	}
	if !found {
		return nil, &Refusal{Reason: ReasonScript, Detail: "job " + j.id + " does not write ~/.pypirc itself: the credential comes from a file or tool tpscan does not edit"}
	}
	return out, nil
}

// setuppyPypircOnly says whether the arguments after the command are
// options and ~/.pypirc only.
func setuppyPypircOnly(args []string) bool {
	n := 0
	for _, a := range args[1:] {
		switch {
		case strings.HasPrefix(a, "-") || a == "600" || a == "0600" || a == "go-rwx" || a == "u=rw,go=":
		case path.Base(a) == ".pypirc":
			n++
		default:
			return false
		}
	}
	return n == 1
}

// setuppyTarget resolves where the upload went: -r names a .pypirc section
// (its repository, PyPI's by default) or a URL.
func setuppyTarget(repo string, rc *setuppyPypircText) (string, error) {
	sections := map[string]string{} // name → repository ("" none)
	cur := ""
	for _, l := range rc.lines {
		l = strings.TrimSpace(strings.Trim(l, `"'`))
		if m := setuppySection.FindStringSubmatch(l); m != nil {
			cur = strings.TrimSpace(m[1])
			if _, ok := sections[cur]; !ok {
				sections[cur] = ""
			}
			continue
		}
		if m := setuppyRepoLine.FindStringSubmatch(l); m != nil && cur != "" {
			sections[cur] = m[1]
		}
	}
	classify := func(u, what string) (string, error) {
		if strings.Contains(u, "$") {
			return "", &Refusal{Reason: ReasonScript, Detail: what + " is chosen at run time"}
		}
		if t := setuppyIndex(u); t != "" {
			return t, nil
		}
		return "", &Refusal{Reason: ReasonRejected, Detail: what + " is " + u + ", not PyPI or TestPyPI: trusted publishing is theirs only"}
	}
	switch {
	case strings.Contains(repo, "://"):
		return classify(repo, "the upload repository")
	case repo == "" || repo == "pypi":
		if u := sections["pypi"]; u != "" {
			return classify(u, "the [pypi] repository")
		}
		return "pypi", nil
	}
	u, ok := sections[repo]
	switch {
	case ok && u != "":
		return classify(u, "the ["+repo+"] repository")
	case ok:
		return "pypi", nil // a section without repository is PyPI's
	}
	return "", &Refusal{Reason: ReasonScript, Detail: "setup.py upload -r " + repo + ": tpscan cannot see that section of ~/.pypirc, so not where it uploads"}
}

// setuppyEnv removes the variables that only the removed .pypirc lines
// read: from those steps' env, the upload step's, the job's and the
// workflow's (when the job is its only one), and every variable holding the
// finding's secret there.
func (j *jsrelJob) setuppyEnv() error {
	secretRe := j.secretRef()
	type scope struct {
		path  string
		steps []int
		level int
	}
	var scopes []scope
	for i := range j.steps {
		if j.delStep[i] {
			continue
		}
		touched := i == j.pub
		if sc := j.scripts[i]; sc != nil {
			for _, l := range sc.lines {
				touched = touched || j.delLine[l.n]
			}
		}
		if touched {
			scopes = append(scopes, scope{j.stepPath(i) + ".env", []int{i}, 2})
		}
	}
	all := make([]int, len(j.steps))
	for i := range all {
		all[i] = i
	}
	scopes = append(scopes, scope{"jobs." + j.id + ".env", all, 1}, scope{"env", all, 0})
	for _, sc := range scopes {
		_, _, m := j.d.lookup(sc.path)
		if m == nil || m.Kind != yaml.MappingNode || len(m.Content) == 0 {
			continue
		}
		if m.Style&yaml.FlowStyle != 0 {
			return &Refusal{Reason: ReasonLayout, Detail: sc.path + " is written in flow style"}
		}
		var drop []string
		for k := 0; k+1 < len(m.Content); k += 2 {
			name, v := m.Content[k].Value, m.Content[k+1]
			mine := secretRe != nil && secretRe.MatchString(v.Value)
			if !mine && !(sc.level == 2 && jsrelStored(v)) {
				continue
			}
			read := false
			for _, i := range sc.steps {
				if j.delStep[i] || sc.level < 2 && jsrelEnvHas(j.steps[i], name) {
					continue
				}
				read = read || jsrelReads(j.remaining(i)+"\n"+stepValues(j.steps[i]), name)
			}
			if read {
				if mine {
					return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s (the secret) is still read in job %s after the .pypirc lines go", name, j.id)}
				}
				continue
			}
			drop = append(drop, name)
		}
		if len(drop) == 0 {
			continue
		}
		if sc.level == 0 && len(mustChild(j.d.root, "jobs").Content) > 2 {
			return &Refusal{Reason: ReasonLayout, Detail: "the secret is in the workflow-level env, which every job sees: move it into the publishing job's env first"}
		}
		for _, n := range drop {
			j.dropped[n] = append(j.dropped[n], sc.steps...)
		}
		x, err := j.d.removeKeys(sc.path, drop)
		if err != nil {
			return err
		}
		j.edits = append(j.edits, x...)
		where := "the workflow env"
		switch sc.level {
		case 1:
			where = "job " + j.id + "'s env"
		case 2:
			where = "step " + j.label(sc.steps[0]) + "'s env"
		}
		*j.notes = append(*j.notes, fmt.Sprintf("%s removed from %s: only the ~/.pypirc lines read it", strings.Join(drop, ", "), where))
	}
	return nil
}

// setuppyVerify is the backstop: the secret appears nowhere in the job or
// the workflow env that the fix leaves.
func (j *jsrelJob) setuppyVerify() error {
	re := j.secretRef()
	if re == nil {
		return &Refusal{Reason: ReasonLayout, Detail: "the credential is not one stored secret named in the file"}
	}
	var ranges [][2]int
	if s, e, ok := j.d.entryRange(j.jk); ok {
		ranges = append(ranges, [2]int{s, e})
	}
	if _, k, _ := j.d.lookup("env"); k != nil {
		if s, e, ok := j.d.entryRange(k); ok {
			ranges = append(ranges, [2]int{s, e})
		}
	}
	for _, r := range ranges {
		for _, loc := range re.FindAllIndex(j.d.src[r[0]:r[1]], -1) {
			if !j.covered(r[0]+loc[0], r[0]+loc[1]) {
				line := strings.Count(string(j.d.src[:r[0]+loc[0]]), "\n") + 1
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("secret %s is still used on line %d, which this fix does not rewrite", j.f.Secret, line)}
			}
		}
	}
	return nil
}

func setuppyOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// setuppyIndex says which index an upload URL is: pypi, testpypi or "".
func setuppyIndex(u string) string {
	switch strings.TrimSuffix(strings.ToLower(strings.TrimSpace(u)), "/") {
	case "https://upload.pypi.org/legacy", "https://pypi.python.org/pypi", "https://pypi.org/legacy":
		return "pypi"
	case "https://test.pypi.org/legacy", "https://testpypi.python.org/pypi":
		return "testpypi"
	}
	return ""
}

func setuppyIndexName(target string) string {
	if target == "testpypi" {
		return "TestPyPI"
	}
	return "PyPI"
}
