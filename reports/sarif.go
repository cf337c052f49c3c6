package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// SARIF 2.1.0 for GitHub code scanning (README, "SARIF output"). What code
// scanning needs, and why each choice was made:
//
//   - One run per file, with every rule in tool.driver.rules even when it
//     found nothing: code scanning closes an alert when a later analysis of
//     the same tool and category lacks it, so a clean run must still be a
//     run with its rules.
//   - automationDetails.id is the category ("tpscan/org/"), the same on
//     every run: a different category leaves the old alerts open forever.
//   - partialFingerprints.primaryLocationLineHash is tpscan's own
//     fingerprint, built from what a finding is about (rule, repository,
//     file, job, step, secret), never from line numbers or the text around
//     it, so unrelated edits do not reopen alerts. The REST upload computes
//     no fingerprint of its own.
//   - security-severity is per rule; the finding's own 0–100 score shows in
//     its level and at the start of its message.
//   - Findings with no file (a stored secret, an organisation setting) are
//     located at a path mirroring the settings page that holds them.

// SARIFCategoryLocal and SARIFCategoryGitHub are the default categories:
// an audit over the API sees secrets a checkout scan cannot, so the two are
// separate analyses of a repository; `tpscan org` and `tpscan repo` share
// one, so either replaces the other's alerts.
const (
	SARIFCategoryLocal  = "tpscan/local/"
	SARIFCategoryGitHub = "tpscan/org/"
)

// srcRoot is the uriBaseId of a repository's root in a run over one
// repository with known provenance.
const srcRoot = "%SRCROOT%"

// helpURI documents every rule (README, "Rules").
const helpURI = "https://github.com/tpscan/tpscan/blob/main/README.md#rules"

// SARIFOptions shape the SARIF output.
type SARIFOptions struct {
	// Category is the run's automationDetails.id; it must end in "/".
	// Empty means SARIFCategoryLocal.
	Category string
	// WebURL is the forge's web root ("https://github.com/"); with it, a
	// run over one repository whose commit is known gets
	// versionControlProvenance. Empty for local scans.
	WebURL string
}

// Properties tpscan sets on a run, for tools that handle its files
// (upload-sarif reads them to refuse partial runs).
const (
	PropRepository = "tpscan/repository"
	PropPartial    = "tpscan/partial"
	PropMissing    = "tpscan/missing"
	PropSuppressed = "tpscan/suppressed"
	PropDropped    = "tpscan/dropped"
)

// MaxSARIFResults is code scanning's limit on results per run: a run with
// more is rejected whole.
const MaxSARIFResults = 25000

// WriteSARIF writes the report as one SARIF 2.1.0 run.
func WriteSARIF(w io.Writer, r *Report, opts SARIFOptions) error {
	log, err := sarifLog(r, r.Findings, r.Repositories, r.Errors, opts)
	if err != nil {
		return err
	}
	return writeSARIF(w, log)
}

func writeSARIF(w io.Writer, log *sarif.Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("encoding SARIF: %w", err)
	}
	_, err := w.Write(redactTokens(buf.Bytes()))
	return err
}

// RepositorySARIF is one repository's SARIF file, for code scanning, which
// takes one upload per repository and commit.
type RepositorySARIF struct {
	Repo string
	// Path is where it goes under the output directory: OWNER/NAME.sarif.
	Path    string
	Data    []byte
	Results int
	// Partial is true when the repository was not fully read; such a file
	// must not be uploaded, since alerts missing from it would be closed.
	Partial bool
	// Commit is the commit that was read; empty when unknown, and then the
	// file cannot be uploaded.
	Commit string
	// OrgFindings is true for the file that carries the organisation-level
	// findings.
	OrgFindings bool
}

