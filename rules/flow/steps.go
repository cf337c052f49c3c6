package flow

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

// step analyses one step in its scope.
func (c *ctx) step(st *model.Step, s *scope) {
	// Step-level env handed to the step.
	if st.Uses != "" {
		c.actionStep(st, s)
		return
	}
	if st.Run != nil {
		c.script(st, st.Run, s, "high", "")
	}
}

// inputCreds resolves a `with:` entry.
func (c *ctx) inputCreds(s *scope, v *model.Var) []Cred {
	creds := c.resolveValue(s, nil, v.Value, v, "step")
	c.noteHanded(creds, nil)
	return creds
}

func storedOnly(creds []Cred) []Cred {
	var out []Cred
	for _, cr := range creds {
		if cr.Stored() {
			out = append(out, cr)
		}
	}
	return out
}

// envUses collects the credentials that the named variables of the scope carry.
func (c *ctx) envUses(s *scope, local map[string]*entry, names []string, user bool) []Use {
	var uses []Use
	seen := map[string]bool{}
	visit := func(name string, e *entry) {
		if seen[name] || !catalog.EnvMatches(names, name) {
			return
		}
		seen[name] = true
		for _, cr := range storedOnly(e.creds) {
			uses = append(uses, Use{Cred: cr, Key: "env." + name, User: user})
		}
	}
	for name, e := range local {
		visit(name, e)
	}
	for i := len(s.layers) - 1; i >= 0; i-- {
		for name, e := range s.layers[i] {
			visit(name, e)
		}
	}
	sortUses(uses)
	return uses
}

func sortUses(u []Use) {
	for i := 1; i < len(u); i++ {
		for k := i; k > 0 && lessUse(u[k], u[k-1]); k-- {
			u[k], u[k-1] = u[k-1], u[k]
		}
	}
}

func lessUse(a, b Use) bool {
	if a.Cred.Pos.Line != b.Cred.Pos.Line {
		return a.Cred.Pos.Line < b.Cred.Pos.Line
	}
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	return a.Cred.Name < b.Cred.Name // maps were walked: keep output stable
}

func (c *ctx) actionStep(st *model.Step, s *scope) {
	name := strings.ToLower(catalog.ActionName(st.Uses))
	switch {
	case name == "actions/setup-node":
		if v := st.Input("registry-url"); v != nil {
			c.registry["npm"] = v.Value.Raw
		}
	case name == "actions/setup-dotnet":
		if v := st.Input("source-url"); v != nil {
			c.registry["nuget"] = v.Value.Raw
		}
	}
	m := c.a.Catalog.Action(st.Uses)
	if m == nil {
		c.unknownAction(st, s)
		return
	}
	for in, values := range m.SkipWhenInputs {
		if v := st.Input(in); v != nil && catalog.InList(values, strings.TrimSpace(v.Value.Raw)) {
			c.noteStepCreds(st, s)
			return
		}
	}
	if len(m.RequiresArgs) > 0 && !actionArgsPublish(st, m.RequiresArgs) {
		c.noteStepCreds(st, s)
		return
	}
	if len(m.RequiresInputs) > 0 {
		found := false
		for _, in := range m.RequiresInputs {
			if st.Input(in) != nil {
				found = true
			}
		}
		if !found {
			c.noteStepCreds(st, s)
			return
		}
	}
	pub := &Publish{Pipeline: c.p, Job: c.j, Step: st, Method: m, Registry: m.Registry, OIDC: c.oidc,
		Path: c.path(), Pos: st.UsesPos, Confidence: confidence(m), Callee: c.callee(), CallJob: c.callJob(), Caller: c.caller()}
	for _, v := range st.With {
		switch {
		case catalog.InList(m.CredentialInputs, v.Name):
			for _, cr := range storedOnly(c.inputCreds(s, v)) {
				pub.Uses = append(pub.Uses, Use{Cred: cr, Key: "with." + v.Name})
			}
		case catalog.InList(m.UserInputs, v.Name):
			for _, cr := range storedOnly(c.inputCreds(s, v)) {
				pub.Uses = append(pub.Uses, Use{Cred: cr, Key: "with." + v.Name, User: true})
			}
		case catalog.InList(m.TargetInputs, v.Name):
			c.target(pub, s, v.Value)
		default:
			c.inputCreds(s, v)
		}
	}
	pub.Uses = append(pub.Uses, c.envUses(s, nil, m.CredentialEnv, false)...)
	if len(m.UserEnv) > 0 {
		pub.Uses = append(pub.Uses, c.envUses(s, nil, m.UserEnv, true)...)
	}
	for _, name := range m.TargetEnv {
		if e, ok := s.lookup(name); ok && e.literal != "" {
			c.targetLiteral(pub, e.literal)
		}
	}
	if m.Configures {
		// An action that stores a credential for later steps (it also
		// exports GEM_HOST_API_KEY).
		if len(pub.Uses) == 0 {
			return // no api-token: the action exchanges an OIDC token
		}
		for _, u := range pub.Uses {
			if !u.User {
				cr := u.Cred
				cr.Via = append(cr.Via, m.Name)
				c.files["gem-credentials"] = append(c.files["gem-credentials"], fileCred{cred: cr, registry: pub.Registry, file: m.Name})
				c.ghEnv["GEM_HOST_API_KEY"] = &entry{defined: true, creds: []Cred{cr}}
			}
		}
		return
	}
	c.emit(pub)
}

