package fixers

import (
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// Reason is why no automatic patch is offered: a fixed, documented list
// (README, "Fixes"), so that tooling can act on it.
type Reason string

// The reasons a fix is refused.
const (
	// ReasonNoFixer: the publishing method has no automatic fixer yet.
	ReasonNoFixer Reason = "no-fixer"
	// ReasonReusable: the publish is in a reusable workflow, whose trusted
	// publisher the registry matches on the wrong file.
	ReasonReusable Reason = "reusable-workflow"
	// ReasonRejected: the registry refuses trusted publishing here (a
	// trigger, GitLab for RubyGems and pub.dev, a self-hosted runner).
	ReasonRejected Reason = "registry-rejects"
	// ReasonScript: the token is used inside a script that does more than
	// publish; editing shell is not safe.
	ReasonScript Reason = "credential-in-script"
	// ReasonLiteral: a literal token is committed; it must be revoked and
	// removed from history, not patched.
	ReasonLiteral Reason = "literal-token"
	// ReasonOldClient: the publishing client is pinned below the version
	// with trusted publishing and cannot be bumped safely.
	ReasonOldClient Reason = "old-client"
	// ReasonLayout: the YAML is written in a way a line edit cannot change
	// safely (flow style, anchors).
	ReasonLayout Reason = "unsupported-layout"
	// ReasonConflict: two fixes of one file overlap.
	ReasonConflict Reason = "conflict"
	// ReasonNotFixable: the finding is not about a publish (an unused
	// secret, an exposed token): the manual steps are the fix.
	ReasonNotFixable Reason = "manual-only"
	// ReasonReparse: the patched file did not parse, or actionlint finds
	// an error in it the original did not have; nothing is offered.
	ReasonReparse Reason = "patch-does-not-parse"
)

// Refusal is a fixer declining, with a reason from the list.
type Refusal struct {
	Reason Reason
	Detail string
}

func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Detail }

// FileFix is the patch for one file: every finding's edits applied together.
type FileFix struct {
	Repo, Path string
	// Original and Fixed are the file's bytes before and after.
	Original, Fixed []byte
	// Patch is the unified diff, "" when nothing changes.
	Patch string
	// Findings are the fingerprints the patch fixes.
	Findings []string
	// Notes explain choices the reviewer should see (a bumped pin, the
	// permissions carried over).
	Notes []string
}

// Result is a fix plan for an inventory.
type Result struct {
	Files []*FileFix
	// Refused maps a finding's fingerprint to why it gets no patch.
	Refused map[string]*Refusal
}

// fixer edits one file for one finding.
type fixer func(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error)

// methodFixers are the automatic fixers by catalogue method id.
var methodFixers = map[string]fixer{
	"gh-action-pypi-publish": fixPyPIAction,
	"twine":                  fixEnvCredential(nil),
	"uv-publish":             fixEnvCredential(nil),
	"maturin-upload":         fixEnvCredential(nil),
	"npm-publish":            fixEnvCredential(fixNode),
	// RubyGems (rubygems.go)
	"gem-push":                       fixRubyGems,
	"rake-release":                   fixRubyGems,
	"publish-gem-action":             fixRubyGems,
	"configure-rubygems-credentials": fixRubyGems,
	"release-gem":                    fixRubyGems,
	// crates.io (crates.go)
	"cargo-publish":              fixCrates,
	"katyo-publish-crates":       fixCrates,
	"release-plz":                fixCrates,
	"release-plz-command":        fixCrates,
	"cargo-publish-other-action": fixCrates,
	// NuGet (nuget.go)
	"dotnet-nuget-push":    fixNuGet,
	"publish-nuget-action": fixNuGet,
	// PyPI tools without trusted publishing, third-party actions (pypitools.go)
	"poetry-publish":            fixPyPITool,
	"poetry-publish-action":     fixPyPITool,
	"flit-publish":              fixPyPITool,
	"hatch-publish":             fixPyPITool,
	"rye-publish":               fixPyPITool,
	"pdm-publish":               fixPyPITool,
	"maturin-action":            fixPyPITool,
	"deploy-pypi-action":        fixPyPITool,
	"pypi-publish-other-action": fixPyPITool,
	// npm beyond npm publish (npm.go, jsrelease.go)
	"js-devtools-npm-publish": fixJSDevTools,
	"semantic-release":        fixJSRelease,
	"semantic-release-action": fixJSRelease,
	"changesets":              fixJSRelease,
	"changeset-publish":       fixJSRelease,
	// pub.dev (pubdev.go)
	"dart-pub-publish":       fixPubDev,
	"dart-package-publisher": fixPubDev,
	"flutter-pub-publisher":  fixPubDev,
	// setup.py upload is legacy: the build stays, the official action
	// uploads (setuppy.go)
	"setup-py-upload": fixSetupPyUpload,
}

