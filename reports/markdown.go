package reports

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/model"
)

// The Markdown report is what a person reads in a GitHub issue or
// pull-request comment: a summary that never hides an incomplete scan, the
// risk-ranked table, then the findings grouped by what fixes them (one stored
// secret, one committed token, one file), each with its patch and the steps
// outside the repository as a task list.
//
// Everything that comes from scanned files (paths, job ids, step names,
// messages that quote them) goes through mdText, mdCode or htmlText, so a
// hostile workflow cannot inject Markdown, HTML, mentions or references into
// the comment. The writer reads nothing but the Report (never a scanned
// file): the engine has already replaced every token value by its
// fingerprint, and the writer scrubs each string again before escaping it.

// GitHubMaxChars is the longest issue body or comment GitHub accepts, in
// characters. Callers that post the report should set MaxChars to it.
const GitHubMaxChars = 65536

// visibleRows is how many table rows show before the rest is collapsed: the
// top of the ranking is what a reader acts on.
const visibleRows = 20

// collapseAfter is the length of a coverage list beyond which it is folded
// into a <details> section.
const collapseAfter = 10

// MarkdownOptions shape the Markdown report.
type MarkdownOptions struct {
	// ShowSuppressed lists suppressed findings too, in a collapsed section
	// with their reasons.
	ShowSuppressed bool
	// MaxChars caps the report's length in characters, counted in runes as
	// GitHub counts them; 0 means no limit. GitHub refuses issue bodies and
	// comments longer than GitHubMaxChars, so a caller that posts the report
	// should pass that. Over the cap, detail is dropped from the end: first
	// the suppressed findings listed, then the collapsed table rows, the
	// lowest-risk fix groups down to the top one, coverage entries, that
	// last group and the visible rows; the report says how many findings it
	// left out and points to --format json, and it stays valid Markdown (no
	// unclosed <details> or fences). The incomplete-scan warning is never
	// dropped.
	MaxChars int
}

// WriteMarkdown writes the report for an issue or pull-request comment.
func WriteMarkdown(w io.Writer, r *Report, opts MarkdownOptions) error {
	if r == nil {
		return errors.New("markdown report: no report to write")
	}
	if opts.MaxChars < 0 {
		return fmt.Errorf("markdown report: MaxChars is %d; it must be 0 (no limit) or more", opts.MaxChars)
	}
	m := newMarkdown(r, opts)
	if _, err := io.WriteString(w, m.fit(opts.MaxChars)); err != nil {
		return fmt.Errorf("writing the Markdown report: %w", err)
	}
	return nil
}

// markdown holds the report's parts, rendered once; fit assembles them
// under a plan of how much of each to show.
type markdown struct {
	r    *Report
	opts MarkdownOptions

	active     []*rules.Finding // unsuppressed, in report (risk) order
	suppressed []*rules.Finding
	patched    int

	rows    []string // one table row per active finding
	supRows []string
	groups  []renderedGroup

	errLines, partLines, skipLines, expiredLines []string
}

type renderedGroup struct {
	text     string
	findings int
}

// plan says how much of each part to show. Every field counts entries from
// the top, so what is dropped is always the tail: the lowest risk.
type plan struct {
	suppressed int // suppressed findings listed
	groups     int // fix groups shown in full
	hidden     int // table rows in the collapsed part
	coverage   int // entries per coverage list
	visible    int // table rows shown before the collapsed part
}

func newMarkdown(r *Report, opts MarkdownOptions) *markdown {
	m := &markdown{r: r, opts: opts}
	for _, f := range r.Findings {
		if f == nil {
			continue
		}
		if f.Suppressed {
			m.suppressed = append(m.suppressed, f)
			continue
		}
		m.active = append(m.active, f)
		if f.Patch != "" {
			m.patched++
		}
	}
	for _, f := range m.active {
		m.rows = append(m.rows, findingRow(f))
	}
	if opts.ShowSuppressed {
		for _, f := range m.suppressed {
			m.supRows = append(m.supRows, suppressedRow(f))
		}
	}
	shown := map[string]string{}
	for _, g := range groupFindings(m.active) {
		m.groups = append(m.groups, renderedGroup{text: renderGroup(g, shown), findings: len(g.findings)})
	}
	m.coverageLines()
	return m
}

func (m *markdown) full() plan {
	vis := min(len(m.rows), visibleRows)
	return plan{suppressed: len(m.supRows), groups: len(m.groups), hidden: len(m.rows) - vis,
		coverage: max(len(m.errLines), len(m.partLines), len(m.skipLines), len(m.expiredLines)), visible: vis}
}

