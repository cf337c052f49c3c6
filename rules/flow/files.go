package flow

import (
	"encoding/json"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

// content gathers what a command writes: echo/printf arguments, a
// here-document and piped text.
func content(cmd *model.Command) []model.Word {
	var out []model.Word
	name := path.Base(cmd.Name())
	if name == "echo" || name == "printf" || name == "cat" || name == "tee" {
		out = append(out, cmd.Args[1:]...)
	}
	for _, r := range cmd.Redirects {
		if r.Body != nil {
			out = append(out, *r.Body)
		}
	}
	if cmd.Stdin != nil {
		out = append(out, *cmd.Stdin)
	}
	return out
}

func joined(words []model.Word) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.Lit)
	}
	return b.String()
}

// writeTargets are the files a command writes: redirections and tee.
func writeTargets(cmd *model.Command) []string {
	var out []string
	for _, r := range cmd.Redirects {
		if r.Op == ">" || r.Op == ">>" || r.Op == ">|" || r.Op == "&>" || r.Op == "&>>" {
			out = append(out, r.Target.Lit)
		}
	}
	if args := unprivileged(cmd.Args); len(args) > 0 && path.Base(args[0].Lit) == "tee" {
		for _, a := range args[1:] {
			if !strings.HasPrefix(a.Lit, "-") {
				out = append(out, a.Lit)
			}
		}
	}
	return out
}

// unprivileged drops the wrappers that run a command as another user or
// unchanged (`sudo tee ~/.config/dart/pub-credentials.json`), with their
// options, so that what writes a file is seen through them.
func unprivileged(args []model.Word) []model.Word {
	for len(args) > 0 {
		switch path.Base(args[0].Lit) {
		case "sudo", "doas", "command", "exec", "nohup":
			args = args[1:]
			for len(args) > 0 && strings.HasPrefix(args[0].Lit, "-") {
				args = args[1:]
			}
		default:
			return args
		}
	}
	return args
}