// SARIFPerRepository splits an organisation report into one file per
// repository. Organisation-level findings (no repository) go to orgRepo
// (the organisation's ".github" repository by convention); when that
// repository was not scanned its file is still written, without a commit.
func SARIFPerRepository(r *Report, opts SARIFOptions, orgRepo string) ([]RepositorySARIF, error) {
	byRepo := map[string][]*rules.Finding{}
	for _, f := range r.Findings {
		repo := f.Repo
		if repo == "" {
			repo = orgRepo
		}
		byRepo[repo] = append(byRepo[repo], f)
	}
	gaps := map[string][]int{}
	for i, e := range r.Errors {
		gaps[e.Repo] = append(gaps[e.Repo], i)
	}
	repos := append([]Repository(nil), r.Repositories...)
	known := map[string]bool{}
	for _, repo := range repos {
		known[repo.Name] = true
	}
	if len(byRepo[orgRepo]) > 0 && !known[orgRepo] {
		repos = append(repos, Repository{Name: orgRepo})
	}
	var out []RepositorySARIF
	for _, repo := range repos {
		var errs = r.Errors[:0:0]
		for _, i := range gaps[repo.Name] {
			errs = append(errs, r.Errors[i])
		}
		if repo.Name == orgRepo {
			// Gaps of no repository (an organisation listing refused) make
			// the organisation-level findings partial.
			for _, i := range gaps[""] {
				errs = append(errs, r.Errors[i])
			}
		}
		log, err := sarifLog(r, byRepo[repo.Name], []Repository{repo}, errs, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", repo.Name, err)
		}
		var buf bytes.Buffer
		if err := writeSARIF(&buf, log); err != nil {
			return nil, fmt.Errorf("%s: %w", repo.Name, err)
		}
		out = append(out, RepositorySARIF{Repo: repo.Name, Path: repo.Name + ".sarif", Data: buf.Bytes(),
			Results: len(log.Runs[0].Results), Partial: len(errs) > 0 || partlyRead(r, repo.Name),
			Commit: repo.Commit, OrgFindings: repo.Name == orgRepo})
	}
	return out, nil
}

func partlyRead(r *Report, repo string) bool {
	if r.Coverage == nil {
		return false
	}
	for _, p := range r.Coverage.PartlyRead {
		if p.Repo == repo {
			return true
		}
	}
	return false
}

