package fixers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// RubyGems (reference §3): rubygems.org trusts GitHub Actions only. A gem
// push or rake release keeps running and gets its key from
// rubygems/configure-rubygems-credentials, inserted before the first step
// that needs it: in trusted-publisher mode (no api-token) the action
// exchanges the job's OIDC token for a 15-minute push-only key, exports it
// as GEM_HOST_API_KEY, RUBYGEMS_API_KEY and BUNDLE_GEM__PUSH_KEY, and adds
// it to ~/.gem/credentials. GEM_HOST_API_KEY beats every credentials file in
// gem push, so the stored key must leave every env that reaches the push;
// lines that only wrote ~/.gem/credentials go (the action writes the file),
// or, when a script is not plainly that, stay and now write the short-lived
// key.

const (
	rubygemsConfigure = "rubygems/configure-rubygems-credentials"
	// v2.1.0 (node24), the version the reference recommends, by commit.
	rubygemsConfigureSHA = "dc5a8d8553e6ee01fc26761a49e99e733d17954a"
	rubygemsConfigureUse = rubygemsConfigure + "@" + rubygemsConfigureSHA + " # v2.1.0"
	rubygemsKeyRef       = "${{ env.GEM_HOST_API_KEY }}"
)

// rubygemsExported are the variables configure-rubygems-credentials sets
// for the later steps of the job.
var rubygemsExported = []string{"GEM_HOST_API_KEY", "RUBYGEMS_API_KEY", "BUNDLE_GEM__PUSH_KEY"}

// rubygemsKnownPins are the releases of configure-rubygems-credentials with
// trusted publishing: v1.0.0, v2.0.0, v2.1.0.
var rubygemsKnownPins = map[string]string{
	"bc6dd217f8a4f919d6835fcfefd470ef821f5c44": "v1.0.0",
	"762a4b77c3300434bb57c7ce80b20e36231927aa": "v2.0.0",
	rubygemsConfigureSHA:                       "v2.1.0",
}

var (
	rubygemsPushRe   = regexp.MustCompile(`\bgem\s+push\b|\brake\s+release\b`)
	rubygemsRakeRe   = regexp.MustCompile(`\brake\s+release\b`)
	rubygemsGPRRe    = regexp.MustCompile(`(?i)\.pkg\.github\.com|(?:--key|-k)\s+['"]?github\b`)
	rubygemsHostRe   = regexp.MustCompile(`--host[=\s]+['"]?([^\s'"]+)`)
	rubygemsOrgRe    = regexp.MustCompile(`^https?://rubygems\.org/?$`)
	rubygemsOTPRe    = regexp.MustCompile(`GEM_HOST_OTP_CODE|--otp\b`)
	rubygemsGitWrite = regexp.MustCompile(`\bgit\s+push\b|\bgh\s+release\b|\bgit\s+tag\b`)
	rubygemsPackages = regexp.MustCompile(`(?i)\.pkg\.github\.com|\bghcr\.io\b`)
	rubygemsToken    = regexp.MustCompile(`(?i)secrets\.github_token|github\.token`)
	rubygemsReleasy  = regexp.MustCompile(`(?i)release|\btags?\b`)

	rubygemsHome     = `"?(?:\$HOME|\$\{HOME\}|~)`
	rubygemsCredPath = rubygemsHome + `/\.gem/credentials"?`
	rubygemsMkdirRe  = regexp.MustCompile(`^mkdir\s+-p\s+` + rubygemsHome + `/\.gem/?"?$`)
	rubygemsTouchRe  = regexp.MustCompile(`^touch\s+` + rubygemsCredPath + `$`)
	rubygemsChmodRe  = regexp.MustCompile(`^chmod\s+0?600\s+` + rubygemsCredPath + `$`)
	rubygemsWriteRe  = regexp.MustCompile(`^(?:printf|echo)\s+(.*?)\s*>>?\s*` + rubygemsCredPath + `$`)
	rubygemsDashesRe = regexp.MustCompile(`^(?:-e\s+|--\s+)?["']?-{3}(?:\\n)?["']?$`)
	rubygemsHereRe   = regexp.MustCompile(`^cat\s+(?:<<-?\s*['"]?(\w+)['"]?\s*>\s*` + rubygemsCredPath + `|>\s*` + rubygemsCredPath + `\s*<<-?\s*['"]?(\w+)['"]?)$`)
	rubygemsBodyRe   = regexp.MustCompile(`^(?:-{3}|:?rubygems_api_key:.*|:github:.*)$`)
	// Shell a line deletion could break: compound commands, braces,
	// continuations and pipelines across lines.
	rubygemsCompound = regexp.MustCompile(`(?:^|[\s;&|(])(?:if|then|else|elif|fi|for|while|until|do|done|case|esac|function)(?:$|[\s;)])|^[{}()]|\s\{$|(?:\\|&&|\|\||\|)$`)
)

