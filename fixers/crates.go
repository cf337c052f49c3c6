package fixers

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

// crates.io (reference §5). cargo does no OIDC exchange: the token that
// cargo (or katyo/publish-crates, which hands registry-token to cargo)
// publishes with comes from rust-lang/crates-io-auth-action, whose token
// output lives 30 minutes and is accepted only by the publish endpoint.
// release-plz 0.3.146 and later does the exchange itself once it is given
// no token (§5.8), so a release-plz job only loses its token.
//
// A fix is worked out for the whole publishing job, from the file alone,
// so that every finding of the job computes the same edits (Apply keeps
// identical edits once): every step of the job that the token reaches must
// be a publish this fixer can rewrite, or nothing is patched.

const (
	cratesAuthUses = "rust-lang/crates-io-auth-action@v1"
	cratesEnvName  = "CARGO_REGISTRY_TOKEN"
	// cratesReleasePlzTP is the first release-plz with trusted publishing,
	// cratesReleasePlzAction the first release-plz/action tag whose
	// default version is (0.3.146 in v0.5.117).
	cratesReleasePlzTP     = 146
	cratesReleasePlzAction = 117
)

// Commands of the crates.io catalogue methods: what publishes, what only
// logs in, and what a trusted-publishing token cannot do (yank, owner).
var (
	cratesReleasePlzUses = regexp.MustCompile(`(?i)^(release-plz/action|MarcoIeni/release-plz-action)@`)
	cratesKatyoUses      = regexp.MustCompile(`(?i)^katyo/publish-crates@`)
	cratesAuthUsesRe     = regexp.MustCompile(`(?i)^rust-lang/crates-io-auth-action@`)
	cratesOtherUses      = regexp.MustCompile(`(?i)publish-crate|cargo-publish|crates-io-publish|release-plz`)
	// cratesOpaque are commands that may run a publish tpscan cannot see.
	cratesOpaque = map[string]bool{"make": true, "just": true, "bash": true, "sh": true, "python": true, "python3": true,
		"node": true, "npm": true, "npx": true, "task": true, "cargo-make": true, "nox": true, "tox": true, "pwsh": true}
	cratesSecretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

type cratesCmdKind int

const (
	cratesCmdOther cratesCmdKind = iota
	cratesCmdPublish
	cratesCmdLogin
	cratesCmdNoTP // cargo yank, cargo owner: a trusted-publishing token cannot do them
	cratesCmdOpaque
)

// cratesCommand classifies one shell command.
func cratesCommand(c *model.Command) (cratesCmdKind, string) {
	var args []string
	for _, a := range c.Args {
		args = append(args, a.Lit)
	}
	if len(args) == 0 {
		return cratesCmdOther, ""
	}
	name := args[0]
	switch {
	case name == "cargo":
		var sub []string
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") {
				if len(sub) == 0 {
					continue
				}
			}
			sub = append(sub, a)
			if len(sub) == 2 {
				break
			}
		}
		if len(sub) == 0 {
			return cratesCmdOther, ""
		}
		switch sub[0] {
		case "publish", "release", "smart-release":
			return cratesCmdPublish, "cargo " + sub[0]
		case "workspaces", "ws":
			if len(sub) > 1 && sub[1] == "publish" {
				return cratesCmdPublish, "cargo " + sub[0] + " publish"
			}
		case "login":
			return cratesCmdLogin, "cargo login"
		case "yank", "owner":
			return cratesCmdNoTP, "cargo " + sub[0]
		case "make", "xtask", "script":
			return cratesCmdOpaque, "cargo " + sub[0]
		}
		return cratesCmdOther, ""
	case name == "cargo-release" || name == "cargo-smart-release":
		return cratesCmdPublish, name
	case name == "release-plz":
		if len(args) > 1 && args[1] == "release" {
			return cratesCmdPublish, "release-plz release"
		}
		return cratesCmdOther, ""
	case cratesOpaque[name] || strings.Contains(name, "/") || strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, ".py"):
		return cratesCmdOpaque, name
	}
	return cratesCmdOther, ""
}

// cratesPushes are signs that a job writes to the repository (tags,
// releases, commits): its new permissions block keeps contents: write.
var cratesPushes = regexp.MustCompile(`\bgit\s+push\b|\bgh\s+release\b|\bcargo\s+(release|smart-release|workspaces|ws)\b|\bcargo-release\b|\brelease-plz\b|softprops/action-gh-release|ncipollo/release-action|actions/create-release|release-plz/action|MarcoIeni/release-plz-action`)

// cratesJob is one publishing job being moved to trusted publishing.
type cratesJob struct {
	d      *doc
	f      *rules.Finding
	notes  *[]string
	wf     *model.Pipeline
	job    string
	jk, jv *yaml.Node
	mj     *model.Job
	steps  *yaml.Node
	secret string

	wfCarried  map[string]*yaml.Node // workflow env name -> key, holding the token
	jobCarried map[string]*yaml.Node // job env name -> key
	steps2     []*cratesStep
	edits      []Edit
}

// cratesStep is one step of the job and what the token does there.
type cratesStep struct {
	path string
	node *yaml.Node
	ms   *model.Step
	// visible are the token-carrying variables the step sees from the
	// workflow and job env; carried its own env entries holding the token.
	visible map[string]bool
	carried []string
	// inputs are with: entries holding the token.
	inputs []string
	kind   string // "run", "katyo", "release-plz", "release-pr", ""
	// publish is true for a step that publishes (and needs the token).
	publish bool
	// del is true for a login-only step that goes entirely.
	del bool
	// script are the edits to its run: script.
	script []Edit
	label  string
}

func fixCrates(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if isGitLabPath(f.Path) {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "crates.io on GitLab needs an explicit token exchange (id_tokens with audience crates.io, a POST to crates.io's trusted-publishing endpoint): follow the manual steps"}
	}
	if f.Method == "cargo-publish-other-action" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "a third-party crates publishing action: its inputs may mix the crates.io and the GitHub token; replace it by rust-lang/crates-io-auth-action@v1 and cargo publish with CARGO_REGISTRY_TOKEN from its token output"}
	}
	if f.Secret == "" || f.Secret == "*" || !cratesSecretName.MatchString(f.Secret) || len(f.Secrets) > 1 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the token is not one stored secret named in the file"}
	}
	wf := d.pipeline
	if wf == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the workflow does not parse"}
	}
	for _, ev := range []string{"workflow_run", "pull_request_target"} {
		if wf.HasTrigger(ev) {
			return nil, &Refusal{Reason: ReasonRejected, Detail: "crates.io refuses the OIDC exchange for " + ev + " runs: trigger the publish on push (tags), release or workflow_dispatch first"}
		}
	}
	c := &cratesJob{d: d, f: f, notes: notes, wf: wf, secret: f.Secret}
	c.job = jobOf(f.YAMLPath)
	if c.job == "" {
		c.job = f.Job
	}
	c.jk, c.jv = child(mustChild(d.root, "jobs"), c.job)
	for _, j := range wf.Jobs {
		if j.ID == c.job {
			c.mj = j
		}
	}
	if c.jv == nil || c.jv.Kind != yaml.MappingNode || c.jv.Style&yaml.FlowStyle != 0 || c.mj == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " is not a block mapping"}
	}
	if c.mj.Call != nil {
		return nil, &Refusal{Reason: ReasonReusable, Detail: "the token is passed to a reusable workflow"}
	}
	_, c.steps = child(c.jv, "steps")
	if c.steps == nil || c.steps.Kind != yaml.SequenceNode || len(c.steps.Content) != len(c.mj.Steps) {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " has no block list of steps"}
	}
	if err := c.outer(); err != nil {
		return nil, err
	}
	if err := c.scan(); err != nil {
		return nil, err
	}
	native, why := c.nativeReleasePlz()
	var err error
	if native {
		err = c.fixNative()
	} else {
		if why != "" {
			*notes = append(*notes, why)
		}
		err = c.fixAuth()
	}
	if err != nil {
		return nil, err
	}
	if f.Method == "release-plz" {
		x, err := c.cleanReleasePR()
		if err != nil {
			return nil, err
		}
		c.edits = append(c.edits, x...)
	}
	if err := c.removeOuter(); err != nil {
		return nil, err
	}
	if err := c.verify(); err != nil {
		return nil, err
	}
	pe, err := c.permissions()
	if err != nil {
		return nil, err
	}
	c.edits = append(c.edits, pe...)
	c.jobNotes()
	return c.edits, nil
}