// sarifLog builds one run over findings of repos.
func sarifLog(r *Report, findings []*rules.Finding, repos []Repository, gaps []model.CoverageGap, opts SARIFOptions) (*sarif.Report, error) {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, err
	}
	// The OASIS schema location, which validators resolve; go-sarif's
	// default points at a branch of the spec repository.
	log.Schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	category := opts.Category
	if category == "" {
		category = SARIFCategoryLocal
	}
	driver := &sarif.ToolComponent{Name: "tpscan", InformationURI: strPtr("https://github.com/tpscan/tpscan"),
		Organization: strPtr("tpscan")}
	if v := r.Tool.Version; v != "" {
		driver.Version = strPtr(v)
		if isSemver(v) {
			driver.SemanticVersion = strPtr(v)
		}
	}
	all := rules.All()
	maxScore := map[string]int{}
	for _, f := range findings {
		if !f.Suppressed && f.Score > maxScore[f.Rule] {
			maxScore[f.Rule] = f.Score
		}
	}
	index := map[string]int{}
	for i, rule := range all {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, ruleDescriptor(rule, maxScore[rule.ID]))
	}
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	run.AutomationDetails = &sarif.RunAutomationDetails{ID: strPtr(category)}
	run.ColumnKind = "unicodeCodePoints"
	rootBase := ""
	if web, name, ref, ok := provenance(repos, opts); ok {
		vc := sarif.NewVersionControlDetails().WithRepositoryURI(strings.TrimSuffix(web, "/") + "/" + name).
			WithRevisionID(repos[0].Commit)
		if ref != "" {
			vc = vc.WithBranch(ref)
		}
		// Result paths are relative to the repository root, which the
		// provenance names as %SRCROOT% (as CodeQL's output does).
		vc.MappedTo = &sarif.ArtifactLocation{URIBaseId: strPtr(srcRoot)}
		run.VersionControlProvenance = []*sarif.VersionControlDetails{vc}
		rootBase = srcRoot
	}
	multi := len(repos) > 1
	if multi {
		// One run over several repositories (an organisation in one
		// file): each result's path is relative to its repository, named
		// by a base id per repository.
		run.OriginalUriBaseIDs = map[string]*sarif.ArtifactLocation{}
		for _, repo := range repos {
			loc := &sarif.ArtifactLocation{Description: &sarif.Message{Text: strPtr("Repository " + repo.Name + ".")}}
			if opts.WebURL != "" && repo.Commit != "" {
				loc.URI = strPtr(strings.TrimSuffix(opts.WebURL, "/") + "/" + repo.Name + "/blob/" + repo.Commit + "/")
			}
			run.OriginalUriBaseIDs[baseID(repo.Name)] = loc
		}
	}
	suppressed, dropped := 0, 0
	for _, f := range findings {
		if len(run.Results) == MaxSARIFResults && !f.Suppressed {
			dropped++
			continue
		}
		if f.Suppressed {
			// Code scanning shows a result with SARIF suppressions as an
			// open alert; a suppression is a decision made in tpscan's
			// config, so the result stays out and the count says so.
			suppressed++
			continue
		}
		res := sarifResult(f, index[f.Rule], multi)
		if rootBase != "" {
			res.Locations[0].PhysicalLocation.ArtifactLocation.URIBaseId = strPtr(rootBase)
		}
		run.AddResult(res)
	}
	props := sarif.Properties{PropSuppressed: suppressed, PropPartial: len(gaps) > 0}
	if len(repos) == 1 {
		props[PropRepository] = repos[0].Name
		if repos[0].ForgeRepo != "" && opts.WebURL == "" {
			props[PropRepository] = repos[0].ForgeRepo
		}
		if partlyRead(r, repos[0].Name) {
			props[PropPartial] = true
		}
	}
	if len(gaps) > 0 {
		var missing []string
		for _, g := range gaps {
			missing = append(missing, gapText(g))
		}
		props[PropMissing] = missing
	}
	run.Properties = props
	inv := &sarif.Invocation{ExecutionSuccessful: boolPtr(true)}
	for _, g := range gaps {
		// What could not be read is reported, never dropped: code
		// scanning lists tool notifications with the analysis.
		n := &sarif.Notification{Level: "warning", Message: &sarif.Message{Text: strPtr(sentence(gapText(g)))},
			Descriptor: &sarif.ReportingDescriptorReference{Id: strPtr("coverage/" + g.Kind)}}
		if g.Path != "" {
			n.Locations = []*sarif.Location{{PhysicalLocation: physical(g.Repo, uriPath(g.Path), g.Line, g.Column, 0, 0, multi)}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	if dropped > 0 {
		// Findings come sorted by score, so the ones left out are the
		// least risky; saying so keeps the file honest.
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, &sarif.Notification{Level: "warning",
			Message:    &sarif.Message{Text: strPtr(fmt.Sprintf("%d lower-risk results were left out: code scanning rejects a run of more than %d results; use --sarif-dir (one file per repository) or --format json for all of them.", dropped, MaxSARIFResults))},
			Descriptor: &sarif.ReportingDescriptorReference{Id: strPtr("coverage/results-limit")}})
		props[PropDropped] = dropped
	}
	run.Invocations = []*sarif.Invocation{inv}
	log.AddRun(run)
	return log, nil
}

// redactTokens is the last line of defence for files that leave the
// machine (SARIF is uploaded): the engine already scrubs every text it
// writes, but any token that got through is replaced by its fingerprint.
// Token alphabets need no JSON escaping, so the bytes match as written.
func redactTokens(b []byte) []byte {
	ms := tokens.Find(b)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		b = append(b[:m.Offset:m.Offset], append([]byte(m.Fingerprint), b[m.End:]...)...)
	}
	return b
}