// fit renders the report within limit runes (0: no limit). Each part is
// cut in turn, to the largest size that fits with the parts after it still
// whole: suppressed findings, the collapsed table rows (a listing JSON has
// too), the fix groups down to the top one (what a reader acts on: the
// most useful detail there is), the coverage entries, that last group, and
// the visible rows.
func (m *markdown) fit(limit int) string {
	p := m.full()
	doc := m.render(p, p)
	if limit == 0 || utf8.RuneCountInString(doc) <= limit {
		return doc
	}
	full := p
	fits := func() bool { return utf8.RuneCountInString(m.render(p, full)) <= limit }
	for _, cut := range []struct {
		size  *int
		floor int
	}{{&p.suppressed, 0}, {&p.hidden, 0}, {&p.groups, min(1, p.groups)}, {&p.coverage, 0}, {&p.groups, 0}, {&p.visible, 0}} {
		most := *cut.size
		*cut.size = cut.floor
		if !fits() {
			continue
		}
		// Longer is larger (one more entry outweighs the digits it saves in
		// the notes), so the largest size that fits is found by bisection.
		lo, hi := cut.floor, most
		for lo < hi {
			mid := (lo + hi + 1) / 2
			*cut.size = mid
			if fits() {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		*cut.size = lo
		return m.render(p, full)
	}
	return m.minimal(limit)
}

// minimal is the last resort when not even the headings fit: plain text,
// which no cut can leave unbalanced.
func (m *markdown) minimal(limit int) string {
	s := m.r.Summary
	line := fmt.Sprintf("tpscan: %d findings (%d critical, %d high). The report does not fit in %s characters: run tpscan with --format json to see them.",
		len(m.active), s.BySeverity["critical"], s.BySeverity["high"], thousands(limit))
	if m.incomplete() {
		line += " The scan was incomplete."
	}
	rs := []rune(line)
	if len(rs) > limit-1 {
		rs = rs[:max(limit-1, 0)]
		if i := strings.LastIndexByte(string(rs), ' '); i > 0 {
			rs = []rune(strings.TrimRight(string(rs)[:i], " "))
		}
	}
	return string(rs) + "\n"
}

// render assembles the report under plan p; full is the untruncated plan,
// so that the notes can count what p leaves out.
func (m *markdown) render(p, full plan) string {
	var b strings.Builder
	m.writeHeader(&b, p, full)
	m.writeTable(&b, p)
	m.writeGroups(&b, p)
	m.writeCoverage(&b, p)
	m.writeSuppressed(&b, p)
	fmt.Fprintf(&b, "<sub>Generated by tpscan %s. `--format json` has every field of every finding.</sub>\n", mdText(m.r.Tool.Version))
	return tidy(b.String())
}

func (m *markdown) title() string {
	if m.r.Target != "" {
		return "tpscan report: " + mdText(m.r.Target)
	}
	return "tpscan report"
}

// incomplete says whether anything was not read: then no report of it may
// read as a clean bill of health.
func (m *markdown) incomplete() bool {
	c := m.r.Coverage
	return len(m.r.Errors) > 0 || m.r.Summary.Errors > 0 ||
		c != nil && (len(c.PartlyRead) > 0 || len(c.Skipped) > 0 || c.API != nil && len(c.API.Refused) > 0)
}

func (m *markdown) writeHeader(b *strings.Builder, p, full plan) {
	r, s := m.r, m.r.Summary
	fmt.Fprintf(b, "# %s\n\n", m.title())
	if len(m.active) == 0 {
		fmt.Fprintf(b, "**No findings** in %s.\n\n", scannedText(s))
	} else {
		fmt.Fprintf(b, "- **Findings:** %d (%d critical, %d high, %d medium, %d low)\n", len(m.active),
			s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"])
		fmt.Fprintf(b, "- **Automatic patch:** for %d of the %d (`tpscan fix` writes them)\n", m.patched, len(m.active))
		fmt.Fprintf(b, "- **Scanned:** %s\n", scannedText(s))
		if n := len(m.suppressed); n > 0 && !m.opts.ShowSuppressed {
			fmt.Fprintf(b, "- **Suppressed:** %d, not listed (`--show-suppressed` lists them)\n\n", n)
		} else {
			fmt.Fprintf(b, "- **Suppressed:** %d\n\n", len(m.suppressed))
		}
	}
	if m.incomplete() {
		var parts []string
		if n := max(len(r.Errors), s.Errors); n > 0 {
			parts = append(parts, count(n, "file or item could not be fully read", "files or items could not be fully read"))
		}
		if c := r.Coverage; c != nil {
			if n := len(c.PartlyRead); n > 0 {
				parts = append(parts, count(n, "repository was only partly read", "repositories were only partly read"))
			}
			if n := len(c.Skipped); n > 0 {
				parts = append(parts, count(n, "repository was skipped", "repositories were skipped"))
			}
			if c.API != nil && len(c.API.Refused) > 0 {
				parts = append(parts, count(len(c.API.Refused), "kind of data was refused to the credential", "kinds of data were refused to the credential"))
			}
		}
		clean := "this report is not a clean bill of health"
		if len(m.active) == 0 {
			clean = "no findings here does not mean there are none"
		}
		fmt.Fprintf(b, "> [!WARNING]\n> **Incomplete scan:** %s. Findings may be missing for what was not read: %s. The coverage section below lists it.\n\n",
			joinAnd(parts), clean)
	}
	if p == full {
		return
	}
	var left []string
	details := 0
	for _, g := range m.groups[p.groups:] {
		details += g.findings
	}
	if details > 0 {
		s := fmt.Sprintf("the details of the %d lowest-risk of the %d findings", details, len(m.active))
		if details == len(m.active) {
			s = fmt.Sprintf("the details of all %d findings", details)
		}
		if t := len(m.rows) - p.visible - p.hidden; t > 0 {
			s += fmt.Sprintf(", %d of them from the table too", t)
		}
		left = append(left, s)
	}
	if n := full.suppressed - p.suppressed; n > 0 {
		left = append(left, count(n, "suppressed finding", "suppressed findings"))
	}
	if p.coverage < full.coverage {
		left = append(left, "some coverage entries")
	}
	if len(left) == 0 {
		left = append(left, "some detail")
	}
	fmt.Fprintf(b, "> [!NOTE]\n> This report is shortened to fit in %s characters. Left out: %s. Run tpscan with `--format json` to see all of them.\n\n",
		thousands(m.opts.MaxChars), joinAnd(left))
}

const tableHead = "| Score | Severity | Rule | Registry | Secret | Where | Patch |\n|---:|---|---|---|---|---|---|\n"

func (m *markdown) writeTable(b *strings.Builder, p plan) {
	// With no row left, the note at the top says what is missing.
	if p.visible == 0 {
		return
	}
	b.WriteString("## Findings\n\n" + tableHead)
	for _, row := range m.rows[:p.visible] {
		b.WriteString(row)
	}
	b.WriteString("\n")
	if p.hidden > 0 {
		rest := m.active[p.visible : p.visible+p.hidden]
		scores := fmt.Sprintf("scores %d to %d", rest[len(rest)-1].Score, rest[0].Score)
		if rest[0].Score == rest[len(rest)-1].Score {
			scores = fmt.Sprintf("score %d", rest[0].Score)
		}
		fmt.Fprintf(b, "<details>\n<summary>%s (%s)</summary>\n\n", count(len(rest), "more finding", "more findings"), scores)
		b.WriteString(tableHead)
		for _, row := range m.rows[p.visible : p.visible+p.hidden] {
			b.WriteString(row)
		}
		b.WriteString("\n</details>\n\n")
	}
	if n := len(m.rows) - p.visible - p.hidden; n > 0 {
		fmt.Fprintf(b, "*%s left out of this table: see the note at the top.*\n\n", count(n, "finding is", "findings are"))
	}
}

func findingRow(f *rules.Finding) string {
	what := f.Secret
	if f.Token != "" {
		what = f.Token
	}
	patch := "no"
	if f.Patch != "" {
		patch = "yes"
	}
	return "| " + strings.Join([]string{
		strconv.Itoa(f.Score), mdText(f.Severity), mdText(f.Rule + " " + f.RuleName), mdText(registryLabel(f.Registry)),
		cellCode(what), where(f, true), patch,
	}, " | ") + " |\n"
}

func suppressedRow(f *rules.Finding) string {
	what := f.Secret
	if f.Token != "" {
		what = f.Token
	}
	return "| " + strings.Join([]string{
		strconv.Itoa(f.Score), mdText(f.Rule + " " + f.RuleName), cellCode(what), where(f, true), mdText(f.SuppressionReason),
	}, " | ") + " |\n"
}

// where locates a finding: the repository and file:line, the repository
// alone for its settings, or the organisation.
func where(f *rules.Finding, cell bool) string {
	code := mdCode
	if cell {
		code = cellCode
	}
	var parts []string
	if f.Repo != "" {
		parts = append(parts, mdText(f.Repo))
	}
	if f.Path != "" {
		loc := f.Path
		if f.Line > 0 {
			loc += ":" + strconv.Itoa(f.Line)
		}
		parts = append(parts, code(loc))
	}
	if len(parts) == 0 {
		return "organisation"
	}
	return strings.Join(parts, " ")
}

func (m *markdown) writeGroups(b *strings.Builder, p plan) {
	if p.groups == 0 {
		return
	}
	b.WriteString("## What to fix\n\nThe findings grouped by what fixes them, highest risk first: one stored secret, one committed token or one file.\n\n")
	for _, g := range m.groups[:p.groups] {
		b.WriteString(g.text)
	}
	if n := len(m.groups) - p.groups; n > 0 {
		left := 0
		for _, g := range m.groups[p.groups:] {
			left += g.findings
		}
		fmt.Fprintf(b, "*The details of %s (%s) are left out: run tpscan with `--format json` to see them.*\n\n",
			count(left, "more finding", "more findings"), count(n, "group", "groups"))
	}
}

// group is findings that one change fixes.
type group struct {
	key      string
	title    string
	intro    string
	first    int
	findings []*rules.Finding
}

// Stored-secret scopes.
const (
	scopeUnknown = ""
	scopeOrg     = string(model.ScopeOrganization)
	scopeRepo    = string(model.ScopeRepository)
	scopeEnv     = string(model.ScopeEnvironment)
)

// storedScope says where the secret or variable a finding is about is
// stored. Findings about a stored value say so (SecretScope); for a
// pipeline's use of one, the factor that scored its storage tells, when
// the scan had a secrets inventory.
func storedScope(f *rules.Finding) string {
	if f.SecretScope != "" {
		return f.SecretScope
	}
	for _, fa := range f.Factors {
		switch {
		case strings.HasPrefix(fa.Name, "org-secret-"), fa.Name == "org-variable":
			return scopeOrg
		case fa.Name == "repository-secret":
			return scopeRepo
		case fa.Name == "unprotected-environment", fa.Name == "protected-environment", fa.Name == "ungated-environment":
			return scopeEnv
		}
	}
	return scopeUnknown
}

// kindWord names what a stored value is, for headings.
func kindWord(kind string) string {
	switch kind {
	case "variable", "indirect-variable":
		return "variable"
	case "ci-variable":
		return "CI/CD variable"
	}
	return "secret"
}

// groupFindings groups findings by what fixes them: a committed token by its
// fingerprint (revoking it fixes every place), a stored secret by where it
// lives (deleting or moving it fixes every use), anything else by its file.
// Groups come highest score first, as their first finding does.
func groupFindings(fs []*rules.Finding) []*group {
	byKey := map[string]*group{}
	// stored indexes the repository and environment groups by repository,
	// kind and name, for the findings that know less of where their secret
	// lives.
	stored := map[string][]string{}
	add := func(key string, i int, f *rules.Finding) {
		g := byKey[key]
		if g == nil {
			g = &group{key: key, first: i}
			byKey[key] = g
		}
		g.first = min(g.first, i)
		g.findings = append(g.findings, f)
	}
	// A finding that does not know its secret's scope, or its environment,
	// joins a group of the same repository and name that does, once all
	// those are known.
	var vague []int
	for i, f := range fs {
		switch {
		case f.Token != "":
			add("token\x00"+f.Token, i, f)
		case f.Secret != "" && f.Secret != "*":
			k := secretOf(f)
			if k.scope == scopeUnknown || k.scope == scopeEnv && k.env == "" {
				vague = append(vague, i)
				continue
			}
			key := k.String()
			if byKey[key] == nil && k.scope != scopeOrg {
				stored[k.place()] = append(stored[k.place()], key)
			}
			add(key, i, f)
		default:
			add("file\x00"+f.Repo+"\x00"+f.Path, i, f)
		}
	}
	for _, i := range vague {
		k := secretOf(fs[i])
		key := k.String()
		for _, known := range stored[k.place()] {
			if k.scope == scopeUnknown || strings.HasPrefix(known, secretKey{scope: scopeEnv}.prefix()) {
				key = known
				break
			}
		}
		add(key, i, fs[i])
	}
	pos := make(map[*rules.Finding]int, len(fs))
	for i, f := range fs {
		pos[f] = i
	}
	order := make([]*group, 0, len(byKey))
	for _, g := range byKey {
		// A joining finding may rank above the group's others.
		sort.SliceStable(g.findings, func(i, k int) bool { return pos[g.findings[i]] < pos[g.findings[k]] })
		g.title, g.intro = groupTitle(g)
		order = append(order, g)
	}
	sort.Slice(order, func(i, k int) bool { return order[i].first < order[k].first })
	return order
}

// secretKey identifies one stored secret or variable.
type secretKey struct {
	scope, repo, kind, name, env string
}

func secretOf(f *rules.Finding) secretKey {
	k := secretKey{scope: storedScope(f), repo: f.Repo, kind: kindWord(f.SecretKind), name: f.Secret, env: f.Environment}
	if k.scope == scopeOrg {
		k.repo, k.env = "", ""
	} else if k.repo == "" {
		// A file scanned on its own is its own unit: the same secret name
		// in two unrelated files is two secrets, perhaps of two projects.
		k.repo = f.Path
	}
	return k
}

func (k secretKey) prefix() string { return "secret\x00" + k.scope + "\x00" }

func (k secretKey) place() string { return k.repo + "\x00" + k.kind + "\x00" + k.name }

func (k secretKey) String() string { return k.prefix() + k.place() + "\x00" + k.env }

func groupTitle(g *group) (title, intro string) {
	f := g.findings[0]
	switch {
	case strings.HasPrefix(g.key, "token\x00"):
		return tokenTitle(g), ""
	case strings.HasPrefix(g.key, "secret\x00"):
		k := secretOf(f)
		for _, x := range g.findings {
			if k.env == "" {
				k.env = x.Environment
			}
			if k.scope == scopeUnknown {
				k.scope = storedScope(x)
			}
		}
		name := mdCode(f.Secret)
		of := ""
		if f.Repo != "" {
			of = " of " + mdText(f.Repo)
		} else if f.Path != "" && k.scope != scopeOrg {
			of = " in " + mdCode(f.Path)
		}
		switch k.scope {
		case scopeOrg:
			users := usedBy(g)
			title = "Organisation " + k.kind + " " + name
			if len(users) > 0 {
				title += ": used by " + count(len(users), "repository", "repositories")
				intro = "Used by " + listText(users, 10) + "."
			}
			return title, intro
		case scopeRepo:
			if k.kind == "CI/CD variable" {
				return "CI/CD variable " + name + of, ""
			}
			return "Repository " + k.kind + " " + name + of, ""
		case scopeEnv:
			title = "Environment " + k.kind + " " + name + of
			if k.env != "" {
				title += ", environment " + mdCode(k.env)
			}
			return title, ""
		}
		return upperFirst(k.kind) + " " + name + of, ""
	}
	switch {
	case f.Path != "" && f.Repo != "":
		return mdCode(f.Path) + " in " + mdText(f.Repo), ""
	case f.Path != "":
		return mdCode(f.Path), ""
	case f.Repo != "":
		return "Repository " + mdText(f.Repo), ""
	}
	return "Organisation settings", ""
}

// tokenTitle says where a committed token is: one file, one variable, or
// how many places.
func tokenTitle(g *group) string {
	f := g.findings[0]
	places := map[string]bool{}
	for _, x := range g.findings {
		if x.Path != "" {
			places["file\x00"+x.Repo+"\x00"+x.Path] = true
		} else {
			places["var\x00"+x.Repo+"\x00"+x.Secret] = true
		}
	}
	t := "Token " + mdCode(f.Token)
	switch {
	case len(places) > 1:
		return t + " found in " + strconv.Itoa(len(places)) + " places"
	case f.Path != "":
		if f.Repo != "" {
			return t + " committed in " + mdText(f.Repo) + " " + mdCode(f.Path)
		}
		return t + " committed in " + mdCode(f.Path)
	case f.Secret != "" && storedScope(f) == scopeOrg:
		return t + " in organisation " + kindWord(f.SecretKind) + " " + mdCode(f.Secret)
	case f.Secret != "":
		return t + " in " + kindWord(f.SecretKind) + " " + mdCode(f.Secret) + " of " + mdText(f.Repo)
	}
	return t
}

// usedBy lists the repositories whose pipelines use an organisation secret:
// those the findings name and those that use it.
func usedBy(g *group) []string {
	set := map[string]bool{}
	for _, f := range g.findings {
		if f.Repo != "" {
			set[f.Repo] = true
		}
		for _, u := range f.UsedBy {
			set[u] = true
		}
	}
	return sortedKeys(set)
}

// renderGroup writes one group; shown remembers the patches already printed
// (by repository and text), so that a file's patch, which covers all its
// findings, is printed once and referred to after. Groups render in order
// and are only ever dropped from the end, so a reference always points up.
func renderGroup(g *group, shown map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", g.title)
	if g.intro != "" {
		b.WriteString(g.intro + "\n\n")
	}
	steps := map[string]bool{}
	for _, f := range g.findings {
		renderFinding(&b, f, shown, steps)
	}
	return b.String()
}

func renderFinding(b *strings.Builder, f *rules.Finding, shown map[string]string, steps map[string]bool) {
	fmt.Fprintf(b, "#### %s (score %d, %s)\n\n", mdText(f.Rule+" "+f.RuleName), f.Score, mdText(f.Severity))
	loc := "**Where:** " + where(f, false)
	if f.Job != "" {
		loc += ", job " + mdCode(f.Job)
	}
	if f.Step != "" {
		loc += ", step " + mdCode(f.Step)
	}
	b.WriteString(loc + "\n\n")
	if msg := mdText(f.Message); msg != "" {
		b.WriteString(msg + "\n\n")
	}
	if len(f.Via) > 0 {
		via := make([]string, len(f.Via))
		for i, v := range f.Via {
			via[i] = mdText(v)
		}
		b.WriteString("**Via:** " + strings.Join(via, "; ") + "\n\n")
	}
	if f.Confidence == "low" {
		b.WriteString("**Confidence:** low (inferred from names)\n\n")
	}
	if len(f.Factors) > 0 {
		sum := 0
		for _, fa := range f.Factors {
			sum += fa.Points
		}
		if sum != f.Score {
			fmt.Fprintf(b, "Why it scores %d (the factors add up to %d; scores run from 0 to 100):\n\n", f.Score, sum)
		} else {
			fmt.Fprintf(b, "Why it scores %d:\n\n", f.Score)
		}
		for _, fa := range f.Factors {
			fmt.Fprintf(b, "- **%+d** %s: %s\n", fa.Points, mdText(fa.Name), mdText(fa.Reason))
		}
		b.WriteString("\n")
	}
	if f.Blocked != "" {
		b.WriteString("**Blocked:** " + mdText(f.Blocked) + "\n\n")
	}
	if f.Fix != "" {
		b.WriteString("**Fix:** " + mdText(f.Fix) + "\n\n")
	}
	switch {
	case f.Patch != "":
		key := f.Repo + "\x00" + f.Patch
		if at, ok := shown[key]; ok {
			b.WriteString("**Patch:** the one shown above for " + at + ", which fixes this finding too.\n\n")
		} else {
			shown[key] = mdText(f.Rule) + " at " + where(f, false)
			writePatch(b, f.Patch)
		}
		if len(f.PatchNotes) > 0 {
			b.WriteString("Before merging the patch:\n\n")
			for _, n := range f.PatchNotes {
				b.WriteString("- " + mdText(n) + "\n")
			}
			b.WriteString("\n")
		}
	case f.NoPatch != nil:
		s := "**No automatic patch** (" + mdCode(f.NoPatch.Reason) + ")"
		if d := mdText(f.NoPatch.Detail); d != "" {
			s += ": " + d
		}
		b.WriteString(s + "\n\n")
	}
	var todo []string
	for _, s := range f.ManualSteps {
		if t := mdText(s); t != "" && !steps[t] {
			steps[t] = true
			todo = append(todo, t)
		}
	}
	switch {
	case len(todo) > 0:
		b.WriteString("**Steps outside the repository:**\n\n")
		for _, t := range todo {
			b.WriteString("- [ ] " + t + "\n")
		}
		b.WriteString("\n")
	case len(f.ManualSteps) > 0:
		b.WriteString("**Steps outside the repository:** those above.\n\n")
	}
}

// writePatch prints a unified diff, collapsed, in a fence longer than any
// run of backticks in it so that no line of the diff can close it.
func writePatch(b *strings.Builder, patch string) {
	patch = strings.TrimRight(strings.ReplaceAll(scrub(patch), "\r\n", "\n"), "\n")
	lines := strings.Split(patch, "\n")
	file, added, removed := "", 0, 0
	for i, l := range lines {
		// Markdown must carry no trailing whitespace; git apply and patch
		// take an empty line for the blank context line " ", which is
		// what this mostly trims.
		l = strings.Map(func(r rune) rune {
			if r != '\t' && unicode.IsControl(r) {
				return unicode.ReplacementChar
			}
			return r
		}, strings.TrimRight(l, " \t\r"))
		lines[i] = l
		switch {
		case strings.HasPrefix(l, "+++ "):
			if file == "" {
				file = strings.TrimPrefix(strings.TrimPrefix(l, "+++ "), "b/")
			}
		case strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	body := strings.Join(lines, "\n")
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	what := "Patch"
	if file != "" {
		what += " for <code>" + htmlText(file) + "</code>"
	}
	fmt.Fprintf(b, "<details>\n<summary>%s: %s, %s</summary>\n\n%sdiff\n%s\n%s\n\n</details>\n\n", what,
		count(added, "line added", "lines added"), count(removed, "removed", "removed"), fence, body, fence)
}

// coverageLines renders every coverage entry once; writeCoverage shows as
// many as the plan allows.
func (m *markdown) coverageLines() {
	for _, e := range m.r.Errors {
		loc := e.Path
		if e.Line > 0 {
			loc += ":" + strconv.Itoa(e.Line)
			if e.Column > 0 {
				loc += ":" + strconv.Itoa(e.Column)
			}
		}
		var parts []string
		if e.Repo != "" {
			parts = append(parts, mdText(e.Repo))
		}
		if loc != "" {
			parts = append(parts, mdCode(loc))
		}
		head := strings.Join(parts, " ")
		if head == "" {
			head = "(no file)"
		}
		m.errLines = append(m.errLines, fmt.Sprintf("%s (%s): %s", head, mdCode(e.Kind), mdText(e.Message)))
	}
	c := m.r.Coverage
	if c != nil {
		for _, p := range c.PartlyRead {
			m.partLines = append(m.partLines, fmt.Sprintf("%s: %s not read", mdText(p.Repo), count(len(p.Missing), "item", "items")))
		}
		byReason := map[string][]string{}
		for _, s := range c.Skipped {
			byReason[s.Reason] = append(byReason[s.Reason], s.Repo)
		}
		for _, k := range sortedKeys(byReason) {
			repos := byReason[k]
			sort.Strings(repos)
			m.skipLines = append(m.skipLines, fmt.Sprintf("%s (%d): %s", mdText(k), len(repos), listText(repos, 10)))
		}
	}
	for _, e := range m.r.ExpiredSuppressions {
		loc := e.Path
		if e.Line > 0 {
			loc += ":" + strconv.Itoa(e.Line)
		}
		m.expiredLines = append(m.expiredLines, fmt.Sprintf("%s: %s (the reason was: %s)", mdCode(loc), mdText(e.Message), mdText(e.Reason)))
	}
}

// scannedText says what was scanned: repositories (when any), files and
// pipelines.
func scannedText(s Summary) string {
	what := count(s.Files, "file", "files") + ", " + count(s.Pipelines, "pipeline", "pipelines")
	if s.Repositories == 0 {
		return what
	}
	return count(s.Repositories, "repository", "repositories") + " (" + what + ")"
}

func (m *markdown) writeCoverage(b *strings.Builder, p plan) {
	b.WriteString("## Coverage\n\n")
	c := m.r.Coverage
	switch {
	case c == nil:
		b.WriteString("This scan recorded no coverage figures.\n\n")
	case len(c.PartlyRead) == 0 && len(c.Skipped) == 0 && len(m.r.Errors) == 0 && c.Repositories == 0:
		// Files named on their own: no repository to count.
		fmt.Fprintf(b, "Every file was fully read (%s).\n\n", count(m.r.Summary.Files, "file", "files"))
	case len(c.PartlyRead) == 0 && len(c.Skipped) == 0 && len(m.r.Errors) == 0:
		fmt.Fprintf(b, "All %s fully read; none skipped.\n\n", count(c.Repositories, "repository was", "repositories were"))
	default:
		fmt.Fprintf(b, "%s scanned: %d fully read, %d partly read", count(c.Repositories, "repository", "repositories"), c.FullyRead, len(c.PartlyRead))
		if len(c.Skipped) > 0 {
			fmt.Fprintf(b, "; %d more skipped", len(c.Skipped))
		}
		b.WriteString(".\n\n")
	}
	writeList(b, "Not fully read", m.errLines, p.coverage)
	writeList(b, "Partly read repositories", m.partLines, p.coverage)
	writeList(b, "Skipped repositories", m.skipLines, p.coverage)
	writeList(b, "Expired suppressions", m.expiredLines, p.coverage)
	if c != nil && c.API != nil {
		writeAPI(b, c.API)
	}
}

// writeList writes a titled list of at most limit entries, folded away when
// long.
func writeList(b *strings.Builder, title string, lines []string, limit int) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s (%d):**\n\n", title, len(lines))
	folded := len(lines) > collapseAfter && limit > 0
	if folded {
		fmt.Fprintf(b, "<details>\n<summary>%d entries</summary>\n\n", len(lines))
	}
	for _, l := range lines[:min(limit, len(lines))] {
		b.WriteString("- " + l + "\n")
	}
	switch n := len(lines) - limit; {
	case n > 0 && limit == 0:
		fmt.Fprintf(b, "- all left out to fit (`--format json` lists them)\n")
	case n > 0:
		fmt.Fprintf(b, "- and %d more (`--format json` lists them)\n", n)
	}
	b.WriteString("\n")
	if folded {
		b.WriteString("</details>\n\n")
	}
}

func writeAPI(b *strings.Builder, a *APIUsage) {
	id := a.Identity
	who := mdText(id.Login)
	if who == "" {
		who = "(no login)"
	}
	cred := fmt.Sprintf("**Credential:** %s, %s token from %s (fingerprint %s)", who, mdText(id.Kind), mdText(id.Source), mdCode(id.Fingerprint))
	if len(id.Scopes) > 0 {
		sc := make([]string, len(id.Scopes))
		for i, s := range id.Scopes {
			sc[i] = mdCode(s)
		}
		cred += ", scopes " + strings.Join(sc, ", ")
	}
	b.WriteString(cred + "\n\n")
	if id.Note != "" {
		b.WriteString(mdText(id.Note) + "\n\n")
	}
	if !a.OrgAdmin {
		b.WriteString("Organisation secrets were read per repository (no organisation-admin rights): their visibility is unknown.\n\n")
	}
	for _, k := range sortedKeys(a.Refused) {
		fmt.Fprintf(b, "- Refused: %s (needs %s)\n", mdText(k), mdText(a.Refused[k]))
	}
	if len(a.Refused) > 0 {
		b.WriteString("\n")
	}
	line := fmt.Sprintf("**API:** %d requests to %s (%d answered 304 from cache, not charged), %.2f charged per repository",
		a.Total, mdText(a.Host), a.TotalNotModified, a.PerRepository)
	if a.RateLimited > 0 {
		line += fmt.Sprintf(", rate-limited %s", count(a.RateLimited, "time", "times"))
	}
	var kinds []string
	for _, k := range sortedKeys(a.Requests) {
		kinds = append(kinds, fmt.Sprintf("%s %d", mdText(k), a.Requests[k]))
	}
	if len(kinds) > 0 {
		line += "; by kind: " + strings.Join(kinds, ", ")
	}
	for _, k := range sortedKeys(a.Budgets) {
		bu := a.Budgets[k]
		line += fmt.Sprintf("; rate limit %s: %d of %d left", mdText(k), bu.Remaining, bu.Limit)
	}
	b.WriteString(line + ".\n\n")
}

func (m *markdown) writeSuppressed(b *strings.Builder, p plan) {
	// With no row left, the note at the top says what is missing.
	if !m.opts.ShowSuppressed || p.suppressed == 0 {
		return
	}
	fmt.Fprintf(b, "## Suppressed\n\n<details>\n<summary>%s, with the reasons given in .tpscan.yml</summary>\n\n",
		count(len(m.supRows), "suppressed finding", "suppressed findings"))
	b.WriteString("| Score | Rule | Secret | Where | Reason |\n|---:|---|---|---|---|\n")
	for _, row := range m.supRows[:p.suppressed] {
		b.WriteString(row)
	}
	b.WriteString("\n")
	if n := len(m.supRows) - p.suppressed; n > 0 {
		fmt.Fprintf(b, "*%s left out: see the note at the top.*\n\n", count(n, "suppressed finding", "suppressed findings"))
	}
	b.WriteString("</details>\n\n")
}

// tidy strips trailing whitespace from every line and ends the text with
// exactly one newline.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}