// Plan computes the patches for every fixable finding of the inventory.
// Files are fixed independently, in parallel, and each file's parse is
// dropped once its patch is made: a scan of thousands of publishing
// workflows keeps one parse per worker in memory, not one per file.
func Plan(inv *model.Inventory, findings []*rules.Finding) *Result {
	res := &Result{Refused: map[string]*Refusal{}}
	files := map[string]*model.File{}
	repoOf := map[string]string{}
	pipelines := map[string]*model.Pipeline{}
	for _, r := range inv.Repos {
		for _, f := range r.Files {
			k := r.Name + "\x00" + f.Path
			files[k] = f
			repoOf[k] = r.Name
		}
		for _, p := range r.Pipelines {
			pipelines[r.Name+"\x00"+p.File.Path] = p
		}
	}
	// Findings by file, after what no fixer may touch is set aside.
	byFile := map[string]*fileJob{}
	var order []string
	for _, f := range findings {
		if f.Suppressed {
			continue
		}
		if r := refuseEarly(f); r != nil {
			res.Refused[f.Fingerprint] = r
			continue
		}
		k := f.Repo + "\x00" + f.Path
		kind := ciKind(pipelines[k], f.Path)
		if kind != model.GitHubWorkflow && kind != model.GitLabCI {
			res.Refused[f.Fingerprint] = &Refusal{Reason: ReasonNoFixer, Detail: "only GitHub Actions workflows and GitLab CI files are patched"}
			continue
		}
		if files[k] == nil {
			res.Refused[f.Fingerprint] = &Refusal{Reason: ReasonNotFixable, Detail: "the file was not read"}
			continue
		}
		j := byFile[k]
		if j == nil {
			j = &fileJob{kind: kind, file: files[k], repo: repoOf[k], pipeline: pipelines[k], refused: map[string]*Refusal{}}
			byFile[k] = j
			order = append(order, k)
		}
		j.findings = append(j.findings, f)
	}
	sort.Strings(order)
	jobs := make([]*fileJob, len(order))
	for i, k := range order {
		jobs[i] = byFile[k]
	}
	var wg sync.WaitGroup
	// actionlint v1.7.12 sorts a shared slice while linting
	// (sortedQuotes in its events rule): lint calls are serialised.
	lintMu := &sync.Mutex{}
	for _, j := range jobs {
		j.lintMu = lintMu
	}
	next := make(chan *fileJob)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.fix()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, j := range jobs {
		for fp, r := range j.refused {
			res.Refused[fp] = r
		}
		if j.out != nil {
			res.Files = append(res.Files, j.out)
		}
	}
	return res
}

// fileJob is one file's findings and, once fixed, its patch.
type fileJob struct {
	kind     model.CIKind
	file     *model.File
	repo     string
	pipeline *model.Pipeline
	findings []*rules.Finding
	lintMu   *sync.Mutex
	// results
	out     *FileFix
	refused map[string]*Refusal
}