// provenance is where a run over one repository was read from: the
// forge's web root, the repository's name there and the ref. API scans
// know them (opts.WebURL, the default branch); a git checkout knows its
// HEAD and, from origin, its forge.
func provenance(repos []Repository, opts SARIFOptions) (web, name, ref string, ok bool) {
	if len(repos) != 1 || repos[0].Commit == "" {
		return "", "", "", false
	}
	r := repos[0]
	switch {
	case opts.WebURL != "":
		web, name = opts.WebURL, r.Name
	case r.Forge != "" && r.ForgeRepo != "":
		web, name = "https://"+r.Forge+"/", r.ForgeRepo
	default:
		return "", "", "", false
	}
	ref = r.Ref
	if ref == "" && r.DefaultBranch != "" {
		ref = "refs/heads/" + r.DefaultBranch
	}
	return web, name, ref, true
}

func gapText(g model.CoverageGap) string {
	where := g.Path
	if g.Line > 0 {
		where += ":" + strconv.Itoa(g.Line)
	}
	if g.Repo != "" {
		where = strings.TrimSpace(g.Repo + " " + where)
	}
	if where == "" {
		return g.Message + " (" + g.Kind + ")"
	}
	return where + ": " + g.Message + " (" + g.Kind + ")"
}

func ruleDescriptor(rule *rules.Rule, maxScore int) *sarif.ReportingDescriptor {
	what, why, fix := helpParts(rule.Help)
	rd := sarif.NewRule(rule.ID).WithName(rule.Name)
	rd.ShortDescription = &sarif.MultiformatMessageString{Text: strPtr(clip(sentence(rule.Short), 1024))}
	full := strings.TrimSpace(what + " " + why)
	rd.FullDescription = &sarif.MultiformatMessageString{Text: strPtr(clip(sentence(full), 1024))}
	rd.Help = &sarif.MultiformatMessageString{Text: strPtr(rule.Help), Markdown: strPtr(helpMarkdown(rule, what, why, fix))}
	rd.HelpURI = strPtr(helpURI)
	score := maxScore
	if score == 0 {
		score = rule.BaseScore
	}
	rd.DefaultConfiguration = &sarif.ReportingConfiguration{Level: levelOf(rule.BaseScore)}
	rd.Properties = sarif.Properties{
		"security-severity": securitySeverity(score),
		"precision":         rule.Precision,
		"problem.severity":  problemSeverity(score),
		"tags":              append([]string{"security", "supply-chain", "trusted-publishing"}, rule.Tags...),
	}
	return rd
}

// securitySeverity maps a 0–100 score onto code scanning's scale: tpscan's
// bands are GitHub's cut-offs times ten, so critical (90+) lands above 9.0.
func securitySeverity(score int) string {
	s := float64(score) / 10
	if s < 0.1 {
		s = 0.1
	}
	return strconv.FormatFloat(s, 'f', 1, 64)
}

// levelOf maps a score onto a SARIF level: high and critical are errors
// (code scanning fails a pull-request check on them by default), medium a
// warning, low a note.
func levelOf(score int) string {
	switch {
	case score >= 70:
		return "error"
	case score >= 40:
		return "warning"
	}
	return "note"
}

