// Package flow follows credentials through a pipeline: from `${{ secrets.X }}`
// (or a GitLab CI/CD variable) through workflow, job and step env, `with:`
// inputs, `$GITHUB_ENV`, shell assignments, credential files and reusable
// workflow calls, to the publish that consumes them. Rules decide on what
// reaches a publish, never on the presence of keywords or of `id-token: write`.
package flow

import (
	"path"
	"strings"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/source"
)

// Cred is one credential that a value can carry.
type Cred struct {
	// Kind is "secret" (a stored secret), "variable" (a stored variable,
	// readable by everyone with read access), "ci-variable" (a GitLab CI/CD
	// variable defined outside the file), "indirect" (a variable named by
	// another), "inherited" (all secrets, through `secrets: inherit`),
	// "call-secret" (a reusable workflow's declared secret, not bound to a
	// caller), "job-token" (GITHUB_TOKEN, CI_JOB_TOKEN) or "oidc".
	Kind string
	Name string
	// Path and Pos locate where the credential is handed over: the env
	// entry, the input, the command line that names it, the `secrets:`
	// mapping of a caller.
	Path     string
	Pos      model.Pos
	YAMLPath string
	// Level is the widest scope that sees it: "workflow", "job", "step",
	// "inline" (written in the command itself), "github-env", "global"
	// (GitLab top-level variables), "call".
	Level    string
	Fallback bool
	// Via describes the hops, e.g. "env TWINE_PASSWORD (job level)".
	Via []string
}

// Stored reports whether the credential is a long-lived stored one.
func (c Cred) Stored() bool {
	switch c.Kind {
	case "secret", "variable", "ci-variable", "indirect", "inherited", "call-secret":
		return true
	}
	return false
}

// Use is one credential reaching a publish through one key.
type Use struct {
	Cred Cred
	// Key is how it reaches the publish: "with.password",
	// "env.TWINE_PASSWORD", "--password", "file .pypirc", "secrets.NAME".
	Key string
	// User is true for a user-name slot (a username secret is reported with
	// the password, not on its own).
	User bool
	// fileRegistry is the registry of a credential file this use reads.
	fileRegistry string
}

// Publish is one publish that tpscan recognised.
type Publish struct {
	Pipeline *model.Pipeline
	Job      *model.Job
	Step     *model.Step
	Command  *model.Command
	Method   *catalog.Method
	// Registry is the registry the publish reaches ("pypi", ...,
	// "github-packages", "private-registry", "unknown").
	Registry string
	// TargetDynamic is true when the target comes from an expression tpscan
	// cannot resolve, so Registry is the method's default.
	TargetDynamic bool
	Uses          []Use
	// OIDC is true when the job can mint an OIDC token (GitHub id-token:
	// write, GitLab id_tokens).
	OIDC bool
	// Path and Pos locate the publish itself (the step or command).
	Path string
	Pos  model.Pos
	// Confidence is "high", "medium" (through make, tox or a script) or
	// "low" (inferred from names only).
	Confidence string
	// Indirect describes the indirection ("make publish", a reusable
	// workflow in another repository), when there is one.
	Indirect string
	// Callee is the reusable workflow file through which this publish was
	// reached from a caller, when it was.
	Callee string
	// CallJob and Caller are the caller's job and workflow when the publish
	// sits in a reusable workflow reached through a call.
	CallJob *model.Job
	Caller  *model.Pipeline
	// AltRegistries are other registries the publish may reach: a reusable
	// workflow whose target is a caller's input can publish to PyPI or
	// TestPyPI.
	AltRegistries []string
	// Inferred is true when Method only stands for "a publish of that
	// registry": the real command is out of sight.
	Inferred bool
	// weak marks an inferred publish that only the job's name suggests.
	weak   bool
	DryRun bool
}

// Exposure is a registry-looking stored credential handed to a job or step
// that publishes nothing with it.
type Exposure struct {
	Pipeline *model.Pipeline
	Job      *model.Job
	Step     *model.Step
	Cred     Cred
	Registry string
}