// fix runs the fixers of one file, applies their edits together, checks the
// result and makes the patch.
func (j *fileJob) fix() {
	refuseAll := func(fps []string, r *Refusal) {
		for _, fp := range fps {
			j.refused[fp] = r
		}
	}
	var all []string
	for _, f := range j.findings {
		all = append(all, f.Fingerprint)
	}
	d, _ := parseDoc(j.file.Content)
	if d == nil {
		refuseAll(all, &Refusal{Reason: ReasonLayout, Detail: "the file does not parse as YAML"})
		return
	}
	d.pipeline = j.pipeline
	if j.kind == model.GitHubWorkflow && d.reusable() {
		refuseAll(all, &Refusal{Reason: ReasonReusable, Detail: "this workflow is reusable (on: workflow_call): the registry matches the called or the calling file depending on the registry, and every caller must grant id-token: write; move the publish job into the triggered workflow first (see the manual steps)"})
		return
	}
	var edits []Edit
	var fps, notes []string
	for _, f := range j.findings {
		fx := methodFixers[f.Method]
		if j.kind == model.GitLabCI {
			fx = gitlabFixers[f.Method]
		}
		if fx == nil {
			j.refused[f.Fingerprint] = &Refusal{Reason: ReasonNoFixer, Detail: fmt.Sprintf("no automatic fixer for %s yet: follow the manual steps", f.Method)}
			continue
		}
		var n []string
		e, err := safely(fx, d, f, &n)
		if err != nil {
			if r, ok := err.(*Refusal); ok {
				j.refused[f.Fingerprint] = r
			} else {
				j.refused[f.Fingerprint] = &Refusal{Reason: ReasonLayout, Detail: err.Error()}
			}
			continue
		}
		edits = append(edits, e...)
		fps = append(fps, f.Fingerprint)
		notes = append(notes, n...)
	}
	if len(fps) == 0 {
		return
	}
	fixed, err := Apply(j.file.Path, j.file.Content, edits)
	if err != nil {
		refuseAll(fps, &Refusal{Reason: ReasonConflict, Detail: err.Error()})
		return
	}
	// The result is parsed again before it is offered, and may not add an
	// actionlint error the file did not have.
	j.lintMu.Lock()
	msg := reparse(j.kind, j.file.Path, j.file.Content, fixed)
	j.lintMu.Unlock()
	if msg != "" {
		refuseAll(fps, &Refusal{Reason: ReasonReparse, Detail: scrub(msg)})
		return
	}
	// No patch may quote a token, not even in its context lines.
	patch := Unified(j.file.Path, j.file.Content, fixed)
	if len(tokens.Find([]byte(patch))) > 0 {
		refuseAll(fps, &Refusal{Reason: ReasonLiteral, Detail: "the patch would quote a line that holds a token"})
		return
	}
	// Notes quote the file now and then (a pin, a version): scrubbed like
	// every other message.
	for i := range notes {
		notes[i] = scrub(notes[i])
	}
	j.out = &FileFix{Repo: j.repo, Path: j.file.Path, Original: j.file.Content, Fixed: fixed,
		Patch: patch, Findings: fps, Notes: dedupe(notes)}
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// refuseEarly rejects what no fixer may touch, whatever the method.
func refuseEarly(f *rules.Finding) *Refusal {
	switch {
	case f.Rule == "TP002":
		return &Refusal{Reason: ReasonLiteral, Detail: "a committed token must be revoked and removed from history; a patch would quote it"}
	case f.Rule != "TP001" && f.Rule != "TP003":
		return &Refusal{Reason: ReasonNotFixable, Detail: "not a publish: the manual steps are the fix"}
	case f.Blocked != "":
		return &Refusal{Reason: ReasonRejected, Detail: f.Blocked}
	case len(f.Via) > 0 && strings.Contains(strings.Join(f.Via, " "), "of ./.github/workflows/"):
		return &Refusal{Reason: ReasonReusable, Detail: "the publish is in a reusable workflow: move the publish job into the triggered workflow first (see the manual steps)"}
	case strings.HasSuffix(f.YAMLPath, ".secrets") || strings.Contains(f.YAMLPath, ".secrets."):
		return &Refusal{Reason: ReasonReusable, Detail: "the token is passed to a reusable workflow"}
	case strings.HasSuffix(f.Method, "-other-action"):
		return &Refusal{Reason: ReasonNoFixer, Detail: "a third-party publishing action tpscan does not know: replace it by the registry's official trusted-publishing step (see the fix)"}
	case f.Confidence != "high":
		return &Refusal{Reason: ReasonScript, Detail: "the publish happens inside a script or tool tpscan reads only in part"}
	}
	return nil
}

// jobOf returns the job id of a YAML path "jobs.<id>....".
func jobOf(path string) string {
	segs := splitPath(path)
	if len(segs) >= 2 && segs[0] == "jobs" {
		return segs[1]
	}
	return ""
}

// stepOf returns "jobs.<id>.steps[i]" of a step path, or "".
func stepOf(path string) string {
	segs := splitPath(path)
	if len(segs) >= 3 && segs[0] == "jobs" && strings.HasPrefix(segs[2], "steps[") {
		return strings.Join(segs[:3], ".")
	}
	return ""
}

var actionVersion = regexp.MustCompile(`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$`)

// fixPyPIAction drops password and user from pypa/gh-action-pypi-publish:
// without them the action exchanges an OIDC token itself. Pins older than
// v1.8.0 (no trusted publishing) and the stale master branch move to
// release/v1.
func fixPyPIAction(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	step := stepOf(f.YAMLPath)
	if step == "" {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the token does not reach the action through with:"}
	}
	var edits []Edit
	_, _, stepNode := d.lookup(step)
	_, with := child(stepNode, "with")
	var drop []string
	for _, k := range []string{"password", "user", "username"} {
		if _, v := child(with, k); v != nil {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "no password input on the action"}
	}
	x, err := d.removeKeys(step+".with", drop)
	if err != nil {
		return nil, err
	}
	edits = append(edits, x...)
	_, uses := child(stepNode, "uses")
	if uses != nil {
		ref := uses.Value[strings.LastIndexByte(uses.Value, '@')+1:]
		old := ref == "master" || ref == "main"
		if m := actionVersion.FindStringSubmatch(ref); m != nil {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			old = major < 1 || major == 1 && minor < 8
		}
		if len(ref) == 40 && !old {
			*notes = append(*notes, "pypa/gh-action-pypi-publish is pinned to commit "+ref[:12]+": check that it is v1.8.0 or later (trusted publishing)")
		}
		if old {
			e, ok := d.setScalar(uses, "pypa/gh-action-pypi-publish@release/v1")
			if !ok {
				return nil, &Refusal{Reason: ReasonOldClient, Detail: "the action is pinned to " + ref + ", older than trusted publishing (v1.8.0)"}
			}
			edits = append(edits, e)
			*notes = append(*notes, fmt.Sprintf("pypa/gh-action-pypi-publish@%s predates trusted publishing (v1.8.0): moved to release/v1", ref))
		}
	}
	pe, err := ensurePermissions(d, jobOf(f.YAMLPath), notes)
	if err != nil {
		return nil, err
	}
	return append(append(edits, pe...), ensureEnvironment(d, jobOf(f.YAMLPath), f.Registry, notes)...), nil
}

// ensureEnvironment gives a PyPI or TestPyPI publishing job the deployment
// environment PyPI recommends (pypi, testpypi) when it has none: the
// publisher then names it, and required reviewers on it gate every release.
func ensureEnvironment(d *doc, job, registry string, notes *[]string) []Edit {
	name := map[string]string{"pypi": "pypi", "testpypi": "testpypi"}[registry]
	jk, jv := child(mustChild(d.root, "jobs"), job)
	if name == "" || jv == nil || jv.Kind != yaml.MappingNode {
		return nil
	}
	if _, env := child(jv, "environment"); env != nil {
		return nil
	}
	ind, ok := d.childIndent(jv)
	if !ok || jv.Content[0].Line == jk.Line {
		return nil
	}
	*notes = append(*notes, fmt.Sprintf("job %s: added environment %s, as PyPI recommends: register the publisher with environment %q, and add required reviewers to it in the repository settings", job, name, name))
	at := d.lineStart(jk.Line + 1)
	return []Edit{{Start: at, End: at, New: strings.Repeat(" ", ind) + "environment: " + name + d.eol()}}
}

// fixEnvCredential removes the environment variable that carries the token
// to a client that finds an OIDC token on its own once no stored token is
// set (twine ≥ 6.1, uv, maturin, npm ≥ 11.5.1), with its companion user name
// variable, and grants id-token: write to the job. extra checks or bumps
// the client.
func fixEnvCredential(extra fixer) fixer {
	return func(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
		segs := splitPath(f.YAMLPath)
		if len(segs) < 2 || segs[len(segs)-2] != "env" {
			// On the command line of a one-command line: drop the flags.
			x, ok := d.stripCredentialFlags(f.Line, f.Method)
			if !ok {
				return nil, &Refusal{Reason: ReasonScript, Detail: "the token reaches the client through a script or file tpscan does not edit, not through env or a one-command line"}
			}
			pe, err := ensurePermissions(d, f.Job, notes)
			if err != nil {
				return nil, err
			}
			return append(append(x, pe...), ensureEnvironment(d, f.Job, f.Registry, notes)...), nil
		}
		envPath := strings.Join(segs[:len(segs)-1], ".")
		_, _, envNode := d.lookup(envPath)
		var names []string
		names = append(names, segs[len(segs)-1])
		for _, companion := range companions[segs[len(segs)-1]] {
			if _, v := child(envNode, companion); v != nil {
				names = append(names, companion)
			}
		}
		edits, err := d.removeKeys(envPath, names)
		if err != nil {
			return nil, err
		}
		if extra != nil {
			x, err := extra(d, f, notes)
			if err != nil {
				return nil, err
			}
			edits = append(edits, x...)
		}
		job := jobOf(f.YAMLPath)
		if job == "" {
			job = f.Job
		}
		pe, err := ensurePermissions(d, job, notes)
		if err != nil {
			return nil, err
		}
		return append(append(edits, pe...), ensureEnvironment(d, job, f.Registry, notes)...), nil
	}
}

// companions are the user-name variables that go with a token variable.
var companions = map[string][]string{
	"TWINE_PASSWORD":     {"TWINE_USERNAME"},
	"UV_PUBLISH_TOKEN":   {"UV_PUBLISH_USERNAME"},
	"MATURIN_PASSWORD":   {"MATURIN_USERNAME"},
	"MATURIN_PYPI_TOKEN": nil,
	"NODE_AUTH_TOKEN":    {"NPM_TOKEN"},
}

// ensurePermissions grants id-token: write to one job. A job's own
// permissions block replaces the workflow's, and naming any scope sets the
// others to none, so a new block carries over the workflow-level scopes
// (or contents: read for checkout) instead of silently breaking the job.
func ensurePermissions(d *doc, job string, notes *[]string) ([]Edit, error) {
	jk, jv := child(mustChild(d.root, "jobs"), job)
	if jv == nil || jv.Kind != yaml.MappingNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job + " not found"}
	}
	eol := d.eol()
	pk, pv := child(jv, "permissions")
	if pv != nil {
		switch {
		case pv.Kind == yaml.MappingNode && pv.Style&yaml.FlowStyle == 0 && len(pv.Content) > 0:
			if _, idt := child(pv, "id-token"); idt != nil {
				if idt.Value == "write" {
					return nil, nil
				}
				e, ok := d.setScalar(idt, "write")
				if !ok {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "id-token permission is not a one-line scalar"}
				}
				return []Edit{e}, nil
			}
			ind, _ := d.childIndent(pv)
			at := d.lineStart(d.lastLine(pv) + 1)
			return []Edit{{Start: at, End: at, New: strings.Repeat(" ", ind) + "id-token: write" + eol}}, nil
		case pv.Kind == yaml.ScalarNode && pv.Value == "write-all":
			return nil, nil
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the permissions of job %s (line %d) are not a block mapping", job, pk.Line)}
		}
	}
	// No job block: the job has the workflow's permissions.
	scopes := [][2]string{}
	_, wp := child(d.root, "permissions")
	switch {
	case wp == nil:
		scopes = append(scopes, [2]string{"contents", "read"})
		*notes = append(*notes, "job "+job+": added permissions contents: read (checkout) and id-token: write; its other scopes were the repository default and are now none")
	case wp.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(wp.Content); i += 2 {
			if wp.Content[i].Value == "id-token" && wp.Content[i+1].Value == "write" {
				return nil, nil // already granted to every job
			}
			if wp.Content[i].Value != "id-token" {
				scopes = append(scopes, [2]string{wp.Content[i].Value, wp.Content[i+1].Value})
			}
		}
		if len(scopes) > 0 {
			*notes = append(*notes, "job "+job+": the workflow-level permissions are carried into its new permissions block")
		}
	case wp.Kind == yaml.ScalarNode && wp.Value == "write-all":
		return nil, nil
	case wp.Kind == yaml.ScalarNode && wp.Value == "read-all":
		// read-all cannot grant id-token, and a job block replaces it:
		// spell out what it granted.
		for _, sc := range readAllScopes {
			scopes = append(scopes, [2]string{sc, "read"})
		}
		*notes = append(*notes, "job "+job+": the workflow's read-all is spelled out in its new permissions block, with id-token: write")
	default:
		return nil, &Refusal{Reason: ReasonLayout, Detail: "workflow-level permissions " + wp.Value + " cannot be carried into a job block"}
	}
	ind, ok := d.childIndent(jv)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job + " is written in flow style"}
	}
	sub := ind + 2
	if wp != nil && wp.Kind == yaml.MappingNode {
		if wi, ok := d.childIndent(wp); ok && wi > 0 {
			sub = ind + wi
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", ind) + "permissions:" + eol)
	for _, s := range scopes {
		b.WriteString(strings.Repeat(" ", sub) + s[0] + ": " + s[1] + eol)
	}
	b.WriteString(strings.Repeat(" ", sub) + "id-token: write" + eol)
	// Right after the job's key line, before its first entry.
	at := d.lineStart(jk.Line + 1)
	if first := jv.Content[0]; first.Line == jk.Line {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job + " starts on its key line"}
	}
	return []Edit{{Start: at, End: at, New: b.String()}}, nil
}