func problemSeverity(score int) string {
	switch levelOf(score) {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "recommendation"
}

func sarifResult(f *rules.Finding, ruleIndex int, multi bool) *sarif.Result {
	res := sarif.NewRuleResult(f.Rule).WithRuleIndex(ruleIndex).WithLevel(levelOf(f.Score))
	res.Message = sarif.Message{Text: strPtr(resultMessage(f))}
	loc := &sarif.Location{PhysicalLocation: findingLocation(f, multi)}
	if f.Job != "" || f.YAMLPath != "" {
		name := f.YAMLPath
		if name == "" {
			name = "jobs." + f.Job
		}
		loc.LogicalLocations = []*sarif.LogicalLocation{{FullyQualifiedName: strPtr(name), Kind: strPtr("object")}}
	}
	res.Locations = []*sarif.Location{loc}
	// Code scanning reads only primaryLocationLineHash; tpscan's
	// fingerprint goes in both that and a key of its own. The ":1" is the
	// occurrence index code scanning's own hashes carry.
	res.PartialFingerprints = map[string]interface{}{
		"primaryLocationLineHash": f.Fingerprint + ":1",
		"tpscan/v1":               f.Fingerprint,
	}
	props := sarif.Properties{"tpscan/score": f.Score, "tpscan/severity": f.Severity, "tpscan/confidence": f.Confidence}
	if len(f.Factors) > 0 {
		var fs []string
		for _, fa := range f.Factors {
			fs = append(fs, fmt.Sprintf("%+d %s: %s", fa.Points, fa.Name, fa.Reason))
		}
		props["tpscan/factors"] = fs
	}
	for k, v := range map[string]string{"tpscan/registry": f.Registry, "tpscan/method": f.Method, "tpscan/secret": f.Secret,
		"tpscan/token": f.Token, "tpscan/repository": f.Repo} {
		if v != "" {
			props[k] = v
		}
	}
	if len(f.ManualSteps) > 0 {
		props["tpscan/manual-steps"] = f.ManualSteps
	}
	if len(f.UsedBy) > 0 {
		props["tpscan/used-by"] = f.UsedBy
	}
	res.Properties = props
	return res
}

// resultMessage reads on its own in an alert list: the score, what was
// found, why it scores so, and what to do.
func resultMessage(f *rules.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Risk %d/100 (%s). %s", f.Score, f.Severity, sentence(f.Message))
	var why []string
	for _, fa := range f.Factors {
		if fa.Points > 0 {
			why = append(why, fa.Reason)
		}
	}
	if len(why) > 0 {
		fmt.Fprintf(&b, " Why: %s", sentence(strings.Join(why, "; ")))
	}
	if f.Blocked != "" {
		fmt.Fprintf(&b, " Blocked: %s", sentence(f.Blocked))
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, " Fix: %s", sentence(f.Fix))
	}
	if len(f.ManualSteps) > 0 {
		fmt.Fprintf(&b, " Then: %s", sentence(strings.TrimSuffix(f.ManualSteps[0], ".")))
		if n := len(f.ManualSteps) - 1; n > 0 {
			fmt.Fprintf(&b, " (%d more steps: run tpscan with --verbose or see the JSON.)", n)
		}
	}
	return b.String()
}

// findingLocation is the file and region of a finding, or for a finding
// about a stored value the documented place that stands for its settings
// page (README, "SARIF output").
func findingLocation(f *rules.Finding, multi bool) *sarif.PhysicalLocation {
	if f.Path != "" {
		return physical(f.Repo, uriPath(f.Path), f.Line, f.Column, f.EndLine, f.EndColumn, multi)
	}
	return physical(f.Repo, settingsPath(f), 1, 1, 1, 1, multi)
}

// settingsPath (a URI reference, each name escaped) mirrors the settings page of a stored secret or variable:
// settings/secrets/actions/NAME for a repository secret,
// settings/environments/ENV/secrets/NAME for an environment's,
// organization/settings/secrets/actions/NAME for an organisation's
// (variables likewise under variables/).
func settingsPath(f *rules.Finding) string {
	kind := "secrets"
	if f.SecretKind == "variable" {
		kind = "variables"
	}
	name := url.PathEscape(f.Secret)
	if name == "" {
		name = "unknown"
	}
	switch f.SecretScope {
	case "environment":
		return path.Join("settings/environments", url.PathEscape(f.Environment), kind, name)
	case "organization":
		return path.Join("organization/settings", kind, "actions", name)
	case "repository":
		return path.Join("settings", kind, "actions", name)
	}
	if f.Repo == "" {
		return path.Join("organization/settings", kind, "actions", name)
	}
	return path.Join("settings", kind, "actions", name)
}