// Result is what the analysis of one repository found.
type Result struct {
	Publishes []*Publish
	Exposures []*Exposure
	// Referenced lists every stored secret name referenced anywhere, and
	// InheritAll is true when some job passes `secrets: inherit` to a
	// workflow tpscan could not read, which may use any of them.
	Referenced map[string]bool
	InheritAll bool
}

// Analyzer analyses the pipelines of one repository.
type Analyzer struct {
	Catalog *catalog.Catalog
	Repo    *model.Repo
	// ReadFile reads a file of the repository (scripts, Makefiles) for
	// following a publish into it; nil when the source has no checkout.
	ReadFile func(path string) ([]byte, bool)
	// InternalRegistries are URL prefixes the user declared as internal.
	InternalRegistries []string

	lines        map[string]*source.Lines
	handed       map[string]*Exposure
	handedOrder  []string
	consumed     map[string]bool
	consumedName map[string]bool
	// consumedInJob are credential names a publish of a job used.
	consumedInJob map[jobCred]bool
}

// Analyze runs the flow analysis over every pipeline of the repository.
func (a *Analyzer) Analyze() *Result {
	res := &Result{Referenced: map[string]bool{}}
	a.handed = map[string]*Exposure{}
	a.lines = map[string]*source.Lines{}
	a.handedOrder = nil
	a.consumed = map[string]bool{}
	a.consumedName = map[string]bool{}
	a.consumedInJob = map[jobCred]bool{}
	// A reusable workflow called from this repository is analysed through
	// its callers, which say which stored secrets it gets; on its own only
	// when nothing here calls it.
	called := map[string]bool{}
	for _, p := range a.Repo.Pipelines {
		for _, j := range p.Jobs {
			if j.Call != nil && j.Call.Local {
				if callee := a.findPipeline(strings.TrimPrefix(j.Call.Uses, "./")); callee != nil && callee != p {
					called[callee.File.Path] = true
				}
			}
		}
	}
	for _, p := range a.Repo.Pipelines {
		if called[p.File.Path] {
			continue
		}
		a.pipeline(res, p, nil)
	}
	a.reportExposures(res)
	return res
}

// binding is what a caller hands a reusable workflow.
type binding struct {
	caller  *model.Pipeline
	job     *model.Job
	secrets map[string][]Cred
	inherit bool
	inPos   model.Pos
	inputs  map[string]*model.Var
	depth   int
	oidc    bool
	callee  string
}

func (a *Analyzer) pipeline(res *Result, p *model.Pipeline, b *binding) {
	// GitLab templates (hidden jobs) are analysed through the jobs that
	// extend them; a file of templates only is analysed as written.
	skipHidden := false
	for _, j := range p.Jobs {
		if !j.Hidden {
			skipHidden = true
		}
	}
	for _, j := range p.Jobs {
		if j.Hidden && skipHidden {
			continue
		}
		if j.Call != nil {
			a.call(res, p, j, b)
			continue
		}
		a.job(res, p, j, b)
	}
}

// oidcAllowed reports whether a job may mint an OIDC token.
func oidcAllowed(p *model.Pipeline, j *model.Job) bool {
	if p.Kind == model.GitLabCI {
		// Only an ID token for a registry counts: one for Vault does not
		// make a publish trusted.
		for _, t := range j.IDTokens {
			for _, aud := range t.Audience {
				if registryAudience(aud) {
					return true
				}
			}
		}
		return false
	}
	perms := j.Permissions
	if perms == nil {
		perms = p.Permissions
	}
	return perms.Scope("id-token") == "write"
}

// registryAudience reports audiences of registry token exchanges
// (reference §11.1), or one built from variables that may be.
func registryAudience(aud string) bool {
	a := strings.ToLower(aud)
	return a == "pypi" || a == "testpypi" || strings.HasPrefix(a, "npm:") || a == "crates.io" ||
		strings.Contains(a, "nuget.org") || a == "rubygems.org" || strings.Contains(a, "$") && !strings.Contains(a, "vault")
}

