package fixers

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/expr"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

// NuGet (reference §6): nuget.org trusted publishing is an exchange done by
// NuGet/login@v1, whose output NUGET_API_KEY is a short-lived API key (one
// hour at most) that any push accepting --api-key can use. The login needs
// id-token: write and the nuget.org profile name of the policy's creator in
// its required user input; that name is not in the repository, so the step
// reads it from a secret NUGET_USER (as NuGet's docs suggest) and a note
// says to create it.

const (
	// nugetLoginUses is the login action, pinned as the reference does.
	nugetLoginUses = "NuGet/login@v1"
	// nugetOrgV3 is the push source for nuget.org.
	nugetOrgV3 = "https://api.nuget.org/v3/index.json"
)

// fixNuGet fixes a nuget.org push on GitHub Actions (reference §6.8): a
// dotnet nuget push (or nuget push) in a run: step whose --api-key, or the
// env entry read by it, holds a stored secret gets a NuGet/login step right
// before it (the key lasts an hour at most) and the login's output instead
// of the secret; brandedoutcast/rohith publish-nuget is replaced by dotnet
// pack, NuGet/login and dotnet nuget push. It refuses a key stored by nuget
// setapikey or a NuGet.Config, a key the script uses for anything but the
// push, a job or workflow env entry that something else may read, a
// reusable workflow, and the other publish-nuget actions.
func fixNuGet(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if f.Registry != "nuget" {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "only nuget.org has trusted publishing; this push goes to " + f.Registry}
	}
	p := d.pipeline
	if p == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the workflow could not be read"}
	}
	var job *model.Job
	for _, j := range p.Jobs {
		if j.ID == f.Job {
			job = j
		}
	}
	if job == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " not found"}
	}
	var (
		edits []Edit
		err   error
	)
	if f.Method == "publish-nuget-action" {
		edits, err = nugetReplaceAction(d, f, job, notes)
	} else {
		edits, err = nugetPush(d, f, job, notes)
	}
	if err != nil {
		return nil, err
	}
	nugetSecretNotes(d, f, notes)
	pe, err := ensurePermissions(d, f.Job, notes)
	if err != nil {
		return nil, err
	}
	return append(edits, pe...), nil
}

// nugetSecretNotes warn about the other reads of the secret, which the
// patch leaves and which stop working once the secret is deleted: an
// actions/setup-dotnet NUGET_AUTH_TOKEN (the credential of its source-url
// feed, not the push key) or anything else outside a push (a condition such
// as secrets.X != ” turns false).
func nugetSecretNotes(d *doc, f *rules.Finding, notes *[]string) {
	pushLines := map[int]bool{}
	jobs := mustChild(d.root, "jobs")
	if jobs != nil && jobs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(jobs.Content); i += 2 {
			_, steps := child(jobs.Content[i+1], "steps")
			if steps == nil || steps.Kind != yaml.SequenceNode {
				continue
			}
			for k, st := range steps.Content {
				if st.Kind != yaml.MappingNode || len(st.Content) == 0 {
					continue
				}
				sp := fmt.Sprintf("jobs.%s.steps[%d]", jobs.Content[i].Value, k)
				from, to := st.Content[0].Line, d.lastLine(st)
				_, uses := child(st, "uses")
				switch {
				case uses != nil && strings.HasPrefix(strings.ToLower(uses.Value), "actions/setup-dotnet@"):
					_, tok := child(mustChild(st, "env"), "NUGET_AUTH_TOKEN")
					if tok == nil {
						continue
					}
					if spans, err := nugetSecretSpans(tok.Value, f.Secret); err == nil && len(spans) > 0 {
						*notes = append(*notes, fmt.Sprintf("%s (actions/setup-dotnet) still gets secrets.%s as NUGET_AUTH_TOKEN, the credential of its source-url feed, not the push key; nuget.org needs none to restore: remove it there before deleting the secret", sp, f.Secret))
						for l := from; l <= to; l++ {
							pushLines[l] = true
						}
					}
				case nugetPushText.MatchString(nugetStepText(d, sp)):
					for l := from; l <= to; l++ {
						pushLines[l] = true
					}
				}
			}
		}
	}
	// Any mention, comparisons included (which carry no value).
	var lines []string
	src := string(d.src)
	mention := regexp.MustCompile(`(?i)\bsecrets\s*(\.\s*` + regexp.QuoteMeta(f.Secret) + `\b|\[\s*'` + regexp.QuoteMeta(f.Secret) + `'\s*\])`)
	for _, m := range mention.FindAllStringIndex(src, -1) {
		l := strings.Count(src[:m[0]], "\n") + 1
		if !pushLines[l] {
			lines = append(lines, fmt.Sprint(l))
			pushLines[l] = true
		}
	}
	if len(lines) > 0 {
		*notes = append(*notes, fmt.Sprintf("secrets.%s is also read outside the push (line %s): keep the secret until that use goes; a condition on it turns false once it is deleted", f.Secret, strings.Join(lines, ", ")))
	}
}