// tokenExpr matches an expression that is the token: the secret, or an
// outer env variable holding it.
func (c *cratesJob) tokenExpr(envNames map[string]bool) *regexp.Regexp {
	alts := []string{`secrets\.` + regexp.QuoteMeta(c.secret)}
	for _, n := range cratesSorted(envNames) {
		alts = append(alts, `env\.`+regexp.QuoteMeta(n))
	}
	return regexp.MustCompile(`(?i)\$\{\{\s*(?:` + strings.Join(alts, "|") + `)\s*\}\}`)
}

func cratesSorted(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// secretRef matches any reference to the secret inside an expression.
func (c *cratesJob) secretRef() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\bsecrets\.` + regexp.QuoteMeta(c.secret) + `\b|\bsecrets\[\s*['"]` + regexp.QuoteMeta(c.secret) + `['"]\s*\]`)
}

// exactToken reports whether a scalar value is the token expression and
// nothing else.
func cratesExact(re *regexp.Regexp, v *yaml.Node) bool {
	if v == nil || v.Kind != yaml.ScalarNode {
		return false
	}
	return cratesExactString(re, v.Value)
}

func cratesExactString(re *regexp.Regexp, s string) bool {
	s = strings.TrimSpace(s)
	loc := re.FindStringIndex(s)
	return loc != nil && loc[0] == 0 && loc[1] == len(s)
}

// outer finds the workflow and job env entries that hold the token.
func (c *cratesJob) outer() error {
	sref := c.secretRef()
	c.wfCarried, c.jobCarried = map[string]*yaml.Node{}, map[string]*yaml.Node{}
	wfNames := map[string]bool{}
	scan := func(m *yaml.Node, re *regexp.Regexp, into map[string]*yaml.Node, where string) error {
		if m == nil {
			return nil
		}
		if m.Kind != yaml.MappingNode {
			if m.Kind == yaml.ScalarNode && sref.MatchString(m.Value) {
				return &Refusal{Reason: ReasonLayout, Detail: where + " env is an expression that holds the token"}
			}
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			switch {
			case cratesExact(re, v):
				into[k.Value] = k
			case v.Kind == yaml.ScalarNode && (sref.MatchString(v.Value) || re.MatchString(v.Value)):
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s env %s builds a value from the token: rewrite it by hand", where, k.Value)}
			}
		}
		return nil
	}
	_, wenv := child(c.d.root, "env")
	if err := scan(wenv, c.tokenExpr(nil), c.wfCarried, "the workflow"); err != nil {
		return err
	}
	for n := range c.wfCarried {
		wfNames[n] = true
	}
	_, jenv := child(c.jv, "env")
	if err := scan(jenv, c.tokenExpr(wfNames), c.jobCarried, "job "+c.job+"'s"); err != nil {
		return err
	}
	return nil
}

// visibleOuter are the token variables every step of the job sees, before
// step-level overrides.
func (c *cratesJob) visibleOuter() map[string]bool {
	vis := map[string]bool{}
	_, jenv := child(c.jv, "env")
	for n := range c.wfCarried {
		if _, v := child(jenv, n); v == nil {
			vis[n] = true
		}
	}
	for n := range c.jobCarried {
		vis[n] = true
	}
	return vis
}

// shellRef matches a shell or expression reference to one of names.
func cratesShellRef(names []string) *regexp.Regexp {
	if len(names) == 0 {
		return nil
	}
	var alts []string
	for _, n := range names {
		q := regexp.QuoteMeta(n)
		alts = append(alts, `\$`+q+`\b`, `\$\{`+q+`[}:#%/^,@-]`, `(?i:\$env:)`+q+`\b`, `%`+q+`%`, `\$\{\{\s*env\.`+q+`\s*\}\}`)
	}
	return regexp.MustCompile(strings.Join(alts, "|"))
}

// scan walks the job's steps: what each gets and what it does with it.
func (c *cratesJob) scan() error {
	outerVis := c.visibleOuter()
	sref := c.secretRef()
	loginSeen := false
	for i, st := range c.steps.Content {
		ms := c.mj.Steps[i]
		if st.Kind != yaml.MappingNode || st.Style&yaml.FlowStyle != 0 {
			if sref.MatchString(cratesNodeText(c.d, st)) {
				return &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("step %d of job %s is written in flow style", i, c.job)}
			}
			continue
		}
		s := &cratesStep{path: fmt.Sprintf("jobs.%s.steps[%d]", c.job, i), node: st, ms: ms, visible: map[string]bool{}, label: cratesStepLabel(ms)}
		_, senv := child(st, "env")
		for n := range outerVis {
			if _, v := child(senv, n); v == nil {
				s.visible[n] = true
			}
		}
		outerRe := c.tokenExpr(s.visible)
		// Step env.
		if senv != nil {
			if senv.Kind != yaml.MappingNode || senv.Style&yaml.FlowStyle != 0 {
				if sref.MatchString(cratesNodeText(c.d, senv)) || outerRe.MatchString(cratesNodeText(c.d, senv)) {
					return &Refusal{Reason: ReasonLayout, Detail: "the env of step " + s.label + " is not a block mapping"}
				}
			} else {
				for k := 0; k+1 < len(senv.Content); k += 2 {
					key, v := senv.Content[k], senv.Content[k+1]
					text := cratesNodeText(c.d, v)
					switch {
					case cratesExact(outerRe, v):
						s.carried = append(s.carried, key.Value)
					case v.Kind == yaml.ScalarNode && (sref.MatchString(v.Value) || outerRe.MatchString(v.Value)),
						v.Kind != yaml.ScalarNode && (sref.MatchString(text) || outerRe.MatchString(text)):
						return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("env %s of step %s builds a value from the token: rewrite it by hand", key.Value, s.label)}
					}
				}
			}
		}
		// Inputs.
		_, with := child(st, "with")
		if with != nil && with.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(with.Content); k += 2 {
				key, v := with.Content[k], with.Content[k+1]
				if cratesExact(outerRe, v) {
					s.inputs = append(s.inputs, key.Value)
				} else if v.Kind == yaml.ScalarNode && (sref.MatchString(v.Value) || outerRe.MatchString(v.Value)) {
					return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("input %s of step %s builds a value from the token: rewrite it by hand", key.Value, s.label)}
				}
			}
		} else if with != nil && sref.MatchString(cratesNodeText(c.d, with)) {
			return &Refusal{Reason: ReasonLayout, Detail: "the with: of step " + s.label + " is not a block mapping"}
		}
		if other := c.otherSecret(st); other != "" {
			return &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("job %s publishes with two crates.io secrets (%s and %s): one auth step serves both, fix it by hand", c.job, c.secret, other)}
		}
		vars := append(cratesSorted(s.visible), s.carried...)
		implicit := s.visible[cratesEnvName] || cratesContains(s.carried, cratesEnvName)
		gets := len(s.carried) > 0 || len(s.inputs) > 0 || implicit
		switch {
		case ms.Uses != "" && cratesAuthUsesRe.MatchString(ms.Uses):
			return &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " already runs rust-lang/crates-io-auth-action: feed its token output to the publish by hand"}
		case ms.Uses != "" && cratesKatyoUses.MatchString(ms.Uses):
			s.kind = "katyo"
			for _, in := range s.inputs {
				if !strings.EqualFold(in, "registry-token") {
					return &Refusal{Reason: ReasonScript, Detail: "katyo/publish-crates gets the crates.io token in its " + in + " input, which is the GitHub token"}
				}
			}
			s.publish = gets || loginSeen
		case ms.Uses != "" && cratesReleasePlzUses.MatchString(ms.Uses):
			s.kind = "release-plz"
			if cmd := ms.Input("command"); cmd != nil && strings.TrimSpace(cmd.Value.Raw) == "release-pr" {
				s.kind = "release-pr"
			}
			for _, in := range s.inputs {
				if !strings.EqualFold(in, "token") && !strings.EqualFold(in, "registry_token") {
					return &Refusal{Reason: ReasonScript, Detail: "release-plz gets the crates.io token in its " + in + " input"}
				}
			}
			s.publish = s.kind == "release-plz" && (gets || loginSeen)
		case ms.Uses != "":
			if len(s.inputs) > 0 || len(s.carried) > 0 {
				return &Refusal{Reason: ReasonScript, Detail: "the token also reaches " + ms.Uses + " (step " + s.label + "), which is not a publish this fixer rewrites"}
			}
			if implicit && cratesOtherUses.MatchString(ms.Uses) {
				return &Refusal{Reason: ReasonScript, Detail: "the token also reaches " + ms.Uses + " (step " + s.label + "), a crates publishing action this fixer does not rewrite"}
			}
		case ms.Run != nil:
			s.kind = "run"
			login, err := c.scanRun(s, vars, implicit, loginSeen)
			if err != nil {
				return err
			}
			loginSeen = loginSeen || login
		default:
			if len(s.inputs) > 0 || len(s.carried) > 0 {
				return &Refusal{Reason: ReasonScript, Detail: "the token reaches step " + s.label + ", which is not a publish this fixer rewrites"}
			}
		}
		c.steps2 = append(c.steps2, s)
	}
	n := 0
	for _, s := range c.steps2 {
		if s.publish {
			n++
		}
	}
	if n == 0 {
		return &Refusal{Reason: ReasonScript, Detail: "no publish in job " + c.job + " that this fixer can rewrite gets the token"}
	}
	return nil
}