// githubEnvWrite handles `echo "NAME=value" >> $GITHUB_ENV`: later steps of
// the job see NAME.
func (c *ctx) githubEnvWrite(cmd *model.Command, s *scope, local map[string]*entry) bool {
	hit := false
	for _, t := range writeTargets(cmd) {
		if strings.Contains(t, "GITHUB_ENV") {
			hit = true
		}
	}
	if !hit {
		return false
	}
	words := content(cmd)
	text := joined(words)
	var creds []Cred
	for _, w := range words {
		for _, cr := range c.wordCreds(s, local, w) {
			cr = c.pinLine(inline(cr, cmd), cmd)
			cr.Via = append(cr.Via, "$GITHUB_ENV")
			if cr.Level == "inline" {
				cr.Level = "github-env"
			}
			creds = append(creds, cr)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		name := line
		if i := strings.IndexAny(line, "=<"); i > 0 {
			name = line[:i]
		} else {
			continue
		}
		name = strings.TrimSpace(name)
		if !isName(name) {
			continue
		}
		e := &entry{defined: true, creds: creds}
		if len(creds) == 0 {
			if i := strings.IndexByte(line, '='); i > 0 && !strings.Contains(line, "$") {
				e.literal = line[i+1:]
			}
		}
		c.ghEnv[name] = e
	}
	c.noteHanded(storedOnly(creds), nil)
	return true
}

var (
	reNpmrcHost   = regexp.MustCompile(`//([^/:\s"']+)[^:\s]*:_(authToken|auth|password)`)
	reNpmrcEnvRef = regexp.MustCompile(`_(?:authToken|auth|password)\s*=\s*\\?\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// credentialKind says which credential file a path is, or "".
func credentialKind(target string) string {
	base := path.Base(target)
	switch {
	case base == ".pypirc":
		return "pypirc"
	case base == ".npmrc" || base == ".yarnrc.yml" || base == ".yarnrc":
		return "npmrc"
	case base == "credentials" && strings.Contains(target, ".gem"),
		base == ".gemrc" || base == ".gemconfig" || strings.HasSuffix(target, "gem/credentials"):
		return "gem-credentials"
	case (base == "credentials.toml" || base == "credentials") && strings.Contains(target, "cargo"):
		return "cargo-credentials"
	case base == "pub-credentials.json",
		base == "credentials.json" && (strings.Contains(target, "pub-cache") || strings.Contains(target, "dart") || strings.Contains(target, "Pub")):
		return "pub-credentials"
	case strings.EqualFold(base, "nuget.config"):
		return "nuget-config"
	}
	return ""
}

// credentialFileWrite handles writing a credential file from a secret.
func (c *ctx) credentialFileWrite(st *model.Step, cmd *model.Command, s *scope, local map[string]*entry) bool {
	kind, file := "", ""
	for _, t := range writeTargets(cmd) {
		if k := credentialKind(t); k != "" {
			kind, file = k, path.Base(t)
		}
	}
	if kind == "" {
		return false
	}
	words := content(cmd)
	text := joined(words)
	registry := fileRegistry(kind, text)
	if kind == "npmrc" {
		// `_authToken=${NPM_TOKEN}` written literally: npm expands it from
		// the environment when it publishes.
		for _, m := range reNpmrcEnvRef.FindAllStringSubmatch(text, -1) {
			c.files["npmrc-template"] = append(c.files["npmrc-template"], fileCred{file: m[1], registry: registry})
			// The variable it names is read when npm publishes: a secret
			// in the job's env, or a GitLab CI/CD variable.
			v := &model.Var{Pos: cmd.Pos, Path: c.cmdPath}
			for _, cr := range storedOnly(c.resolveVar(s, local, model.Ref{Kind: "var", Name: m[1]}, v, "inline")) {
				cr.Via = append(cr.Via, "named in "+file)
				c.files[kind] = append(c.files[kind], fileCred{cred: cr, registry: registry, file: file})
				c.noteHanded([]Cred{cr}, st)
			}
		}
	}
	for _, w := range words {
		for _, cr := range storedOnly(c.wordCreds(s, local, w)) {
			if catalog.NotCredentialName(cr.Name) {
				continue // "tokenEndpoint": "$TOKEN_ENDPOINT" is no secret
			}
			cr = c.pinLine(inline(cr, cmd), cmd)
			cr.Via = append(cr.Via, "written to "+file)
			c.files[kind] = append(c.files[kind], fileCred{cred: cr, registry: registry, file: file})
			if registry != "" && !catalog.Public(registry) {
				// Configured for GitHub Packages or a private feed: used, and
				// not a public-registry token whatever its name says.
				c.consume([]Use{{Cred: cr}})
				continue
			}
			c.noteHanded([]Cred{cr}, st)
		}
	}
	return true
}

// fileRegistry says which registry a credential file's text is for; "" means
// the family's default, decided by the publish that reads it.
func fileRegistry(kind, text string) string {
	switch kind {
	case "npmrc":
		if m := reNpmrcHost.FindStringSubmatch(text); m != nil {
			host := strings.ToLower(m[1])
			switch {
			case strings.HasPrefix(host, "registry.npmjs."):
				return "npm"
			case host == "npm.pkg.github.com":
				return "github-packages"
			default:
				return "private-registry"
			}
		}
		return "npm"
	case "gem-credentials":
		if strings.Contains(text, ":rubygems_api_key:") || strings.Contains(text, "rubygems.org") {
			return "rubygems"
		}
		if strings.Contains(text, ":github:") || strings.Contains(text, "rubygems.pkg.github.com") {
			return "github-packages"
		}
		return "rubygems"
	case "cargo-credentials":
		if strings.Contains(text, "[registries") {
			return "private-registry"
		}
		return "crates"
	case "pub-credentials":
		return "pubdev"
	case "pypirc":
		return ""
	case "nuget-config":
		return "nuget"
	}
	return ""
}

// login handles commands that store a credential for later publishes:
// `poetry config pypi-token.X`, `npm config set //host/:_authToken`,
// `cargo login`, `nuget setapikey`, `dart pub token add`.
func (c *ctx) login(st *model.Step, cmd *model.Command, words []model.Word, s *scope, local map[string]*entry) bool {
	argv := lits(words)
	name := path.Base(argv[0])
	store := func(kind, registry, file string, w *model.Word) {
		if w == nil {
			return
		}
		for _, cr := range storedOnly(c.wordCreds(s, local, *w)) {
			cr = inline(cr, cmd)
			cr.Via = append(cr.Via, describeArgv(argv, 3))
			c.files[kind] = append(c.files[kind], fileCred{cred: cr, registry: registry, file: file})
			c.noteHanded([]Cred{cr}, st)
		}
	}
	arg := func(i int) *model.Word {
		if i < len(words) {
			return &words[i]
		}
		return nil
	}
	switch {
	case name == "poetry" && len(argv) >= 4 && argv[1] == "config":
		key := argv[2]
		if len(argv) > 3 && strings.HasPrefix(argv[2], "-") {
			key = argv[3]
		}
		idx := indexOf(argv, key)
		switch {
		case strings.HasPrefix(key, "repositories."):
			if u := arg(idx + 1); u != nil {
				c.poetry[strings.TrimPrefix(key, "repositories.")] = u.Lit
			}
		case strings.HasPrefix(key, "pypi-token."):
			repo := strings.TrimPrefix(key, "pypi-token.")
			store("poetry-config", c.poetryRegistry(repo), repo, arg(idx+1))
		case strings.HasPrefix(key, "http-basic."):
			repo := strings.TrimPrefix(key, "http-basic.")
			store("poetry-config", c.poetryRegistry(repo), repo, arg(idx+2))
		default:
			return false
		}
		return true
	case (name == "npm" || name == "pnpm" || name == "yarn") && len(argv) >= 3 && (argv[1] == "config" && argv[2] == "set" || argv[1] == "set"):
		i := 2
		if argv[1] == "config" {
			i = 3
		}
		key := ""
		if i < len(argv) {
			key = argv[i]
		}
		if !strings.Contains(key, "_authToken") && !strings.Contains(key, "npmAuthToken") && !strings.Contains(key, "_auth") && !strings.Contains(key, "_password") {
			if strings.HasPrefix(key, "registry") {
				if v := arg(i + 1); v != nil {
					c.registry["npm"] = v.Lit
				} else if j := strings.IndexByte(key, '='); j > 0 {
					c.registry["npm"] = key[j+1:]
				}
				return true
			}
			return false
		}
		w := arg(i + 1)
		if w == nil && strings.Contains(key, "=") {
			w = &words[i]
		}
		store("npmrc", fileRegistry("npmrc", key+"="), ".npmrc", w)
		return true
	case name == "npm-cli-login" || (name == "npm" || name == "yarn") && len(argv) >= 2 && (argv[1] == "login" || argv[1] == "adduser"):
		// Logging in with a stored password: the session token lands in
		// .npmrc. The password is the long-lived credential.
		for i := 1; i < len(words); i++ {
			f, _, has := splitFlag(argv[i])
			if f == "-p" || f == "--password" {
				if has {
					store("npmrc", "npm", "npm login", &words[i])
				} else {
					store("npmrc", "npm", "npm login", arg(i+1))
				}
			}
		}
		for _, env := range []string{"NPM_PASS", "NPM_PASSWORD"} {
			if e, ok := lookup2(s, local, env); ok {
				for _, cr := range storedOnly(e.creds) {
					c.files["npmrc"] = append(c.files["npmrc"], fileCred{cred: cr, registry: "npm", file: "npm login"})
				}
			}
		}
		if cmd.Stdin != nil {
			store("npmrc", "npm", "npm login", cmd.Stdin)
		}
		return true
	case name == "cargo" && len(argv) >= 2 && argv[1] == "login":
		registry := "crates"
		var tok *model.Word
		for i := 2; i < len(words); i++ {
			if argv[i] == "--registry" {
				registry = "private-registry"
				i++
				continue
			}
			if !strings.HasPrefix(argv[i], "-") {
				tok = &words[i]
			}
		}
		if tok == nil {
			tok = cmd.Stdin
		}
		store("cargo-credentials", registry, "cargo login", tok)
		return true
	case (name == "nuget" || name == "nuget.exe") && len(argv) >= 3 && strings.EqualFold(argv[1], "setapikey"):
		store("nuget-config", "nuget", "nuget setapikey", arg(2))
		return true
	case name == "dart" && len(argv) >= 4 && argv[1] == "pub" && argv[2] == "token" && argv[3] == "add":
		for i := 4; i < len(argv); i++ {
			if argv[i] == "--env-var" && i+1 < len(argv) {
				if e, ok := lookup2(s, local, argv[i+1]); ok {
					for _, cr := range storedOnly(e.creds) {
						c.files["pub-credentials"] = append(c.files["pub-credentials"], fileCred{cred: cr, registry: "pubdev", file: "pub token"})
					}
				}
			}
		}
		store("pub-credentials", "pubdev", "pub token", cmd.Stdin)
		return true
	}
	return false
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func (c *ctx) poetryRegistry(repo string) string {
	if repo == "pypi" {
		return "pypi"
	}
	if u, ok := c.poetry[repo]; ok {
		if reg, ok := c.a.Catalog.Family("pypi").ResolveTarget(u); ok {
			return reg
		}
		return "private-registry"
	}
	if reg, ok := c.a.Catalog.Family("pypi").ResolveTarget(repo); ok {
		return reg
	}
	return ""
}

var (
	opaqueRunners = map[string]bool{"make": true, "gmake": true, "tox": true, "nox": true, "just": true, "task": true,
		"invoke": true, "inv": true, "rake": true, "hatch": true, "pdm": true, "mage": true, "earthly": true}
	interpreters = map[string]bool{"bash": true, "sh": true, "zsh": true, "dash": true, "python": true, "python3": true,
		"ruby": true, "node": true, "pwsh": true, "powershell": true, "perl": true, "source": true, ".": true}
)

// indirection handles a command tpscan cannot see into: a script, make, tox,
// `npm run`. A script present in the checkout is parsed and followed; else a
// credential handed to it that a publish tool would read is reported at
// lower confidence.
func (c *ctx) indirection(st *model.Step, cmd *model.Command, words []model.Word, s *scope, local map[string]*entry, via string) {
	argv := lits(words)
	name := path.Base(argv[0])
	desc := describeArgv(argv, 3)
	script, pkgScript := "", ""
	scriptArg := 0 // index in words of the script: its arguments follow it
	switch {
	case interpreters[name] && len(argv) > 1 && !strings.HasPrefix(argv[1], "-"):
		script, scriptArg = argv[1], 1
	case strings.Contains(argv[0], "/") || strings.HasSuffix(argv[0], ".sh") || strings.HasSuffix(argv[0], ".py"):
		script = argv[0]
	case opaqueRunners[name]:
	case (name == "npm" || name == "yarn" || name == "pnpm" || name == "bun") && len(argv) > 1:
		if argv[1] != "run" && argv[1] != "run-script" && name == "npm" || packageManagerBuiltins[argv[1]] {
			return
		}
		pkgScript = packageScriptName(argv)
	case strings.Contains(argv[0], "${{"):
		// `run: ${{ inputs.command }}`: the caller decides what runs.
	case neverPublishes[name]:
		return
	default:
		// Any other tool (`dotnet make publish`, `./gradlew upload`): only
		// when its own words say it publishes.
		if via == "" && !looksLikePublish(name) && !containsAny(strings.ToLower(strings.Join(argv, " ")), strongPublishWords) {
			return
		}
	}
	// A check, a test or a dry run that happens to see the token does not
	// publish (`scripts/dists.sh check`); it is reported as an exposure.
	cmdText := strings.Join(argv, " ") + " " + st.Name + " " + st.ID
	if lc := strings.ToLower(cmdText); containsAny(lc, checkWords) && !containsAny(lc, strongPublishWords) {
		return
	}
	if script != "" && c.a.ReadFile != nil && c.depth < 3 {
		rel := c.scriptPath(script, words[scriptArg])
		if data, ok := c.a.ReadFile(rel); ok && len(data) < 1<<20 {
			c.follow(st, s, local, rel, string(data), "script "+rel, words[scriptArg+1:])
			return
		}
	}
	if pkgScript != "" && c.a.ReadFile != nil && c.depth < 3 {
		if text, ok := c.packageScript(pkgScript); ok {
			c.follow(st, s, local, "package.json", text, "package.json script "+describeArgv([]string{pkgScript}, 1), nil)
			return
		}
	}
	text := strings.Join(argv, " ") + " " + st.Name + " " + st.ID + " " + c.j.ID + " " + c.j.Name
	if !looksLikePublish(text) {
		return
	}
	// Weak when only the job's name says publish: a later command whose
	// own words do is the likelier publish.
	weak := !looksLikePublish(strings.Join(argv, " ")+" "+st.Name+" "+st.ID) && via == ""
	byReg := map[string]*Publish{}
	var order []string
	add := func(varName string, cr Cred, key string) {
		reg, ok := c.registryOfVar(varName)
		if strings.HasPrefix(key, "file ") {
			reg, ok = varName, true // a credential file: its registry is known
		}
		conf := "medium"
		if !strings.HasPrefix(key, "file ") && (!ok || !isMethodEnv(c.a.Catalog, varName)) {
			conf = "low"
		}
		if r2, ok2 := c.a.Catalog.InferRegistry(cr.Name); ok2 && (!ok || catalog.FamilyOf(r2) == catalog.FamilyOf(reg)) {
			reg, ok = c.a.refine(r2, varName), true
		}
		if !ok {
			return
		}
		reg = c.a.refine(reg, argv[1:]...)
		pub := byReg[reg]
		if pub == nil {
			pub = &Publish{Pipeline: c.p, Job: c.j, Step: st, Command: cmd, Registry: reg, OIDC: c.oidc,
				Path: c.path(), Pos: cmd.Pos, Confidence: conf, Indirect: orPath(via, desc),
				Method: externalMethod(c.a.Catalog, reg), Inferred: true, Callee: c.callee(), CallJob: c.callJob(), Caller: c.caller(), weak: weak}
			byReg[reg] = pub
			order = append(order, reg)
		}
		if conf == "medium" {
			pub.Confidence = "medium"
		}
		pub.Uses = append(pub.Uses, Use{Cred: inline(cr, cmd), Key: key})
	}
	// Credentials on the command line: `make publish TOKEN=${{ secrets.X }}`,
	// `dotnet make publish --nuget-key=${{ secrets.X }}`, `--api-key $KEY`.
	for i, w := range words[1:] {
		name := ""
		switch k := strings.IndexByte(w.Lit, '='); {
		case k > 0 && isName(w.Lit[:k]):
			name = w.Lit[:k]
		case k > 0 && strings.HasPrefix(w.Lit, "-"):
			name = flagVar(w.Lit[:k])
		}
		if name == "" && strings.HasPrefix(w.Lit, "-") && len(w.Refs) == 0 && i+2 < len(words) {
			// `--api-key VALUE`: the value is the next word.
			if next := words[i+2]; len(next.Refs) > 0 {
				for _, cr := range storedOnly(c.wordCreds(s, local, next)) {
					add(flagVar(w.Lit), cr, "arg "+w.Lit)
				}
			}
			continue
		}
		if name == "" {
			continue
		}
		for _, cr := range storedOnly(c.wordCreds(s, local, w)) {
			add(name, cr, "arg "+name)
		}
	}
	for _, a := range cmd.Assigns {
		if e, ok := local[a.Name]; ok {
			for _, cr := range storedOnly(e.creds) {
				add(a.Name, cr, "env."+a.Name)
			}
		}
	}
	// Credentials in the environment the command inherits.
	seen := map[string]bool{}
	visit := func(nm string, e *entry) {
		if seen[nm] {
			return
		}
		seen[nm] = true
		for _, cr := range storedOnly(e.creds) {
			add(nm, cr, "env."+nm)
		}
	}
	for nm, e := range local {
		visit(nm, e)
	}
	for i := len(s.layers) - 1; i >= 0; i-- {
		for nm, e := range s.layers[i] {
			visit(nm, e)
		}
	}
	// Credential files earlier steps wrote (`npm config set ... _authToken`
	// before `npm run publish:public`).
	for kind, fcs := range c.files {
		for _, fc := range fcs {
			reg := fc.registry
			if reg == "" {
				reg = fileKindRegistry[kind]
			}
			if fc.cred.Stored() && kind != "npmrc-template" && catalog.Public(reg) {
				add(reg, fc.cred, "file "+fc.file)
			}
		}
	}
	for _, reg := range order {
		pub := byReg[reg]
		sortUses(pub.Uses)
		c.retarget(pub, s, local)
		c.indirect = append(c.indirect, pub)
	}
}

// follow parses a script of the checkout and analyses it in the step's
// scope, as part of the step.
// Its arguments are bound to $1, $2, ... and $@: `./pub.sh "${{ secrets.X }}"`
// followed by `cargo login "$1"` hands X over.
func (c *ctx) follow(st *model.Step, s *scope, local map[string]*entry, rel, text, via string, args []model.Word) {
	sc := shell.Parse(shell.Input{Text: text})
	sub := *c
	sub.depth++
	sub.indirect = nil
	if sub.reportAs == nil {
		sub.reportAs = c.p
	}
	sub.p = &model.Pipeline{Kind: c.p.Kind, File: &model.File{Path: rel}, Triggers: c.p.Triggers, Permissions: c.p.Permissions}
	params := map[string]*entry{}
	var all []Cred
	for i, a := range args {
		creds := c.wordCreds(s, local, a)
		e := &entry{defined: true, creds: creds}
		if len(a.Refs) == 0 {
			e.literal = a.Lit
		}
		params[strconv.Itoa(i+1)] = e
		all = append(all, creds...)
	}
	params["@"] = &entry{defined: true, creds: all}
	params["*"] = params["@"]
	sub.scriptWith(st, sc, s, "medium", via, params)
	c.indirect = append(c.indirect, sub.indirect...)
}

// scriptPath resolves a script a command runs, relative to the repository;
// `${{ github.action_path }}/x.sh` in a composite action is in its directory.
func (c *ctx) scriptPath(script string, w model.Word) string {
	if c.p.Kind == model.GitHubComposite && strings.HasPrefix(script, "${{…}}/") {
		for _, r := range w.Refs {
			if r.Kind == "github" && r.Name == "action_path" {
				return path.Join(path.Dir(c.p.File.Path), strings.TrimPrefix(script, "${{…}}/"))
			}
		}
	}
	return path.Clean(strings.TrimPrefix(script, "./"))
}

// packageScriptName is the package.json script `npm run X`, `yarn X`,
// `pnpm run X` runs, or "".
func packageScriptName(argv []string) string {
	i := 1
	if argv[1] == "run" || argv[1] == "run-script" {
		i = 2
	}
	for i < len(argv) && strings.HasPrefix(argv[i], "-") {
		i++
	}
	if i >= len(argv) {
		return ""
	}
	return argv[i]
}

// packageScript returns the text a package.json script runs, with its pre
// and post hooks, from the repository root's package.json.
func (c *ctx) packageScript(name string) (string, bool) {
	data, ok := c.a.ReadFile("package.json")
	if !ok {
		return "", false
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return "", false
	}
	if _, ok := pkg.Scripts[name]; !ok {
		return "", false
	}
	var parts []string
	for _, k := range []string{"pre" + name, name, "post" + name} {
		if v, ok := pkg.Scripts[k]; ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, "\n"), true
}

// describeArgv names a command for messages by its first n words. Command
// lines can hold literal tokens (`cargo login cio...`, `make TOKEN=...`):
// a token is replaced by its fingerprint, an assignment's value and the tail
// of a long word are dropped, so no value reaches an output.
func describeArgv(argv []string, n int) string {
	out := make([]string, 0, n)
	for _, w := range argv[:min(n, len(argv))] {
		if ms := tokens.Find([]byte(w)); len(ms) > 0 {
			out = append(out, ms[0].Fingerprint)
			continue
		}
		if i := strings.IndexByte(w, '='); i > 0 {
			w = w[:i+1] + "…"
		}
		if len(w) > 24 {
			w = w[:20] + "…"
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// flagVar turns `--nuget-key` into `NUGET_KEY`, for guessing a registry.
func flagVar(flag string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimLeft(flag, "-"), "-", "_"))
}

// retarget looks for a URL in the environment of an indirect publish
// (NUGET_URL: https://www.myget.org/...) that names where it goes: a private
// index of the same family is not a public-registry publish.
func (c *ctx) retarget(pub *Publish, s *scope, local map[string]*entry) {
	f := c.a.Catalog.Family(catalog.FamilyOf(pub.Registry))
	if f == nil {
		return
	}
	check := func(m map[string]*entry) bool {
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names) // the same answer on every run
		for _, name := range names {
			e := m[name]
			if e.literal == "" || !strings.Contains(e.literal, "://") || !strings.Contains(strings.ToUpper(name), "URL") && !strings.Contains(strings.ToUpper(name), "REPO") && !strings.Contains(strings.ToUpper(name), "SOURCE") && !strings.Contains(strings.ToUpper(name), "REGISTRY") && !strings.Contains(strings.ToUpper(name), "INDEX") {
				continue
			}
			if reg, ok := f.ResolveTarget(e.literal); ok {
				pub.Registry = reg
				return true
			}
		}
		return false
	}
	if check(local) {
		return
	}
	for i := len(s.layers) - 1; i >= 0; i-- {
		if check(s.layers[i]) {
			return
		}
	}
}

// packageManagerBuiltins are npm/yarn/pnpm commands that are not package
// scripts and never publish.
var packageManagerBuiltins = map[string]bool{
	"install": true, "i": true, "ci": true, "add": true, "remove": true, "upgrade": true, "update": true,
	"audit": true, "cache": true, "config": true, "why": true, "info": true, "link": true, "unlink": true,
	"init": true, "set": true, "test": true, "t": true, "outdated": true, "version": true, "pack": true,
	"prune": true, "dedupe": true, "list": true, "ls": true, "rebuild": true, "import": true, "fetch": true,
}

// neverPublishes are commands whose arguments may say "publish" but which
// do not ("echo Can't publish a prerelease", "git tag", "gh release").
var neverPublishes = map[string]bool{
	"echo": true, "printf": true, "exit": true, "true": true, "false": true, "test": true, "[": true, "[[": true,
	"cd": true, "mkdir": true, "ls": true, "cat": true, "rm": true, "cp": true, "mv": true, "set": true,
	"git": true, "gh": true, "jq": true, "yq": true, "sed": true, "awk": true, "grep": true, "tar": true, "zip": true,
	"unzip": true, "sleep": true, "which": true, "chmod": true, "touch": true, "sha256sum": true, "shasum": true,
	"tee": true, "read": true, "eval": false,
}

var (
	checkWords         = []string{"check", "verify", "validate", "lint", "test", "doctor", "dry-run", "dry_run", "dryrun", "audit", "preflight"}
	strongPublishWords = []string{"publish", "upload", "deploy"}
)

func isMethodEnv(cat *catalog.Catalog, name string) bool { return cat.EnvMethod(name) != nil }