// nugetPush swaps the secret that reaches a push in a run: step for the
// login's output: on the command line, or in the env entry that carries it.
// An entry of the job's or workflow's env moves to the push step, since only
// a step's env can read another step's output.
func nugetPush(d *doc, f *rules.Finding, job *model.Job, notes *[]string) ([]Edit, error) {
	for _, v := range f.Via {
		switch {
		case strings.HasPrefix(v, "also "):
			// The same secret reaches the same push another way too.
		case strings.Contains(v, "setapikey") || strings.Contains(v, "written to") || strings.Contains(v, "named in"):
			return nil, &Refusal{Reason: ReasonScript, Detail: "the key is stored with nuget setapikey or in a NuGet.Config: remove that and push with --api-key from NuGet/login's NUGET_API_KEY output"}
		default:
			return nil, &Refusal{Reason: ReasonScript, Detail: "the key reaches the push through " + v + ": push with --api-key from NuGet/login's NUGET_API_KEY output instead"}
		}
	}
	segs := splitPath(f.YAMLPath)
	var st *model.Step
	envKey, level := "", ""
	switch {
	case f.YAMLPath == "":
		st = nugetStepAt(d, job, f.Line)
	case len(segs) == 5 && segs[0] == "jobs" && strings.HasPrefix(segs[2], "steps[") && segs[3] == "env":
		step := stepOf(f.YAMLPath)
		for _, s := range job.Steps {
			if s.YAMLPath == step {
				st = s
			}
		}
		envKey, level = segs[4], "step"
	case len(segs) == 4 && segs[0] == "jobs" && segs[2] == "env":
		envKey, level = segs[3], "job"
	case len(segs) == 2 && segs[0] == "env":
		envKey, level = segs[1], "workflow"
	default:
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the key reaches the push through " + f.YAMLPath}
	}
	if level == "job" || level == "workflow" {
		for _, s := range job.Steps {
			if nugetLabel(s) == f.Step {
				if st != nil {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "two steps of job " + job.ID + " are labelled " + f.Step}
				}
				st = s
			}
		}
	}
	if st == nil {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the key reaches the push from another step (a stored key or a file): push with --api-key from NuGet/login instead"}
	}
	if st.Run == nil {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the push runs inside " + st.Uses + ", not in a run: script"}
	}
	shell.Ensure(st.Run)
	stNode, _, ok := d.stepNode(st.YAMLPath)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: st.YAMLPath + " is not a block step"}
	}
	runKey, _ := child(stNode, "run")
	if runKey == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: st.YAMLPath + " has no run: entry"}
	}
	rs, re, ok := d.entryRange(runKey)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the run: entry of " + st.YAMLPath + " is not a block entry"}
	}
	runText := string(d.src[rs:re])
	id, loginEdits, err := nugetLogin(d, job, st, notes)
	if err != nil {
		return nil, err
	}
	output := "${{ steps." + id + ".outputs.NUGET_API_KEY }}"
	var edits []Edit
	if envKey == "" {
		// The secret is written on the push's command line.
		spans, err := nugetSecretSpans(runText, f.Secret)
		if err != nil {
			return nil, err
		}
		valid, total := nugetUses(st.Run, func(r model.Ref) bool { return r.Kind == "secrets" && strings.EqualFold(r.Name, f.Secret) }, "${{…}}")
		if len(spans) == 0 || valid != len(spans) || total != len(spans) {
			return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("secrets.%s is used in the script for more than the --api-key of a nuget.org push", f.Secret)}
		}
		for _, sp := range spans {
			edits = append(edits, Edit{Start: rs + sp.Start, End: rs + sp.End, New: output})
		}
	} else {
		// An env entry carries the key: read by the push implicitly
		// (NUGET_API_KEY, SDK 10.0.300 and later) or through $NAME.
		_, k, v := d.lookup(f.YAMLPath)
		if k == nil || v == nil || v.Kind != yaml.ScalarNode {
			return nil, &Refusal{Reason: ReasonLayout, Detail: f.YAMLPath + " is not a one-line value"}
		}
		es, ee, ok := d.entryRange(k)
		if !ok || k.Line != v.Line || d.lineStart(v.Line+1) != ee {
			return nil, &Refusal{Reason: ReasonLayout, Detail: f.YAMLPath + " is not a one-line value"}
		}
		spans, err := nugetSecretSpans(string(d.src[es:ee]), f.Secret)
		if err != nil {
			return nil, err
		}
		if len(spans) != 1 || strings.TrimSpace(v.Value) != strings.TrimSpace(string(d.src[es+spans[0].Start:es+spans[0].End])) {
			return nil, &Refusal{Reason: ReasonLayout, Detail: f.YAMLPath + " is more than ${{ secrets." + f.Secret + " }}"}
		}
		isVar := func(r model.Ref) bool {
			return (r.Kind == "var" || r.Kind == "env") && r.Name == envKey
		}
		word := nugetWord(envKey)
		valid, total := nugetUses(st.Run, isVar, "${"+envKey+"}", "${{…}}")
		raw := len(word.FindAllStringIndex(runText, -1))
		if valid != total || raw != total || (total == 0 && envKey != "NUGET_API_KEY") {
			return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s is used in the script for more than the --api-key of a nuget.org push", envKey)}
		}
		if level == "step" {
			edits = append(edits, Edit{Start: es + spans[0].Start, End: es + spans[0].End, New: output})
		} else {
			me, err := nugetMoveEnv(d, f, job, st, stNode, level, envKey, [2]int{es, ee}, [2]int{rs, re}, output)
			if err != nil {
				return nil, err
			}
			edits = append(edits, me...)
			*notes = append(*notes, fmt.Sprintf("moved %s from the %s env to the push step (%s), the only step that reads it: a step output can only be read in a step's env", envKey, level, st.YAMLPath))
		}
		if total == 0 && !nugetHasKeyFlag(st.Run) {
			*notes = append(*notes, fmt.Sprintf("%s: NUGET_API_KEY now holds NuGet/login's short-lived key; dotnet nuget push reads it without --api-key only from .NET SDK 10.0.300 (NuGet 7.6) on, as it did the stored key", st.YAMLPath))
		}
	}
	if cmds := st.Run.Commands; len(cmds) > 0 && !nugetIsPush(cmds[0].Args) {
		*notes = append(*notes, fmt.Sprintf("%s: NuGet/login runs before this whole script; its key lasts at most an hour, so keep long builds out of the push step", st.YAMLPath))
	}
	edits = append(edits, loginEdits...)
	te, err := nugetTriggers(d, job, st.YAMLPath, notes)
	if err != nil {
		return nil, err
	}
	return append(edits, te...), nil
}

