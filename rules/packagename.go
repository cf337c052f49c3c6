package rules

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/yamlwalk"
)

// The name a registry knows a package by, for the registry-side steps
// (the project page of PyPI, the gem's trusted publishers on RubyGems.org,
// `npm trust <package>`...). It is read from the manifest in the publishing
// job's working directory, then at the repository root, through
// Options.ReadFile (checkouts and API scans alike) and the files the source
// already read. Every parser is small, lenient and never panics: a name is
// given only when the manifest states it as a plain literal, anything
// computed leaves it unknown.

// maxManifest bounds the manifests read.
const maxManifest = 1 << 20

// validName are the names each registry accepts; anything else (a
// template's `{{ name }}`, an expression) is not a name.
var validName = map[string]*regexp.Regexp{
	"pypi":     regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$`),
	"rubygems": regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`),
	"npm":      regexp.MustCompile(`^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]{0,100}/)?[A-Za-z0-9~-][A-Za-z0-9._~-]{0,213}$`),
	"crates":   regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`),
	"nuget":    regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$`),
	"pubdev":   regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`),
}

func registryFamily(registry string) string {
	if registry == "testpypi" {
		return "pypi"
	}
	return registry
}

// checkName returns name when registry accepts it, else "".
func checkName(registry, name string) string {
	re := validName[registryFamily(registry)]
	if re == nil || !re.MatchString(name) {
		return ""
	}
	return name
}

// packageName is the name of the package pub publishes to registry, or ""
// when no manifest says it plainly.
func packageName(pass *Pass, registry string, pub *flow.Publish) (name string) {
	if pass == nil || pass.Repo == nil {
		return ""
	}
	defer func() {
		if recover() != nil { // a parser bug must not take the scan down
			name = ""
		}
	}()
	m := &manifests{pass: pass}
	text := jobText(pub)
	for _, dir := range workDirs(registry, pub) {
		if n := m.nameIn(registryFamily(registry), dir, text); n != "" {
			return n
		}
	}
	return ""
}

// manifests reads repository files for one lookup.
type manifests struct {
	pass *Pass
}

func (m *manifests) read(p string) ([]byte, bool) {
	p = cleanRel(p)
	if p == "" {
		return nil, false
	}
	for _, f := range m.pass.Repo.Files {
		if f.Path == p {
			return f.Content, len(f.Content) <= maxManifest
		}
	}
	if m.pass.Options == nil || m.pass.Options.ReadFile == nil {
		return nil, false
	}
	b, ok := m.pass.Options.ReadFile(m.pass.Repo, p)
	if !ok || len(b) > maxManifest {
		return nil, false
	}
	return b, true
}

// filesIn lists the files the source read in dir that end in one of exts.
func (m *manifests) filesIn(dir string, exts ...string) []string {
	var out []string
	for _, f := range m.pass.Repo.Files {
		if path.Dir(f.Path) != orDot(dir) {
			continue
		}
		for _, e := range exts {
			if strings.HasSuffix(f.Path, e) {
				out = append(out, f.Path)
			}
		}
	}
	return out
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// repoShort is the last part of the repository's name ("name" of
// "owner/name"), "" when it is not a plausible file name.
func (m *manifests) repoShort() string {
	n := m.pass.Repo.Name
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	if !plainFileName.MatchString(n) {
		return ""
	}
	return n
}

func (m *manifests) nameIn(registry, dir, text string) string {
	join := func(f string) string { return path.Join(dir, f) }
	switch registry {
	case "pypi":
		if b, ok := m.read(join("pyproject.toml")); ok {
			if n := pyprojectName(b); n != "" {
				return n
			}
		}
		if b, ok := m.read(join("setup.cfg")); ok {
			if n := setupCfgName(b); n != "" {
				return n
			}
		}
		if b, ok := m.read(join("setup.py")); ok {
			return setupPyName(b)
		}
	case "rubygems":
		cands := mentioned(text, gemspecRef, dir)
		cands = append(cands, m.filesIn(dir, ".gemspec")...)
		if s := m.repoShort(); s != "" {
			cands = append(cands, join(s+".gemspec"), join(strings.ReplaceAll(s, "-", "_")+".gemspec"))
		}
		for _, c := range dedupe1(cands) {
			if b, ok := m.read(c); ok {
				if n := gemspecName(b); n != "" {
					return n
				}
			}
		}
	case "npm":
		if b, ok := m.read(join("package.json")); ok {
			return packageJSONName(b)
		}
	case "crates":
		if n := cargoPackageArg(text); n != "" {
			return n
		}
		if b, ok := m.read(join("Cargo.toml")); ok {
			return cargoName(b)
		}
	case "nuget":
		// The project files the job names, else the ones the source read,
		// else the project named after the repository: one name or none.
		for _, cands := range [][]string{mentioned(text, projRef, dir), m.filesIn(dir, ".csproj", ".fsproj", ".vbproj")} {
			if n, decided := m.oneProject(cands); decided {
				return n
			}
		}
		if s := m.repoShort(); s != "" {
			for _, c := range []string{join(s + ".csproj"), join("src/" + s + "/" + s + ".csproj")} {
				if b, ok := m.read(c); ok {
					return csprojName(b, c)
				}
			}
		}
	case "pubdev":
		if b, ok := m.read(join("pubspec.yaml")); ok {
			return pubspecName(b)
		}
	}
	return ""
}

// oneProject names the package of a list of project files when they all
// agree; decided is false when the list is empty or unreadable.
func (m *manifests) oneProject(cands []string) (name string, decided bool) {
	for _, c := range dedupe1(cands) {
		b, ok := m.read(c)
		if !ok {
			continue
		}
		n := csprojName(b, c)
		if decided && n != name {
			return "", true // two packages: which one is unclear
		}
		name, decided = n, true
	}
	return name, decided
}

func dedupe1(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s = cleanRel(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// cleanRel cleans a repository-relative path; "" when it leaves the
// repository or is not a plain path.
func cleanRel(p string) string {
	if p == "" || strings.ContainsAny(p, "$*?{}\\\x00") || strings.HasPrefix(p, "/") {
		return ""
	}
	p = path.Clean(p)
	if p == "." {
		return ""
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return ""
	}
	return p
}

// cleanDir is cleanRel for a directory, "" meaning the root and ok false
// meaning "not a usable directory".
func cleanDir(d string) (string, bool) {
	d = strings.TrimSpace(d)
	if d == "" || d == "." || d == "./" {
		return "", true
	}
	c := cleanRel(d)
	return c, c != ""
}

var (
	plainFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	gemspecRef    = regexp.MustCompile(`(?:^|[\s"'=(])((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.gemspec)\b`)
	projRef       = regexp.MustCompile(`(?:^|[\s"'=(])((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:cs|fs|vb)proj)\b`)
	cargoPublish  = regexp.MustCompile(`\bcargo\s+(?:\+\S+\s+)?publish\b([^\n;&|]*)`)
	cargoPkgArg   = regexp.MustCompile(`\s(?:-p|--package)(?:\s+|=)["']?([A-Za-z][A-Za-z0-9_-]*)["']?(?:\s|$)`)
	cargoManifest = regexp.MustCompile(`\s--manifest-path(?:\s+|=)["']?([^\s"']+)`)
)

// mentioned lists the files matching re that text names, relative to dir.
func mentioned(text string, re *regexp.Regexp, dir string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(text, 20) {
		out = append(out, path.Join(dir, m[1]))
	}
	return out
}

// cargoPackageArg is the crate of `cargo publish -p NAME`.
func cargoPackageArg(text string) string {
	for _, m := range cargoPublish.FindAllStringSubmatch(text, 10) {
		if a := cargoPkgArg.FindStringSubmatch(m[1] + " "); a != nil {
			return checkName("crates", a[1])
		}
	}
	return ""
}

// jobText is the shell text and inputs of the publishing job, the
// publishing step first: where `gem build x.gemspec`, `dotnet pack
// src/X/X.csproj` or `cargo publish -p x` name the package.
func jobText(pub *flow.Publish) string {
	if pub == nil {
		return ""
	}
	var b strings.Builder
	add := func(s *model.Step) {
		if s == nil {
			return
		}
		if s.Run != nil {
			b.WriteString(s.Run.Text)
			b.WriteByte('\n')
		}
		for _, v := range s.With {
			b.WriteString(v.Value.Raw)
			b.WriteByte('\n')
		}
	}
	add(pub.Step)
	if pub.Job != nil {
		for _, s := range pub.Job.Steps {
			if s != pub.Step {
				add(s)
			}
		}
	}
	return b.String()
}

// workDirs are the directories to look for a manifest in: the publishing
// step's or job's working directory when the pipeline names one, then the
// repository root.
func workDirs(registry string, pub *flow.Publish) []string {
	var dirs []string
	add := func(d string) {
		if strings.Contains(d, "${{") || strings.Contains(d, "$") {
			return
		}
		if c, ok := cleanDir(d); ok {
			dirs = append(dirs, c)
		}
	}
	if pub != nil && pub.Step != nil {
		if v := pub.Step.Input("working-directory"); v != nil {
			add(v.Value.Raw)
		}
		if registry == "npm" {
			// JS-DevTools/npm-publish: `package: sub/package.json` or a directory.
			if v := pub.Step.Input("package"); v != nil {
				p := v.Value.Raw
				if strings.HasSuffix(p, "package.json") {
					p = path.Dir(p)
				}
				add(p)
			}
		}
		if registry == "crates" && pub.Step.Run != nil {
			for _, m := range cargoPublish.FindAllStringSubmatch(pub.Step.Run.Text, 10) {
				if a := cargoManifest.FindStringSubmatch(m[1]); a != nil && strings.HasSuffix(a[1], "Cargo.toml") {
					add(path.Dir(a[1]))
				}
			}
		}
	}
	if pub != nil && pub.CallJob != nil && pub.CallJob.Call != nil {
		for _, v := range pub.CallJob.Call.Inputs {
			if v.Name == "working-directory" {
				add(v.Value.Raw)
			}
		}
	}
	if pub != nil {
		for _, d := range yamlWorkDirs(pub) {
			add(d)
		}
	}
	dirs = append(dirs, "")
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// yamlWorkDirs reads `working-directory:` of a run step, then the job's
// and the workflow's `defaults.run.working-directory`, from the workflow
// text (the model does not keep them).
func yamlWorkDirs(pub *flow.Publish) (dirs []string) {
	p, j, s := pub.Pipeline, pub.Job, pub.Step
	if p == nil || p.File == nil || j == nil || p.Kind != model.GitHubWorkflow || !bytes.Contains(p.File.Content, []byte("working-directory")) {
		return nil
	}
	defer func() {
		if recover() != nil { // yamlwalk.Budget, or anything else odd
			dirs = nil
		}
	}()
	var doc yaml.Node
	if yaml.Unmarshal(p.File.Content, &doc) != nil {
		return nil
	}
	w := yamlwalk.New(100000, 20)
	str := func(n *yaml.Node) string {
		n = w.Resolve(n)
		if n == nil || n.Kind != yaml.ScalarNode {
			return ""
		}
		return n.Value
	}
	get := func(n *yaml.Node, keys ...string) *yaml.Node {
		for _, k := range keys {
			if n == nil {
				return nil
			}
			_, n = w.Get(n, k)
		}
		return n
	}
	root := w.Resolve(&doc)
	job := get(root, "jobs", j.ID)
	if s != nil && s.Run != nil {
		if steps := w.Resolve(get(job, "steps")); steps != nil && steps.Kind == yaml.SequenceNode && s.Index >= 0 && s.Index < len(steps.Content) {
			if d := str(get(steps.Content[s.Index], "working-directory")); d != "" {
				dirs = append(dirs, d)
			}
		}
		if d := str(get(job, "defaults", "run", "working-directory")); d != "" {
			dirs = append(dirs, d)
		}
		if d := str(get(root, "defaults", "run", "working-directory")); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// ---- TOML (pyproject.toml, Cargo.toml) ----

// tomlDoc is what a lenient TOML reader keeps: the string values by their
// full dotted key ("project.name") and the tables declared.
type tomlDoc struct {
	values map[string]string
	tables map[string]bool
}

// parseTOML reads the string values of a TOML document. It skips what it
// does not understand (multi-line strings, arrays and inline tables are
// stepped over), so a malformed file yields fewer values, never an error.
func parseTOML(src []byte) tomlDoc {
	d := tomlDoc{values: map[string]string{}, tables: map[string]bool{}}
	s := string(src)
	table := ""
	for i := 0; i < len(s); {
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += i
		}
		line := s[i:end]
		next := end + 1
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#':
		case t[0] == '[':
			if name, ok := tomlHeader(t); ok {
				table = name
				d.tables[name] = true
			} else {
				table = "\x00" // keys under a broken header belong to no table
			}
		default:
			eq := tomlKeyEnd(line)
			if eq < 0 {
				break
			}
			key, ok := tomlKeyPath(line[:eq])
			val, isStr, stop := tomlValue(s, i+eq+1)
			if stop > end {
				// The value ran over several lines: go on after it.
				if nl := strings.IndexByte(s[stop:], '\n'); nl >= 0 {
					next = stop + nl + 1
				} else {
					next = len(s)
				}
			}
			if ok && isStr {
				full := key
				if table != "" {
					full = table + "." + key
				}
				if _, dup := d.values[full]; !dup {
					d.values[full] = val
				}
			}
		}
		i = next
	}
	return d
}

// tomlHeader reads `[a.b]` or `[[a.b]]`.
func tomlHeader(t string) (string, bool) {
	inner := strings.TrimPrefix(t, "[")
	double := strings.HasPrefix(inner, "[")
	if double {
		inner = inner[1:]
	}
	k := unquotedIndex(inner, func(c byte) bool { return c == ']' })
	if k < 0 || double && (k+1 >= len(inner) || inner[k+1] != ']') {
		return "", false
	}
	name, ok := tomlKeyPath(inner[:k])
	if double {
		name += "[]" // an array of tables is not the table
	}
	return name, ok
}

// tomlKeyEnd is the index of the `=` that ends a key, outside quotes.
func tomlKeyEnd(line string) int {
	k := unquotedIndex(line, func(c byte) bool { return c == '=' || c == '#' })
	if k < 0 || line[k] == '#' {
		return -1
	}
	return k
}

// unquotedIndex is the index of the first byte outside '…' and "…" quotes
// for which stop is true, or -1.
func unquotedIndex(s string, stop func(byte) bool) int {
	q := byte(0)
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case stop(c):
			return k
		}
	}
	return -1
}