// readAllScopes are the scopes read-all grants read on (reference §1.1;
// metadata is always granted and cannot be named).
var readAllScopes = []string{"actions", "attestations", "checks", "contents", "deployments", "discussions", "issues",
	"models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses"}

func mustChild(m *yaml.Node, key string) *yaml.Node {
	_, v := child(m, key)
	return v
}

// Attach puts each finding's patch, or the reason it has none, on the
// finding, for the JSON of every scan. Only publishes get either: the other
// findings' fix is their manual steps.
func Attach(inv *model.Inventory, findings []*rules.Finding) *Result {
	res := Plan(inv, findings)
	byFP := map[string]*FileFix{}
	for _, ff := range res.Files {
		for _, fp := range ff.Findings {
			byFP[fp] = ff
		}
	}
	for _, f := range findings {
		if f.Rule != "TP001" && f.Rule != "TP003" {
			continue
		}
		if ff := byFP[f.Fingerprint]; ff != nil {
			f.Patch, f.PatchNotes = ff.Patch, ff.Notes
		} else if r := res.Refused[f.Fingerprint]; r != nil {
			f.NoPatch = &rules.NoPatch{Reason: string(r.Reason), Detail: scrub(r.Detail)}
		}
	}
	return res
}

// safely runs a fixer so that a file no fixer foresaw costs its patch, not
// the scan: every scan attaches patches.
func safely(fx fixer, d *doc, f *rules.Finding, notes *[]string) (edits []Edit, err error) {
	defer func() {
		if r := recover(); r != nil {
			edits, err = nil, &Refusal{Reason: ReasonLayout, Detail: "the fixer could not follow this file's layout"}
		}
	}()
	return fx(d, f, notes)
}

// scrub replaces any token in a refusal's detail (a parser message can
// quote a line) by its fingerprint.
func scrub(s string) string {
	for _, m := range tokens.Find([]byte(s)) {
		s = strings.ReplaceAll(s, m.Secret(), m.Fingerprint)
	}
	return s
}

// ciKind is the CI a file belongs to: the scan's parse says, else its path
// (a file named directly is recognised by its content, wherever it lives).
func ciKind(p *model.Pipeline, path string) model.CIKind {
	switch {
	case p != nil:
		return p.Kind
	case isGitLabPath(path):
		return model.GitLabCI
	case strings.HasPrefix(path, ".github/workflows/"):
		return model.GitHubWorkflow
	}
	return ""
}