var cratesOneSecret = regexp.MustCompile(`^\s*\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$`)

// otherSecret returns another secret a step hands to a crates publish as
// its token (env CARGO_REGISTRY_TOKEN, registry-token, release-plz token).
func (c *cratesJob) otherSecret(st *yaml.Node) string {
	var vals []*yaml.Node
	_, env := child(st, "env")
	_, with := child(st, "with")
	_, v := child(env, cratesEnvName)
	vals = append(vals, v)
	_, uses := child(st, "uses")
	if uses != nil && (cratesKatyoUses.MatchString(uses.Value) || cratesReleasePlzUses.MatchString(uses.Value)) {
		for _, k := range []string{"registry-token", "token", "registry_token"} {
			_, v := child(with, k)
			if k == "token" && cratesKatyoUses.MatchString(uses.Value) {
				continue // katyo's token is the GitHub token
			}
			vals = append(vals, v)
		}
	}
	for _, v := range vals {
		if v == nil || v.Kind != yaml.ScalarNode {
			continue
		}
		if m := cratesOneSecret.FindStringSubmatch(v.Value); m != nil && !strings.EqualFold(m[1], c.secret) && !strings.EqualFold(m[1], "GITHUB_TOKEN") {
			return m[1]
		}
	}
	return ""
}

func cratesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func cratesStepLabel(s *model.Step) string {
	if l := s.Label(); l != "" {
		return strconv.Quote(l)
	}
	return fmt.Sprintf("#%d", s.Index)
}

func cratesNodeText(d *doc, n *yaml.Node) string {
	if n == nil || n.Line == 0 {
		return ""
	}
	end := n.Line
	for _, c := range n.Content {
		if l := cratesLastLine(c); l > end {
			end = l
		}
	}
	return string(d.src[d.lineStart(n.Line):d.lineStart(end+1)])
}

func cratesLastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if x := cratesLastLine(c); x > l {
			l = x
		}
	}
	if n.Kind == yaml.ScalarNode {
		l += strings.Count(n.Value, "\n")
	}
	return l
}

// scanRun reads a run: step: the publishing commands lose --token, the
// cargo login commands go (the token then comes from CARGO_REGISTRY_TOKEN),
// and nothing else may use the token.
func (c *cratesJob) scanRun(s *cratesStep, vars []string, implicit, loginSeen bool) (bool, error) {
	sc := s.ms.Run
	shell.Ensure(sc)
	runKey, runVal := child(s.node, "run")
	if runKey == nil || runVal == nil || runVal.Kind != yaml.ScalarNode {
		return false, &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " has no run: scalar"}
	}
	start, end, ok := c.d.entryRange(runKey)
	if !ok {
		return false, &Refusal{Reason: ReasonLayout, Detail: "the run: of step " + s.label + " is not a block entry"}
	}
	// Edits are made in a literal block (run: |) or on a one-line run:;
	// folded and multi-line flow scalars only keep commands that need none.
	block := runVal.Style&yaml.LiteralStyle != 0
	flowMulti := !block && strings.Contains(runVal.Value, "\n") || runVal.Style&yaml.FoldedStyle != 0
	if flowMulti && c.mentions(c.d.src[start:end], vars) {
		return false, &Refusal{Reason: ReasonScript, Detail: "the run: of step " + s.label + " is a folded or multi-line scalar that uses the token: edit it by hand"}
	}
	valRe := c.valueForms(vars)
	hasPublish, hasLogin, whole := false, false, false
	opaque := ""
	for _, cmd := range sc.Commands {
		kind, name := cratesCommand(cmd)
		switch kind {
		case cratesCmdPublish:
			hasPublish = true
			for _, a := range cmd.Args {
				if a.Lit == "--registry" || strings.HasPrefix(a.Lit, "--registry=") || a.Lit == "--index" || strings.HasPrefix(a.Lit, "--index=") {
					return false, &Refusal{Reason: ReasonRejected, Detail: name + " in step " + s.label + " targets another registry: crates.io trusted publishing does not apply"}
				}
			}
			e, err := c.dropTokenFlag(s, cmd, valRe, start, end)
			if err != nil {
				return false, err
			}
			s.script = append(s.script, e...)
		case cratesCmdLogin:
			e, ok, all, err := c.dropLogin(s, cmd, valRe, runVal, start, end, block)
			if err != nil {
				return false, err
			}
			if ok {
				hasLogin = true
				whole = whole || all
				s.script = append(s.script, e...)
			}
		case cratesCmdNoTP:
			if implicit || loginSeen || c.mentions(cratesLineOf(c.d, cmd.Pos.Line), vars) {
				return false, &Refusal{Reason: ReasonRejected, Detail: name + " in step " + s.label + " uses the token: a crates.io trusted-publishing token only publishes, so this job still needs an API token"}
			}
		case cratesCmdOpaque:
			if opaque == "" {
				opaque = name
			}
		}
	}
	// A script or tool that may read a token variable the fix takes away.
	if opaque != "" {
		for n := range s.visible {
			if n != cratesEnvName || !hasPublish {
				return false, &Refusal{Reason: ReasonScript, Detail: "step " + s.label + " runs " + opaque + " with " + n + " in its environment: it may use the token in a way tpscan cannot see"}
			}
		}
	}
	// Nothing but what was rewritten may use the token.
	rest := cratesApplyLocal(c.d.src, start, end, s.script)
	if !whole && c.mentions(rest, vars) {
		return false, &Refusal{Reason: ReasonScript, Detail: "the token is used in step " + s.label + " by something other than the publish and cargo login (a credentials file, a script): rewrite it by hand"}
	}
	s.publish = hasPublish && (implicit || len(s.carried) > 0 || hasLogin || loginSeen || len(s.script) > 0)
	if hasLogin && !hasPublish && (whole || c.scriptEmpty(rest, block)) {
		// A login-only step: the token now comes from the auth step.
		if id := s.ms.ID; id != "" && strings.Contains(string(c.d.src), "steps."+id+".") {
			return false, &Refusal{Reason: ReasonScript, Detail: "step " + s.label + " only logs in, but later steps read its outputs"}
		}
		s.del = true
		s.script = nil
	}
	if len(s.carried) > 0 && !s.publish && !s.del && !hasLogin {
		return false, &Refusal{Reason: ReasonScript, Detail: "the token reaches step " + s.label + ", which does not publish"}
	}
	return hasLogin, nil
}