// tomlKeyPath normalises a (dotted, possibly quoted) key: `tool . "poetry"`
// is "tool.poetry".
func tomlKeyPath(k string) (string, bool) {
	var parts []string
	var cur strings.Builder
	q := byte(0)
	quoted := false
	flush := func() bool {
		p := cur.String()
		if !quoted {
			p = strings.TrimSpace(p)
			if p == "" || strings.ContainsAny(p, " \t") {
				return false
			}
		}
		parts = append(parts, p)
		cur.Reset()
		quoted = false
		return true
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
				continue
			}
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			if strings.TrimSpace(cur.String()) != "" {
				return "", false
			}
			cur.Reset()
			q, quoted = c, true
		case c == '.':
			if !flush() {
				return "", false
			}
		case quoted && c != ' ' && c != '\t':
			return "", false // text after a quoted part
		default:
			if !quoted {
				cur.WriteByte(c)
			}
		}
	}
	if q != 0 || !flush() {
		return "", false
	}
	return strings.Join(parts, "."), true
}

// tomlValue reads the value that starts at s[i:]: a one-line string is
// returned with isStr; anything else is stepped over. stop is where the
// value ends.
func tomlValue(s string, i int) (val string, isStr bool, stop int) {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) {
		return "", false, i
	}
	switch {
	case strings.HasPrefix(s[i:], `"""`), strings.HasPrefix(s[i:], `'''`):
		return "", false, skipMultiString(s, i)
	case s[i] == '"':
		var b strings.Builder
		for k := i + 1; k < len(s); k++ {
			c := s[k]
			switch {
			case c == '\n':
				return "", false, k
			case c == '\\':
				if k+1 >= len(s) {
					return "", false, len(s)
				}
				k++
				switch s[k] {
				case '"', '\\':
					b.WriteByte(s[k])
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					return "", false, skipToEOL(s, k) // \u and friends: not a plain name
				}
			case c == '"':
				return b.String(), true, k + 1
			default:
				b.WriteByte(c)
			}
		}
		return "", false, len(s)
	case s[i] == '\'':
		for k := i + 1; k < len(s); k++ {
			switch s[k] {
			case '\n':
				return "", false, k
			case '\'':
				return s[i+1 : k], true, k + 1
			}
		}
		return "", false, len(s)
	}
	// A number, a date, an array or an inline table: arrays and inline
	// tables may span lines; strings and comments inside them do not count.
	depth := 0
	for k := i; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '\n':
			if depth <= 0 {
				return "", false, k
			}
		case c == '#':
			k = skipToEOL(s, k) - 1
		case strings.HasPrefix(s[k:], `"""`), strings.HasPrefix(s[k:], `'''`):
			k = skipMultiString(s, k) - 1
		case c == '"' || c == '\'':
			k = skipLineString(s, k) - 1
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
		if depth > 64 {
			return "", false, skipToEOL(s, k)
		}
	}
	return "", false, len(s)
}

