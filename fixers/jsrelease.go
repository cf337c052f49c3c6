package fixers

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/model"
)

// npm release tools on GitHub Actions (reference §4.7, §4.8): semantic-release
// (npx semantic-release, cycjimmy/semantic-release-action), changesets/action
// and changeset publish. None of them needs a new step: once no stored token
// is set they publish through npm's OIDC exchange, given id-token: write.
//
//   - semantic-release: @semantic-release/npm 13.1.0 (installed by
//     semantic-release 25) exchanges the token in verifyConditions and falls
//     back to NPM_TOKEN only when the exchange fails; npm publish then
//     exchanges it again. semantic-release 25 runs on Node ^22.14.0 ||
//     >=24.10.0 only (its bin exits otherwise), so a job whose Node is
//     visibly older runs an older semantic-release: refused. A visible pin
//     of semantic-release below 25 or @semantic-release/npm below 13.1.0 is
//     refused too; a version tpscan cannot see (package.json) gets a note.
//     cycjimmy/semantic-release-action installs semantic-release itself (the
//     latest, or its semantic_version input) and runs it on the action's
//     Node: pins before v5 (Node 20) move to v6.
//   - changesets/action v1.7.0 writes no npm token when NPM_TOKEN is unset
//     (1.6.0 and older wrote _authToken=undefined): older pins move to
//     v1.7.0; v2 has no .npmrc handling at all. changeset publish runs npm
//     (or pnpm, Yarn Berry), which must be 11.5.1 or later (fixNode).
//
// The token leaves every env that reaches the publishing step (the step's,
// the job's, the workflow's when the job is its only one), lines that write
// it into .npmrc and `npm whoami` checks go, and the job gets id-token:
// write; a job that had no permissions anywhere keeps the write scopes the
// tool needs for tags, releases and pull requests.

const (
	jsrelChangesets    = "changesets/action"
	jsrelChangesetsMin = "v1.7.0"
	jsrelChangesetsSHA = "6a0a831ff30acef54f2c6aa1cbbc1096b066edaf" // v1.7.0
	jsrelCycjimmy      = "cycjimmy/semantic-release-action"
	jsrelCycjimmyMin   = "v6.0.0"
	jsrelCycjimmySHA   = "b12c8f6015dc215fe37bc154d4ad456dd3833c90" // v6.0.0
)

// jsrelChangesetsPins are the changesets/action release commits.
var jsrelChangesetsPins = map[string]string{
	"ce079ea084e08a340947ed4d6ecedb2433c8f293": "v1.0.0", "6f58fe53ba0db49e782b368ef88cbe11e3d99d2a": "v1.1.0",
	"cd8d86bdc84df7dda52db54d26a4d0c9d3c55f76": "v1.2.0", "983cabb3322e75e4d9780624eead09d1a087fcc6": "v1.2.1",
	"e7545b55a511c92bbf707338b26ca8654ba616bb": "v1.2.2", "2a025e8ab1cfa4312c2868cb6aa3cd3b473b84bf": "v1.3.0",
	"5f3b898718761af42fe162af3258e4145d07be24": "v1.4.0", "e9cc34b540dd3ad1b030c57fd97269e8f6ad905a": "v1.4.1",
	"62a9eee638c4655e15f69233d6dbe447a8654921": "v1.4.2", "c533929662039a070283d6b52b06d0bcea20f14e": "v1.4.3",
	"d89c1de63c7f28ac47ec85ed395f5f1d045d4697": "v1.4.4", "f13b1baaa620fde937751f5d2c3572b9da32af23": "v1.4.5",
	"e2f8e964d080ae97c874b19e27b12e0a8620fb6c": "v1.4.6", "aba318e9165b45b7948c60273e0b72fce0a64eb9": "v1.4.7",
	"3de3850952bec538fde60aac71731376e57b9b57": "v1.4.8", "c8bada60c408975afd1a20b3db81d6eee6789308": "v1.4.9",
	"06245a4e0a36c064a573d4150030f5ec548e4fcc": "v1.4.10", "746c25e23caa47dceb6a48ee85b4cbc5a9f5f293": "v1.5.0",
	"001cd79f0a536e733315164543a727bdf2d70aff": "v1.5.1", "e0538e686673de0265c8a3e2904b8c76beaa43fd": "v1.5.2",
	"e0145edc7d9d8679003495b11f87bd8ef63c0cba": "v1.5.3", "c48e67d110a68bc90ccf1098e9646092baacaa87": "v1.6.0",
	jsrelChangesetsSHA: "v1.7.0", "63a615b9cd06ba9a3e6d13796c7fbcb080a60a0b": "v1.8.0",
	"a45c4d594aa4e2c509dc14a9f2b3b67ba3780d0d": "v1.9.0", "22ccf9aa43179fe9e27dc62e575971d28cce197c": "v2.0.0",
	"198f833dd7d863100ea6e28967bc9a9fdefadb0a": "v2.1.0", "8488615a623b1b9c987934bb89eae8af6a946ac1": "v2.1.1",
}

// jsrelCycjimmyPins are the cycjimmy/semantic-release-action release
// commits from v2.3.0 (older ones are taken as old when they are tags).
var jsrelCycjimmyPins = map[string]string{
	"daaa4dcd09849d2480811bbe6be6012b608a09cf": "v2.3.0", "e797462fc67374e7f26d45b5c8b0fc7e74978cc4": "v2.4.0",
	"ed323782690ac9e847f8ad554f60fbac92fe7def": "v2.4.1", "606b318c9c641ab192a1ccdf33b309f2794ef586": "v2.4.2",
	"3e9fa3795de8583ded443348a3a71abf97482b48": "v2.5.0", "a631f2b705870b2c5feb7ab8f6c0b0c298582429": "v2.5.1",
	"700d7060806aec1ea2033113452fc413185d0bbd": "v2.5.2", "a9710ea058f2ae565fa977308c25f00f7cba5a31": "v2.5.3",
	"116647291d9b7bef1f5a4315deedd3f46ed4218b": "v2.5.4", "767cc0b0cd610ffb1ffee1b36a9b39120adc5f80": "v2.6.0",
	"5982a02995853159735cb838992248c4f0f16166": "v2.7.0", "3b88c82b34098e8b51e401c1082c9170b0a3ec3c": "v3.0.0",
	"071ef4c9640be3700de2aa7f39e8f4038e0269ed": "v3.1.0", "e1fe1fc00a3729593e87efb2f88475de76d64a24": "v3.1.1",
	"be27b56c2b7c71f71285b5a52067a40ad8b4c516": "v3.1.2", "8f6ceb9d5aae5578b1dcda6af00008235204e7fa": "v3.2.0",
	"4223352d770913cb84156b647ff08e7dcaba1028": "v3.3.0", "91ab76a4a393a8d0c4739e9aea1818b56bc953ea": "v3.4.0",
	"13158f9d71c3510bfed3a27ab56658df786284db": "v3.4.1", "8e58d20d0f6c8773181f43eb74d6a05e3099571d": "v3.4.2",
	"61680d0e9b02ff86f5648ade99e01be17f0260a4": "v4.0.0", "cb425203a562475bca039ba4dbf90c7f9ac790f4": "v4.1.0",
	"b1b432f13acb7768e0c8efdec416d363a57546f2": "v4.1.1", "0a51e81a6baff2acad3ee88f4121c589c73d0f0e": "v4.2.0",
	"c4a2fa890676fc2db25ad0aacd8ab4a0f1f4c024": "v4.2.1", "16ca923e6ccbb50770c415a0ccd43709a8c5f7a4": "v4.2.2",
	"9cc899c47e6841430bbaedb43de1560a568dfd16": "v5.0.0", "ebcbc663748eae8da59a127a7d8b8e22f82514b2": "v5.0.1",
	"ba330626c4750c19d8299de843f05c7aa5574f62": "v5.0.2", jsrelCycjimmySHA: "v6.0.0",
}