// nugetWord matches name as a whole word.
func nugetWord(name string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(name) + `([^A-Za-z0-9_]|$)`)
}

// nugetPushText finds a NuGet push in a step's text.
var nugetPushText = regexp.MustCompile(`(?i)nuget(\.exe)?\s+push|publish-nuget|nuget-publish|push-nuget`)

// nugetStepPaths lists the steps of one job, or of every job for the
// workflow level.
func nugetStepPaths(d *doc, level, job string) []string {
	var out []string
	jobs := mustChild(d.root, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		id := jobs.Content[i].Value
		if level == "job" && id != job {
			continue
		}
		_, steps := child(jobs.Content[i+1], "steps")
		if steps == nil || steps.Kind != yaml.SequenceNode {
			continue
		}
		for k := range steps.Content {
			out = append(out, fmt.Sprintf("jobs.%s.steps[%d]", id, k))
		}
	}
	return out
}

// nugetStepText is the text of a step's lines.
func nugetStepText(d *doc, stepPath string) string {
	_, _, n := d.lookup(stepPath)
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return ""
	}
	return string(d.src[d.lineStart(n.Content[0].Line):d.lineStart(d.lastLine(n)+1)])
}

// nugetLabel names a step as the findings do.
func nugetLabel(s *model.Step) string {
	if l := s.Label(); l != "" {
		return l
	}
	return fmt.Sprintf("#%d", s.Index)
}