// scope is the variable environment visible at one point of a job.
type scope struct {
	// layers from outermost to innermost; later wins.
	layers []map[string]*entry
}

type entry struct {
	creds []Cred
	// literal is the value when it is a plain string (for `${!NAME}`).
	literal string
	defined bool
}

func (s *scope) lookup(name string) (*entry, bool) {
	for i := len(s.layers) - 1; i >= 0; i-- {
		if e, ok := s.layers[i][name]; ok {
			return e, true
		}
	}
	return nil, false
}

func (s *scope) push(m map[string]*entry) *scope {
	layers := make([]map[string]*entry, len(s.layers), len(s.layers)+1)
	copy(layers, s.layers)
	return &scope{layers: append(layers, m)}
}

// ctx is the job being analysed.
type ctx struct {
	a        *Analyzer
	res      *Result
	p        *model.Pipeline
	j        *model.Job
	b        *binding
	oidc     bool
	gitlab   bool
	files    map[string][]fileCred // credential files written, by kind
	registry map[string]string     // family -> target configured for the job (setup-node registry-url)
	poetry   map[string]string     // poetry repository name -> URL
	ghEnv    map[string]*entry     // $GITHUB_ENV writes so far
	// indirect are publishes seen only through make, tox or a script,
	// emitted at the end of the job for credentials no direct publish used.
	indirect []*Publish
	depth    int
	// compositeInputs binds a local composite action's inputs.
	compositeInputs map[string]*entry
	// reportAs is the workflow a publish found in a followed script is
	// reported under.
	reportAs *model.Pipeline
	// cmdPath is the file of the command being analysed, when it is not
	// the pipeline's (a GitLab template from an include).
	cmdPath string
}

type fileCred struct {
	cred     Cred
	registry string
	file     string
}

func (a *Analyzer) job(res *Result, p *model.Pipeline, j *model.Job, b *binding) {
	c := &ctx{
		a: a, res: res, p: p, j: j, b: b,
		oidc:     oidcAllowed(p, j) || (b != nil && b.oidc),
		gitlab:   p.Kind == model.GitLabCI,
		files:    map[string][]fileCred{},
		registry: map[string]string{},
		poetry:   map[string]string{},
		ghEnv:    map[string]*entry{},
	}
	base := &scope{}
	base = base.push(c.envLayer(base, p.Env, "workflow"))
	if c.gitlab {
		for _, t := range j.IDTokens {
			base.layers[0][t.Name] = &entry{defined: true, creds: []Cred{{Kind: "oidc", Name: t.Name, Pos: t.Pos}}}
		}
	}
	jobScope := base.push(c.envLayer(base, j.Env, "job"))
	for _, st := range j.Steps {
		s := jobScope.push(c.ghEnv)
		s = s.push(c.envLayer(s, st.Env, "step"))
		c.step(st, s)
	}
	c.flushIndirect()
}

// envLayer resolves one `env:`/`variables:` mapping against the scope outside it.
func (c *ctx) envLayer(outer *scope, vars []*model.Var, level string) map[string]*entry {
	m := make(map[string]*entry, len(vars))
	for _, v := range vars {
		creds := c.resolveValue(outer, m, v.Value, v, level)
		e := &entry{creds: creds, defined: true}
		if len(v.Value.Refs) == 0 {
			e.literal = v.Value.Raw
		}
		if v.Name != "" {
			m[v.Name] = e
		}
		c.noteHanded(creds, nil)
	}
	return m
}

// resolveValue returns the credentials a YAML value carries. same is the
// layer being built (GitLab variables may refer to earlier ones).
func (c *ctx) resolveValue(outer *scope, same map[string]*entry, val model.Value, v *model.Var, level string) []Cred {
	var out []Cred
	for _, r := range val.Refs {
		out = append(out, c.resolveRef(outer, same, r, v, level)...)
	}
	return out
}

// credAt is a credential of kind and name handed over at v (the env entry,
// input or word that references it).
func (c *ctx) credAt(kind, name string, r model.Ref, v *model.Var, level string) Cred {
	cr := Cred{Kind: kind, Name: name, Path: c.p.File.Path, Level: level, Fallback: r.Fallback}
	if v != nil {
		cr.Pos, cr.YAMLPath = v.Pos, v.YAMLPath
		if v.Path != "" {
			cr.Path = v.Path
		}
	}
	return cr
}