// noteStepCreds records the credentials a non-publishing step receives.
func (c *ctx) noteStepCreds(st *model.Step, s *scope) {
	for _, v := range st.With {
		c.inputCreds(s, v)
	}
}

func actionArgsPublish(st *model.Step, verbs []string) bool {
	for _, in := range []string{"command", "args"} {
		v := st.Input(in)
		if v == nil {
			continue
		}
		for _, f := range strings.Fields(v.Value.Raw) {
			if catalog.InList(verbs, f) {
				return true
			}
		}
	}
	return false
}

func confidence(m *catalog.Method) string {
	if m.Confidence != "" {
		return m.Confidence
	}
	return "high"
}

func (c *ctx) callee() string {
	if c.b != nil {
		return c.p.File.Path
	}
	return ""
}

func (c *ctx) caller() *model.Pipeline {
	if c.b != nil {
		return c.b.caller
	}
	return nil
}

func (c *ctx) callJob() *model.Job {
	if c.b != nil {
		return c.b.job
	}
	return nil
}

// target sets a publish's registry from a target value.
func (c *ctx) target(pub *Publish, s *scope, v model.Value) {
	if len(v.Refs) > 0 {
		// A URL whose host is literal: https://jazzband.co/projects/${{ x }}/upload.
		if host := literalURLPrefix(v.Raw); host != "" {
			c.targetLiteral(pub, host)
			if !pub.TargetDynamic {
				return
			}
			pub.TargetDynamic = false
		}
		// An input of a reusable workflow bound by a caller resolves.
		if c.b != nil && len(v.Refs) == 1 && v.Refs[0].Kind == "inputs" {
			if in, ok := c.b.inputs[v.Refs[0].Name]; ok && len(in.Value.Refs) == 0 {
				c.targetLiteral(pub, in.Value.Raw)
				return
			}
		}
		if len(v.Refs) == 1 && v.Refs[0].Kind == "env" {
			if e, ok := s.lookup(v.Refs[0].Name); ok && e.literal != "" {
				c.targetLiteral(pub, e.literal)
				return
			}
		}
		c.dynamicTarget(pub, v.Refs)
		return
	}
	c.targetLiteral(pub, v.Raw)
}

// dynamicTarget marks a target tpscan cannot resolve. In a reusable workflow
// read on its own, an input decides: for PyPI that may as well be TestPyPI.
func (c *ctx) dynamicTarget(pub *Publish, refs []model.Ref) {
	pub.TargetDynamic = true
	if c.b != nil || !c.p.Reusable || pub.Method == nil || pub.Method.Family != "pypi" {
		return
	}
	for _, r := range refs {
		if r.Kind == "inputs" && pub.Registry == "pypi" {
			pub.AltRegistries = []string{"testpypi"}
		}
	}
}

// literalURLPrefix returns scheme://host/ of a URL written before any
// expression, or "".
func literalURLPrefix(raw string) string {
	raw = strings.TrimSpace(raw)
	i := strings.Index(raw, "://")
	if i <= 0 {
		return ""
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/$")
	if end <= 0 || rest[end] == '$' {
		return ""
	}
	return raw[:i+3+end+1]
}

func (c *ctx) targetLiteral(pub *Publish, raw string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return
	}
	for _, prefix := range c.a.InternalRegistries {
		if prefix != "" && strings.HasPrefix(raw, prefix) {
			pub.Registry = "private-registry"
			return
		}
	}
	if strings.Contains(raw, "${{") || strings.Contains(raw, "$") {
		// https://rubygems.pkg.github.com/${OWNER}: the host decides.
		if host := literalURLPrefix(raw); host != "" {
			c.targetLiteral(pub, host)
			return
		}
		pub.TargetDynamic = true
		return
	}
	f := c.a.Catalog.Family(pub.Method.Family)
	if f == nil {
		return
	}
	if reg, ok := f.ResolveTarget(raw); ok {
		pub.Registry = reg
		return
	}
	// A value that is neither a known URL nor a known name: a private
	// index (an .pypirc section, a NuGet source name, an internal URL).
	if pub.Method.Family == "pypi" && !strings.Contains(raw, "/") {
		// twine/flit/hatch -r NAME is a .pypirc section, an action's
		// repository name is configured elsewhere: the target is unknown,
		// not private.
		pub.TargetDynamic = true
		return
	}
	pub.Registry = "private-registry"
}

// emit records a publish and marks its credentials consumed.
func (c *ctx) emit(pub *Publish) {
	if c.reportAs != nil {
		pub.Pipeline = c.reportAs
	}
	pub.Uses = dedupeUses(pub.Uses)
	c.consume(pub.Uses)
	c.res.Publishes = append(c.res.Publishes, pub)
}

