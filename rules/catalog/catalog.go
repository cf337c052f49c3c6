// Package catalog is the data that says how each publishing method is
// recognised: the action or command, the inputs, flags, environment variables
// and files that carry a credential, how the publish target is chosen, and
// what its trusted-publishing form is. One YAML file per registry family in
// methods/, embedded in the binary. Rules read it; they hold no method names.
package catalog

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed methods/*.yaml
var files embed.FS

// Method is one way of publishing.
type Method struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Kind   string `yaml:"kind"` // "action" or "command"
	Family string `yaml:"-"`
	// Registry is the registry reached when no target is given.
	Registry string `yaml:"registry"`
	// Action is the owner/repo[/path] of an action, matched case-insensitively.
	Action         string   `yaml:"action"`
	ActionPatterns []string `yaml:"action_patterns"`
	// Commands are argv prefixes: the program and its subcommands.
	Commands [][]string `yaml:"commands"`
	// AnyPosition lets the subcommands appear anywhere after the program
	// (setup.py runs a chain: `setup.py sdist bdist_wheel upload`).
	AnyPosition bool `yaml:"any_position"`

	CredentialInputs []string `yaml:"credential_inputs"`
	UserInputs       []string `yaml:"user_inputs"`
	CredentialFlags  []string `yaml:"credential_flags"`
	UserFlags        []string `yaml:"user_flags"`
	KeyFlags         []string `yaml:"key_flags"`
	// CredentialEnv are variables the tool reads itself; a trailing or
	// inner '*' matches any text (POETRY_PYPI_TOKEN_*).
	CredentialEnv []string `yaml:"credential_env"`
	UserEnv       []string `yaml:"user_env"`
	// EnvNeedsNpmrc are credential variables that only work through an
	// .npmrc that names them (npm itself does not read NPM_TOKEN).
	EnvNeedsNpmrc   []string `yaml:"env_needs_npmrc"`
	CredentialFiles []string `yaml:"credential_files"`

	TargetInputs []string `yaml:"target_inputs"`
	TargetFlags  []string `yaml:"target_flags"`
	TargetEnv    []string `yaml:"target_env"`

	// RequiresArgs: the action publishes only when its `command`/`args`
	// inputs name one of these (maturin-action builds by default).
	RequiresArgs []string `yaml:"requires_args"`
	// RequiresInputs: the action publishes only when one of these inputs is set.
	RequiresInputs []string `yaml:"requires_inputs"`
	// SkipWhenInputs: input values that make the step not publish.
	SkipWhenInputs map[string][]string `yaml:"skip_when_inputs"`
	DryRunFlags    []string            `yaml:"dry_run_flags"`
	// OIDC marks a method that is itself trusted publishing.
	OIDC bool `yaml:"oidc"`
	// Configures marks an action that stores a credential for later steps
	// rather than publishing.
	Configures bool `yaml:"configures"`

	Confidence              string `yaml:"confidence"`
	NativeTrustedPublishing string `yaml:"native_trusted_publishing"`
	TrustedPublishing       string `yaml:"trusted_publishing"`

	actionRes []*regexp.Regexp
}

// Target maps a target value (URL or repository name) to a registry.
type Target struct {
	Match    string `yaml:"match"`
	Registry string `yaml:"registry"`
	re       *regexp.Regexp
}

// Family is a registry family: the methods and target rules of one file.
type Family struct {
	Name    string    `yaml:"family"`
	Targets []*Target `yaml:"targets"`
	// GitLabTrustedPublishing is the family's trusted-publishing form on
	// GitLab CI/CD (reference §11.1), or why there is none.
	GitLabTrustedPublishing string `yaml:"gitlab_trusted_publishing"`
	// SecretNames say which secret or variable names suggest this family's
	// registries, for publishes tpscan cannot see into (a script, a
	// reusable workflow in another repository).
	SecretNames []*Target `yaml:"secret_names"`
	Methods     []*Method `yaml:"methods"`
}

// Catalog is every family.
type Catalog struct {
	Families []*Family
	byFamily map[string]*Family
	actions  []*Method
	commands map[string][]*Method // by program name
	programs []string
	methods  []*Method
	// vocab and argvMasks index the words of command methods (MayMatter).
	vocab     map[string]uint64
	argvMasks []uint64
	// Memoised answers: the same action names and secret names come up in
	// thousands of workflows.
	actionCache sync.Map // string -> *Method (nil stored as noMethod)
	inferCache  sync.Map // string -> inferred
	envCache    sync.Map // string -> *Method
}

type inferred struct {
	registry string
	ok       bool
}

var noMethod = &Method{}

// Load parses the embedded catalogue. It fails only on a bug in the data,
// which the tests catch.
func Load() (*Catalog, error) {
	entries, err := files.ReadDir("methods")
	if err != nil {
		return nil, err
	}
	c := &Catalog{byFamily: map[string]*Family{}, commands: map[string][]*Method{}}
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("methods", e.Name()))
		if err != nil {
			return nil, err
		}
		var f Family
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", e.Name(), err)
		}
		for _, t := range f.Targets {
			if t.re, err = regexp.Compile(t.Match); err != nil {
				return nil, fmt.Errorf("catalog %s: target %q: %w", e.Name(), t.Match, err)
			}
		}
		for _, t := range f.SecretNames {
			if t.re, err = regexp.Compile(t.Match); err != nil {
				return nil, fmt.Errorf("catalog %s: secret name %q: %w", e.Name(), t.Match, err)
			}
		}
		for _, m := range f.Methods {
			m.Family = f.Name
			if m.ID == "" || m.Registry == "" || m.TrustedPublishing == "" {
				return nil, fmt.Errorf("catalog %s: method %q needs id, registry and trusted_publishing", e.Name(), m.ID)
			}
			switch m.Kind {
			case "action":
				for _, p := range m.ActionPatterns {
					re, err := regexp.Compile(p)
					if err != nil {
						return nil, fmt.Errorf("catalog %s: %s: %w", e.Name(), m.ID, err)
					}
					m.actionRes = append(m.actionRes, re)
				}
				c.actions = append(c.actions, m)
			case "command":
				for _, argv := range m.Commands {
					c.commands[argv[0]] = append(c.commands[argv[0]], m)
				}
			default:
				return nil, fmt.Errorf("catalog %s: %s: unknown kind %q", e.Name(), m.ID, m.Kind)
			}
		}
		c.Families = append(c.Families, &f)
		c.byFamily[f.Name] = &f
	}
	for p := range c.commands {
		c.programs = append(c.programs, p)
	}
	sort.Strings(c.programs)
	for _, f := range c.Families {
		c.methods = append(c.methods, f.Methods...)
	}
	c.buildVocab()
	return c, nil
}

// MustLoad is Load for callers that have tests proving the data is valid.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Programs lists every program name a command method starts with: a cheap
// pre-filter for scripts.
func (c *Catalog) Programs() []string { return c.programs }

// Family returns a family by name.
func (c *Catalog) Family(name string) *Family { return c.byFamily[name] }

// Methods returns every method, in catalogue order.
func (c *Catalog) Methods() []*Method { return c.methods }

// EnvMethod returns the first method that reads the credential variable
// name (TWINE_PASSWORD is twine's), or nil.
func (c *Catalog) EnvMethod(name string) *Method {
	if v, ok := c.envCache.Load(name); ok {
		if v == noMethod {
			return nil
		}
		return v.(*Method)
	}
	var found *Method
	for _, m := range c.methods {
		if EnvMatches(m.CredentialEnv, name) {
			found = m
			break
		}
	}
	if found == nil {
		c.envCache.Store(name, noMethod)
	} else {
		c.envCache.Store(name, found)
	}
	return found
}

// fileMarkers are text that a script writing a credential file, a login or
// a variable for later steps contains.
var fileMarkers = []string{"GITHUB_ENV", ".pypirc", ".npmrc", "credentials", ".gem", "_authToken", "yarnrc", "secrets.", "vars.", "inputs.", "setapikey", "login", "config"}

// MayMatter reports whether a script can publish or hand over a token
// without a credential already in reach: it names every word of a
// catalogue command (`npm publish`, not `npm ci`), or writes a credential
// file or config. Scripts that cannot matter are never shell-parsed, so
// this runs on every script and is one pass over the text.
func (c *Catalog) MayMatter(text string) bool {
	for _, m := range fileMarkers {
		if strings.Contains(text, m) {
			return true
		}
	}
	var seen uint64
	for i := 0; i < len(text); {
		for i < len(text) && isDelim(text[i]) {
			i++
		}
		j := i
		for j < len(text) && !isDelim(text[j]) {
			j++
		}
		if j > i {
			if bit, ok := c.vocab[text[i:j]]; ok {
				seen |= bit
			}
		}
		i = j
	}
	if seen == 0 {
		return false
	}
	for _, mask := range c.argvMasks {
		if seen&mask == mask {
			return true
		}
	}
	return false
}

// buildVocab gives every word of every catalogue command a bit, so that
// MayMatter tests a whole command with one mask.
func (c *Catalog) buildVocab() {
	c.vocab = map[string]uint64{}
	for _, m := range c.methods {
		for _, argv := range m.Commands {
			var mask uint64
			for _, w := range argv {
				bit, ok := c.vocab[w]
				if !ok {
					if len(c.vocab) >= 64 {
						// Out of bits: share the last one (a false "may
						// matter" only costs a parse).
						bit = 1 << 63
					} else {
						bit = 1 << uint(len(c.vocab))
					}
					c.vocab[w] = bit
				}
				mask |= bit
			}
			c.argvMasks = append(c.argvMasks, mask)
		}
	}
}

// isDelim separates shell words and path components.
func isDelim(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', ';', '|', '&', '(', ')', '"', '\'', '/', '=', '`', '$', '{', '}':
		return true
	}
	return false
}

// Action returns the method of a `uses:` reference, or nil. Exact action names
// win over patterns.
func (c *Catalog) Action(uses string) *Method {
	name := ActionName(uses)
	if name == "" {
		return nil
	}
	if v, ok := c.actionCache.Load(name); ok {
		if v == noMethod {
			return nil
		}
		return v.(*Method)
	}
	m := c.action(name)
	if m == nil {
		c.actionCache.Store(name, noMethod)
	} else {
		c.actionCache.Store(name, m)
	}
	return m
}

func (c *Catalog) action(name string) *Method {
	for _, m := range c.actions {
		if m.Action != "" && (strings.EqualFold(name, m.Action) || strings.HasPrefix(strings.ToLower(name), strings.ToLower(m.Action)+"/")) {
			return m
		}
	}
	for _, m := range c.actions {
		for _, re := range m.actionRes {
			if re.MatchString(name) {
				return m
			}
		}
	}
	return nil
}

// ActionName strips the `@ref` from a `uses:` value.
func ActionName(uses string) string {
	if strings.HasPrefix(uses, "docker://") || strings.HasPrefix(uses, "./") {
		return ""
	}
	if i := strings.IndexByte(uses, '@'); i >= 0 {
		return uses[:i]
	}
	return uses
}

// CommandMatch is a command method matched against an argv.
type CommandMatch struct {
	Method *Method
	// Args are the arguments after the matched program and subcommands.
	Args []string
	// ArgIndex is the index in the original argv of Args[0].
	ArgIndex int
}

// Command matches an argv (literal words) against the command methods.
func (c *Catalog) Command(argv []string) *CommandMatch {
	if len(argv) == 0 {
		return nil
	}
	prog := path.Base(argv[0])
	for _, m := range c.commands[prog] {
		for _, pat := range m.Commands {
			if pat[0] != prog {
				continue
			}
			if idx, ok := matchSub(argv, pat[1:]); ok {
				return &CommandMatch{Method: m, Args: argv[idx:], ArgIndex: idx}
			}
			if m.AnyPosition && containsAll(argv[1:], pat[1:]) {
				return &CommandMatch{Method: m, Args: argv[1:], ArgIndex: 1}
			}
		}
	}
	return nil
}

func containsAll(args, words []string) bool {
	for _, w := range words {
		if !InList(args, w) {
			return false
		}
	}
	return true
}

// matchSub finds the subcommand words after argv[0]. Options before a
// subcommand are skipped, and so is an option's value ("npm --prefix dir
// publish"), but an ordinary word is not: "npm run publish" is not a publish.
func matchSub(argv, sub []string) (int, bool) {
	i := 1
	for _, want := range sub {
		for i < len(argv) && strings.HasPrefix(argv[i], "-") {
			if !strings.Contains(argv[i], "=") && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") && argv[i+1] != want && len(argv[i]) > 2 && looksLikeValueOption(argv[i]) {
				i += 2
				continue
			}
			i++
		}
		if i >= len(argv) || argv[i] != want {
			return 0, false
		}
		i++
	}
	return i, true
}

// looksLikeValueOption reports long options that take a value before a
// subcommand in the tools of the catalogue.
func looksLikeValueOption(opt string) bool {
	switch opt {
	case "--prefix", "--workspace", "-w", "--filter", "--cwd", "--dir", "--directory", "-C", "--manifest-path", "--project", "--config", "--color", "--loglevel":
		return true
	}
	return false
}

// ResolveTarget maps a target value to a registry in a family. It returns the
// registry, and ok=false when the value is not recognised.
func (f *Family) ResolveTarget(value string) (string, bool) {
	v := strings.TrimSpace(value)
	for _, t := range f.Targets {
		if t.re.MatchString(v) {
			return t.Registry, true
		}
	}
	return "", false
}

// Public reports whether a registry name is one of the public registries
// tpscan migrates.
func Public(registry string) bool {
	switch registry {
	case "pypi", "testpypi", "rubygems", "npm", "crates", "nuget", "pubdev":
		return true
	}
	return false
}

// EnvMatches reports whether variable name matches one of the patterns.
func EnvMatches(patterns []string, name string) bool {
	for _, p := range patterns {
		if globMatch(p, name) {
			return true
		}
	}
	return false
}

func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return strings.EqualFold(pattern, s)
	}
	parts := strings.Split(strings.ToUpper(pattern), "*")
	s = strings.ToUpper(s)
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p) && len(s) >= len(p)
		}
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return true
}

// InList reports whether name is in list, case-insensitively.
func InList(list []string, name string) bool {
	for _, v := range list {
		if strings.EqualFold(v, name) {
			return true
		}
	}
	return false
}

// credentialWord matches names that hold a credential rather than, say, a
// user name or a host.
var credentialWord = regexp.MustCompile(`(?i)token|key|pass|pwd|secret|auth|credential|cred`)

// privateFeed matches names of credentials for private feeds and mirrors
// (AZURE_DEVOPS_NUGET_API_KEY, FEEDZ_NUGET_API_KEY, MYGET_KEY, a GitHub
// Packages token): a registry word in them does not make them public-registry
// tokens.
var privateFeed = regexp.MustCompile(`(?i)azure|devops|(^|_)ado_|artifactory|jfrog|nexus|feedz|myget|cloudsmith|gemfury|(^|_)fury_|codeartifact|github|(^|_)gpr_|(^|_)gh_|private|internal|gitlab|proget|baget|verdaccio`)

// notCredential matches names that sit next to credentials but are not
// ones (TOKEN_ENDPOINT, SCOPES, EXPIRATION, REGISTRY_URL).
var notCredential = regexp.MustCompile(`(?i)endpoint|scope|expir|_url$|^url|host|email|user(name)?$|registry$|repo(sitory)?$|_id$`)

// NotCredentialName reports names that are clearly not secrets themselves.
func NotCredentialName(name string) bool { return notCredential.MatchString(name) }

// InferRegistry guesses the registry a secret or variable name is for, from
// the families' secret_names. ok is false when the name does not look like a
// registry credential at all (NUGET_USER is a profile name, not a key).
func (c *Catalog) InferRegistry(name string) (string, bool) {
	if v, ok := c.inferCache.Load(name); ok {
		r := v.(inferred)
		return r.registry, r.ok
	}
	reg, ok := c.inferRegistry(name)
	c.inferCache.Store(name, inferred{reg, ok})
	return reg, ok
}

func (c *Catalog) inferRegistry(name string) (string, bool) {
	if !credentialWord.MatchString(name) || privateFeed.MatchString(name) || notCredential.MatchString(name) {
		return "", false
	}
	for _, f := range c.Families {
		for _, t := range f.SecretNames {
			if t.re.MatchString(name) {
				return t.Registry, true
			}
		}
	}
	return "", false
}

// InferRegistryFromText guesses a registry from free text such as a reusable
// workflow's file name ("publish-rubygems.yml") or a script name.
func (c *Catalog) InferRegistryFromText(text string) (string, bool) {
	text = strings.ReplaceAll(text, "-", "_") // publish-rubygem.yml reads like GEM_PUSH names
	for _, f := range c.Families {
		for _, t := range f.SecretNames {
			if t.re.MatchString(text) {
				return t.Registry, true
			}
		}
	}
	return "", false
}

// FamilyOf returns the family a registry belongs to.
func FamilyOf(registry string) string {
	switch registry {
	case "pypi", "testpypi":
		return "pypi"
	case "pubdev":
		return "pubdev"
	}
	return registry
}