func (c *ctx) resolveRef(outer *scope, same map[string]*entry, r model.Ref, v *model.Var, level string) []Cred {
	at := func(kind, name string) Cred { return c.credAt(kind, name, r, v, level) }
	switch r.Kind {
	case "secrets":
		if strings.EqualFold(r.Name, "GITHUB_TOKEN") {
			return []Cred{at("job-token", "GITHUB_TOKEN")}
		}
		c.res.Referenced[r.Name] = true
		if c.b != nil {
			if creds, ok := c.b.secrets[r.Name]; ok {
				return creds
			}
			if c.b.inherit {
				cr := Cred{Kind: "secret", Name: r.Name, Path: c.b.caller.File.Path, Pos: c.b.inPos, Level: "call",
					YAMLPath: c.b.job.YAMLPath + ".secrets", Via: []string{"secrets: inherit"}}
				return []Cred{cr}
			}
			return nil // not passed by this caller: empty at run time
		}
		if c.p.Reusable && contains(c.p.CallSecrets, r.Name) {
			return []Cred{at("call-secret", r.Name)}
		}
		return []Cred{at("secret", r.Name)}
	case "vars":
		return []Cred{at("variable", r.Name)}
	case "github":
		if r.Name == "token" {
			return []Cred{at("job-token", "GITHUB_TOKEN")}
		}
	case "inputs":
		if c.compositeInputs != nil {
			if e, ok := c.compositeInputs[r.Name]; ok {
				return e.creds
			}
			return nil
		}
		if c.b != nil {
			if in, ok := c.b.inputs[r.Name]; ok {
				return c.callerValue(in)
			}
		}
	case "env":
		if e, ok := lookup2(outer, same, r.Name); ok {
			return e.creds
		}
	case "var":
		return c.resolveVar(outer, same, r, v, level)
	}
	return nil
}

func lookup2(outer *scope, same map[string]*entry, name string) (*entry, bool) {
	if same != nil {
		if e, ok := same[name]; ok {
			return e, true
		}
	}
	if outer == nil {
		return nil, false
	}
	return outer.lookup(name)
}

// resolveVar resolves a shell or GitLab `$NAME`.
func (c *ctx) resolveVar(outer *scope, same map[string]*entry, r model.Ref, v *model.Var, level string) []Cred {
	at := func(kind, name string) Cred { return c.credAt(kind, name, r, v, level) }
	if r.Indirect {
		if e, ok := lookup2(outer, same, r.Name); ok && e.literal != "" && isName(e.literal) {
			return c.resolveVar(outer, same, model.Ref{Kind: "var", Name: e.literal}, v, level)
		}
		// The name comes from somewhere tpscan cannot read (a sourced
		// script): report the indirection itself.
		return []Cred{at("indirect", r.Name)}
	}
	if e, ok := lookup2(outer, same, r.Name); ok {
		return e.creds
	}
	if !c.gitlab {
		return nil // a shell variable set somewhere tpscan cannot see
	}
	switch {
	case r.Name == "CI_JOB_TOKEN":
		return []Cred{at("job-token", "CI_JOB_TOKEN")}
	case predefinedGitLab(r.Name):
		return nil
	}
	c.res.Referenced[r.Name] = true
	return []Cred{at("ci-variable", r.Name)}
}

func predefinedGitLab(name string) bool {
	return strings.HasPrefix(name, "CI_") || strings.HasPrefix(name, "GITLAB_") || strings.HasPrefix(name, "RUNNER_") ||
		name == "HOME" || name == "PATH" || name == "PWD" || name == "USER" || name == "SHELL" || name == "TRIGGER_PAYLOAD"
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch == '_' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || i > 0 && '0' <= ch && ch <= '9') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// callerValue resolves a value written in the caller (a `with:` input).
func (c *ctx) callerValue(in *model.Var) []Cred {
	var out []Cred
	for _, r := range in.Value.Refs {
		if r.Kind == "secrets" && !strings.EqualFold(r.Name, "GITHUB_TOKEN") {
			out = append(out, Cred{Kind: "secret", Name: r.Name, Path: c.b.caller.File.Path, Pos: in.Pos, YAMLPath: in.YAMLPath, Level: "call"})
		}
	}
	return out
}