// dedupeUses keeps one use per credential: GEM_HOST_API_KEY read directly
// and the credentials file written from it are one token reaching one publish.
func dedupeUses(uses []Use) []Use {
	seen := map[string]int{}
	out := uses[:0]
	for _, u := range uses {
		k := credKey(u.Cred) + "\x00" + strconv.FormatBool(u.User)
		if i, ok := seen[k]; ok {
			out[i].Cred.Via = append(out[i].Cred.Via, "also "+u.Key)
			continue
		}
		seen[k] = len(out)
		out = append(out, u)
	}
	return out
}

// publishWords are what a step, command or job that publishes is usually
// called.
var publishWords = []string{"publish", "release", "deploy", "upload", "push", "pypi", "npm", "rubygem", "crate", "nuget", "pub.dev", "dist"}

// looksLikePublish reports whether a name suggests publishing.
func looksLikePublish(s string) bool {
	lc := strings.ToLower(s)
	if containsAny(lc, publishWords) {
		return true
	}
	for _, f := range strings.FieldsFunc(lc, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '/' || r == '.' }) {
		if f == "gem" {
			return true
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// unknownAction handles an action outside the catalogue. A local composite
// action in the checkout is followed; any other action that receives a
// registry credential and looks like a publish is reported at low confidence.
func (c *ctx) unknownAction(st *model.Step, s *scope) {
	if c.actionWritesCredentials(st, s) {
		return
	}
	if strings.HasPrefix(st.Uses, "./") && c.depth < 4 {
		if p := c.a.findComposite(strings.TrimPrefix(st.Uses, "./")); p != nil && len(p.Jobs) > 0 {
			c.composite(st, s, p)
			return
		}
	}
	var uses []Use
	for _, v := range st.With {
		for _, cr := range storedOnly(c.inputCreds(s, v)) {
			uses = append(uses, Use{Cred: cr, Key: "with." + v.Name})
		}
	}
	stepEnv := map[string]bool{}
	for _, v := range st.Env {
		stepEnv[v.Name] = true
		if e, ok := s.lookup(v.Name); ok {
			for _, cr := range storedOnly(e.creds) {
				uses = append(uses, Use{Cred: cr, Key: "env." + v.Name})
			}
		}
	}
	// An action named as a publisher (pulumi-package-publisher) also reads
	// the job's and workflow's env: registry credentials there reach it.
	if strings.Contains(strings.ToLower(catalog.ActionName(st.Uses)), "publish") || strings.Contains(strings.ToLower(st.Name), "publish") {
		for i := len(s.layers) - 1; i >= 0; i-- {
			for name, e := range s.layers[i] {
				if stepEnv[name] {
					continue
				}
				for _, cr := range storedOnly(e.creds) {
					uses = append(uses, Use{Cred: cr, Key: "env." + name})
				}
			}
		}
		// And the credential files earlier steps wrote (`cargo login`).
		for kind, fcs := range c.files {
			for _, fc := range fcs {
				if fc.cred.Stored() && kind != "npmrc-template" {
					reg := fc.registry
					if reg == "" {
						reg = fileKindRegistry[kind]
					}
					uses = append(uses, Use{Cred: fc.cred, Key: "file " + fc.file, fileRegistry: reg})
				}
			}
		}
		sortUses(uses)
	}
	if len(uses) == 0 {
		return
	}
	if !looksLikePublish(st.Uses) && !looksLikePublish(st.Name) && !looksLikePublish(st.ID) {
		return
	}
	byReg := map[string]*Publish{}
	var order []string
	for _, u := range uses {
		key := strings.TrimPrefix(strings.TrimPrefix(u.Key, "with."), "env.")
		reg, ok := c.registryOfVar(key)
		if u.fileRegistry != "" {
			reg, ok = u.fileRegistry, true
		}
		if r2, ok2 := c.a.Catalog.InferRegistry(u.Cred.Name); ok2 && (!ok || catalog.FamilyOf(r2) == catalog.FamilyOf(reg)) {
			reg, ok = c.a.refine(r2, key), true
		}
		if !ok || !catalog.Public(reg) {
			continue
		}
		pub := byReg[reg]
		if pub == nil {
			pub = &Publish{Pipeline: c.p, Job: c.j, Step: st, Registry: reg, OIDC: c.oidc,
				Path: c.path(), Pos: st.UsesPos, Confidence: "low", Indirect: "action " + st.Uses,
				Method: externalMethod(c.a.Catalog, reg), Inferred: true, Callee: c.callee(), CallJob: c.callJob(), Caller: c.caller()}
			byReg[reg] = pub
			order = append(order, reg)
		}
		pub.Uses = append(pub.Uses, u)
	}
	// Deferred like other indirect publishes: a direct publish of the same
	// credential wins, and two such steps report the credential once.
	for _, reg := range order {
		c.indirect = append(c.indirect, byReg[reg])
	}
}

// fileKindRegistry is the registry a credential file is for by default.
var fileKindRegistry = map[string]string{
	"pypirc": "pypi", "poetry-config": "pypi", "npmrc": "npm", "gem-credentials": "rubygems",
	"cargo-credentials": "crates", "pub-credentials": "pubdev", "nuget-config": "nuget",
}

// actionWritesCredentials handles an action that writes a file
// (joutvhu/write-file with path: ~/.config/dart/pub-credentials.json and
// contents: ${{ secrets.X }}): when the path is a credentials file, the
// secrets in its other inputs are that file's credentials.
func (c *ctx) actionWritesCredentials(st *model.Step, s *scope) bool {
	kind, file := "", ""
	for _, v := range st.With {
		if len(v.Value.Refs) == 0 {
			if k := credentialKind(strings.TrimSpace(v.Value.Raw)); k != "" {
				kind, file = k, path.Base(strings.TrimSpace(v.Value.Raw))
			}
		}
	}
	if kind == "" {
		return false
	}
	registry := fileKindRegistry[kind]
	for _, v := range st.With {
		for _, cr := range storedOnly(c.inputCreds(s, v)) {
			cr.Via = append(cr.Via, "written to "+file+" by "+catalog.ActionName(st.Uses))
			c.files[kind] = append(c.files[kind], fileCred{cred: cr, registry: registry, file: file})
		}
	}
	return true
}

// registryOfVar says which registry a variable name is read by: a method's
// credential variable (TWINE_PASSWORD is twine's) or a registry-looking name.
func (c *ctx) registryOfVar(name string) (string, bool) {
	if m := c.a.Catalog.EnvMethod(name); m != nil {
		return m.Registry, true
	}
	return c.a.Catalog.InferRegistry(name)
}

func (a *Analyzer) findComposite(dir string) *model.Pipeline {
	dir = path.Clean(strings.TrimSuffix(dir, "/"))
	for _, p := range a.Repo.Pipelines {
		if p.Kind == model.GitHubComposite && path.Dir(p.File.Path) == dir {
			return p
		}
	}
	return nil
}

// composite follows a local composite action: its inputs are bound to the
// step's `with:` and its steps run in the calling job.
func (c *ctx) composite(st *model.Step, s *scope, p *model.Pipeline) {
	sub := &ctx{a: c.a, res: c.res, p: p, j: c.j, b: nil, oidc: c.oidc, files: c.files, registry: c.registry,
		poetry: c.poetry, ghEnv: c.ghEnv, depth: c.depth + 1}
	inputs := map[string]*entry{}
	for _, v := range st.With {
		inputs[v.Name] = &entry{defined: true, creds: c.inputCreds(s, v), literal: v.Value.Raw}
	}
	sub.compositeInputs = inputs
	body := p.Jobs[0]
	for _, cst := range body.Steps {
		cs := s.push(sub.envLayer(s, cst.Env, "step"))
		sub.step(cst, cs)
	}
	c.indirect = append(c.indirect, sub.indirect...)
}

// flushIndirect emits the publishes seen only through indirection, for the
// credentials that no direct publish consumed.
func (c *ctx) flushIndirect() {
	// Publishes whose own command says publish first: they win a credential
	// over one only the job's name suggested.
	sort.SliceStable(c.indirect, func(i, k int) bool { return !c.indirect[i].weak && c.indirect[k].weak })
	seen := map[string]bool{}
	for _, pub := range c.indirect {
		var keep []Use
		for _, u := range pub.Uses {
			k := credKey(u.Cred)
			if c.a.consumed[k] || seen[k] {
				continue
			}
			seen[k] = true
			keep = append(keep, u)
		}
		if len(keep) == 0 {
			continue
		}
		pub.Uses = keep
		c.emit(pub)
	}
	c.indirect = nil
}

// script analyses shell text in the scope of a step.
func (c *ctx) script(st *model.Step, sc *model.Script, s *scope, conf, via string) {
	c.scriptWith(st, sc, s, conf, via, nil)
}

// scriptWith analyses a script whose variables start as params (a followed
// script's positional arguments).
func (c *ctx) scriptWith(st *model.Step, sc *model.Script, s *scope, conf, via string, params map[string]*entry) {
	if sc.Pending != nil {
		if !c.a.Catalog.MayMatter(sc.Text) && !scopeHasStored(s) {
			return // names no tool or credential, and no credential is in reach
		}
		shell.Ensure(sc)
	}
	local := map[string]*entry{}
	for k, v := range params {
		local[k] = v
	}
	for _, cmd := range sc.Commands {
		c.command(st, cmd, s, local, conf, via)
	}
}

// shiftParams applies `shift [n]` to a followed script's positional
// parameters, so that `case $1 in --token) shift; token="$1"` binds the
// token. The walk is static: every case arm is visited in order.
func shiftParams(local map[string]*entry, cmd *model.Command) {
	if _, ok := local["1"]; !ok {
		return
	}
	n := 1
	if len(cmd.Args) > 1 {
		if k, err := strconv.Atoi(cmd.Args[1].Lit); err == nil && k > 0 {
			n = k
		}
	}
	for i := 1; ; i++ {
		next, ok := local[strconv.Itoa(i+n)]
		if !ok {
			delete(local, strconv.Itoa(i))
			if _, more := local[strconv.Itoa(i+1)]; !more {
				return
			}
			continue
		}
		local[strconv.Itoa(i)] = next
	}
}

// scopeHasStored reports whether any stored credential is in reach.
func scopeHasStored(s *scope) bool {
	for _, l := range s.layers {
		for _, e := range l {
			for _, cr := range e.creds {
				if cr.Stored() {
					return true
				}
			}
		}
	}
	return false
}

// wordCreds resolves the references of a shell word.
func (c *ctx) wordCreds(s *scope, local map[string]*entry, w model.Word) []Cred {
	v := &model.Var{Pos: w.Pos, Path: c.cmdPath}
	var out []Cred
	for _, r := range w.Refs {
		var creds []Cred
		if r.Kind == "var" {
			if r.Indirect {
				creds = c.resolveVar(s, local, r, v, "inline")
			} else if e, ok := local[r.Name]; ok {
				creds = e.creds
			} else if c.compositeInputs != nil && strings.HasPrefix(r.Name, "INPUT_") {
				creds = nil
			} else {
				creds = c.resolveVar(s, nil, r, v, "inline")
			}
		} else if r.Kind == "inputs" && c.compositeInputs != nil {
			if e, ok := c.compositeInputs[r.Name]; ok {
				creds = e.creds
			}
		} else {
			creds = c.resolveRef(s, local, r, v, "inline")
		}
		out = append(out, creds...)
	}
	return out
}

func lits(words []model.Word) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.Lit
	}
	return out
}