// jsrelTokenVars are the variables that carry an npm token to npm or to
// the release tools.
var jsrelTokenVars = map[string]bool{"NPM_TOKEN": true, "NODE_AUTH_TOKEN": true, "NPM_AUTH_TOKEN": true, "NPM_CONFIG_TOKEN": true}

var (
	jsrelSemanticCmd  = regexp.MustCompile(`(?:^|[\s/'"])semantic-release(?:@[^\s'"]*)?(?:$|[\s'"])`)
	jsrelSemanticPin  = regexp.MustCompile(`(?:^|[\s'"=])semantic-release@([^\s'"]+)`)
	jsrelNpmPluginPin = regexp.MustCompile(`@semantic-release/npm@([^\s'"]+)`)
	jsrelChangesetCmd = regexp.MustCompile(`\bchangeset\s+publish\b`)
	jsrelGitHubToken  = regexp.MustCompile(`(?i)secrets\.github_token\b|\bgithub\.token\b`)
	jsrelProvenance   = regexp.MustCompile(`--provenance\b|NPM_CONFIG_PROVENANCE`)
	jsrelPnpm         = regexp.MustCompile(`\bpnpm\b`)
	// jsrelPushes are signs that a job writes to the repository (tags,
	// releases, commits); jsrelPRs that it opens pull requests.
	jsrelPushes = regexp.MustCompile(`\bgit\s+push\b|\bgh\s+release\b|softprops/action-gh-release|ncipollo/release-action|actions/create-release`)
	jsrelPRs    = regexp.MustCompile(`\bgh\s+pr\s+create\b|peter-evans/create-pull-request`)
)

// jsrelJob is the publishing job being moved to trusted publishing.
type jsrelJob struct {
	d       *doc
	f       *rules.Finding
	notes   *[]string
	id      string
	jk, jv  *yaml.Node
	mj      *model.Job
	steps   []*yaml.Node
	scripts []*jsrelScript
	pub     int
	edits   []Edit
	delStep map[int]bool
	delLine map[int]bool // file lines removed from scripts
	// dropped are the variables taken away, by the steps that saw them.
	dropped map[string][]int
}

// fixJSRelease moves semantic-release and changesets publishes on GitHub
// Actions to npm trusted publishing.
func fixJSRelease(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if isGitLabPath(f.Path) {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " on GitLab CI yet: follow the manual steps"}
	}
	if f.Registry != "" && f.Registry != "npm" {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "npm trusted publishing is the public registry's; this publish goes to " + f.Registry}
	}
	j, err := jsrelLoad(d, f, notes)
	if err != nil {
		return nil, err
	}
	if j.mj.SelfHosted {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "job " + j.id + " runs on a self-hosted runner: npm trusted publishing works on GitHub-hosted runners only"}
	}
	if segs := splitPath(f.YAMLPath); len(segs) >= 2 && segs[len(segs)-2] == "with" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "the token is the action's " + segs[len(segs)-1] + " input: tpscan does not know whether that action publishes without it; remove it and grant id-token: write by hand"}
	}
	for _, v := range f.Via {
		if strings.Contains(v, "GITHUB_ENV") {
			return nil, &Refusal{Reason: ReasonScript, Detail: "an earlier step exports the token through $GITHUB_ENV: remove that export by hand"}
		}
	}
	if err := j.findPublish(); err != nil {
		return nil, err
	}
	var need []string
	why := "semantic-release pushes the release tag, creates the GitHub release and comments on the issues and pull requests it released"
	switch f.Method {
	case "semantic-release":
		err = j.semanticRun()
		need = []string{"contents: write", "issues: write", "pull-requests: write"}
	case "semantic-release-action":
		err = j.semanticAction()
		need = []string{"contents: write", "issues: write", "pull-requests: write"}
	case "changesets":
		err = j.changesetsAction()
		need = []string{"contents: write", "pull-requests: write"}
		why = "changesets/action pushes the release branch and tags, opens the release pull request and creates GitHub releases"
	case "changeset-publish":
		why = "the job pushes tags, creates releases or opens pull requests"
		*notes = append(*notes, "changeset publish runs npm or pnpm (Changesets CLI v3 also Yarn Berry), whichever the repository uses: npm must be 11.5.1 or later (pnpm 10 runs that npm), Yarn Berry 4.10.3 or later (packageManager in package.json)")
		text := j.jobText()
		if jsrelPushes.MatchString(text) {
			need = append(need, "contents: write")
		}
		if jsrelPRs.MatchString(text) {
			need = append(need, "pull-requests: write")
		}
	default:
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
	}
	if err != nil {
		return nil, err
	}
	if err := j.cleanScripts(); err != nil {
		return nil, err
	}
	if err := j.dropEnv(); err != nil {
		return nil, err
	}
	if err := j.verify(); err != nil {
		return nil, err
	}
	// npm 11.5.1 or later on the runner: the one changeset publish runs,
	// and the one @semantic-release/npm publishes with unless its own is
	// first on the path (cycjimmy's action installs it out of reach).
	g := *f
	g.YAMLPath = j.stepPath(j.pub)
	ne, err := fixNode(d, &g, notes)
	if err != nil {
		return nil, err
	}
	j.edits = append(j.edits, ne...)
	pe, err := jsrelPermissions(d, j.id, need, why, notes)
	if err != nil {
		return nil, err
	}
	j.edits = append(j.edits, pe...)
	j.jobNotes()
	return keepNoFinalNewline(d, j.edits), nil
}