// noteHanded remembers registry-looking stored credentials given to a job,
// so that those no publish consumed can be reported as exposed.
func (c *ctx) noteHanded(creds []Cred, st *model.Step) {
	for _, cr := range creds {
		if !cr.Stored() {
			continue
		}
		k := credKey(cr)
		if _, ok := c.a.handed[k]; ok {
			continue
		}
		c.a.handed[k] = &Exposure{Pipeline: c.p, Job: c.j, Step: st, Cred: cr}
		c.a.handedOrder = append(c.a.handedOrder, k)
	}
}

func credKey(cr Cred) string { return cr.Name + "\x00" + cr.Path + "\x00" + itoa(cr.Pos.Line) }

// consume marks the credentials of a publish as used.
func (c *ctx) consume(uses []Use) {
	for _, u := range uses {
		c.a.consumed[credKey(u.Cred)] = true
		c.a.consumedName[u.Cred.Path+"\x00"+u.Cred.Name] = true
		c.a.consumedInJob[jobCred{c.j, u.Cred.Name}] = true
	}
}

// jobCred is a credential name within one job.
type jobCred struct {
	job  *model.Job
	name string
}

func (a *Analyzer) reportExposures(res *Result) {
	for _, k := range a.handedOrder {
		e := a.handed[k]
		// Used by a publish here, or by one of the same job elsewhere (the
		// token referenced twice in one script), it is not a needless exposure.
		if a.consumed[k] || a.consumedInJob[jobCred{e.Job, e.Cred.Name}] ||
			a.consumedName[e.Cred.Path+"\x00"+e.Cred.Name] && e.Cred.Level == "workflow" {
			continue
		}
		reg, ok := a.Catalog.InferRegistry(e.Cred.Name)
		if !ok {
			continue
		}
		e.Registry = reg
		res.Exposures = append(res.Exposures, e)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// stepPath is the file a step's findings are reported in.
func (c *ctx) path() string { return c.p.File.Path }

// call follows a job that calls a reusable workflow.
func (a *Analyzer) call(res *Result, p *model.Pipeline, j *model.Job, outer *binding) {
	call := j.Call
	c := &ctx{a: a, res: res, p: p, j: j, b: outer, gitlab: false}
	s := &scope{}
	s = s.push(c.envLayer(s, p.Env, "workflow"))
	bind := &binding{caller: p, job: j, secrets: map[string][]Cred{}, inherit: call.Inherit, inPos: call.InheritPos,
		inputs: map[string]*model.Var{}, oidc: oidcAllowed(p, j), callee: call.Uses}
	if outer != nil {
		bind.depth = outer.depth + 1
	}
	for _, sv := range call.Secrets {
		creds := c.resolveValue(s, nil, sv.Value, sv, "call")
		for i := range creds {
			creds[i].Via = append(creds[i].Via, "secrets."+sv.Name+" of "+call.Uses)
		}
		bind.secrets[sv.Name] = creds
	}
	for _, in := range call.Inputs {
		bind.inputs[in.Name] = in
	}
	if call.Inherit {
		bind.inPos = call.InheritPos
	}
	if call.Local && bind.depth < 5 {
		if callee := a.findPipeline(strings.TrimPrefix(call.Uses, "./")); callee != nil {
			a.pipeline(res, callee, bind)
			return
		}
	}
	// The callee is not in the checkout: report the credentials handed to it.
	a.externalCall(res, p, j, bind)
}

func (a *Analyzer) findPipeline(rel string) *model.Pipeline {
	if i := strings.IndexByte(rel, '@'); i >= 0 {
		rel = rel[:i]
	}
	rel = path.Clean(rel)
	for _, p := range a.Repo.Pipelines {
		if p.File.Path == rel {
			return p
		}
	}
	return nil
}

// externalCall reports secrets handed to a reusable workflow tpscan cannot
// read, inferring the registry from the names at low confidence.
func (a *Analyzer) externalCall(res *Result, p *model.Pipeline, j *model.Job, b *binding) {
	calleeReg, calleeOK := a.Catalog.InferRegistryFromText(path.Base(catalog.ActionName(b.callee) + b.callee))
	for _, sv := range j.Call.Secrets {
		for _, cr := range b.secrets[sv.Name] {
			if !cr.Stored() {
				continue
			}
			reg, ok := a.Catalog.InferRegistry(sv.Name)
			if r2, ok2 := a.Catalog.InferRegistry(cr.Name); ok2 && (!ok || catalog.FamilyOf(r2) == catalog.FamilyOf(reg)) {
				reg, ok = a.refine(r2, sv.Name), true
			}
			if !ok {
				continue
			}
			if calleeOK && catalog.FamilyOf(calleeReg) == catalog.FamilyOf(reg) {
				reg = a.refine(reg, calleeReg)
			}
			for _, in := range j.Call.Inputs {
				if len(in.Value.Refs) == 0 {
					reg = a.refine(reg, in.Value.Raw)
				}
			}
			res.Publishes = append(res.Publishes, &Publish{
				Pipeline: p, Job: j, Registry: reg, Uses: []Use{{Cred: cr, Key: "secrets." + sv.Name}},
				OIDC: b.oidc, Path: p.File.Path, Pos: j.Call.Pos, Confidence: "low",
				Indirect: "reusable workflow " + b.callee, Method: externalMethod(a.Catalog, reg), Inferred: true,
			})
		}
	}
	if j.Call.Inherit && calleeOK {
		cr := Cred{Kind: "inherited", Name: "*", Path: p.File.Path, Pos: j.Call.InheritPos, Level: "call",
			YAMLPath: j.YAMLPath + ".secrets"}
		res.Publishes = append(res.Publishes, &Publish{
			Pipeline: p, Job: j, Registry: calleeReg, Uses: []Use{{Cred: cr, Key: "secrets: inherit"}},
			OIDC: b.oidc, Path: p.File.Path, Pos: j.Call.Pos, Confidence: "low",
			Indirect: "reusable workflow " + b.callee, Method: externalMethod(a.Catalog, calleeReg), Inferred: true,
		})
	}
	if j.Call.Inherit {
		res.InheritAll = true
	}
}

// linesOf indexes a file's lines once per analysis.
func (a *Analyzer) linesOf(path string, f *model.File) *source.Lines {
	if l, ok := a.lines[path]; ok {
		return l
	}
	if f == nil {
		return nil
	}
	l := source.NewLines(f.Content)
	a.lines[path] = l
	return l
}

// refine narrows a registry within its family from other evidence: a
// TestPyPI-looking name or target makes a PyPI publish a TestPyPI one.
func (a *Analyzer) refine(reg string, texts ...string) string {
	if catalog.FamilyOf(reg) != "pypi" {
		return reg
	}
	for _, t := range texts {
		if r, ok := a.Catalog.InferRegistryFromText(t); ok && r == "testpypi" {
			return "testpypi"
		}
		if f := a.Catalog.Family("pypi"); f != nil {
			if r, ok := f.ResolveTarget(t); ok && r == "testpypi" {
				return "testpypi"
			}
		}
		if strings.Contains(t, "test.pypi.org") {
			return "testpypi"
		}
	}
	return reg
}

// externalMethod is the catalogue's first method of a registry, standing for
// "some publish of that registry" when the method itself is out of sight.
func externalMethod(cat *catalog.Catalog, registry string) *catalog.Method {
	f := cat.Family(catalog.FamilyOf(registry))
	if f == nil || len(f.Methods) == 0 {
		return nil
	}
	for _, m := range f.Methods {
		if m.Kind == "command" {
			return m
		}
	}
	return f.Methods[0]
}