// nugetMoveEnv removes the job's or workflow's env entry name (bytes
// entry) and sets name on the push step from the login's output. Nothing in
// its scope (the job, or the whole file) but the push's run: script (bytes
// run) may name it: not another step, and not the push step's if:, which
// does not see the step's own env.
func nugetMoveEnv(d *doc, f *rules.Finding, job *model.Job, st *model.Step, stNode *yaml.Node, level, name string, entry, run [2]int, output string) ([]Edit, error) {
	scopeStart, scopeEnd := 0, len(d.src)
	if strings.HasPrefix(f.YAMLPath, "jobs.") {
		jk, _ := child(mustChild(d.root, "jobs"), job.ID)
		var ok bool
		if scopeStart, scopeEnd, ok = d.entryRange(jk); !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job.ID + " is not a block entry"}
		}
	}
	for _, m := range nugetWord(name).FindAllIndex(d.src[scopeStart:scopeEnd], -1) {
		at := scopeStart + m[0]
		if at >= entry[0] && at < entry[1] || at >= run[0] && at < run[1] {
			continue
		}
		// Any other mention (another step, an if:) may read it.
		return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s is set in the %s env and named outside the push's script too: set it on the push step from NuGet/login's output by hand", name, level)}
	}
	// dotnet nuget push reads NUGET_API_KEY without naming it: another
	// push in scope may rely on the entry.
	if name == "NUGET_API_KEY" {
		for _, sp := range nugetStepPaths(d, level, job.ID) {
			if sp != st.YAMLPath && nugetPushText.MatchString(nugetStepText(d, sp)) {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("NUGET_API_KEY is set in the %s env and another push (%s) may read it", level, sp)}
			}
		}
	}
	_, stEnv := child(stNode, "env")
	if k, _ := child(stEnv, name); k != nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the push step sets " + name + " itself"}
	}
	stop := 2
	if !strings.HasPrefix(f.YAMLPath, "jobs.") {
		stop = 0
	}
	rm, err := d.removeEntry(f.YAMLPath, stop)
	if err != nil {
		return nil, err
	}
	eol := d.eol()
	col := stNode.Content[0].Column - 1
	var add Edit
	switch {
	case stEnv == nil:
		at := d.lineStart(d.lastLine(stNode) + 1)
		add = Edit{Start: at, End: at, New: strings.Repeat(" ", col) + "env:" + eol + strings.Repeat(" ", col+2) + name + ": " + output + eol}
	case stEnv.Kind == yaml.MappingNode && stEnv.Style&yaml.FlowStyle == 0 && len(stEnv.Content) > 0:
		ind, _ := d.childIndent(stEnv)
		at := d.lineStart(d.lastLine(stEnv) + 1)
		add = Edit{Start: at, End: at, New: strings.Repeat(" ", ind) + name + ": " + output + eol}
	default:
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the push step's env is not a block mapping"}
	}
	return []Edit{rm, add}, nil
}

// nugetStepAt returns the step of job whose lines hold line.
func nugetStepAt(d *doc, job *model.Job, line int) *model.Step {
	for _, s := range job.Steps {
		_, _, n := d.lookup(s.YAMLPath)
		if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
			continue
		}
		if n.Content[0].Line <= line && line <= d.lastLine(n) {
			return s
		}
	}
	return nil
}

// nugetSecretSpans returns the ${{ }} templates of text that read
// secrets.name; a template that also reads something else than secrets
// cannot be swapped whole.
func nugetSecretSpans(text, name string) ([]expr.Span, error) {
	var out []expr.Span
	for _, sp := range expr.Templates(text) {
		hit := false
		for _, r := range sp.Refs {
			if r.Kind == "secrets" && strings.EqualFold(r.Name, name) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		for _, r := range sp.Refs {
			if r.Kind != "secrets" {
				return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("secrets.%s is part of an expression that also reads %s", name, r.Kind)}
			}
		}
		out = append(out, sp)
	}
	return out, nil
}

// nugetCredFlags are the push options that take an API key (catalogue).
var nugetCredFlags = []string{"-k", "--api-key", "-apikey", "-sk", "--symbol-api-key", "-symbolapikey"}