// mentions reports whether text uses the secret or a token variable.
func (c *cratesJob) mentions(text []byte, vars []string) bool {
	if c.secretRef().Match(text) {
		return true
	}
	if re := cratesShellRef(vars); re != nil && re.Match(text) {
		return true
	}
	return false
}

func cratesLineOf(d *doc, n int) []byte {
	if n <= 0 || n > d.nLines() {
		return nil
	}
	return []byte(d.line(n))
}

// valueForms matches the token as a shell word: the expression or a
// variable holding it, bare or double-quoted.
func (c *cratesJob) valueForms(vars []string) *regexp.Regexp {
	alts := []string{`\$\{\{\s*(?i:secrets\.` + regexp.QuoteMeta(c.secret) + `)\s*\}\}`}
	for _, n := range vars {
		q := regexp.QuoteMeta(n)
		alts = append(alts, `\$`+q+`\b`, `\$\{`+q+`\}`, `\$\{\{\s*env\.`+q+`\s*\}\}`)
	}
	v := `(?:` + strings.Join(alts, "|") + `)`
	return regexp.MustCompile(`^(?:` + v + `|"` + v + `")`)
}

// byteAt converts a file position to a byte offset, or -1.
func (c *cratesJob) byteAt(p model.Pos) int {
	if p.Line <= 0 || p.Line > c.d.nLines() {
		return -1
	}
	l := c.d.line(p.Line)
	if p.Col-1 < 0 || p.Col-1 > len(l) {
		return -1
	}
	return c.d.lineStart(p.Line) + p.Col - 1
}

// dropTokenFlag removes `--token VALUE` (or --token=VALUE) from a
// publishing command, with the blanks before it on the same line.
func (c *cratesJob) dropTokenFlag(s *cratesStep, cmd *model.Command, valRe *regexp.Regexp, start, end int) ([]Edit, error) {
	var out []Edit
	for i, a := range cmd.Args {
		var vpos int
		switch {
		case a.Lit == "--token":
			if i+1 >= len(cmd.Args) {
				return nil, &Refusal{Reason: ReasonScript, Detail: "--token without a value in step " + s.label}
			}
			vpos = c.byteAt(cmd.Args[i+1].Pos)
		case strings.HasPrefix(a.Lit, "--token="):
			vpos = c.byteAt(a.Pos)
			if vpos >= 0 {
				vpos += len("--token=")
			}
		default:
			continue
		}
		fpos := c.byteAt(a.Pos)
		if fpos < start || vpos < start || vpos > end || !strings.HasPrefix(string(c.d.src[fpos:]), "--token") {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "cannot locate --token in step " + s.label}
		}
		m := valRe.FindIndex(c.d.src[vpos:end])
		if m == nil {
			return nil, &Refusal{Reason: ReasonScript, Detail: "--token in step " + s.label + " is given something other than the token secret or a variable holding it"}
		}
		vend := vpos + m[1]
		if vend < end && !strings.ContainsRune(" \t\r\n;&|)", rune(c.d.src[vend])) && !c.closingQuote(vend) {
			return nil, &Refusal{Reason: ReasonScript, Detail: "--token in step " + s.label + " is part of a longer word"}
		}
		// The blanks before --token, on its line.
		from := fpos
		for from > start && (c.d.src[from-1] == ' ' || c.d.src[from-1] == '\t') {
			from--
		}
		if from == fpos || c.d.src[from-1] == '\n' {
			return nil, &Refusal{Reason: ReasonScript, Detail: "--token starts a line in step " + s.label + " (a continuation): edit it by hand"}
		}
		out = append(out, Edit{Start: from, End: vend})
	}
	return out, nil
}

// closingQuote reports whether the byte at i closes a one-line quoted
// run: scalar (run: "cargo publish --token X").
func (c *cratesJob) closingQuote(i int) bool {
	q := c.d.src[i]
	if q != '"' && q != '\'' {
		return false
	}
	nl := strings.IndexByte(string(c.d.src[i:]), '\n')
	if nl < 0 {
		nl = len(c.d.src) - i
	}
	rest := strings.TrimSpace(string(c.d.src[i+1 : i+nl]))
	return rest == "" || strings.HasPrefix(rest, "#")
}

var cratesLoginStdin = regexp.MustCompile(`^(?:echo|printf)(?:\s+-n)?\s+(.+?)\s*\|\s*cargo\s+login(?:\s+--registry[ =]crates-io)?\s*$`)