// rubygemsStep is one step of the publishing job.
type rubygemsStep struct {
	idx        int
	path       string
	node       *yaml.Node
	uses       string
	runKey     *yaml.Node
	run        *yaml.Node
	label      string
	scriptText string
}

type rubygemsJob struct {
	d     *doc
	id    string
	node  *yaml.Node
	steps []*rubygemsStep
}

// fixRubyGems moves a RubyGems publish to trusted publishing: gem push and
// rake release (a stored key in env, or a credentials file written from
// it), rubygems/configure-rubygems-credentials with api-token,
// dawidd6/action-publish-gem, and a stored key left beside
// rubygems/release-gem.
func fixRubyGems(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if f.Registry != "" && f.Registry != "rubygems" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "only RubyGems.org has trusted publishing for gems"}
	}
	if !strings.HasPrefix(f.Path, ".github/") {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "RubyGems.org accepts trusted publishing from GitHub Actions only: keep a gem-scoped, expiring key in a protected, masked variable"}
	}
	jobID := jobOf(f.YAMLPath)
	if jobID == "" {
		jobID = f.Job
	}
	j, err := rubygemsLoadJob(d, jobID)
	if err != nil {
		return nil, err
	}
	segs := splitPath(f.YAMLPath)
	if f.YAMLPath == "" || segs[len(segs)-1] == "run" {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the key is written into the run: script itself; move it out of the script by hand"}
	}
	cred := -1
	if sp := stepOf(f.YAMLPath); sp != "" {
		cred = rubygemsStepIndex(sp)
		if cred < 0 || cred >= len(j.steps) {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the step holding the key was not found"}
		}
	}
	pub, err := j.find(f.Step, cred)
	if err != nil {
		return nil, err
	}
	ps := j.steps[pub]
	var edits []Edit
	insert := true
	var own *rubygemsEnvRef
	switch {
	case cred >= 0 && len(segs) == 5 && segs[3] == "with":
		cs := j.steps[cred]
		switch {
		case rubygemsUses(cs.uses, rubygemsConfigure) && segs[4] == "api-token":
			e, err := j.fixConfigureInputs(cs, notes)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e...)
		case rubygemsUses(cs.uses, "dawidd6/action-publish-gem") && cred == pub:
			e, err := j.replaceDawidd6(cs, notes)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e...)
		default:
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: fmt.Sprintf("no automatic fixer for the key in %s (input %s) yet: replace the step with rubygems/release-gem or configure-rubygems-credentials and gem push by hand", cs.uses, segs[4])}
		}
	case len(segs) >= 2 && segs[len(segs)-2] == "env":
		own = &rubygemsEnvRef{path: strings.Join(segs[:len(segs)-1], "."), name: segs[len(segs)-1], step: cred}
		if ps.uses != "" && !rubygemsUses(ps.uses, "rubygems/release-gem") {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + ps.uses + " yet: replace it with rubygems/release-gem (Bundler gem tasks) or configure-rubygems-credentials and gem push by hand"}
		}
	default:
		return nil, &Refusal{Reason: ReasonScript, Detail: "the key reaches the publish neither through env nor through a known action input"}
	}
	if rubygemsUses(ps.uses, rubygemsConfigure) {
		insert = false // the finding is the action's own api-token
	}
	if rubygemsUses(ps.uses, "rubygems/release-gem") {
		// release-gem runs configure-rubygems-credentials itself.
		insert = false
		e, err := j.releaseGemInputs(ps, notes)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e...)
	}
	// An existing configure-rubygems-credentials before the publish does
	// the exchange (once its api-token is gone); a second one would fail,
	// since the action refuses a credentials file that already holds
	// :rubygems_api_key.
	lo := pub
	for _, s := range j.steps[:pub] {
		if rubygemsUses(s.uses, rubygemsConfigure) {
			insert = false
			lo = s.idx + 1
			if s.idx != cred {
				// Its own api-token (if any) goes too: the same edits as
				// that finding's fix.
				check := j.checkConfigure
				if _, w := child(s.node, "with"); w != nil {
					if k, _ := child(w, "api-token"); k != nil {
						check = j.fixConfigureInputs
					}
				}
				e, err := check(s, notes)
				if err != nil {
					return nil, err
				}
				edits = append(edits, e...)
			}
		}
	}
	var insEdit Edit
	if insert {
		ins, e, err := j.insertConfigure(pub, cred)
		if err != nil {
			return nil, err
		}
		lo, insEdit = ins, e
	}
	deleted := map[int]bool{}
	removedLines := map[int]map[int]bool{}
	var cleanNotes []string
	for _, s := range j.steps[lo : pub+1] {
		e, lines, del := j.cleanScript(s, s.idx == pub, &cleanNotes)
		edits = append(edits, e...)
		removedLines[s.idx] = lines
		if del {
			deleted[s.idx] = true
		}
	}
	if insert {
		where := "before step " + j.steps[lo].label
		if deleted[lo] {
			where = "in place of step " + j.steps[lo].label
		} else if _, dash, ok := d.stepNode(j.steps[lo].path); ok && dash > 1 && strings.TrimSpace(d.line(dash-1)) == "" {
			// Steps set apart by blank lines: so is the new one.
			insEdit.New += d.eol()
		}
		edits = append(edits, insEdit)
		*notes = append(*notes, fmt.Sprintf("job %s: a new step %s, %s (v2.1.0, pinned by commit), exchanges the job's OIDC token for a 15-minute push-only key and exports it as GEM_HOST_API_KEY, RUBYGEMS_API_KEY and BUNDLE_GEM__PUSH_KEY to the later steps of the job", j.id, where, rubygemsConfigure))
		if lo < pub {
			*notes = append(*notes, fmt.Sprintf("job %s: the key expires 15 minutes after the new step mints it: the steps up to %s must finish within that", j.id, ps.label))
		}
	}
	*notes = append(*notes, cleanNotes...)
	ee, err := j.envEdits(pub, own, deleted, removedLines, rubygemsRakeRe.MatchString(ps.scriptText), notes)
	if err != nil {
		return nil, err
	}
	edits = append(edits, ee...)
	if rubygemsOTPRe.MatchString(ps.scriptText) || rubygemsEnvHas(ps.node, "GEM_HOST_OTP_CODE") || rubygemsEnvHas(j.node, "GEM_HOST_OTP_CODE") {
		*notes = append(*notes, "step "+ps.label+": the one-time password (GEM_HOST_OTP_CODE, --otp) is not needed any more: a trusted publisher's key skips MFA; remove it and its workflow input")
	}
	if _, env := child(j.node, "environment"); env != nil {
		*notes = append(*notes, "job "+j.id+" runs in an environment: name exactly that environment in the trusted publisher on rubygems.org")
	}
	pe, err := j.permissions(rubygemsRakeRe.MatchString(ps.scriptText) || rubygemsUses(ps.uses, "rubygems/release-gem"), notes)
	if err != nil {
		return nil, err
	}
	return append(edits, pe...), nil
}