func jsrelLoad(d *doc, f *rules.Finding, notes *[]string) (*jsrelJob, error) {
	j := &jsrelJob{d: d, f: f, notes: notes, delStep: map[int]bool{}, delLine: map[int]bool{}, dropped: map[string][]int{}}
	j.id = jobOf(f.YAMLPath)
	if j.id == "" {
		j.id = f.Job
	}
	j.jk, j.jv = child(mustChild(d.root, "jobs"), j.id)
	if j.jv == nil || j.jv.Kind != yaml.MappingNode || j.jv.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " is not a block mapping"}
	}
	if d.pipeline != nil {
		for _, mj := range d.pipeline.Jobs {
			if mj.ID == j.id {
				j.mj = mj
			}
		}
	}
	if j.mj == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " was not read"}
	}
	if j.mj.Call != nil {
		return nil, &Refusal{Reason: ReasonReusable, Detail: "the token is passed to a reusable workflow"}
	}
	_, seq := child(j.jv, "steps")
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) != len(j.mj.Steps) {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " has no block list of steps"}
	}
	for i, st := range seq.Content {
		if st.Kind != yaml.MappingNode || st.Style&yaml.FlowStyle != 0 {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("step %d of job %s is written in flow style", i, j.id)}
		}
		j.steps = append(j.steps, st)
		j.scripts = append(j.scripts, jsrelReadScript(d, j.stepPath(i), i, st))
	}
	return j, nil
}

func (j *jsrelJob) stepPath(i int) string { return fmt.Sprintf("jobs.%s.steps[%d]", j.id, i) }

// label names step i as findings do: its id, name or action, or #i.
func (j *jsrelJob) label(i int) string {
	if l := j.mj.Steps[i].Label(); l != "" {
		return l
	}
	return fmt.Sprintf("#%d", i)
}

func (j *jsrelJob) uses(i int) string {
	_, u := child(j.steps[i], "uses")
	if u == nil || u.Kind != yaml.ScalarNode {
		return ""
	}
	return u.Value
}

func (j *jsrelJob) runText(i int) string {
	_, r := child(j.steps[i], "run")
	if r == nil || r.Kind != yaml.ScalarNode {
		return ""
	}
	return r.Value
}

// isPublish says whether step i runs the finding's tool.
func (j *jsrelJob) isPublish(i int) bool {
	switch j.f.Method {
	case "semantic-release":
		return jsrelSemanticCmd.MatchString(j.runText(i))
	case "semantic-release-action":
		return strings.Contains(strings.ToLower(j.uses(i)), "semantic-release")
	case "changesets":
		return jsrelUses(j.uses(i), jsrelChangesets)
	case "changeset-publish":
		return jsrelChangesetCmd.MatchString(j.runText(i))
	}
	return false
}

// findPublish finds the step the finding names.
func (j *jsrelJob) findPublish() error {
	own := -1
	if sp := stepOf(j.f.YAMLPath); sp != "" {
		own = jsrelStepIndex(sp)
		if own >= len(j.steps) {
			return &Refusal{Reason: ReasonLayout, Detail: "the step holding the token was not found"}
		}
	}
	var hits []int
	for i := range j.steps {
		if j.label(i) == j.f.Step && j.isPublish(i) {
			hits = append(hits, i)
		}
	}
	switch {
	case len(hits) == 1:
		j.pub = hits[0]
	case len(hits) > 1:
		for _, h := range hits {
			if h == own {
				j.pub = h
				return nil
			}
		}
		return &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("several steps of job %s are labelled %q: give the publishing step an id", j.id, j.f.Step)}
	default:
		return &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the publishing step %q of job %s was not found", j.f.Step, j.id)}
	}
	if own >= 0 && own != j.pub {
		// The token sits on another step's env: only an .npmrc written
		// there reaches the publish, which cleanScripts removes.
		if j.scripts[own] == nil || !jsrelWritesNpmrc(j.scripts[own]) {
			return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the token is on step %s, which does not plainly write it into .npmrc for step %s", j.label(own), j.label(j.pub))}
		}
	}
	return nil
}

func (j *jsrelJob) jobText() string {
	s, e, ok := j.d.entryRange(j.jk)
	if !ok {
		return ""
	}
	return string(j.d.src[s:e])
}

// ---- semantic-release ----

// semanticRun checks what can be seen of the semantic-release a run: step
// starts: pins in the job's scripts and the Node it runs on.
func (j *jsrelJob) semanticRun() error {
	var text strings.Builder
	for i := 0; i <= j.pub; i++ {
		text.WriteString(j.runText(i) + "\n")
	}
	pinned, err := jsrelSemanticPins(text.String(), "the job")
	if err != nil {
		return err
	}
	// semantic-release 25 exits on a Node outside ^22.14.0 || >=24.10.0.
	node, where := j.setupNode()
	switch {
	case node == nil && where == "":
		*j.notes = append(*j.notes, "job "+j.id+" has no actions/setup-node before semantic-release: semantic-release 25 runs on Node 22.14+ or 24.10+ only")
	case node != nil:
		if ok, known := jsrelNodeForSemantic(node.Value); known && !ok {
			return &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("setup-node node-version %s: semantic-release 25 and @semantic-release/npm 13.1.0, which trusted publishing needs, run only on Node 22.14+ or 24.10+, so this job runs an older semantic-release; upgrade Node and semantic-release first", node.Value)}
		}
	}
	if !pinned {
		*j.notes = append(*j.notes, "semantic-release publishes with trusted publishing from @semantic-release/npm 13.1.0, which semantic-release 25 installs: check that package.json has semantic-release 25 or later and no older @semantic-release/npm (an older one stops in verifyConditions without NPM_TOKEN, before it tags anything)")
	}
	if jsrelPnpm.MatchString(j.jobText()) {
		*j.notes = append(*j.notes, "with pnpm, the npm that @semantic-release/npm bundles may not be the one it runs: the npm on the path must be 11.5.1 or later too")
	}
	return nil
}