func skipToEOL(s string, k int) int {
	if nl := strings.IndexByte(s[k:], '\n'); nl >= 0 {
		return k + nl
	}
	return len(s)
}

// skipMultiString steps over a multi-line string (three quotes, either kind) starting at i.
func skipMultiString(s string, i int) int {
	delim := s[i : i+3]
	for k := i + 3; k < len(s); k++ {
		if delim[0] == '"' && s[k] == '\\' {
			k++
			continue
		}
		if strings.HasPrefix(s[k:], delim) {
			k += 3
			for k < len(s) && s[k] == delim[0] { // up to two quotes may close the content
				k++
			}
			return k
		}
	}
	return len(s)
}

// skipLineString steps over a one-line string starting at i.
func skipLineString(s string, i int) int {
	q := s[i]
	for k := i + 1; k < len(s); k++ {
		switch {
		case s[k] == '\n':
			return k
		case q == '"' && s[k] == '\\':
			k++
		case s[k] == q:
			return k + 1
		}
	}
	return len(s)
}

// pyprojectName is `[project] name`, else `[tool.poetry] name`.
func pyprojectName(b []byte) string {
	d := parseTOML(b)
	if n := checkName("pypi", d.values["project.name"]); n != "" {
		return n
	}
	return checkName("pypi", d.values["tool.poetry.name"])
}