func rubygemsLoadJob(d *doc, id string) (*rubygemsJob, error) {
	_, jv := child(mustChild(d.root, "jobs"), id)
	if jv == nil || jv.Kind != yaml.MappingNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + id + " not found"}
	}
	_, sv := child(jv, "steps")
	if sv == nil || sv.Kind != yaml.SequenceNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + id + " has no steps list"}
	}
	j := &rubygemsJob{d: d, id: id, node: jv}
	for i, st := range sv.Content {
		if st.Kind != yaml.MappingNode || st.Style&yaml.FlowStyle != 0 {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("step %d of job %s is written in flow style", i, id)}
		}
		s := &rubygemsStep{idx: i, path: fmt.Sprintf("jobs.%s.steps[%d]", id, i), node: st}
		if _, u := child(st, "uses"); u != nil {
			s.uses = u.Value
		}
		s.runKey, s.run = child(st, "run")
		if s.run != nil {
			s.scriptText = s.run.Value
		}
		s.label = fmt.Sprintf("#%d", i)
		for _, k := range []string{"id", "name", "uses"} {
			if _, v := child(st, k); v != nil && v.Value != "" {
				s.label = v.Value
				break
			}
		}
		j.steps = append(j.steps, s)
	}
	return j, nil
}

func rubygemsStepIndex(stepPath string) int {
	segs := splitPath(stepPath)
	last := segs[len(segs)-1]
	i := strings.IndexByte(last, '[')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(last[i+1:], "]"))
	if err != nil {
		return -1
	}
	return n
}

func rubygemsUses(uses, action string) bool {
	return strings.HasPrefix(strings.ToLower(uses), strings.ToLower(action)+"@")
}

// find returns the index of the publishing step from the finding's label
// (its id, name or action, or "#N").
func (j *rubygemsJob) find(label string, cred int) (int, error) {
	if strings.HasPrefix(label, "#") {
		if n, err := strconv.Atoi(label[1:]); err == nil && n >= 0 && n < len(j.steps) {
			return n, nil
		}
	}
	var hits []int
	for _, s := range j.steps {
		if s.label == label {
			hits = append(hits, s.idx)
		}
	}
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case len(hits) > 1:
		for _, h := range hits {
			if h == cred {
				return h, nil
			}
		}
		return 0, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("several steps of job %s are labelled %q: give the publishing step an id", j.id, label)}
	}
	return 0, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the publishing step %q of job %s was not found", label, j.id)}
}