// jsrelSemanticPins checks semantic-release and @semantic-release/npm
// versions written in text; pinned says a semantic-release 25+ or
// @semantic-release/npm 13.1+ spec was seen.
func jsrelSemanticPins(text, where string) (pinned bool, err error) {
	for _, m := range jsrelSemanticPin.FindAllStringSubmatch(text, -1) {
		ok, known := jsrelSpecAtLeast(m[1], 25, 0)
		if known && !ok {
			return false, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("%s pins semantic-release@%s: trusted publishing needs semantic-release 25 (@semantic-release/npm 13.1.0); a major upgrade needs a person", where, m[1])}
		}
		if known {
			pinned = true
		}
	}
	for _, m := range jsrelNpmPluginPin.FindAllStringSubmatch(text, -1) {
		ok, known := jsrelSpecAtLeast(m[1], 13, 1)
		if known && !ok {
			return false, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("%s pins @semantic-release/npm@%s: trusted publishing needs 13.1.0 or later", where, m[1])}
		}
	}
	return pinned, nil
}

// setupNode returns the node-version of the last actions/setup-node before
// the publish, or where the version comes from when it is not a literal
// ("file" for node-version-file, "none" without node-version); nil, "" when
// there is none.
func (j *jsrelJob) setupNode() (*yaml.Node, string) {
	var nv *yaml.Node
	where := ""
	for i := 0; i < j.pub; i++ {
		if !jsrelUses(j.uses(i), "actions/setup-node") {
			continue
		}
		_, with := child(j.steps[i], "with")
		_, v := child(with, "node-version")
		nv, where = v, "literal"
		if v == nil {
			where = "none"
			if _, file := child(with, "node-version-file"); file != nil {
				where = "file"
			}
		}
	}
	return nv, where
}

// jsrelNodeForSemantic says whether a node-version satisfies ^22.14.0 ||
// >=24.10.0; known is false when tpscan cannot read it.
func jsrelNodeForSemantic(v string) (ok, known bool) {
	s := strings.TrimSpace(v)
	switch strings.ToLower(s) {
	case "lts/*", "latest", "current", "node", "lts/jod", "lts/krypton":
		return true, true
	case "lts/iron", "lts/hydrogen", "lts/gallium", "lts/fermium":
		return false, true
	}
	if strings.Contains(s, "${{") {
		return false, false
	}
	maj, min, ok := jsrelVersion(strings.TrimPrefix(s, "v"))
	if !ok {
		return false, false
	}
	switch {
	case maj == 22:
		return min < 0 || min >= 14, true
	case maj == 24:
		return min < 0 || min >= 10, true
	case maj >= 25:
		return true, true
	}
	return false, true
}

// jsrelVersion reads "22", "22.x", "22.14", "22.14.0" as major and minor
// (minor -1 for any).
func jsrelVersion(s string) (maj, min int, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return 0, 0, false
	}
	maj, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	min = -1
	if len(parts) > 1 && parts[1] != "x" && parts[1] != "X" && parts[1] != "*" {
		if min, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, false
		}
	}
	return maj, min, true
}

// jsrelSpecAtLeast says whether the highest version an npm version spec
// admits is at least major.minor (npx and npm install take the highest);
// known is false for a spec tpscan does not read (a dist-tag, a range).
func jsrelSpecAtLeast(spec string, major, minor int) (ok, known bool) {
	s := strings.TrimSpace(spec)
	switch s {
	case "", "latest", "*", "x", "X":
		return true, true
	}
	if strings.HasPrefix(s, ">") {
		return true, true
	}
	if strings.ContainsAny(s, " <|$") {
		return false, false
	}
	op := ""
	if s[0] == '^' || s[0] == '~' || s[0] == '=' {
		op, s = s[:1], s[1:]
	}
	maj, min, good := jsrelVersion(strings.TrimPrefix(s, "v"))
	if !good {
		return false, false
	}
	switch {
	case op == "^" && maj > 0:
		min = -1
	case op == "~" && min < 0:
		min = -1
	}
	return maj > major || maj == major && (min < 0 || min >= minor), true
}

// semanticAction checks cycjimmy/semantic-release-action: its
// semantic_version and extra_plugins inputs, and its pin (v5 runs on Node
// 24, v6 installs semantic-release 25 by default).
func (j *jsrelJob) semanticAction() error {
	uses := j.uses(j.pub)
	if !jsrelUses(uses, jsrelCycjimmy) {
		return &Refusal{Reason: ReasonNoFixer, Detail: "tpscan does not know which semantic-release " + uses + " runs: check that it runs semantic-release 25 (@semantic-release/npm 13.1.0), then remove NPM_TOKEN and grant id-token: write by hand"}
	}
	_, with := child(j.steps[j.pub], "with")
	// Without semantic_version the action installs the latest
	// semantic-release.
	if _, v := child(with, "semantic_version"); v != nil {
		ok, known := jsrelSpecAtLeast(v.Value, 25, 0)
		switch {
		case known && !ok:
			return &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("semantic_version %s: trusted publishing needs semantic-release 25 (@semantic-release/npm 13.1.0); a major upgrade needs a person", v.Value)}
		case !known:
			*j.notes = append(*j.notes, fmt.Sprintf("semantic_version %s: it must resolve to semantic-release 25 or later (@semantic-release/npm 13.1.0) for trusted publishing", v.Value))
		}
	}
	if _, v := child(with, "extra_plugins"); v != nil {
		if _, err := jsrelSemanticPins(v.Value, "extra_plugins"); err != nil {
			return err
		}
	}
	ref := uses[strings.LastIndexByte(uses, '@')+1:]
	ver := ref
	if v, ok := jsrelCycjimmyPins[ref]; ok {
		ver = v
	}
	m := actionVersion.FindStringSubmatch(ver)
	old := ref == "master"
	switch {
	case m != nil:
		major, _ := strconv.Atoi(m[1])
		old = major < 5
	case len(ref) == 40 && !old:
		*j.notes = append(*j.notes, jsrelCycjimmy+" is pinned to commit "+ref[:12]+": check that it is v5 or later (the action runs semantic-release on its own Node, 24 from v5)")
	}
	if old {
		e, to, err := j.setUses(j.pub, jsrelCycjimmy, ref, jsrelCycjimmyMin, jsrelCycjimmySHA)
		if err != nil {
			return err
		}
		j.edits = append(j.edits, e)
		*j.notes = append(*j.notes, fmt.Sprintf("%s@%s runs semantic-release on Node 20 or older, which semantic-release 25 (trusted publishing) does not support: moved to %s (Node 24, semantic-release 25 by default; same inputs)", jsrelCycjimmy, jsrelRefName(ref, ver), to))
	}
	*j.notes = append(*j.notes, jsrelCycjimmy+" installs semantic-release outside the repository, so @semantic-release/npm publishes with the npm on the path: it must be 11.5.1 or later (Node 24)")
	return nil
}