// dropLogin removes a cargo login command that is given the token: alone
// on its line, or joined to the next (or previous) command by &&.
// all is true when the login is the whole one-line script.
func (c *cratesJob) dropLogin(s *cratesStep, cmd *model.Command, valRe *regexp.Regexp, runVal *yaml.Node, start, end int, block bool) (edits []Edit, ok, all bool, err error) {
	cpos := c.byteAt(cmd.Pos)
	if cpos < start || cpos > end {
		return nil, false, false, &Refusal{Reason: ReasonLayout, Detail: "cannot locate cargo login in step " + s.label}
	}
	line := cmd.Pos.Line
	ls, le := c.d.lineStart(line), c.d.lineStart(line+1)
	text := strings.TrimRight(string(c.d.src[ls:le]), "\r\n")
	onKeyLine := line == runVal.Line
	if cmd.Stdin != nil {
		// echo "$TOKEN" | cargo login: the pipeline must be its line.
		body := strings.TrimSpace(text)
		if onKeyLine {
			body = strings.TrimSpace(string(c.d.src[c.byteAt(model.Pos{Line: runVal.Line, Col: runVal.Column}):le]))
		}
		m := cratesLoginStdin.FindStringSubmatch(body)
		if m == nil || valRe.FindStringIndex(m[1]) == nil || valRe.FindStringIndex(m[1])[1] != len(m[1]) {
			if c.mentions([]byte(text), nil) {
				return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " reads the token in a way this fixer does not rewrite"}
			}
			return nil, false, false, nil
		}
		if onKeyLine {
			// run: echo ... | cargo login, the whole script.
			return nil, true, true, nil
		}
		return []Edit{{Start: ls, End: le}}, true, false, nil
	}
	// cargo login VALUE (optionally --registry crates-io).
	if len(cmd.Args) < 3 {
		return nil, false, false, nil
	}
	var last model.Word
	for _, a := range cmd.Args[2:] {
		if a.Lit == "--registry" || a.Lit == "crates-io" || a.Lit == "--registry=crates-io" {
			continue
		}
		if last.Lit != "" {
			return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " has arguments this fixer does not know"}
		}
		last = a
	}
	vpos := c.byteAt(last.Pos)
	if last.Lit == "" || vpos < start {
		return nil, false, false, nil
	}
	m := valRe.FindIndex(c.d.src[vpos:end])
	if m == nil {
		return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " is given something other than the token secret or a variable holding it"}
	}
	if last.Pos.Line != line || cmd.End.Line != line {
		return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " spans lines"}
	}
	cend := vpos + m[1]
	lineEnd := ls + len(text)
	before := string(c.d.src[ls:cpos])
	after := string(c.d.src[cend:lineEnd])
	if onKeyLine {
		before = string(c.d.src[c.byteAt(model.Pos{Line: runVal.Line, Col: runVal.Column}):cpos])
		if runVal.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			before = strings.TrimLeft(before, `'"`)
			after = strings.TrimRight(after, `'"`)
		}
	}
	blankBefore := strings.TrimSpace(before) == ""
	trimmedAfter := strings.TrimSpace(after)
	switch {
	case blankBefore && (trimmedAfter == "" || strings.HasPrefix(trimmedAfter, "#")):
		if onKeyLine {
			return nil, true, true, nil // the whole script
		}
		if !block {
			return nil, false, false, &Refusal{Reason: ReasonLayout, Detail: "the run: of step " + s.label + " is not a literal block"}
		}
		return []Edit{{Start: ls, End: le}}, true, false, nil
	case blankBefore && strings.HasPrefix(trimmedAfter, "&&"):
		// cargo login X && next: drop through the && and its blanks.
		k := cend + strings.Index(after, "&&") + 2
		for k < lineEnd && (c.d.src[k] == ' ' || c.d.src[k] == '\t') {
			k++
		}
		if k == lineEnd {
			return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " ends its line with &&"}
		}
		return []Edit{{Start: cpos, End: k}}, true, false, nil
	case strings.HasSuffix(strings.TrimRight(before, " \t"), "&&") && (trimmedAfter == "" || strings.HasPrefix(trimmedAfter, "&&")):
		// prev && cargo login X [&& next]: drop the && before it.
		k := ls + len(strings.TrimRight(before, " \t")) - 2
		for k > ls && (c.d.src[k-1] == ' ' || c.d.src[k-1] == '\t') {
			k--
		}
		return []Edit{{Start: k, End: cend}}, true, false, nil
	}
	return nil, false, false, &Refusal{Reason: ReasonScript, Detail: "cargo login in step " + s.label + " is joined to other commands in a way this fixer does not rewrite"}
}

// scriptEmpty reports whether a run: script is left with nothing to do.
func (c *cratesJob) scriptEmpty(rest []byte, block bool) bool {
	if !block {
		return false
	}
	lines := strings.Split(string(rest), "\n")
	for _, l := range lines[1:] {
		if !blankOrComment(l) {
			return false
		}
	}
	return true
}

// cratesApplyLocal applies edits inside [start, end) to a copy of that range.
func cratesApplyLocal(src []byte, start, end int, edits []Edit) []byte {
	var local []Edit
	for _, e := range edits {
		local = append(local, Edit{Start: e.Start - start, End: e.End - start, New: e.New})
	}
	out, err := Apply("", src[start:end], local)
	if err != nil {
		return src[start:end]
	}
	return out
}

// nativeReleasePlz reports whether release-plz can do the exchange
// itself: every publish of the job is release-plz/action, new enough,
// on crates.io. Otherwise the reason goes into a note and the auth
// action feeds it.
func (c *cratesJob) nativeReleasePlz() (bool, string) {
	if c.f.Method != "release-plz" {
		return false, ""
	}
	for _, s := range c.steps2 {
		if s.del || len(s.script) > 0 {
			return false, "" // a cargo login to remove: the auth step replaces it
		}
		if !s.publish {
			continue
		}
		if s.kind != "release-plz" {
			return false, ""
		}
		if in := s.ms.Input("registry"); in != nil && strings.TrimSpace(in.Value.Raw) != "" {
			return false, ""
		}
		ref := s.ms.Uses[strings.LastIndexByte(s.ms.Uses, '@')+1:]
		if in := s.ms.Input("version"); in != nil {
			if m := actionVersion.FindStringSubmatch(ref); ref != "main" && (m == nil || m[1] == "0" && cratesAtoi(m[2], -1) < 5) {
				return false, fmt.Sprintf("%s with an explicit version may not install release-plz the way v0.5 does: the crates-io-auth-action token is passed to it instead", s.ms.Uses)
			}
			v := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(in.Value.Raw), "release-plz-"), "v")
			p := strings.Split(v, ".")
			if len(p) != 3 || p[0] != "0" || p[1] != "3" {
				if len(p) == 3 && p[0] == "0" && cratesAtoi(p[1], 0) > 3 {
					continue
				}
				return false, fmt.Sprintf("release-plz version %q cannot be shown to have trusted publishing (0.3.%d): the crates-io-auth-action token is passed to it instead", in.Value.Raw, cratesReleasePlzTP)
			}
			if cratesAtoi(p[2], 0) < cratesReleasePlzTP {
				return false, fmt.Sprintf("release-plz %s predates its trusted publishing (0.3.%d): the crates-io-auth-action token is passed to it instead", in.Value.Raw, cratesReleasePlzTP)
			}
			continue
		}
		if !cratesReleasePlzActionOK(ref) {
			return false, fmt.Sprintf("%s may install a release-plz older than its trusted publishing (0.3.%d, action v0.5.%d): the crates-io-auth-action token is passed to it instead", s.ms.Uses, cratesReleasePlzTP, cratesReleasePlzAction)
		}
	}
	return true, ""
}