// cargoName is `[package] name`; a virtual workspace (a `[workspace]`
// without `[package]`) publishes its members, so it names nothing.
func cargoName(b []byte) string {
	d := parseTOML(b)
	return checkName("crates", d.values["package.name"])
}

// ---- setup.cfg, setup.py ----

// setupCfgName is `[metadata] name` of a setup.cfg (configparser syntax).
func setupCfgName(b []byte) string {
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation line
		}
		if t[0] == '[' {
			if k := strings.IndexByte(t, ']'); k > 0 {
				section = strings.TrimSpace(t[1:k])
			}
			continue
		}
		if section != "metadata" {
			continue
		}
		k := strings.IndexAny(t, "=:")
		if k < 0 {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(t[:k]), "name") {
			return checkName("pypi", strings.TrimSpace(t[k+1:]))
		}
	}
	return ""
}

// setupPyName is the literal `name="..."` of a `setup(...)` call (or a
// module-level constant it names) in a setup.py.
func setupPyName(b []byte) string {
	s := string(b)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '#':
			i = skipToEOL(s, i)
		case c == '"' || c == '\'':
			i = skipPyString(s, i)
		case isIdentStart(c):
			k := i
			for k < len(s) && isIdentChar(s[k]) {
				k++
			}
			word := s[i:k]
			if word == "setup" && (i == 0 || s[i-1] != '.' || strings.HasSuffix(s[:i], "setuptools.") || strings.HasSuffix(s[:i], "core.")) {
				j := skipSpace(s, k)
				if j < len(s) && s[j] == '(' {
					n, found, end := setupKwarg(s, j+1)
					if found {
						return n
					}
					k = end // calls nested in its arguments are not setup's
				}
			}
			i = k
		default:
			i++
		}
	}
	return ""
}