// ---- changesets ----

// changesetsAction moves changesets/action pins older than v1.7.0 (which
// wrote _authToken=undefined when NPM_TOKEN is unset) to v1.7.0.
func (j *jsrelJob) changesetsAction() error {
	uses := j.uses(j.pub)
	ref := uses[strings.LastIndexByte(uses, '@')+1:]
	ver := ref
	if v, ok := jsrelChangesetsPins[ref]; ok {
		ver = v
	}
	m := actionVersion.FindStringSubmatch(ver)
	major := 0
	switch {
	case m != nil:
		major, _ = strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major < 1 || major == 1 && m[2] != "" && minor < 7 {
			e, to, err := j.setUses(j.pub, jsrelChangesets, ref, jsrelChangesetsMin, jsrelChangesetsSHA)
			if err != nil {
				return err
			}
			j.edits = append(j.edits, e)
			*j.notes = append(*j.notes, fmt.Sprintf("%s@%s writes _authToken=undefined into ~/.npmrc when NPM_TOKEN is unset: moved to %s, which leaves npm to trusted publishing (same inputs)", jsrelChangesets, jsrelRefName(ref, ver), to))
			major = 1
		}
	case len(ref) == 40:
		*j.notes = append(*j.notes, jsrelChangesets+" is pinned to commit "+ref[:12]+": check that it is v1.7.0 or later (older releases write _authToken=undefined into ~/.npmrc when NPM_TOKEN is unset)")
	}
	if major == 1 {
		*j.notes = append(*j.notes, "changesets/action v1 goes with the Changesets CLI v2, whose changeset publish runs npm (pnpm in a pnpm workspace, which in version 10 runs that npm): the publish script must reach npm 11.5.1 or later")
	}
	*j.notes = append(*j.notes, "job "+j.id+" both opens the release pull request and publishes: id-token: write now reaches both kinds of run; changesets/action v2's publish sub-action lets a job of its own hold it")
	return nil
}

// setUses replaces a step's uses: (and a comment after it) with
// action@want, or with the release's commit and a "# want" comment when the
// step was pinned by commit.
func (j *jsrelJob) setUses(i int, action, ref, want, sha string) (Edit, string, error) {
	_, u := child(j.steps[i], "uses")
	if regexp.MustCompile(`^v\d+$`).MatchString(ref) {
		want = strings.SplitN(want, ".", 2)[0] // a major tag stays one
	}
	text := action + "@" + want
	if len(ref) == 40 {
		text = action + "@" + sha
	}
	switch {
	case u == nil:
	case u.Style == yaml.SingleQuotedStyle:
		text = "'" + text + "'"
	case u.Style == yaml.DoubleQuotedStyle:
		text = `"` + text + `"`
	}
	if len(ref) == 40 {
		text += " # " + want
	}
	e, ok := j.d.jsrelSetLine(u, text)
	if !ok {
		return Edit{}, "", &Refusal{Reason: ReasonLayout, Detail: "the uses: of step " + j.label(i) + " is not a one-line scalar"}
	}
	return e, want, nil
}

// jsrelSetLine replaces a one-line scalar and the comment after it.
func (d *doc) jsrelSetLine(n *yaml.Node, text string) (Edit, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Line == 0 || (n.Style != 0 && n.Style != yaml.SingleQuotedStyle && n.Style != yaml.DoubleQuotedStyle) {
		return Edit{}, false
	}
	l := strings.TrimRight(d.line(n.Line), "\r\n")
	if n.Column-1 >= len(l) {
		return Edit{}, false
	}
	return Edit{Start: d.lineStart(n.Line) + n.Column - 1, End: d.lineStart(n.Line) + len(l), New: text}, true
}

// jsrelStepIndex is i of a "jobs.<id>.steps[i]" path, or -1.
func jsrelStepIndex(stepPath string) int {
	segs := splitPath(stepPath)
	last := segs[len(segs)-1]
	k := strings.IndexByte(last, '[')
	if k < 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(last[k+1:], "]"))
	if err != nil {
		return -1
	}
	return n
}

// jsrelOnlyKeys says whether a mapping has no keys but these.
func jsrelOnlyKeys(m *yaml.Node, keys ...string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		found := false
		for _, k := range keys {
			found = found || m.Content[i].Value == k
		}
		if !found {
			return false
		}
	}
	return true
}

var jsrelSecretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsrelRefName names a pin for a note: a commit by its first 12 digits and
// the release it is.
func jsrelRefName(ref, ver string) string {
	if len(ref) == 40 {
		if ver != ref {
			return ref[:12] + " (" + ver + ")"
		}
		return ref[:12]
	}
	return ref
}

func jsrelUses(uses, action string) bool {
	return strings.HasPrefix(strings.ToLower(uses), strings.ToLower(action)+"@")
}

// ---- scripts ----

// jsrelScript is a step's run: script, line by line.
type jsrelScript struct {
	idx            int
	path           string
	step           *yaml.Node
	runKey, runVal *yaml.Node
	inline         bool
	lines          []jsrelLine // the command lines (blank and comment lines left out)
	// simple: every line is a command of its own (no heredoc, control
	// structure, continuation or quote across lines), so one can go
	// without touching the others.
	simple bool
}

// jsrelLine is one command line of a script.
type jsrelLine struct {
	n     int    // 1-based line of the file
	text  string // without its end of line (inline: the run value)
	words []jsrelWord
	// redirect is the file a > or >> redirection writes ("" for none).
	redirect string
	ok       bool // one simple command
}

// jsrelWord is one shell word: as written, unquoted, and its byte range in
// the line.
type jsrelWord struct {
	raw, val   string
	start, end int
}

var ()

// jsrelReadScript reads a step's run: script (a literal block or one line),
// or nil.
func jsrelReadScript(d *doc, stepPath string, idx int, st *yaml.Node) *jsrelScript {
	rk, rv := child(st, "run")
	lines, inline, ok := d.runScriptLines(rk, rv)
	if !ok {
		return nil
	}
	sc := &jsrelScript{idx: idx, path: stepPath, step: st, runKey: rk, runVal: rv, simple: true, inline: inline}
	for _, l := range lines {
		sc.lines = append(sc.lines, jsrelLine{n: l.n, text: l.text})
	}
	for k := range sc.lines {
		l := &sc.lines[k]
		var balanced bool
		l.words, l.redirect, l.ok, balanced = jsrelSplit(l.text)
		if !balanced {
			sc.simple = false
		}
		if shellStructured(l.text) {
			sc.simple = false
		}
		t := strings.TrimRight(l.text, " \t")
		for _, s := range []string{"\\", "|", "&&", "||"} {
			if strings.HasSuffix(t, s) {
				sc.simple = false
			}
		}
	}
	return sc
}