// insertConfigure adds configure-rubygems-credentials before the first
// step that pushes, writes ~/.gem/credentials or holds the stored key: the
// action refuses a credentials file that already has :rubygems_api_key.
func (j *rubygemsJob) insertConfigure(pub, cred int) (int, Edit, error) {
	ins := pub
	if cred >= 0 && cred < ins {
		ins = cred
	}
	var pushers []*rubygemsStep
	for _, s := range j.steps {
		if rubygemsUses(s.uses, "rubygems/release-gem") || rubygemsUses(s.uses, rubygemsConfigure) {
			return 0, Edit{}, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " also runs " + s.uses + ", which would find the key already set: finish the migration by hand"}
		}
		if j.needsKey(s) {
			pushers = append(pushers, s)
			if s.idx < ins {
				ins = s.idx
			}
		}
	}
	// A push to another gem server (GitHub Packages) after the action
	// would send it the exported GEM_HOST_API_KEY, which beats --key.
	for _, s := range j.steps[ins:] {
		if rubygemsForeign(s) {
			return 0, Edit{}, &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " pushes to another gem server after the RubyGems key would be exported as GEM_HOST_API_KEY, which gem push prefers to --key: move that push before the RubyGems one first"}
		}
	}
	// The new step runs when the publish would: it copies the publish
	// step's if:, which must be the same for every publishing step.
	ps := j.steps[pub]
	cond, err := j.condition(ps)
	if err != nil {
		return 0, Edit{}, err
	}
	for _, s := range append(pushers, ps) {
		c, err := j.condition(s)
		if err != nil {
			return 0, Edit{}, err
		}
		if strings.Join(c, "\n") != strings.Join(cond, "\n") {
			return 0, Edit{}, &Refusal{Reason: ReasonLayout, Detail: "the steps of job " + j.id + " that need the key run under different if: conditions: add configure-rubygems-credentials by hand"}
		}
	}
	if len(cond) > 0 && ins < pub && strings.Contains(strings.Join(cond, "\n"), "steps.") {
		return 0, Edit{}, &Refusal{Reason: ReasonLayout, Detail: "the publish step's if: reads a step output that does not exist yet where the credentials step must go"}
	}
	lines := []string{"name: Configure RubyGems credentials"}
	lines = append(lines, cond...)
	lines = append(lines, "uses: "+rubygemsConfigureUse)
	e, err := j.d.insertStepBefore(j.steps[ins].path, lines)
	if err != nil {
		return 0, Edit{}, err
	}
	return ins, e, nil
}

// needsKey says whether a step pushes to RubyGems, writes its key into
// ~/.gem/credentials, or holds a stored RubyGems key in its env.
func (j *rubygemsJob) needsKey(s *rubygemsStep) bool {
	t := s.scriptText
	if strings.Contains(t, "rubygems_api_key") {
		return true
	}
	if rubygemsPushRe.MatchString(t) && !rubygemsForeign(s) {
		return true
	}
	if rubygemsUses(s.uses, "dawidd6/action-publish-gem") {
		return true
	}
	_, env := child(s.node, "env")
	for _, n := range rubygemsExported {
		if _, v := child(env, n); v != nil && rubygemsStored(v) {
			return true
		}
	}
	return false
}

// rubygemsForeign says whether a step pushes to a gem server other than
// rubygems.org (GitHub Packages, --host, RUBYGEMS_HOST).
func rubygemsForeign(s *rubygemsStep) bool {
	vals := stepValues(s.node)
	if rubygemsGPRRe.MatchString(s.scriptText) || rubygemsGPRRe.MatchString(vals) {
		return true
	}
	for _, m := range rubygemsHostRe.FindAllStringSubmatch(s.scriptText, -1) {
		if !rubygemsOrgRe.MatchString(m[1]) {
			return true
		}
	}
	_, env := child(s.node, "env")
	if _, h := child(env, "RUBYGEMS_HOST"); h != nil && !rubygemsOrgRe.MatchString(strings.TrimSpace(h.Value)) {
		return true
	}
	return false
}

// condition is a step's if: as lines relative to the step's content
// column, ready for insertStepBefore.
func (j *rubygemsJob) condition(s *rubygemsStep) ([]string, error) {
	k, v := child(s.node, "if")
	if k == nil {
		return nil, nil
	}
	from, to, ok := j.d.entryLines(k)
	if !ok || v.Kind != yaml.ScalarNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + s.label + " is written in flow style"}
	}
	col := k.Column - 1
	var out []string
	for n := from; n <= to; n++ {
		l := strings.TrimRight(j.d.line(n), "\r\n")
		if n == from {
			out = append(out, l[col:])
			continue
		}
		if blankOrComment(l) {
			out = append(out, strings.TrimLeft(l, " "))
			continue
		}
		if indentOf(l) < col {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + s.label + " cannot be copied"}
		}
		out = append(out, l[col:])
	}
	return out, nil
}