// command analyses one simple command.
func (c *ctx) command(st *model.Step, cmd *model.Command, s *scope, local map[string]*entry, conf, via string) {
	c.cmdPath = cmd.Path
	// Prefix assignments apply to this command only; standalone ones and
	// export set the script's variables.
	cmdLocal := local
	if len(cmd.Assigns) > 0 && len(cmd.Args) > 0 && !cmd.Export && cmd.Name() != "export" && cmd.Name() != "declare" && cmd.Name() != "local" && cmd.Name() != "readonly" && cmd.Name() != "typeset" {
		cmdLocal = make(map[string]*entry, len(local)+len(cmd.Assigns))
		for k, v := range local {
			cmdLocal[k] = v
		}
	}
	for _, as := range cmd.Assigns {
		creds := c.wordCreds(s, local, as.Value)
		e := &entry{defined: true, creds: creds}
		if len(as.Value.Refs) == 0 {
			e.literal = as.Value.Lit
		}
		cmdLocal[as.Name] = e
		c.noteHanded(creds, st)
	}
	if len(cmd.Args) == 0 {
		return
	}
	if cmd.Name() == "shift" {
		shiftParams(local, cmd)
		return
	}
	if c.githubEnvWrite(cmd, s, local) {
		return
	}
	if c.credentialFileWrite(st, cmd, s, local) {
		return
	}
	words, wrapper := unwrap(cmd.Args)
	argv := lits(words)
	if len(argv) == 0 {
		return
	}
	if c.login(st, cmd, words, s, cmdLocal) {
		return
	}
	if m := c.a.Catalog.Command(argv); m != nil {
		c.commandPublish(st, cmd, words, m, s, cmdLocal, conf, via, wrapper)
		return
	}
	// Inline credentials in any other command (make VAR=${{ secrets.X }}).
	for _, w := range words[1:] {
		c.noteHanded(storedOnly(c.wordCreds(s, cmdLocal, w)), st)
	}
	c.indirection(st, cmd, words, s, cmdLocal, via)
}