func cratesAtoi(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// cratesReleasePlzActionOK: the floating v0.5 tag and v0.5.117 or later install
// release-plz 0.3.146 or later by default.
func cratesReleasePlzActionOK(ref string) bool {
	if ref == "main" {
		return true
	}
	m := actionVersion.FindStringSubmatch(ref)
	if m == nil {
		return false
	}
	major, minor := cratesAtoi(m[1], 0), cratesAtoi(m[2], -1)
	switch {
	case major > 0:
		return true
	case minor > 5:
		return true
	case minor == 5:
		return m[3] == "" || cratesAtoi(m[3], 0) >= cratesReleasePlzAction
	}
	return false
}

// fixNative drops the token from release-plz: it exchanges the job's OIDC
// token itself (do not add crates-io-auth-action, its docs say).
func (c *cratesJob) fixNative() error {
	for _, s := range c.steps2 {
		if s.kind != "release-plz" {
			continue
		}
		if err := c.dropStepToken(s); err != nil {
			return err
		}
		if s.publish {
			if strings.HasPrefix(strings.ToLower(s.ms.Uses), "marcoieni/") {
				*c.notes = append(*c.notes, "MarcoIeni/release-plz-action is the old name of release-plz/action (GitHub redirects it); consider renaming it")
			}
		}
	}
	*c.notes = append(*c.notes, fmt.Sprintf("job %s: release-plz (0.3.%d or later) exchanges the job's OIDC token for a crates.io token itself once no CARGO_REGISTRY_TOKEN or token input is set; no crates-io-auth-action is added, as release-plz's docs advise", c.job, cratesReleasePlzTP))
	return nil
}

// dropStepToken removes a step's own token entries (env and inputs).
func (c *cratesJob) dropStepToken(s *cratesStep) error {
	x, err := c.removeKeys(s.path+".env", s.carried, 3)
	if err != nil {
		return err
	}
	c.edits = append(c.edits, x...)
	x, err = c.removeKeys(s.path+".with", s.inputs, 3)
	if err != nil {
		return err
	}
	c.edits = append(c.edits, x...)
	return nil
}

// removeKeys deletes keys from the mapping at path, or the whole mapping
// entry when they are all it holds. stopDepth is the depth of the step or
// job that must stay.
func (c *cratesJob) removeKeys(path string, keys []string, stopDepth int) ([]Edit, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	_, _, m := c.d.lookup(path)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: path + " is not a block mapping"}
	}
	if len(m.Content)/2 == len(keys) {
		e, err := c.d.removeEntry(path, stopDepth-1)
		if err != nil {
			return nil, err
		}
		return []Edit{e}, nil
	}
	var out []Edit
	for _, k := range keys {
		e, err := c.d.removeEntry(path+"."+k, stopDepth)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// cleanReleasePR drops the same token from release-plz release-pr steps
// (any job of the file): release-pr does not publish and needs no crates.io
// token (§5.8), and would get an empty one once the secret is deleted.
func (c *cratesJob) cleanReleasePR() ([]Edit, error) {
	var out []Edit
	for _, j := range c.wf.Jobs {
		if j.ID == c.job {
			// Its release-pr steps were scanned with the job.
			for _, s := range c.steps2 {
				if s.kind == "release-pr" && (len(s.carried) > 0 || len(s.inputs) > 0) {
					x, err := c.removeStepKeys(s.path, s.carried, s.inputs)
					if err != nil {
						return nil, err
					}
					out = append(out, x...)
				}
			}
			continue
		}
		for _, st := range j.Steps {
			if !cratesReleasePlzUses.MatchString(st.Uses) {
				continue
			}
			if cmd := st.Input("command"); cmd == nil || strings.TrimSpace(cmd.Value.Raw) != "release-pr" {
				continue
			}
			re := c.tokenExpr(nil)
			var envKeys, inKeys []string
			for _, v := range st.Env {
				if loc := re.FindStringIndex(strings.TrimSpace(v.Value.Raw)); loc != nil && loc[0] == 0 && loc[1] == len(strings.TrimSpace(v.Value.Raw)) && v.Name == cratesEnvName {
					envKeys = append(envKeys, v.Name)
				}
			}
			for _, v := range st.With {
				if loc := re.FindStringIndex(strings.TrimSpace(v.Value.Raw)); loc != nil && loc[0] == 0 && loc[1] == len(strings.TrimSpace(v.Value.Raw)) && (strings.EqualFold(v.Name, "token") || strings.EqualFold(v.Name, "registry_token")) {
					inKeys = append(inKeys, v.Name)
				}
			}
			if len(envKeys)+len(inKeys) == 0 {
				continue
			}
			x, err := c.removeStepKeys(st.YAMLPath, envKeys, inKeys)
			if err != nil {
				return nil, err
			}
			out = append(out, x...)
			*c.notes = append(*c.notes, fmt.Sprintf("job %s: removed the crates.io token from release-plz release-pr, which opens the release PR and publishes nothing; check that its release-plz.toml publishes to crates.io only", j.ID))
		}
	}
	return out, nil
}

func (c *cratesJob) removeStepKeys(path string, envKeys, inKeys []string) ([]Edit, error) {
	x, err := c.removeKeys(path+".env", envKeys, 3)
	if err != nil {
		return nil, err
	}
	y, err := c.removeKeys(path+".with", inKeys, 3)
	if err != nil {
		return nil, err
	}
	return append(x, y...), nil
}

// fixAuth inserts rust-lang/crates-io-auth-action before the first
// publish and hands its token output to every publish of the job.
func (c *cratesJob) fixAuth() error {
	id := ""
	for _, cand := range []string{"auth", "crates-io-auth"} {
		used := false
		for _, s := range c.mj.Steps {
			if strings.EqualFold(s.ID, cand) {
				used = true
			}
		}
		if !used {
			id = cand
			break
		}
	}
	if id == "" {
		return &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " already has steps with ids auth and crates-io-auth"}
	}
	out := "${{ steps." + id + ".outputs.token }}"
	var first *cratesStep
	var conds []string
	var condSet bool
	for _, s := range c.steps2 {
		if s.del {
			x, err := c.deleteStep(s)
			if err != nil {
				return err
			}
			c.edits = append(c.edits, x...)
			*c.notes = append(*c.notes, "removed step "+s.label+": it only ran cargo login with the token, which the auth step now provides")
			continue
		}
		c.edits = append(c.edits, s.script...)
		if !s.publish {
			// A login in a step that does not publish: its token entries go.
			if len(s.script) > 0 || len(s.carried) > 0 {
				x, err := c.removeKeys(s.path+".env", s.carried, 3)
				if err != nil {
					return err
				}
				c.edits = append(c.edits, x...)
			}
			continue
		}
		if first == nil {
			first = s
		}
		cond, err := c.stepIf(s)
		if err != nil {
			return err
		}
		if !condSet {
			conds, condSet = []string{cond}, true
		} else if conds[0] != cond {
			return &Refusal{Reason: ReasonLayout, Detail: "the publishing steps of job " + c.job + " run under different if: conditions: add the auth step by hand"}
		}
		var err2 error
		switch s.kind {
		case "katyo":
			err2 = c.feed(s, out, "with", "registry-token")
		case "release-plz":
			if len(s.inputs) > 0 {
				err2 = c.feed(s, out, "with", s.inputs[0])
			} else {
				err2 = c.feed(s, out, "env", cratesEnvName)
			}
		default:
			err2 = c.feed(s, out, "env", cratesEnvName)
		}
		if err2 != nil {
			return err2
		}
	}
	if first == nil {
		return &Refusal{Reason: ReasonScript, Detail: "no publish in job " + c.job + " to feed"}
	}
	lines := []string{"uses: " + cratesAuthUses, "id: " + id}
	if conds[0] != "" {
		lines = append(lines, "if: "+conds[0])
	}
	e, err := c.d.insertStepBefore(first.path, lines)
	if err != nil {
		return err
	}
	c.edits = append(c.edits, e)
	*c.notes = append(*c.notes, fmt.Sprintf("job %s: added %s (id %s) before step %s; its token output lasts 30 minutes, publishes only (no yank or owner changes) and cannot create a crate: a crate's first release still needs an API token", c.job, cratesAuthUses, id, first.label))
	return nil
}