// setupKwarg reads `name=` at the top level of the call whose arguments
// start at s[i:]; found is true when the call has that argument, end is
// where the call ends otherwise.
func setupKwarg(s string, i int) (val string, found bool, end int) {
	depth := 1
	prev := byte('(')
	for i < len(s) && depth > 0 {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\':
			i++
			continue
		case c == '#':
			i = skipToEOL(s, i)
			continue
		case c == '"' || c == '\'':
			i = skipPyString(s, i)
		case c == '(' || c == '[' || c == '{':
			depth++
			i++
		case c == ')' || c == ']' || c == '}':
			depth--
			i++
		case isIdentStart(c):
			k := i
			for k < len(s) && isIdentChar(s[k]) {
				k++
			}
			if depth == 1 && (prev == '(' || prev == ',') && s[i:k] == "name" {
				j := skipSpace(s, k)
				if j < len(s) && s[j] == '=' && (j+1 >= len(s) || s[j+1] != '=') {
					return setupValue(s, skipSpace(s, j+1)), true, j
				}
			}
			i = k
		default:
			i++
		}
		prev = c
	}
	return "", false, i
}

// setupValue is the value of `name=` at s[i:]: a plain string literal, or
// a module-level constant holding one, followed by `,` or `)`.
func setupValue(s string, i int) string {
	if i >= len(s) {
		return ""
	}
	var val string
	var end int
	switch {
	case s[i] == '"' || s[i] == '\'' || (s[i] == 'r' || s[i] == 'u' || s[i] == 'R' || s[i] == 'U') && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\''):
		if s[i] != '"' && s[i] != '\'' {
			i++
		}
		end = skipPyString(s, i)
		q := 1
		if strings.HasPrefix(s[i:], `"""`) || strings.HasPrefix(s[i:], `'''`) {
			q = 3
		}
		if end-q < i+q || end > len(s) || s[end-1] != s[i] {
			return "" // unterminated
		}
		val = s[i+q : end-q]
		if strings.ContainsAny(val, "\\\n") {
			return ""
		}
	case isIdentStart(s[i]):
		k := i
		for k < len(s) && isIdentChar(s[k]) {
			k++
		}
		val, end = pyConstant(s, s[i:k]), k
		if val == "" {
			return ""
		}
	default:
		return ""
	}
	if j := skipSpace(s, end); j < len(s) && s[j] != ',' && s[j] != ')' {
		return "" // `"x" + suffix`, `NAME.lower()`: computed
	}
	return checkName("pypi", val)
}