// unwrap strips launchers so that `python -m twine upload`, `uv run twine`,
// `bundle exec rake release` and `npx semantic-release` match their tool.
func unwrap(words []model.Word) ([]model.Word, string) {
	var wrapper []string
	for guard := 0; guard < 6 && len(words) > 0; guard++ {
		name := path.Base(words[0].Lit)
		next := -1
		switch {
		case isPython(name):
			for i := 1; i < len(words); i++ {
				if words[i].Lit == "-m" && i+1 < len(words) {
					next = i + 1
					break
				}
				if path.Base(words[i].Lit) == "setup.py" {
					next = i // `python setup.py sdist upload` runs setup.py's commands
					break
				}
				if !strings.HasPrefix(words[i].Lit, "-") {
					break
				}
			}
		case name == "uv" || name == "rye" || name == "poetry" || name == "pdm" || name == "hatch" || name == "pipenv" || name == "pixi":
			if len(words) > 1 && words[1].Lit == "run" {
				next = skipOpts(words, 2)
			} else if name == "uv" && len(words) > 2 && words[1].Lit == "tool" && words[2].Lit == "run" {
				next = skipOpts(words, 3)
			}
		case name == "uvx" || name == "bunx":
			next = skipOpts(words, 1)
		case name == "pipx":
			if len(words) > 1 && words[1].Lit == "run" {
				next = skipOpts(words, 2)
			}
		case name == "bundle":
			if len(words) > 1 && words[1].Lit == "exec" {
				next = 2
			}
		case name == "npx":
			next = skipOpts(words, 1)
		case name == "pnpm" || name == "yarn" || name == "npm":
			if len(words) > 1 && (words[1].Lit == "exec" || words[1].Lit == "dlx" || words[1].Lit == "x") {
				next = skipOpts(words, 2)
			} else if len(words) > 1 && name != "npm" && isToolBin(words[1].Lit) {
				next = 1
			}
		case name == "sudo" || name == "time" || name == "exec" || name == "command" || name == "nohup" || name == "xvfb-run":
			next = skipOpts(words, 1)
		case name == "env":
			i := 1
			for i < len(words) && (strings.HasPrefix(words[i].Lit, "-") || strings.Contains(words[i].Lit, "=")) {
				i++
			}
			next = i
		case name == "xargs":
			// `find ... | xargs -0 -I pkg dotnet nuget push pkg -k $KEY`
			i := 1
			for i < len(words) && strings.HasPrefix(words[i].Lit, "-") {
				switch words[i].Lit {
				case "-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s":
					i++
				}
				i++
			}
			next = i
		case name == "find":
			// `find . -name '*.nupkg' -exec dotnet nuget push {} -k $KEY \;`
			for i := 1; i+1 < len(words); i++ {
				if words[i].Lit == "-exec" || words[i].Lit == "-execdir" {
					next = i + 1
					break
				}
			}
		}
		if next <= 0 || next >= len(words) {
			break
		}
		wrapper = append(wrapper, lits(words[:next])...)
		packageRunner := name == "npx" || name == "bunx" || (name == "pnpm" || name == "yarn" || name == "npm") && (words[1].Lit == "dlx" || words[1].Lit == "exec" || words[1].Lit == "x")
		words = words[next:]
		if words[0].Lit == "--" && len(words) > 1 {
			words = words[1:]
		}
		if packageRunner {
			words = withoutVersion(words)
		}
	}
	return words, strings.Join(wrapper, " ")
}