// stepIf is the source text of a step's one-line if:, "" for none.
func (c *cratesJob) stepIf(s *cratesStep) (string, error) {
	_, v := child(s.node, "if")
	if v == nil {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode || strings.Contains(v.Value, "\n") || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return "", &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + s.label + " is not a one-line scalar"}
	}
	text, ok := c.scalarSource(v)
	if !ok {
		return "", &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + s.label + " is not a one-line scalar"}
	}
	return text, nil
}

// scalarSource returns the source text of a one-line scalar, quotes
// included, checked by parsing it back.
func (c *cratesJob) scalarSource(v *yaml.Node) (string, bool) {
	l := strings.TrimRight(c.d.line(v.Line), "\r\n")
	col := v.Column - 1
	if col < 0 || col >= len(l) {
		return "", false
	}
	rest := l[col:]
	var text string
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\\' {
				i++
				continue
			}
			if rest[i] == '"' {
				text = rest[:i+1]
				break
			}
		}
	case yaml.SingleQuotedStyle:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				text = rest[:i+1]
				break
			}
		}
	case 0:
		text = rest
		if i := strings.Index(text, " #"); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimRight(text, " \t")
	}
	if text == "" {
		return "", false
	}
	var back string
	if err := yaml.Unmarshal([]byte("x: "+text), &struct {
		X *string `yaml:"x"`
	}{&back}); err != nil || back != v.Value {
		return "", false
	}
	return text, true
}

// feed gives a publishing step the auth token: the entry holding the token
// gets the output instead; a step that got it from the job or workflow env
// (or a cargo login) gets a new entry.
func (c *cratesJob) feed(s *cratesStep, out, mapKey, key string) error {
	_, m := child(s.node, mapKey)
	// The step's own entries holding the token.
	own := s.carried
	if mapKey == "with" {
		own = s.inputs
	}
	re := c.tokenExpr(s.visible)
	if _, v := child(m, key); v != nil {
		if !cratesExact(re, v) {
			return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("step %s sets %s to something other than the token", s.label, key)}
		}
		c.edits = append(c.edits, c.swapExpr(v, re, out)...)
		var others []string
		for _, k := range own {
			if k != key {
				others = append(others, k)
			}
		}
		x, err := c.removeKeys(s.path+"."+mapKey, others, 3)
		if err != nil {
			return err
		}
		c.edits = append(c.edits, x...)
		if mapKey == "with" {
			x, err := c.removeKeys(s.path+".env", s.carried, 3)
			if err != nil {
				return err
			}
			c.edits = append(c.edits, x...)
		}
		return nil
	}
	if mapKey == "env" && len(s.carried) > 0 {
		// Rename the step's token variable (cargo login $TOKEN is gone).
		k, v := child(m, s.carried[0])
		if k.Style != 0 || k.Line != v.Line {
			return &Refusal{Reason: ReasonLayout, Detail: "env " + k.Value + " of step " + s.label + " is not a plain one-line entry"}
		}
		ks := c.d.lineStart(k.Line) + k.Column - 1
		if string(c.d.src[ks:ks+len(k.Value)]) != k.Value {
			return &Refusal{Reason: ReasonLayout, Detail: "env " + k.Value + " of step " + s.label + " is not a plain one-line entry"}
		}
		c.edits = append(c.edits, Edit{Start: ks, End: ks + len(k.Value), New: key})
		c.edits = append(c.edits, c.swapExpr(v, re, out)...)
		x, err := c.removeKeys(s.path+".env", s.carried[1:], 3)
		if err != nil {
			return err
		}
		c.edits = append(c.edits, x...)
		*c.notes = append(*c.notes, fmt.Sprintf("step %s: env %s renamed %s, which cargo reads", s.label, k.Value, key))
		return nil
	}
	x, err := c.addEntry(s, mapKey, key, out)
	if err != nil {
		return err
	}
	c.edits = append(c.edits, x)
	if mapKey == "with" {
		x, err := c.removeKeys(s.path+".env", s.carried, 3)
		if err != nil {
			return err
		}
		c.edits = append(c.edits, x...)
	}
	return nil
}

// swapExpr replaces the token expression inside a scalar by out.
func (c *cratesJob) swapExpr(v *yaml.Node, re *regexp.Regexp, out string) []Edit {
	from := c.d.lineStart(v.Line)
	to := c.d.lineStart(v.Line + 1 + strings.Count(v.Value, "\n"))
	loc := re.FindIndex(c.d.src[from:to])
	if loc == nil {
		return nil
	}
	return []Edit{{Start: from + loc[0], End: from + loc[1], New: out}}
}

// addEntry adds key: value to a step's env or with mapping, creating the
// mapping after the step's last line when it has none.
func (c *cratesJob) addEntry(s *cratesStep, mapKey, key, value string) (Edit, error) {
	eol := c.d.eol()
	_, m := child(s.node, mapKey)
	if m != nil {
		ind, ok := c.d.childIndent(m)
		if !ok {
			return Edit{}, &Refusal{Reason: ReasonLayout, Detail: "the " + mapKey + " of step " + s.label + " is not a block mapping"}
		}
		at := c.d.lineStart(c.d.lastLine(m) + 1)
		return Edit{Start: at, End: at, New: strings.Repeat(" ", ind) + key + ": " + value + eol}, nil
	}
	col := s.node.Content[0].Column - 1
	step := c.nestStep()
	at := c.d.lineStart(c.d.lastLine(s.node) + 1)
	return Edit{Start: at, End: at, New: strings.Repeat(" ", col) + mapKey + ":" + eol + strings.Repeat(" ", col+step) + key + ": " + value + eol}, nil
}

// nestStep is how far the file indents a step's env or with entries.
func (c *cratesJob) nestStep() int {
	for _, st := range c.steps.Content {
		for _, k := range []string{"env", "with"} {
			kk, m := child(st, k)
			if ind, ok := c.d.childIndent(m); ok && ind > kk.Column-1 {
				return ind - (kk.Column - 1)
			}
		}
	}
	return 2
}

// deleteStep removes a whole step, its "- " line through its last line.
func (c *cratesJob) deleteStep(s *cratesStep) ([]Edit, error) {
	st, line, ok := c.d.stepNode(s.path)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " is not a block step"}
	}
	return []Edit{{Start: c.d.lineStart(line), End: c.d.lineStart(c.d.lastLine(st) + 1)}}, nil
}