// physical is a location; uri is already a URI reference (escaped).
func physical(repo, uri string, line, col, endLine, endCol int, multi bool) *sarif.PhysicalLocation {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	if endLine < line {
		endLine = line
	}
	if endCol < 1 || endLine == line && endCol < col {
		endCol = col
	}
	al := &sarif.ArtifactLocation{URI: strPtr(uri)}
	if multi {
		al.URIBaseId = strPtr(baseID(repo))
	}
	return &sarif.PhysicalLocation{ArtifactLocation: al,
		Region: &sarif.Region{StartLine: intPtr(line), StartColumn: intPtr(col), EndLine: intPtr(endLine), EndColumn: intPtr(endCol)}}
}

// uriPath makes a relative file path a relative URI reference: each
// segment escaped, '/' kept.
//
// A file named by an absolute path (tpscan local /abs/wf.yml) is not in a
// repository: it becomes a file:// URI, since a relative reference may not
// begin with a slash.
func uriPath(p string) string {
	p = strings.TrimPrefix(path.Clean(strings.ReplaceAll(p, "\\", "/")), "./")
	abs := strings.HasPrefix(p, "/")
	if len(p) >= 3 && p[1] == ':' && p[2] == '/' {
		abs, p = true, "/"+p // a Windows drive: file:///C:/...
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if i == 1 && strings.HasSuffix(s, ":") && len(s) == 2 {
			continue // the drive letter keeps its colon
		}
		segs[i] = url.PathEscape(s)
	}
	if abs {
		return "file://" + strings.Join(segs, "/")
	}
	return strings.Join(segs, "/")
}

// baseID names a repository as a uriBaseId; organisation-level findings
// (no repository) get ORGANIZATION.
func baseID(repo string) string {
	if repo == "" {
		return "ORGANIZATION"
	}
	return repo
}

// helpParts splits a rule's Help into its What, Why and How paragraphs.
func helpParts(help string) (what, why, fix string) {
	var cur *string
	for _, para := range strings.Split(help, "\n\n") {
		para = strings.Join(strings.Fields(para), " ")
		switch {
		case strings.HasPrefix(para, "What:"):
			cur = &what
			para = strings.TrimSpace(strings.TrimPrefix(para, "What:"))
		case strings.HasPrefix(para, "Why it matters:"):
			cur = &why
			para = strings.TrimSpace(strings.TrimPrefix(para, "Why it matters:"))
		case strings.HasPrefix(para, "How to fix:"):
			cur = &fix
			para = strings.TrimSpace(strings.TrimPrefix(para, "How to fix:"))
		}
		if cur == nil {
			cur = &what
		}
		*cur = strings.TrimSpace(*cur + " " + para)
	}
	return capitalize(what), capitalize(why), capitalize(fix)
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) > 0 && r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	return string(r)
}

func helpMarkdown(rule *rules.Rule, what, why, fix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", rule.ID, rule.Name)
	if what != "" {
		fmt.Fprintf(&b, "**What.** %s\n\n", what)
	}
	if why != "" {
		fmt.Fprintf(&b, "**Why it matters.** %s\n\n", why)
	}
	if fix != "" {
		fmt.Fprintf(&b, "**How to fix.** %s\n\n", fix)
	}
	b.WriteString("Each alert's message starts with its risk score (0–100) and ends with the fix and the steps outside the repository. " +
		"`tpscan fix` writes the patch; `tpscan ... --format json` lists every step. See the [rules](" + helpURI + ") and the " +
		"[risk score](https://github.com/tpscan/tpscan/blob/main/README.md#risk-score).\n")
	return b.String()
}

// sentence ends s with a period: code scanning shows messages as
// sentences, and the SARIF validator asks for it.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") {
		return s
	}
	if strings.HasSuffix(s, ":") || strings.HasSuffix(s, ";") || strings.HasSuffix(s, ",") {
		s = s[:len(s)-1]
	}
	return s + "."
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func isSemver(v string) bool {
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

func strPtr(s string) *string { return &s }
func intPtr(i int) *int       { return &i }
func boolPtr(b bool) *bool    { return &b }