// withoutVersion drops the version of a package a runner fetches
// (`npx semantic-release@25`, `npx @scope/tool@1.2`), so that the command
// matches its tool. The words are copied: they belong to the model.
func withoutVersion(words []model.Word) []model.Word {
	lit := words[0].Lit
	at := strings.LastIndexByte(lit, '@')
	if at <= 0 {
		return words
	}
	out := append([]model.Word(nil), words...)
	out[0].Lit = lit[:at]
	return out
}

func skipOpts(words []model.Word, i int) int {
	for i < len(words) && strings.HasPrefix(words[i].Lit, "-") {
		switch words[i].Lit {
		case "--from", "--spec", "-p", "--package", "--with", "--python", "-e", "--env":
			i++
		}
		i++
	}
	return i
}

func isPython(name string) bool {
	return name == "python" || name == "python3" || name == "py" || name == "pypy3" ||
		strings.HasPrefix(name, "python3.") || strings.HasPrefix(name, "python2")
}

func isToolBin(name string) bool {
	switch name {
	case "semantic-release", "changeset", "lerna":
		return true
	}
	return false
}

// commandPublish analyses a matched publish command.
func (c *ctx) commandPublish(st *model.Step, cmd *model.Command, words []model.Word, cm *catalog.CommandMatch, s *scope, local map[string]*entry, conf, via, wrapper string) {
	m := cm.Method
	pub := &Publish{Pipeline: c.p, Job: c.j, Step: st, Command: cmd, Method: m, Registry: m.Registry, OIDC: c.oidc,
		Path: orPath(cmd.Path, c.path()), Pos: cmd.Pos, Confidence: conf, Indirect: via, Callee: c.callee(), CallJob: c.callJob(), Caller: c.caller()}
	if conf == "high" && m.Confidence != "" {
		pub.Confidence = m.Confidence
	}
	args := words[cm.ArgIndex:]
	for i := 0; i < len(args); i++ {
		a := args[i].Lit
		flag, _, hasVal := splitFlag(a)
		var valWord *model.Word
		if hasVal {
			w := args[i]
			valWord = &w
		} else if i+1 < len(args) {
			w := args[i+1]
			valWord = &w
		}
		switch {
		case catalog.InList(m.DryRunFlags, flag) || flag == "--dry-run" || flag == "--dryrun":
			pub.DryRun = true
		case catalog.InList(m.CredentialFlags, flag) && valWord != nil:
			for _, cr := range storedOnly(c.wordCreds(s, local, *valWord)) {
				pub.Uses = append(pub.Uses, Use{Cred: inline(cr, cmd), Key: flag})
			}
		case catalog.InList(m.UserFlags, flag) && valWord != nil:
			for _, cr := range storedOnly(c.wordCreds(s, local, *valWord)) {
				pub.Uses = append(pub.Uses, Use{Cred: inline(cr, cmd), Key: flag, User: true})
			}
		case catalog.InList(m.TargetFlags, flag) && valWord != nil:
			if len(valWord.Refs) > 0 {
				c.targetFromWord(pub, s, local, *valWord)
			} else {
				c.poetryTarget(pub, valWord.Lit)
			}
		}
		if !hasVal && valWord != nil && (catalog.InList(m.CredentialFlags, flag) || catalog.InList(m.UserFlags, flag) || catalog.InList(m.TargetFlags, flag)) {
			i++
		}
	}
	// The default target of the job (setup-node registry-url, setup-dotnet source-url).
	if t, ok := c.registry[m.Family]; ok && !hasTargetFlag(args, m.TargetFlags) {
		c.target(pub, s, valueOf(t))
	}
	for _, name := range m.TargetEnv {
		if e, ok := lookup2(s, local, name); ok {
			if e.literal != "" {
				c.targetLiteral(pub, e.literal)
			} else if len(e.creds) > 0 || !e.defined {
				pub.TargetDynamic = true
			}
		}
	}
	pub.Uses = append(pub.Uses, c.envUses(s, local, m.CredentialEnv, false)...)
	if len(m.UserEnv) > 0 {
		pub.Uses = append(pub.Uses, c.envUses(s, local, m.UserEnv, true)...)
	}

	if len(m.EnvNeedsNpmrc) > 0 {
		// npm does not read NPM_TOKEN itself, only through an .npmrc that
		// names it; a project .npmrc out of sight usually does. Without
		// seeing one, the publish is only probably authenticated by it.
		onlyImplied := len(pub.Uses) > 0
		for _, u := range pub.Uses {
			name := strings.TrimPrefix(u.Key, "env.")
			if !(strings.HasPrefix(u.Key, "env.") && catalog.EnvMatches(m.EnvNeedsNpmrc, name) && !c.npmrcNames(name)) {
				onlyImplied = false
			}
		}
		if onlyImplied && pub.Confidence == "high" {
			pub.Confidence = "medium"
		}
	}
	for _, kind := range m.CredentialFiles {
		for _, fc := range c.files[kind] {
			if fc.registry != "" && catalog.FamilyOf(fc.registry) != m.Family {
				continue
			}
			if kind == "poetry-config" && fc.file != "" && !c.poetryRepoMatches(pub, fc.file) {
				continue
			}
			if fc.registry != "" && catalog.Public(fc.registry) && fc.registry != pub.Registry && !pub.TargetDynamic && kind != "poetry-config" {
				if kind == "pypirc" {
					continue
				}
			}
			if kind == "poetry-config" && fc.registry != "" {
				pub.Registry = fc.registry
			}
			pub.Uses = append(pub.Uses, Use{Cred: fc.cred, Key: "file " + fc.file})
		}
	}
	// Last, so that a variable already seen through an .npmrc or the env
	// is not reported twice.
	for _, u := range c.implicitCIVariables(s, local, m, cmd) {
		dup := false
		for _, have := range pub.Uses {
			dup = dup || have.Cred.Name == u.Cred.Name
		}
		if !dup {
			pub.Uses = append(pub.Uses, u)
		}
	}
	if pub.DryRun {
		return
	}
	c.emit(pub)
}