// removeOuter removes the workflow and job env entries that held the
// token, once every step they reached has been rewritten. A workflow
// entry goes only when no other job reads it.
func (c *cratesJob) removeOuter() error {
	var jobKeys []string
	jobKeys = append(jobKeys, cratesSorted(cratesKeys(c.jobCarried))...)
	x, err := c.removeKeys("jobs."+c.job+".env", jobKeys, 2)
	if err != nil {
		return err
	}
	c.edits = append(c.edits, x...)
	if len(jobKeys) > 0 {
		*c.notes = append(*c.notes, fmt.Sprintf("job %s: the token left the job-level env (%s); only the publishing steps get a crates.io token now", c.job, strings.Join(jobKeys, ", ")))
	}
	wfKeys := cratesSorted(cratesKeys(c.wfCarried))
	if len(wfKeys) == 0 {
		return nil
	}
	// Other jobs must not read them.
	_, jobs := child(c.d.root, "jobs")
	ref := cratesShellRef(wfKeys)
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		k, v := jobs.Content[i], jobs.Content[i+1]
		if k.Value == c.job {
			continue
		}
		text := []byte(cratesNodeText(c.d, v))
		if ref.Match(text) {
			return &Refusal{Reason: ReasonScript, Detail: "the workflow-level env that holds the token is also read by job " + k.Value}
		}
		if cratesContains(wfKeys, cratesEnvName) {
			for _, j := range c.wf.Jobs {
				if j.ID == k.Value && cratesJobMayPublish(j) {
					return &Refusal{Reason: ReasonScript, Detail: "the workflow-level CARGO_REGISTRY_TOKEN also reaches job " + k.Value + ", which may publish: fix both jobs by hand"}
				}
			}
		}
	}
	_, wenv := child(c.d.root, "env")
	x, err = c.removeKeys("env", wfKeys, 1)
	if err != nil {
		return err
	}
	if len(wenv.Content)/2 == len(wfKeys) && len(x) == 1 {
		x[0] = c.eatBlank(x[0])
	}
	c.edits = append(c.edits, x...)
	*c.notes = append(*c.notes, fmt.Sprintf("the token left the workflow-level env (%s), which every step of every job saw", strings.Join(wfKeys, ", ")))
	return nil
}

func cratesKeys(m map[string]*yaml.Node) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// eatBlank widens the removal of a top-level block that sits between two
// blank lines to one of them.
func (c *cratesJob) eatBlank(e Edit) Edit {
	if e.Start == 0 || e.End >= len(c.d.src) {
		return e
	}
	prevStart := strings.LastIndexByte(string(c.d.src[:e.Start-1]), '\n') + 1
	if strings.TrimSpace(string(c.d.src[prevStart:e.Start])) != "" {
		return e
	}
	nl := strings.IndexByte(string(c.d.src[e.End:]), '\n')
	if nl < 0 || strings.TrimSpace(string(c.d.src[e.End:e.End+nl])) != "" {
		return e
	}
	e.End += nl + 1
	return e
}

// cratesJobMayPublish: a job with a crates publish command or action, or
// a script that could hide one.
func cratesJobMayPublish(j *model.Job) bool {
	for _, s := range j.Steps {
		if s.Uses != "" && (cratesKatyoUses.MatchString(s.Uses) || cratesOtherUses.MatchString(s.Uses)) {
			return true
		}
		if s.Run != nil {
			shell.Ensure(s.Run)
			for _, cmd := range s.Run.Commands {
				if k, _ := cratesCommand(cmd); k != cratesCmdOther {
					return true
				}
			}
		}
	}
	return false
}

// permissions grants id-token: write (ensurePermissions). One case is
// handled here: a job that writes to the repository (cargo release,
// release-plz, a GitHub release) under the repository default, which the
// contents: read of ensurePermissions' new block would break.
func (c *cratesJob) permissions() ([]Edit, error) {
	_, jp := child(c.jv, "permissions")
	_, wp := child(c.d.root, "permissions")
	if jp != nil || wp != nil || !cratesPushes.MatchString(cratesNodeText(c.d, c.jv)) {
		return ensurePermissions(c.d, c.job, c.notes)
	}
	scopes := []string{"contents: write"}
	for _, s := range c.steps2 {
		if s.kind == "release-plz" || s.kind == "release-pr" {
			if cmd := s.ms.Input("command"); cmd == nil || strings.TrimSpace(cmd.Value.Raw) != "release" {
				scopes = append(scopes, "pull-requests: write")
				break
			}
		}
	}
	ind, ok := c.d.childIndent(c.jv)
	if !ok || c.jv.Content[0].Line == c.jk.Line {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " starts on its key line"}
	}
	sub := ind + c.nestStep()
	eol := c.d.eol()
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", ind) + "permissions:" + eol)
	for _, s := range append(scopes, "id-token: write") {
		b.WriteString(strings.Repeat(" ", sub) + s + eol)
	}
	*c.notes = append(*c.notes, "job "+c.job+": added permissions "+strings.Join(scopes, ", ")+" (it creates tags, releases or pull requests) and id-token: write; its other scopes were the repository default and are now none")
	at := c.d.lineStart(c.jk.Line + 1)
	return []Edit{{Start: at, End: at, New: b.String()}}, nil
}

// jobNotes are what the reviewer must check about the job.
func (c *cratesJob) jobNotes() {
	if c.mj.Environment != "" {
		*c.notes = append(*c.notes, fmt.Sprintf("job %s runs in environment %s: name it in the crates.io trusted publisher, or leave the field empty", c.job, c.mj.Environment))
	}
	_, strat := child(c.jv, "strategy")
	if _, mx := child(strat, "matrix"); mx != nil {
		*c.notes = append(*c.notes, fmt.Sprintf("job %s is a matrix job that also builds and tests: id-token: write now reaches every step of every matrix run; consider moving the publish into a job of its own that needs it", c.job))
	}
	if c.wf.HasTrigger("pull_request") {
		*c.notes = append(*c.notes, fmt.Sprintf("the workflow also runs on pull_request: unless an if: keeps job %s out of them, it now gets id-token: write in pull-request runs from this repository's branches (never from forks)", c.job))
	}
}

// verify is the backstop: in the job, every use of the secret and of a
// token variable the fix takes away must fall inside an edit (replaced or
// deleted). A leftover `if: env.CARGO_REGISTRY_TOKEN` test would silently
// skip the publish; a leftover secret means the token still reaches it.
func (c *cratesJob) verify() error {
	covered := func(a, b int) bool {
		for _, e := range c.edits {
			if e.End > e.Start && a >= e.Start && b <= e.End {
				return true
			}
		}
		return false
	}
	check := func(re *regexp.Regexp, from, to int, what string) error {
		if re == nil {
			return nil
		}
		for _, loc := range re.FindAllIndex(c.d.src[from:to], -1) {
			if !covered(from+loc[0], from+loc[1]) {
				line := strings.Count(string(c.d.src[:from+loc[0]]), "\n") + 1
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s is still used on line %d of job %s, which this fix does not rewrite", what, line, c.job)}
			}
		}
		return nil
	}
	js, je, ok := c.d.entryRange(c.jk)
	if !ok {
		return &Refusal{Reason: ReasonLayout, Detail: "job " + c.job + " is not a block entry"}
	}
	if err := check(c.secretRef(), js, je, "secret "+c.secret); err != nil {
		return err
	}
	outer := append(cratesSorted(cratesKeys(c.wfCarried)), cratesSorted(cratesKeys(c.jobCarried))...)
	var plain []string
	for _, n := range outer {
		if n != cratesEnvName {
			plain = append(plain, n)
		}
	}
	if err := check(cratesShellRef(plain), js, je, "the token variable"); err != nil {
		return err
	}
	if cratesContains(outer, cratesEnvName) {
		if err := check(regexp.MustCompile(`(?i)\benv\.`+cratesEnvName+`\b`), js, je, "env."+cratesEnvName); err != nil {
			return err
		}
	}
	for _, s := range c.steps2 {
		var names []string
		for _, n := range s.carried {
			if n != cratesEnvName {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		_, line, ok := c.d.stepNode(s.path)
		if !ok {
			continue
		}
		from, to := c.d.lineStart(line), c.d.lineStart(c.d.lastLine(s.node)+1)
		if err := check(cratesShellRef(names), from, to, "the token variable"); err != nil {
			return err
		}
	}
	return nil
}