// jsrelSplit splits a command line into words and its > or >> target. ok
// is false when the line is more than one simple command (; & | < ( ) `
// $( outside quotes and ${{ }}); balanced is false when a quote runs past
// the end of the line.
func jsrelSplit(s string) (words []jsrelWord, redirect string, ok, balanced bool) {
	ok, balanced = true, true
	i := 0
	wantTarget := false
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] == '#' {
			break
		}
		if s[i] == '>' {
			if wantTarget || redirect != "" {
				ok = false
			}
			i++
			if i < len(s) && s[i] == '>' {
				i++
			}
			wantTarget = true
			continue
		}
		start := i
		var val strings.Builder
	word:
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			c := s[i]
			switch {
			case strings.HasPrefix(s[i:], "${{"):
				k := strings.Index(s[i:], "}}")
				if k < 0 {
					return nil, "", false, false
				}
				val.WriteString(s[i : i+k+2])
				i += k + 2
			case c == '\'':
				k := strings.IndexByte(s[i+1:], '\'')
				if k < 0 {
					return nil, "", false, false
				}
				val.WriteString(s[i+1 : i+1+k])
				i += k + 2
			case c == '"':
				k := i + 1
				for ; k < len(s) && s[k] != '"'; k++ {
					if s[k] == '\\' && k+1 < len(s) {
						k++
						val.WriteByte(s[k])
						continue
					}
					if s[k] == '`' || strings.HasPrefix(s[k:], "$(") {
						ok = false
					}
					val.WriteByte(s[k])
				}
				if k >= len(s) {
					return nil, "", false, false
				}
				i = k + 1
			case c == '\\':
				if i+1 >= len(s) {
					ok = false
					i++
					break word
				}
				val.WriteByte(s[i+1])
				i += 2
			case c == '>' && i > start:
				break word
			case strings.IndexByte(";&|<()`", c) >= 0, c == '$' && i+1 < len(s) && s[i+1] == '(':
				ok = false
				val.WriteByte(c)
				i++
			default:
				val.WriteByte(c)
				i++
			}
		}
		w := jsrelWord{raw: s[start:i], val: val.String(), start: start, end: i}
		if wantTarget {
			redirect, wantTarget = w.val, false
			continue
		}
		if redirect != "" {
			ok = false // words after the redirection: keep it simple
		}
		words = append(words, w)
	}
	if wantTarget {
		ok = false
	}
	return words, redirect, ok, balanced
}

func jsrelArgs(ws []jsrelWord) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.val
	}
	return out
}

// jsrelTokenLine says whether a line handles an npm token for the public
// registry: an _authToken (_auth, _password) setting without a host, or
// for the public registry's (not GitHub Packages' or a private one's).
func jsrelTokenLine(text string) bool {
	if !strings.Contains(text, "_auth") && !strings.Contains(text, "_password") {
		return false
	}
	if m := jsrelNpmrcHost.FindStringSubmatch(text); m != nil {
		return strings.HasPrefix(strings.ToLower(m[1]), "registry.npmjs.")
	}
	return regexp.MustCompile(`(?:^|[^A-Za-z0-9])_(?:authToken|auth|password)\b`).MatchString(text)
}

// jsrelNpmrcAuth says whether a token line is one write tpscan can delete:
// a redirection into .npmrc, or npm config set.
func jsrelNpmrcAuth(l jsrelLine) bool {
	if !jsrelTokenLine(l.text) {
		return false
	}
	if path.Base(l.redirect) == ".npmrc" {
		return true
	}
	a := jsrelArgs(l.words)
	return l.redirect == "" && len(a) >= 3 && a[0] == "npm" && (a[1] == "config" && len(a) >= 4 && a[2] == "set" || a[1] == "set")
}

var jsrelNpmrcHost = regexp.MustCompile(`//([^/:\s"']+)[^:\s]*:_(?:authToken|auth|password)`)

// jsrelWritesNpmrc says whether a script has a line that writes an npm
// token.
func jsrelWritesNpmrc(sc *jsrelScript) bool {
	for _, l := range sc.lines {
		if jsrelTokenLine(l.text) {
			return true
		}
	}
	return false
}

// jsrelWhoami is an `npm whoami` check, which fails without a token.
func jsrelWhoami(l jsrelLine) bool {
	a := jsrelArgs(l.words)
	return len(a) >= 2 && a[0] == "npm" && a[1] == "whoami"
}

// cleanScripts removes, in the steps up to the publish, the lines that
// write an npm token into .npmrc and npm whoami checks; a step left with
// nothing goes whole.
func (j *jsrelJob) cleanScripts() error {
	for i := 0; i <= j.pub; i++ {
		sc := j.scripts[i]
		if sc == nil {
			if r := j.runText(i); jsrelTokenLine(r) || strings.Contains(r, "npm whoami") {
				return &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + " writes an npm token or runs npm whoami in a script tpscan does not edit line by line"}
			}
			continue
		}
		var del []jsrelLine
		whoami, npmrc := false, false
		for _, l := range sc.lines {
			token := jsrelTokenLine(l.text)
			who := strings.Contains(l.text, "npm whoami")
			if !token && !who {
				continue
			}
			switch {
			case !sc.simple || !l.ok || token && !jsrelNpmrcAuth(l) || who && !jsrelWhoami(l):
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d writes an npm token or runs npm whoami as part of a larger shell command", l.n)}
			case token && jsrelNpmrcMore(l):
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d writes more than the token into .npmrc", l.n)}
			case sc.inline && i == j.pub:
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("line %d: the publishing step's one-line run: would lose its command", l.n)}
			}
			whoami = whoami || who
			npmrc = npmrc || token
			del = append(del, l)
		}
		if len(del) == 0 {
			continue
		}
		if whoami {
			*j.notes = append(*j.notes, "step "+j.label(i)+": npm whoami removed: it fails without a stored token (trusted publishing authenticates npm publish only)")
		}
		if len(del) == len(sc.lines) {
			if i == j.pub {
				return &Refusal{Reason: ReasonScript, Detail: "the publishing step's script would be left without a command"}
			}
			if !jsrelOnlyKeys(sc.step, "name", "run", "env", "shell", "working-directory", "if") {
				return &Refusal{Reason: ReasonLayout, Detail: "step " + j.label(i) + " would be left without a command"}
			}
			e, err := jsrelDeleteStep(j.d, sc.path, sc.step)
			if err != nil {
				return err
			}
			j.edits = append(j.edits, e)
			j.delStep[i] = true
			*j.notes = append(*j.notes, "step "+j.label(i)+" only wrote the npm token or checked it: removed")
			continue
		}
		if sc.inline {
			return &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + ": a one-line run: cannot lose part of its command"}
		}
		for _, l := range del {
			j.edits = append(j.edits, Edit{Start: j.d.lineStart(l.n), End: j.d.lineStart(l.n + 1)})
			j.delLine[l.n] = true
		}
		if npmrc {
			*j.notes = append(*j.notes, "step "+j.label(i)+": the line writing the npm token into .npmrc is removed")
		}
	}
	// An install between a removed .npmrc line and the publish ran with the
	// token: private dependencies need a read-only one of their own.
	first := -1
	for i := 0; i < j.pub; i++ {
		if j.delStep[i] || j.scripts[i] != nil && j.scripts[i].hasDeleted(j.delLine) {
			first = i
			break
		}
	}
	if first >= 0 {
		for i := first; i <= j.pub; i++ {
			if jsrelInstall.MatchString(j.runText(i)) {
				*j.notes = append(*j.notes, "step "+j.label(i)+" installs dependencies after the removed .npmrc line: if any are private, give that step a read-only token of its own (never the publish)")
				break
			}
		}
	}
	return nil
}