func orPath(p, d string) string {
	if p != "" {
		return p
	}
	return d
}

// implicitCIVariables finds, in GitLab, a method's own credential variable
// (FLIT_PASSWORD, TWINE_PASSWORD) that the job names (in rules: or a
// script) but never defines: a CI/CD variable the tool reads from the
// environment. Without a mention nothing says it exists.
func (c *ctx) implicitCIVariables(s *scope, local map[string]*entry, m *catalog.Method, cmd *model.Command) []Use {
	if !c.gitlab {
		return nil
	}
	var uses []Use
	for _, name := range m.CredentialEnv {
		if strings.Contains(name, "*") || catalog.InList(m.EnvNeedsNpmrc, name) {
			continue // npm reads NPM_TOKEN only through an .npmrc
		}
		if _, ok := lookup2(s, local, name); ok {
			continue // defined: envUses has it
		}
		if !c.jobMentions(name) {
			continue
		}
		c.res.Referenced[name] = true
		cr := Cred{Kind: "ci-variable", Name: name, Path: orPath(cmd.Path, c.path()), Pos: cmd.Pos, Level: "inline",
			Via: []string{"read from the environment by " + m.Name}}
		uses = append(uses, Use{Cred: cr, Key: "env." + name})
	}
	return uses
}

// jobMentions reports whether a GitLab job names $NAME in its rules or scripts.
func (c *ctx) jobMentions(name string) bool {
	for _, r := range c.j.Rules {
		if mentions(r, name) {
			return true
		}
	}
	for _, st := range c.j.Steps {
		if st.Run != nil && mentions(st.Run.Text, name) {
			return true
		}
	}
	return false
}

func mentions(text, name string) bool {
	return strings.Contains(text, "$"+name) || strings.Contains(text, "${"+name)
}

// inline places a credential written in the command itself at the command.
func inline(cr Cred, cmd *model.Command) Cred {
	if cr.Pos.IsZero() {
		cr.Pos = cmd.Pos
	}
	return cr
}