var nugetOrgSource = regexp.MustCompile(`(?i)^(https?://(api|www)\.nuget\.org(/.*)?|nuget\.org)$`)

// nugetIsPush reports whether argv is dotnet nuget push or nuget push.
func nugetIsPush(args []model.Word) bool {
	if len(args) < 2 {
		return false
	}
	name := strings.ToLower(path.Base(strings.ReplaceAll(args[0].Lit, `\`, "/")))
	name = strings.TrimSuffix(name, ".exe")
	switch name {
	case "dotnet":
		return len(args) >= 3 && args[1].Lit == "nuget" && args[2].Lit == "push"
	case "nuget":
		return strings.EqualFold(args[1].Lit, "push")
	}
	return false
}

// nugetUses counts the words of a script that carry a matching reference
// (total) and those that are exactly the value (one of pure) of an API-key
// option of a push to nuget.org (valid).
func nugetUses(sc *model.Script, match func(model.Ref) bool, pure ...string) (valid, total int) {
	carries := func(w *model.Word) bool {
		if w == nil {
			return false
		}
		for _, r := range w.Refs {
			if match(r) {
				return true
			}
		}
		return false
	}
	isPure := func(s string) bool {
		for _, p := range pure {
			if s == p {
				return true
			}
		}
		return false
	}
	for _, c := range sc.Commands {
		for i := range c.Assigns {
			if carries(&c.Assigns[i].Value) {
				total++
			}
		}
		for i := range c.Redirects {
			if carries(&c.Redirects[i].Target) || carries(c.Redirects[i].Body) {
				total++
			}
		}
		if carries(c.Stdin) {
			total++
		}
		push := nugetIsPush(c.Args) && nugetSourceOK(c.Args)
		for i := range c.Args {
			w := &c.Args[i]
			if !carries(w) {
				continue
			}
			total++
			if !push {
				continue
			}
			lit := w.Lit
			if i > 0 && nugetIsCredFlag(c.Args[i-1].Lit) && isPure(lit) {
				valid++
				continue
			}
			if j := strings.IndexAny(lit, "=:"); j > 0 && nugetIsCredFlag(lit[:j]) && isPure(lit[j+1:]) {
				valid++
			}
		}
	}
	return valid, total
}

// nugetHasKeyFlag reports a push in the script that names an API key on its
// command line (which wins over NUGET_API_KEY).
func nugetHasKeyFlag(sc *model.Script) bool {
	for _, c := range sc.Commands {
		if !nugetIsPush(c.Args) {
			continue
		}
		for _, a := range c.Args {
			lit := a.Lit
			if j := strings.IndexAny(lit, "=:"); j > 0 {
				lit = lit[:j]
			}
			if nugetIsCredFlag(lit) {
				return true
			}
		}
	}
	return false
}

func nugetIsCredFlag(s string) bool {
	for _, f := range nugetCredFlags {
		if strings.EqualFold(s, f) {
			return true
		}
	}
	return false
}

// nugetSourceOK reports whether a push names nuget.org as its source, or no
// source (the default push source, which the scan judged to be nuget.org).
func nugetSourceOK(args []model.Word) bool {
	for i, a := range args {
		lit := a.Lit
		val, found := "", false
		switch {
		case strings.EqualFold(lit, "-s") || strings.EqualFold(lit, "--source") || strings.EqualFold(lit, "-source"):
			if i+1 < len(args) {
				val, found = args[i+1].Lit, true
			} else {
				return false
			}
		case strings.HasPrefix(strings.ToLower(lit), "--source=") || strings.HasPrefix(strings.ToLower(lit), "-source:"):
			val, found = lit[strings.IndexAny(lit, "=:")+1:], true
		}
		if found && !nugetOrgSource.MatchString(val) {
			return false
		}
	}
	return true
}

// nugetLogin returns the id of the NuGet/login step whose output the push
// reads, with the edit that inserts it right before the push (its key lasts
// an hour at most) unless one already runs earlier in the job. The push
// step's if: is copied, so the login runs only when the push does.
func nugetLogin(d *doc, job *model.Job, st *model.Step, notes *[]string) (string, []Edit, error) {
	for _, s := range job.Steps {
		if s.Index < st.Index && strings.HasPrefix(strings.ToLower(s.Uses), "nuget/login@") && s.ID != "" {
			return s.ID, nil, nil
		}
	}
	id, err := nugetFreeID(d, job, st)
	if err != nil {
		return "", nil, err
	}
	ifLines, err := d.stepEntryLines(st.YAMLPath, "if")
	if err != nil {
		return "", nil, err
	}
	e, err := d.insertStepBefore(st.YAMLPath, nugetLoginLines(d, id, ifLines, notes))
	if err != nil {
		return "", nil, err
	}
	return id, []Edit{e}, nil
}

// nugetLoginLines are the NuGet/login step's lines. Its user input is the
// nuget.org profile name of the policy's creator, which the repository does
// not hold: it is read from NUGET_USER (a variable when the workflow already
// uses one, else a secret, as NuGet's docs do), and a note says to create it.
func nugetLoginLines(d *doc, id string, ifLines []string, notes *[]string) []string {
	user := "secrets.NUGET_USER"
	if strings.Contains(string(d.src), "vars.NUGET_USER") {
		user = "vars.NUGET_USER"
	}
	lines := append([]string{"uses: " + nugetLoginUses, "id: " + id}, ifLines...)
	lines = append(lines, "with:", "  user: ${{ "+user+" }} # nuget.org profile name (not the email) of the policy's creator")
	*notes = append(*notes, "NuGet/login reads the nuget.org profile name (not the email address) of the user who creates the trusted publishing policy from "+user+": create it before the next release, or the login fails")
	return lines
}

// nugetFreeID picks the login step's id: "login", or one naming the push
// step when the job pushes from several steps (each gets its own login) or
// "login" is taken.
func nugetFreeID(d *doc, job *model.Job, st *model.Step) (string, error) {
	taken := map[string]bool{}
	candidates := 0
	for _, s := range job.Steps {
		taken[s.ID] = true
		if nugetCandidate(d, s) {
			candidates++
		}
	}
	if candidates <= 1 && !taken["login"] {
		return "login", nil
	}
	id := fmt.Sprintf("nuget-login-%d", st.Index)
	if taken[id] {
		return "", &Refusal{Reason: ReasonLayout, Detail: "step id " + id + " is taken"}
	}
	return id, nil
}

// nugetCandidate reports a step that pushes to NuGet with a secret: each
// gets its own login, so with more than one the ids name the step.
func nugetCandidate(d *doc, s *model.Step) bool {
	if strings.Contains(strings.ToLower(s.Uses), "publish-nuget") {
		return true
	}
	if s.Run == nil {
		return false
	}
	text := nugetStepText(d, s.YAMLPath)
	return nugetPushText.MatchString(text) && strings.Contains(text, "secrets.")
}

// nugetTriggers drops a pull_request trigger of types [closed] from a
// workflow whose only job publishes unconditionally: it published on every
// closed pull request, merged or not, and a merge already publishes through
// the push trigger. Other pull_request triggers get a note.
func nugetTriggers(d *doc, job *model.Job, stepPath string, notes *[]string) ([]Edit, error) {
	_, on := child(d.root, "on")
	_, jobNode := child(mustChild(d.root, "jobs"), job.ID)
	_, _, stNode := d.lookup(stepPath)
	if k, _ := child(jobNode, "if"); k != nil {
		return nil, nil
	}
	if k, _ := child(stNode, "if"); k != nil {
		return nil, nil
	}
	prKey, pr := child(on, "pull_request")
	if on == nil || on.Kind != yaml.MappingNode || prKey == nil {
		if on != nil && on.Kind == yaml.SequenceNode {
			for _, e := range on.Content {
				if e.Value == "pull_request" {
					*notes = append(*notes, "job "+job.ID+" also publishes on pull_request events: restrict the push to release pushes (an if: on the job or step)")
				}
			}
		}
		return nil, nil
	}
	_, types := child(pr, "types")
	closedOnly := types != nil && types.Kind == yaml.SequenceNode && len(types.Content) == 1 && types.Content[0].Value == "closed"
	jobs := mustChild(d.root, "jobs")
	if !closedOnly || !nugetPushCovers(on, pr) || jobs == nil || len(jobs.Content) != 2 {
		*notes = append(*notes, "job "+job.ID+" also publishes on pull_request events: restrict the push to release pushes (an if: on the job or step)")
		return nil, nil
	}
	e, err := d.removeEntry("on.pull_request", 1)
	if err != nil {
		return nil, err
	}
	*notes = append(*notes, "removed the pull_request (closed) trigger: the only job published on every closed pull request, merged or not, and a merge already publishes through the push trigger")
	return []Edit{e}, nil
}

// nugetPushCovers reports whether the push trigger fires on every merge the
// pull_request trigger saw: no filter at all, or branches naming each of the
// pull request's base branches.
func nugetPushCovers(on, pr *yaml.Node) bool {
	pk, push := child(on, "push")
	if pk == nil {
		return false
	}
	if push == nil || push.Kind == yaml.ScalarNode && push.Value == "" {
		return true // push: with no filter
	}
	if push.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(push.Content); i += 2 {
		if push.Content[i].Value != "branches" {
			return false // tags, paths, branches-ignore: some merges do not publish
		}
	}
	_, pushBranches := child(push, "branches")
	if pushBranches == nil {
		return true
	}
	_, prBranches := child(pr, "branches")
	if pushBranches.Kind != yaml.SequenceNode || prBranches == nil || prBranches.Kind != yaml.SequenceNode || len(prBranches.Content) == 0 {
		return false
	}
	for _, b := range prBranches.Content {
		found := false
		for _, p := range pushBranches.Content {
			found = found || p.Value == b.Value
		}
		if !found {
			return false
		}
	}
	return true
}

// nugetActionInputs are the inputs of brandedoutcast/publish-nuget (and its
// rohith/ alias) that the replacement reproduces or that only served its
// version check and tag.
var nugetActionInputs = map[string]bool{
	"project_file_path": true, "build_configuration": true, "build_platform": true, "nuspec_file": true,
	"package_name": true, "version_file_path": true, "version_regex": true, "version_static": true,
	"tag_commit": true, "tag_format": true, "nuget_key": true, "nuget_source": true, "include_symbols": true,
}

// nugetReplaceAction replaces brandedoutcast/publish-nuget (archived, node12)
// by what it runs — dotnet pack, then dotnet nuget push --skip-duplicate —
// with NuGet/login in between. Its version check becomes --skip-duplicate;
// its git tag (TAG_COMMIT) is not reproduced, which a note says.
func nugetReplaceAction(d *doc, f *rules.Finding, job *model.Job, notes *[]string) ([]Edit, error) {
	step := stepOf(f.YAMLPath)
	var st *model.Step
	for _, s := range job.Steps {
		if s.YAMLPath == step {
			st = s
		}
	}
	if st == nil || !strings.HasSuffix(strings.ToLower(f.YAMLPath), ".with.nuget_key") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the key does not reach the action through its NUGET_KEY input"}
	}
	action := strings.ToLower(st.Uses)
	if i := strings.IndexByte(action, '@'); i >= 0 {
		action = action[:i]
	}
	if action != "brandedoutcast/publish-nuget" && action != "rohith/publish-nuget" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + st.Uses + " yet: replace it with NuGet/login and dotnet nuget push --api-key from its output"}
	}
	stNode, first, ok := d.stepNode(step)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: step + " is not a block step"}
	}
	for i := 0; i+1 < len(stNode.Content); i += 2 {
		switch stNode.Content[i].Value {
		case "uses", "with", "name", "if":
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the action step has %s:, which the replacement cannot carry over", stNode.Content[i].Value)}
		}
	}
	_, with := child(stNode, "with")
	if with == nil || with.Kind != yaml.MappingNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the action's with: is not a block mapping"}
	}
	in := map[string]string{}
	for i := 0; i+1 < len(with.Content); i += 2 {
		k, v := strings.ToLower(with.Content[i].Value), with.Content[i+1]
		if !nugetActionInputs[k] {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "input " + with.Content[i].Value + " of " + st.Uses + " has no replacement"}
		}
		if v.Kind != yaml.ScalarNode {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "input " + with.Content[i].Value + " is not a scalar"}
		}
		if k != "nuget_key" && strings.Contains(v.Value, "${{") {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "input " + with.Content[i].Value + " is an expression: writing it into a script is unsafe"}
		}
		in[k] = strings.TrimSpace(v.Value)
	}
	// NUGET_KEY must be the secret alone.
	if spans := expr.Templates(in["nuget_key"]); len(spans) != 1 || spans[0].Start != 0 || spans[0].End != len(in["nuget_key"]) {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "NUGET_KEY is more than one ${{ secrets.… }} expression"}
	}
	proj := in["project_file_path"]
	if proj == "" {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the action has no PROJECT_FILE_PATH"}
	}
	source := strings.TrimRight(in["nuget_source"], "/")
	if source != "" && !strings.EqualFold(source, "https://api.nuget.org") {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "NUGET_SOURCE " + source + " is not nuget.org"}
	}
	symbols := strings.EqualFold(in["include_symbols"], "true")
	if v := in["include_symbols"]; v != "" && !symbols && !strings.EqualFold(v, "false") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "INCLUDE_SYMBOLS is neither true nor false"}
	}
	cfg := in["build_configuration"]
	if cfg == "" {
		cfg = "Release"
	}
	var pack []string
	pack = append(pack, "dotnet", "pack", nugetQuote(proj), "--configuration", nugetQuote(cfg))
	if symbols {
		pack = append(pack, "--include-symbols", "-p:SymbolPackageFormat=snupkg")
	}
	if v := in["build_platform"]; v != "" {
		pack = append(pack, nugetQuote("-p:Platform="+v))
	}
	if v := in["nuspec_file"]; v != "" {
		pack = append(pack, nugetQuote("-p:NuspecFile="+v))
	}
	out := `"${{ runner.temp }}/nupkg"`
	pack = append(pack, "--output", out)
	for _, a := range pack {
		if a == "" {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "an input of the action cannot be written into a command line"}
		}
	}

	id, err := nugetFreeID(d, job, st)
	if err != nil {
		return nil, err
	}
	ifLines, err := d.stepEntryLines(step, "if")
	if err != nil {
		return nil, err
	}
	push := []string{"dotnet", "nuget", "push", `"${{ runner.temp }}/nupkg/*.nupkg"`, "--api-key", "${{ steps." + id + ".outputs.NUGET_API_KEY }}",
		"--source", nugetOrgV3, "--skip-duplicate"}
	if !symbols {
		push = append(push, "--no-symbols")
	}
	var steps [][]string
	steps = append(steps, append(append([]string{"name: Pack for nuget.org"}, ifLines...), "run: "+strings.Join(pack, " ")))
	steps = append(steps, nugetLoginLines(d, id, ifLines, notes))
	steps = append(steps, append(append([]string{"name: Push to nuget.org"}, ifLines...), "run: "+strings.Join(push, " ")))

	col := stNode.Content[0].Column - 1
	eol := d.eol()
	var b strings.Builder
	for _, s := range steps {
		for i, l := range s {
			if i == 0 {
				b.WriteString(strings.Repeat(" ", col-2) + "- " + l + eol)
				continue
			}
			if l == "" {
				b.WriteString(eol)
				continue
			}
			b.WriteString(strings.Repeat(" ", col) + l + eol)
		}
	}
	e := Edit{Start: d.lineStart(first), End: d.lineStart(d.lastLine(stNode) + 1), New: b.String()}
	*notes = append(*notes, fmt.Sprintf("replaced %s (archived, node12) by dotnet pack, NuGet/login and dotnet nuget push --skip-duplicate: a version already on nuget.org is skipped instead of checked first", st.Uses))
	if tag := in["tag_commit"]; tag == "" || strings.EqualFold(tag, "true") {
		format := in["tag_format"]
		if format == "" {
			format = "v*"
		}
		*notes = append(*notes, fmt.Sprintf("%s also created and pushed the git tag %s for each new version (TAG_COMMIT); the replacement does not: tag releases another way if you rely on those tags", st.Uses, format))
	}
	return []Edit{e}, nil
}

// nugetQuote writes an input value as one shell word that bash and
// PowerShell read alike, or "" when it cannot be written safely.
func nugetQuote(s string) string {
	switch {
	case nugetBareWord.MatchString(s):
		return s
	case nugetQuotedWord.MatchString(s):
		return `"` + s + `"`
	}
	return ""
}

var (
	nugetBareWord   = regexp.MustCompile(`^[A-Za-z0-9._/:=+-]+$`)
	nugetQuotedWord = regexp.MustCompile(`^[A-Za-z0-9._/\\:=+ -]+$`)
)