// pyConstant is the string a module-level `IDENT = "..."` assigns.
func pyConstant(s, ident string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ident) + `[ \t]*=[ \t]*(?:"([^"\\\n]*)"|'([^'\\\n]*)')[ \t]*(?:#.*)?\r?$`)
	m := re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipPyString steps over a Python string literal at s[i].
func skipPyString(s string, i int) int {
	if strings.HasPrefix(s[i:], `"""`) || strings.HasPrefix(s[i:], `'''`) {
		delim := s[i : i+3]
		for k := i + 3; k < len(s); k++ {
			if s[k] == '\\' {
				k++
				continue
			}
			if strings.HasPrefix(s[k:], delim) {
				return k + 3
			}
		}
		return len(s)
	}
	q := s[i]
	for k := i + 1; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case '\n':
			return k
		case q:
			return k + 1
		}
	}
	return len(s)
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

// ---- *.gemspec, package.json, *.csproj, pubspec.yaml ----

var gemspecNameRE = regexp.MustCompile(`(?:^|[|;{])[ \t]*[a-z_][A-Za-z0-9_]*\.name[ \t]*=[ \t]*(?:"([^"\\#\n]*)"|'([^'\\\n]*)')`)

// gemspecName is `spec.name = "x"` (any block variable, either quote).
func gemspecName(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if m := gemspecNameRE.FindStringSubmatch(stripRubyComment(line)); m != nil {
			return checkName("rubygems", m[1]+m[2])
		}
	}
	return ""
}