// pinLine moves an inline credential of a command that spans several lines
// (a here-document, a continued line) to the line that names it.
func (c *ctx) pinLine(cr Cred, cmd *model.Command) Cred {
	last := cmd.End.Line
	for _, r := range cmd.Redirects {
		if r.Body != nil {
			last = max(last, r.Body.Pos.Line+strings.Count(r.Body.Lit, "\n"))
		}
	}
	if cr.Level != "inline" || last <= cmd.Pos.Line || cr.Pos.Line < cmd.Pos.Line || cr.Pos.Line > last {
		return cr
	}
	lines := c.a.linesOf(cr.Path, c.repoFile(cr.Path))
	if lines == nil {
		return cr
	}
	for k := cr.Pos.Line; k <= last && k <= lines.Count(); k++ {
		text := lines.Line(k)
		if i := strings.Index(text, cr.Name); i >= 0 && (strings.Contains(text, "secrets.") || strings.Contains(text, "$") || strings.Contains(text, "vars.")) {
			// Point at the reference, `${{ secrets.X }}` or `$X`, not the name.
			if j := strings.LastIndex(text[:i], "${{"); j >= 0 {
				i = j
			} else if j := strings.LastIndexByte(text[:i], '$'); j >= 0 && i-j <= 2 {
				i = j
			}
			cr.Pos = model.Pos{Line: k, Col: i + 1}
			return cr
		}
	}
	return cr
}

// repoFile finds a file of the repository by path.
func (c *ctx) repoFile(p string) *model.File {
	if c.p.File != nil && c.p.File.Path == p && c.p.File.Content != nil {
		return c.p.File
	}
	for _, f := range c.a.Repo.Files {
		if f.Path == p {
			return f
		}
	}
	return nil
}

func splitFlag(a string) (flag, val string, hasVal bool) {
	if strings.HasPrefix(a, "-") {
		if i := strings.IndexByte(a, '='); i > 0 {
			return a[:i], a[i+1:], true
		}
	}
	return a, "", false
}

func hasTargetFlag(args []model.Word, flags []string) bool {
	for _, a := range args {
		f, _, _ := splitFlag(a.Lit)
		if catalog.InList(flags, f) {
			return true
		}
	}
	return false
}

func valueOf(raw string) model.Value {
	return model.Value{Raw: raw}
}

func (c *ctx) targetFromWord(pub *Publish, s *scope, local map[string]*entry, w model.Word) {
	if host := literalURLPrefix(w.Lit); host != "" {
		c.targetLiteral(pub, host)
		return
	}
	if len(w.Refs) == 1 {
		r := w.Refs[0]
		switch r.Kind {
		case "var":
			if e, ok := lookup2(s, local, r.Name); ok && e.literal != "" {
				c.targetLiteral(pub, e.literal)
				return
			}
			// An index URL from a variable tpscan cannot read: unless its
			// name says PyPI, an explicit non-default target is a private
			// index (--repository-url $PACKAGR_REPOSITORY_URL).
			if pub.Method != nil && pub.Method.Family == "pypi" && strings.Contains(strings.ToUpper(r.Name), "URL") {
				up := strings.ToUpper(r.Name)
				switch {
				case strings.Contains(up, "TEST") && strings.Contains(up, "PYPI"):
					pub.Registry = "testpypi"
				case strings.Contains(up, "PYPI"):
					pub.TargetDynamic = true
				default:
					pub.Registry = "unknown-index"
				}
				return
			}
		case "inputs":
			if c.b != nil {
				if in, ok := c.b.inputs[r.Name]; ok && len(in.Value.Refs) == 0 {
					c.targetLiteral(pub, in.Value.Raw)
					return
				}
			}
		case "env":
			if e, ok := s.lookup(r.Name); ok && e.literal != "" {
				c.targetLiteral(pub, e.literal)
				return
			}
		}
	}
	c.dynamicTarget(pub, w.Refs)
}

// poetryTarget resolves `-r NAME` through `poetry config repositories.NAME URL`.
func (c *ctx) poetryTarget(pub *Publish, name string) {
	if pub.Method.ID == "poetry-publish" {
		if u, ok := c.poetry[name]; ok {
			c.targetLiteral(pub, u)
			return
		}
		if name == "pypi" {
			return
		}
	}
	c.targetLiteral(pub, name)
}

func (c *ctx) poetryRepoMatches(pub *Publish, repo string) bool {
	if pub.Command == nil {
		return true
	}
	want := "pypi"
	args := pub.Command.Args
	for i, a := range args {
		f, v, has := splitFlag(a.Lit)
		if f == "-r" || f == "--repository" {
			if has {
				want = v
			} else if i+1 < len(args) {
				want = args[i+1].Lit
			}
		}
	}
	return repo == want
}

// npmrcNames reports whether an .npmrc written in the job names the variable
// (npm expands ${NAME} in .npmrc), or none was seen and setup-node's one
// reads NODE_AUTH_TOKEN only.
func (c *ctx) npmrcNames(name string) bool {
	for _, fc := range c.files["npmrc-template"] {
		if fc.file == name {
			return true
		}
	}
	return false
}