// cleanScript deletes the lines of a step's script that only write
// ~/.gem/credentials (mkdir, touch, chmod, printf/echo, a heredoc): the
// action writes that file. All or nothing per step: a script that does
// anything else with the file, or whose shell a deletion could break, is
// left alone and now writes the short-lived key. A step left with nothing
// but those lines is deleted. It returns the deleted script lines and
// whether the whole step goes.
func (j *rubygemsJob) cleanScript(s *rubygemsStep, isPub bool, notes *[]string) ([]Edit, map[int]bool, bool) {
	if s.run == nil || s.run.Kind != yaml.ScalarNode {
		return nil, nil, false
	}
	d := j.d
	var first, last int
	switch s.run.Style {
	case yaml.LiteralStyle:
		_, to, ok := d.entryLines(s.runKey)
		if !ok {
			return nil, nil, false
		}
		first, last = s.runKey.Line+1, to
	case 0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if strings.Contains(s.run.Value, "\n") {
			return nil, nil, false
		}
		first, last = s.runKey.Line, s.runKey.Line
	default:
		return nil, nil, false
	}
	text := func(n int) string {
		if s.run.Style != yaml.LiteralStyle {
			return strings.TrimSpace(s.run.Value)
		}
		return strings.TrimSpace(strings.TrimRight(d.line(n), "\r\n"))
	}
	del := map[int]bool{}
	related, clean := false, true
	for n := first; n <= last; n++ {
		t := text(n)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if m := rubygemsHereRe.FindStringSubmatch(t); m != nil {
			related = true
			delim := m[1] + m[2]
			end := -1
			for k := n + 1; k <= last; k++ {
				b := text(k)
				if b == delim {
					end = k
					break
				}
				if b != "" && !rubygemsBodyRe.MatchString(b) {
					break
				}
			}
			if end < 0 {
				clean = false
				break
			}
			for k := n; k <= end; k++ {
				del[k] = true
			}
			n = end
			continue
		}
		if rubygemsCompound.MatchString(t) {
			clean = false
		}
		switch {
		case rubygemsMkdirRe.MatchString(t), rubygemsTouchRe.MatchString(t), rubygemsChmodRe.MatchString(t):
			related = true
			del[n] = true
		case rubygemsWriteRe.MatchString(t):
			related = true
			p := rubygemsWriteRe.FindStringSubmatch(t)[1]
			if strings.Contains(p, ":github") || strings.Contains(p, "Bearer") || strings.Contains(p, "http") ||
				!strings.Contains(p, "rubygems_api_key") && !rubygemsDashesRe.MatchString(p) {
				clean = false
			}
			del[n] = true
		case strings.Contains(t, ".gem/credentials") || strings.Contains(t, "rubygems_api_key"):
			related = true
			clean = false
		}
	}
	if !related {
		return nil, nil, false
	}
	if !clean {
		*notes = append(*notes, "step "+s.label+" still writes ~/.gem/credentials: it now writes the short-lived key, and GEM_HOST_API_KEY wins over the file anyway; delete those lines when convenient")
		return nil, nil, false
	}
	empty := true
	for n := first; n <= last; n++ {
		if t := text(n); !del[n] && t != "" && !strings.HasPrefix(t, "#") {
			empty = false
		}
	}
	if empty {
		if isPub || !rubygemsOnlyKeys(s.node, "name", "run", "env", "shell", "working-directory") {
			*notes = append(*notes, "step "+s.label+" still writes ~/.gem/credentials: it now writes the short-lived key; delete it when convenient")
			return nil, nil, false
		}
		_, line, ok := d.stepNode(s.path)
		if !ok {
			return nil, nil, false
		}
		*notes = append(*notes, "step "+s.label+" only wrote the stored key into ~/.gem/credentials: removed, configure-rubygems-credentials writes that file")
		return []Edit{{Start: d.lineStart(line), End: d.lineStart(d.lastLine(s.node) + 1)}}, del, true
	}
	if s.run.Style != yaml.LiteralStyle {
		return nil, nil, false
	}
	var edits []Edit
	for n := first; n <= last; n++ {
		if !del[n] {
			continue
		}
		m := n
		for m+1 <= last && del[m+1] {
			m++
		}
		edits = append(edits, Edit{Start: d.lineStart(n), End: d.lineStart(m + 1)})
		n = m
	}
	*notes = append(*notes, "step "+s.label+": the lines writing the stored key into ~/.gem/credentials are removed: configure-rubygems-credentials writes that file")
	return edits, del, false
}