func (sc *jsrelScript) hasDeleted(del map[int]bool) bool {
	for _, l := range sc.lines {
		if del[l.n] {
			return true
		}
	}
	return false
}

var jsrelInstall = regexp.MustCompile(`\b(?:npm\s+(?:ci|install|i)|yarn(?:\s+install)?|pnpm\s+(?:install|i))\b`)

// jsrelNpmrcMore says whether an .npmrc line writes settings besides the
// token (a scope's registry, several lines), which deleting it would lose.
func jsrelNpmrcMore(l jsrelLine) bool {
	if path.Base(l.redirect) != ".npmrc" {
		return false
	}
	content := strings.Join(jsrelArgs(l.words[1:]), " ")
	content = strings.TrimSuffix(strings.TrimSpace(content), `\n`)
	return strings.Count(content, "=") > 1 || strings.Contains(content, `\n`)
}

// jsrelDeleteStep deletes a whole step, refusing when later steps
// read its outputs.
func jsrelDeleteStep(d *doc, stepPath string, st *yaml.Node) (Edit, error) {
	_, dash, ok := d.stepNode(stepPath)
	if !ok {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: stepPath + " is not a block step"}
	}
	if _, id := child(st, "id"); id != nil && strings.Contains(string(d.src), "steps."+id.Value+".") {
		return Edit{}, &Refusal{Reason: ReasonLayout, Detail: "step " + id.Value + " would go, and later steps read its outputs"}
	}
	return Edit{Start: d.lineStart(dash), End: d.lineStart(d.lastLine(st) + 1)}, nil
}

// remaining is what is left of step i's script after the deletions.
func (j *jsrelJob) remaining(i int) string {
	sc := j.scripts[i]
	if sc == nil {
		return j.runText(i)
	}
	var b strings.Builder
	for _, l := range sc.lines {
		if !j.delLine[l.n] {
			b.WriteString(l.text + "\n")
		}
	}
	return b.String()
}

// ---- env ----

// jsrelStored says whether an env value is a stored secret other than the
// job's own GITHUB_TOKEN.
func jsrelStored(v *yaml.Node) bool {
	return v != nil && v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "secrets.") && !jsrelGitHubToken.MatchString(v.Value)
}

// dropEnv removes the token from every env that reaches the publish: the
// npm token variables holding a stored secret, and any variable holding
// the finding's secret, in the publishing step's, the job's and the
// workflow's env; and, in a step whose .npmrc lines went, the variables
// only those lines read.
func (j *jsrelJob) dropEnv() error {
	secretRe := j.secretRef()
	type scope struct {
		path  string
		level int // 0 workflow, 1 job, 2 step
		steps []int
	}
	scopes := []scope{}
	if !j.delStep[j.pub] {
		scopes = append(scopes, scope{j.stepPath(j.pub) + ".env", 2, []int{j.pub}})
	}
	all := make([]int, len(j.steps))
	for i := range all {
		all[i] = i
	}
	scopes = append(scopes, scope{"jobs." + j.id + ".env", 1, all}, scope{"env", 0, all})
	for i := 0; i < j.pub; i++ {
		if j.delStep[i] || j.scripts[i] == nil {
			continue
		}
		for _, l := range j.scripts[i].lines {
			if j.delLine[l.n] {
				scopes = append(scopes, scope{j.stepPath(i) + ".env", 3, []int{i}})
				break
			}
		}
	}
	for _, sc := range scopes {
		_, _, m := j.d.lookup(sc.path)
		if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 {
			if m != nil && len(m.Content) > 0 {
				return &Refusal{Reason: ReasonLayout, Detail: sc.path + " is written in flow style"}
			}
			continue
		}
		var drop []string
		for k := 0; k+1 < len(m.Content); k += 2 {
			name, v := m.Content[k].Value, m.Content[k+1]
			switch sc.level {
			case 3:
				// A step whose .npmrc line went: a secret it no longer reads.
				if !jsrelStored(v) || jsrelReads(j.remaining(sc.steps[0])+"\n"+stepValues(j.steps[sc.steps[0]]), name) {
					continue
				}
			default:
				if !(jsrelTokenVars[name] && jsrelStored(v)) && !(secretRe != nil && secretRe.MatchString(v.Value)) {
					continue
				}
			}
			drop = append(drop, name)
		}
		if len(drop) == 0 {
			continue
		}
		if sc.level == 0 && len(mustChild(j.d.root, "jobs").Content) > 2 {
			return &Refusal{Reason: ReasonLayout, Detail: "the token is in the workflow-level env, which every job sees: move it into the publishing job's env first"}
		}
		for _, n := range drop {
			for _, i := range sc.steps {
				if sc.level < 2 && jsrelEnvHas(j.steps[i], n) {
					continue // the step's own entry shadows it
				}
				j.dropped[n] = append(j.dropped[n], i)
			}
		}
		x, err := j.d.removeKeys(sc.path, drop)
		if err != nil {
			return err
		}
		j.edits = append(j.edits, x...)
		where := map[int]string{0: "the workflow env", 1: "job " + j.id + "'s env", 2: "step " + j.label(j.pub) + "'s env", 3: "step " + sc.path + "'s env"}[sc.level]
		*j.notes = append(*j.notes, fmt.Sprintf("%s removed from %s", strings.Join(drop, ", "), where))
		if sc.level < 2 {
			*j.notes = append(*j.notes, "the token left "+where+": if a committed .npmrc reads it to install private packages, give the install step a read-only token of its own")
		}
	}
	return nil
}