// stripRubyComment cuts a line at a `#` outside quotes.
func stripRubyComment(line string) string {
	q := byte(0)
	for k := 0; k < len(line); k++ {
		c := line[k]
		switch {
		case q != 0 && c == '\\':
			k++
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#':
			return line[:k]
		}
	}
	return line
}

// packageJSONName is package.json's "name"; a private package (a
// monorepo root) is never published under it.
func packageJSONName(b []byte) string {
	var pj map[string]json.RawMessage
	if json.Unmarshal(b, &pj) != nil {
		return ""
	}
	if string(bytes.TrimSpace(pj["private"])) == "true" {
		return ""
	}
	var name string
	if json.Unmarshal(pj["name"], &name) != nil {
		return ""
	}
	return checkName("npm", name)
}

// csprojName is the package id of an MSBuild project: PackageId, else
// AssemblyName, else the project file's name; "" for a project that is not
// packable or whose id is computed.
func csprojName(b []byte, file string) string {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	var stack []string
	var text strings.Builder
	props := map[string]string{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			text.Reset()
			if len(stack) > 64 {
				return ""
			}
		case xml.CharData:
			if text.Len() < 1024 {
				text.Write(t)
			}
		case xml.EndElement:
			if n := len(stack); n >= 2 && stack[n-2] == "PropertyGroup" {
				switch stack[n-1] {
				case "PackageId", "AssemblyName", "IsPackable":
					props[stack[n-1]] = strings.TrimSpace(text.String()) // the last definition wins, as in MSBuild
				}
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			text.Reset()
		}
	}
	if strings.EqualFold(props["IsPackable"], "false") {
		return ""
	}
	name := props["PackageId"]
	if name == "" {
		name = props["AssemblyName"]
	}
	if name == "" {
		base := path.Base(file)
		name = strings.TrimSuffix(base, path.Ext(base))
	}
	if strings.Contains(name, "$(") {
		return ""
	}
	return checkName("nuget", name)
}

// pubspecName is pubspec.yaml's `name`.
func pubspecName(b []byte) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	var doc struct {
		Name string `yaml:"name"`
	}
	if yaml.Unmarshal(b, &doc) != nil {
		return ""
	}
	return checkName("pubdev", doc.Name)
}