func rubygemsOnlyKeys(m *yaml.Node, keys ...string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		ok := false
		for _, k := range keys {
			if m.Content[i].Value == k {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// rubygemsEnvRef is the env entry the finding points at.
type rubygemsEnvRef struct {
	path, name string
	step       int // -1 at job or workflow level
}

// rubygemsStored says whether an env value is a stored secret (not the
// job's own GITHUB_TOKEN).
func rubygemsStored(v *yaml.Node) bool {
	return v != nil && v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "secrets.") && !rubygemsToken.MatchString(v.Value)
}

func rubygemsEnvHas(m *yaml.Node, name string) bool {
	_, env := child(m, "env")
	_, v := child(env, name)
	return v != nil
}

// envEdits removes the stored key from every env that reaches the
// publish: the finding's entry and any GEM_HOST_API_KEY holding a secret in
// the publish step's, the job's or the workflow's env (it would beat the
// exported key). A variable the action does not export that a remaining
// script still reads is pointed at the exported key instead.
func (j *rubygemsJob) envEdits(pub int, own *rubygemsEnvRef, deleted map[int]bool, removedLines map[int]map[int]bool, rake bool, notes *[]string) ([]Edit, error) {
	type scope struct {
		path  string
		node  *yaml.Node
		stop  int
		steps []*rubygemsStep // the steps that see it
	}
	var scopes []scope
	if !deleted[pub] {
		_, env := child(j.steps[pub].node, "env")
		scopes = append(scopes, scope{j.steps[pub].path + ".env", env, 3, j.steps[pub : pub+1]})
	}
	_, jenv := child(j.node, "env")
	scopes = append(scopes, scope{"jobs." + j.id + ".env", jenv, 2, j.steps})
	_, wenv := child(j.d.root, "env")
	scopes = append(scopes, scope{"env", wenv, 0, j.steps})
	if own != nil && own.step >= 0 && own.step != pub && !deleted[own.step] {
		_, env := child(j.steps[own.step].node, "env")
		scopes = append(scopes, scope{own.path, env, 3, j.steps[own.step : own.step+1]})
	}
	var edits []Edit
	for _, sc := range scopes {
		if sc.node == nil || sc.node.Kind != yaml.MappingNode {
			continue
		}
		var drop []string
		for i := 0; i+1 < len(sc.node.Content); i += 2 {
			name, v := sc.node.Content[i].Value, sc.node.Content[i+1]
			mine := own != nil && own.path == sc.path && own.name == name
			if !mine && !(name == "GEM_HOST_API_KEY" && rubygemsStored(v)) {
				continue
			}
			if !catalogInList(rubygemsExported, name) && (rake || j.reads(sc.steps, name, removedLines)) {
				if sc.stop != 3 {
					return nil, &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the key reaches the job as %s, which configure-rubygems-credentials does not set: rename it GEM_HOST_API_KEY by hand", name)}
				}
				e, ok := j.d.setScalar(v, rubygemsKeyRef)
				if !ok {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "env " + name + " is not a one-line scalar"}
				}
				edits = append(edits, e)
				*notes = append(*notes, "env "+name+" now carries the short-lived key ("+rubygemsKeyRef+") instead of the stored one")
				continue
			}
			drop = append(drop, name)
		}
		if len(drop) == 0 {
			continue
		}
		if sc.stop == 0 && len(mustChild(j.d.root, "jobs").Content) > 2 {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the key is in the workflow-level env, which every job sees: move it into the publishing job's env first"}
		}
		if len(drop) == len(sc.node.Content)/2 {
			e, err := j.d.removeEntry(sc.path, len(splitPath(sc.path))-1)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			continue
		}
		for _, n := range drop {
			e, err := j.d.removeEntry(sc.path+"."+n, len(splitPath(sc.path)))
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
		}
	}
	return edits, nil
}

func catalogInList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// reads says whether any of steps still reads $name (in what remains of
// its script, or in an expression).
func (j *rubygemsJob) reads(steps []*rubygemsStep, name string, removedLines map[int]map[int]bool) bool {
	re := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b|env\.` + regexp.QuoteMeta(name) + `\b`)
	for _, s := range steps {
		if s.run != nil {
			var b strings.Builder
			if s.run.Style == yaml.LiteralStyle && removedLines[s.idx] != nil {
				_, to, _ := j.d.entryLines(s.runKey)
				for n := s.runKey.Line + 1; n <= to; n++ {
					if !removedLines[s.idx][n] {
						b.WriteString(j.d.line(n))
					}
				}
			} else if removedLines[s.idx] == nil {
				b.WriteString(s.run.Value)
			}
			if re.MatchString(b.String()) {
				return true
			}
		}
		if re.MatchString(stepValues(s.node)) {
			return true
		}
	}
	return false
}

// fixConfigureInputs drops api-token from configure-rubygems-credentials
// (and an empty audience or trusted-publisher: false, which would stop the
// trusted-publisher mode): the action then exchanges the OIDC token.
func (j *rubygemsJob) fixConfigureInputs(s *rubygemsStep, notes *[]string) ([]Edit, error) {
	_, with := child(s.node, "with")
	if with == nil || with.Kind != yaml.MappingNode || with.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the with: of step " + s.label + " is not a block mapping"}
	}
	drop := []string{"api-token"}
	if _, v := child(with, "audience"); v != nil && strings.TrimSpace(v.Value) == "" {
		drop = append(drop, "audience")
	}
	if _, v := child(with, "trusted-publisher"); v != nil && strings.EqualFold(strings.TrimSpace(v.Value), "false") {
		drop = append(drop, "trusted-publisher")
	}
	if _, v := child(with, "role-to-assume"); v != nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " sets both api-token and role-to-assume: choose by hand"}
	}
	var edits []Edit
	if len(drop) == len(with.Content)/2 {
		e, err := j.d.removeEntry(s.path+".with", 3)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	} else {
		for _, n := range drop {
			e, err := j.d.removeEntry(s.path+".with."+n, 4)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
		}
	}
	*notes = append(*notes, "step "+s.label+": api-token removed, so configure-rubygems-credentials exchanges the job's OIDC token (trusted publishing)")
	pe, err := j.checkConfigure(s, notes)
	if err != nil {
		return nil, err
	}
	return append(edits, pe...), nil
}

// checkConfigure moves a configure-rubygems-credentials pin older than
// v1.0.0 (no trusted publishing) to v2.1.0.
func (j *rubygemsJob) checkConfigure(s *rubygemsStep, notes *[]string) ([]Edit, error) {
	ref := s.uses[strings.LastIndexByte(s.uses, '@')+1:]
	if ref == "main" {
		return nil, nil
	}
	ver := ref
	if v, ok := rubygemsKnownPins[ref]; ok {
		ver = v
	}
	m := actionVersion.FindStringSubmatch(ver)
	if m == nil {
		*notes = append(*notes, fmt.Sprintf("%s is pinned to %s: check that it is v1.0.0 or later (trusted publishing)", rubygemsConfigure, ref))
		return nil, nil
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major >= 1 {
		if major == 1 || major == 2 && minor == 0 {
			*notes = append(*notes, fmt.Sprintf("%s %s runs on Node 20; v2.1.0 (%s) runs on Node 24", rubygemsConfigure, ver, rubygemsConfigureSHA[:12]))
		}
		return nil, nil
	}
	_, u := child(s.node, "uses")
	e, ok := j.d.rubygemsSetLine(u, rubygemsConfigureUse)
	if !ok {
		return nil, &Refusal{Reason: ReasonOldClient, Detail: rubygemsConfigure + "@" + ref + " predates trusted publishing (v1.0.0)"}
	}
	*notes = append(*notes, fmt.Sprintf("%s@%s predates trusted publishing (v1.0.0): moved to v2.1.0, pinned by commit", rubygemsConfigure, ref))
	return []Edit{e}, nil
}

// rubygemsSetLine replaces a one-line scalar and the comment after it.
func (d *doc) rubygemsSetLine(n *yaml.Node, text string) (Edit, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Line == 0 || (n.Style != 0 && n.Style != yaml.SingleQuotedStyle && n.Style != yaml.DoubleQuotedStyle) {
		return Edit{}, false
	}
	l := strings.TrimRight(d.line(n.Line), "\r\n")
	if n.Column-1 >= len(l) {
		return Edit{}, false
	}
	start := d.lineStart(n.Line) + n.Column - 1
	return Edit{Start: start, End: d.lineStart(n.Line) + len(l), New: text}, true
}

// releaseGemInputs lets rubygems/release-gem set up trusted publishing
// itself again.
func (j *rubygemsJob) releaseGemInputs(s *rubygemsStep, notes *[]string) ([]Edit, error) {
	_, with := child(s.node, "with")
	_, v := child(with, "setup-trusted-publisher")
	if v == nil || !strings.EqualFold(strings.TrimSpace(v.Value), "false") {
		return nil, nil
	}
	path := s.path + ".with.setup-trusted-publisher"
	stop := 4
	if len(with.Content) == 2 {
		path, stop = s.path+".with", 3
	}
	e, err := j.d.removeEntry(path, stop)
	if err != nil {
		return nil, err
	}
	*notes = append(*notes, "step "+s.label+": setup-trusted-publisher: false removed, so release-gem exchanges the job's OIDC token itself")
	return []Edit{e}, nil
}

// replaceDawidd6 turns dawidd6/action-publish-gem into the commands it
// ran (build every *.gemspec, push each built gem), now with the key that
// configure-rubygems-credentials exports. With github_token it also pushed
// to GitHub Packages, which the exported key would break: refused.
func (j *rubygemsJob) replaceDawidd6(s *rubygemsStep, notes *[]string) ([]Edit, error) {
	_, with := child(s.node, "with")
	if with == nil || with.Kind != yaml.MappingNode || with.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the with: of step " + s.label + " is not a block mapping"}
	}
	for i := 0; i+1 < len(with.Content); i += 2 {
		if k := with.Content[i].Value; k != "api_key" {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "dawidd6/action-publish-gem with " + k + " (it also pushes to GitHub Packages): replace it by hand"}
		}
	}
	if !rubygemsOnlyKeys(s.node, "name", "id", "if", "uses", "with", "continue-on-error", "timeout-minutes") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " has keys a run: step cannot keep"}
	}
	uk, _ := child(s.node, "uses")
	_, to, ok := j.d.entryLines(uk)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the uses: of step " + s.label + " is written in flow style"}
	}
	col := uk.Column - 1
	eol := j.d.eol()
	pad := strings.Repeat(" ", col+2)
	script := []string{
		`for gemspec in *.gemspec; do`,
		`  gem build "$gemspec"`,
		`  gem push "$(ruby -e 'print Gem::Specification.load(ARGV[0]).full_name' "$gemspec").gem"`,
		`done`,
	}
	var b strings.Builder
	b.WriteString("run: |" + eol)
	for _, l := range script {
		b.WriteString(pad + l + eol)
	}
	edits := []Edit{{Start: j.d.lineStart(uk.Line) + col, End: j.d.lineStart(to + 1), New: b.String()}}
	e, err := j.d.removeEntry(s.path+".with", 3)
	if err != nil {
		return nil, err
	}
	edits = append(edits, e)
	*notes = append(*notes, "step "+s.label+": "+s.uses+" (an unmaintained third-party action that received the stored key) is replaced by the gem build and gem push it ran")
	return edits, nil
}

// permissions grants id-token: write to the job. When the job had no
// permissions anywhere (the repository default), the new block keeps what
// the job visibly needs besides checkout: contents: write to push tags or
// create a release (rake release does), packages: write for GitHub
// Packages.
func (j *rubygemsJob) permissions(rake bool, notes *[]string) ([]Edit, error) {
	_, jp := child(j.node, "permissions")
	_, wp := child(j.d.root, "permissions")
	if jp != nil || wp != nil {
		return ensurePermissions(j.d, j.id, notes)
	}
	contents := "read"
	why := []string{"contents: read (checkout)"}
	var unknown []string
	packages := false
	for _, s := range j.steps {
		vals := stepValues(s.node)
		token := rubygemsToken.MatchString(vals)
		switch {
		case rubygemsPackages.MatchString(s.scriptText + "\n" + vals):
			packages = true
		case rubygemsGitWrite.MatchString(s.scriptText),
			token && (rubygemsReleasy.MatchString(s.uses) || rubygemsReleasy.MatchString(s.label)):
			contents = "write"
		case token:
			unknown = append(unknown, s.label)
		}
	}
	if rake {
		contents = "write"
	}
	if contents == "write" {
		why[0] = "contents: write (the job pushes tags or creates a release)"
	}
	jk, _ := child(mustChild(j.d.root, "jobs"), j.id)
	ind, ok := j.d.childIndent(j.node)
	if !ok || j.node.Content[0].Line == jk.Line {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " is written in flow style"}
	}
	unit := ind - (jk.Column - 1)
	if unit <= 0 {
		unit = 2
	}
	eol := j.d.eol()
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", ind) + "permissions:" + eol)
	b.WriteString(strings.Repeat(" ", ind+unit) + "contents: " + contents + eol)
	if packages {
		b.WriteString(strings.Repeat(" ", ind+unit) + "packages: write" + eol)
		why = append(why, "packages: write (GitHub Packages)")
	}
	b.WriteString(strings.Repeat(" ", ind+unit) + "id-token: write" + eol)
	why = append(why, "id-token: write")
	*notes = append(*notes, "job "+j.id+": added permissions "+strings.Join(why, ", ")+"; its other scopes were the repository default and are now none")
	if len(unknown) > 0 {
		*notes = append(*notes, "job "+j.id+": step "+strings.Join(unknown, ", ")+" receives GITHUB_TOKEN: check that the new permissions block grants what it needs")
	}
	at := j.d.lineStart(jk.Line + 1)
	return []Edit{{Start: at, End: at, New: b.String()}}, nil
}