func jsrelEnvHas(st *yaml.Node, name string) bool {
	_, env := child(st, "env")
	_, v := child(env, name)
	return v != nil
}

// secretRef matches the finding's secret in an expression.
func (j *jsrelJob) secretRef() *regexp.Regexp {
	if j.f.Secret == "" || !jsrelSecretName.MatchString(j.f.Secret) {
		return nil
	}
	return regexp.MustCompile(`(?i)\bsecrets\.` + regexp.QuoteMeta(j.f.Secret) + `\b`)
}

// jsrelReads says whether text reads $name, ${name} or env.name.
func jsrelReads(text, name string) bool {
	return regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b|\benv\.` + regexp.QuoteMeta(name) + `\b`).MatchString(text)
}

// covered says whether [a, b) falls inside an edit that removes or
// replaces text.
func (j *jsrelJob) covered(a, b int) bool {
	for _, e := range j.edits {
		if e.End > e.Start && a >= e.Start && b <= e.End {
			return true
		}
	}
	return false
}

// verify is the backstop: the publishing step, the job's and the
// workflow's env hold the secret nowhere the fix leaves, and no step reads
// a variable the fix took away.
func (j *jsrelJob) verify() error {
	ranges := [][2]int{}
	if _, dash, ok := j.d.stepNode(j.stepPath(j.pub)); ok {
		ranges = append(ranges, [2]int{j.d.lineStart(dash), j.d.lineStart(j.d.lastLine(j.steps[j.pub]) + 1)})
	}
	for _, p := range []string{"jobs." + j.id + ".env", "env"} {
		if _, k, _ := j.d.lookup(p); k != nil {
			if s, e, ok := j.d.entryRange(k); ok {
				ranges = append(ranges, [2]int{s, e})
			}
		}
	}
	check := func(re *regexp.Regexp, from, to int, what string) error {
		for _, loc := range re.FindAllIndex(j.d.src[from:to], -1) {
			if !j.covered(from+loc[0], from+loc[1]) {
				line := strings.Count(string(j.d.src[:from+loc[0]]), "\n") + 1
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("%s is still used on line %d, which this fix does not rewrite", what, line)}
			}
		}
		return nil
	}
	// A token exported through $GITHUB_ENV before the publish reaches it
	// whatever the env says.
	for i := 0; i < j.pub; i++ {
		for _, l := range strings.Split(j.runText(i), "\n") {
			if !strings.Contains(l, "GITHUB_ENV") {
				continue
			}
			for name := range jsrelTokenVars {
				if strings.Contains(l, name) || j.secretRef() != nil && j.secretRef().MatchString(l) {
					return &Refusal{Reason: ReasonScript, Detail: "step " + j.label(i) + " exports an npm token through $GITHUB_ENV: remove that export by hand"}
				}
			}
		}
	}
	if re := j.secretRef(); re != nil {
		for _, r := range ranges {
			if err := check(re, r[0], r[1], "secret "+j.f.Secret); err != nil {
				return err
			}
		}
	}
	names := make([]string, 0, len(j.dropped))
	for n := range j.dropped {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		re := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `\b|\benv\.` + regexp.QuoteMeta(name) + `\b`)
		for _, i := range j.dropped[name] {
			if j.delStep[i] {
				continue
			}
			_, dash, ok := j.d.stepNode(j.stepPath(i))
			if !ok {
				return &Refusal{Reason: ReasonLayout, Detail: j.stepPath(i) + " is not a block step"}
			}
			if err := check(re, j.d.lineStart(dash), j.d.lineStart(j.d.lastLine(j.steps[i])+1), "the token variable "+name); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- permissions and notes ----

// jsrelPermissions grants id-token: write (ensurePermissions). A job that
// has no permissions anywhere (the repository default) gets a new block
// with the scopes its tool needs besides (contents: write for tags and
// releases, pull-requests: write for release pull requests), which the
// contents: read of ensurePermissions' block would take away.
func jsrelPermissions(d *doc, job string, need []string, why string, notes *[]string) ([]Edit, error) {
	jk, jv := child(mustChild(d.root, "jobs"), job)
	_, jp := child(jv, "permissions")
	_, wp := child(d.root, "permissions")
	if jp != nil || wp != nil || len(need) == 0 {
		return ensurePermissions(d, job, notes)
	}
	ind, ok := d.childIndent(jv)
	if !ok || jv.Content[0].Line == jk.Line {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + job + " starts on its key line"}
	}
	unit := ind - (jk.Column - 1)
	if unit <= 0 {
		unit = 2
	}
	eol := d.eol()
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", ind) + "permissions:" + eol)
	for _, s := range append(append([]string(nil), need...), "id-token: write") {
		b.WriteString(strings.Repeat(" ", ind+unit) + s + eol)
	}
	*notes = append(*notes, "job "+job+": added permissions "+strings.Join(need, ", ")+" ("+why+") and id-token: write; its other scopes were the repository default and are now none")
	at := d.lineStart(jk.Line + 1)
	return []Edit{{Start: at, End: at, New: b.String()}}, nil
}

func (j *jsrelJob) jobNotes() {
	text := j.jobText()
	if jsrelProvenance.MatchString(text) {
		*j.notes = append(*j.notes, "job "+j.id+" asks for npm provenance: it stays, but fails (E422) from a private or internal repository; remove it there")
	}
	if j.mj.Environment != "" {
		*j.notes = append(*j.notes, fmt.Sprintf("job %s runs in environment %s: name it in the npm trusted publisher, or leave that field empty", j.id, j.mj.Environment))
	}
	if _, strat := child(j.jv, "strategy"); strat != nil {
		if _, mx := child(strat, "matrix"); mx != nil {
			*j.notes = append(*j.notes, "job "+j.id+" is a matrix job: id-token: write reaches every matrix run")
		}
	}
	if j.d.pipeline.HasTrigger("pull_request") {
		*j.notes = append(*j.notes, "the workflow also runs on pull_request: unless an if: keeps job "+j.id+" out of them, it now gets id-token: write in pull-request runs from this repository's branches (never from forks)")
	}
}
