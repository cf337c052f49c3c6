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
	"github.com/tpscan/tpscan/scanner/shell"
)

// pub.dev (reference §7): there is no exchange. dart-lang/setup-dart
// (v1.4.0 or later), in a job with id-token: write, asks GitHub for an OIDC
// token with audience https://pub.dev, exports it as PUB_TOKEN and registers
// it with `dart pub token add https://pub.dev --env-var PUB_TOKEN`; a later
// `dart pub publish` (or `flutter pub publish`) sends it, and that token
// store entry beats pub-credentials.json. The token lives about five
// minutes, so setup-dart goes as late as it can (§7.7.4). pub.dev accepts it
// only from a tag push (or an opt-in workflow_dispatch run on a tag) whose
// tag is the package's pattern with the pubspec version (§7.4); the rules
// already block workflows without a tag push, and the fixer refuses the
// ones that also run the publish on other events.
//
// Two forms (§7.8):
//   - dart pub publish / flutter pub publish in a run: step: the lines and
//     steps writing the stored Google credentials (pub-credentials.json,
//     ~/.pub-cache/credentials.json, `dart pub token add` of a secret) go,
//     with the env entries that carried them; setup-dart is added right
//     before the publish (for a Flutter job running dart pub publish:
//     before the Flutter setup, as the official publish.yml does, so that
//     dart stays Flutter's), or an existing one is kept (bumped below
//     v1.4.0).
//   - k-paxian/dart-package-publisher and sakebook/actions-flutter-pub-
//     publisher: the job becomes a call of the official reusable workflow
//     dart-lang/setup-dart/.github/workflows/publish.yml (checkout,
//     setup-dart, the Flutter SDK, pub get, a dry run, publish), with the
//     package directory and the job's environment as its inputs. Only a job
//     that does nothing else is rewritten.

const (
	// pubdevSetupDartSHA is v1.7.2, what v1 pointed to at the reference's
	// snapshot (§7.8).
	pubdevSetupDartSHA = "65eb853c7ba17dde3be364c3d2858773e7144260"
	pubdevSetupDartUse = "dart-lang/setup-dart@" + pubdevSetupDartSHA + " # v1.7.2"
	pubdevPublishYML   = "dart-lang/setup-dart/.github/workflows/publish.yml@" + pubdevSetupDartSHA + " # v1.7.2"
)

// pubdevSetupDartPins are the setup-dart releases by commit (the mirror of
// dart-lang/setup-dart read with the reference).
var pubdevSetupDartPins = map[string]string{
	"40bc0e5469ced7d5a756dccbee44f4ec477e156e": "v0.1",
	"db4ae865a72370d943b19a901a98318623554f16": "v0.2",
	"b77f714ba35594641a83a71d243c7de39d820474": "v0.3",
	"0ef94d32a6fe52c94e7eb4d8b63976df1fde8c10": "v0.4",
	"e391a10474f61e6dd611ffe10e05c5f35b6434ad": "v0.5",
	"9a04e6d73cca37bd455e0608d7e5092f881fd603": "v1.0.0",
	"fa07b23c84e2bdb044d78cb24e69cb6ba73a82ae": "v1.1.0",
	"ade92c2f32c026078e6297a030ec6b7933f71950": "v1.2.0",
	"6a218f2413a3e78e9087f638a238f6b40893203d": "v1.3.0",
	"a57a6c04cf7d4840e88432aad6281d1e125f0d46": "v1.4.0",
	"d6a63dab3335f427404425de0fbfed4686d93c4f": "v1.5.0",
	"8a4b97ea2017cc079571daec46542f76189836b1": "v1.5.1",
	"b64355ae6ca0b5d484f0106a033dd1388965d06d": "v1.6.0",
	"ca7e6fee45ffbd82b555a7ebfc236d2c86439f5b": "v1.6.1",
	"fedb1266e91cf51be2fdb382869461a434b920a3": "v1.6.2",
	"65c82982aa686933bf10d50aced7a27b2b63f2a6": "v1.6.3",
	"f0ead981b4d9a35b37f30d36160575d60931ec30": "v1.6.4",
	"0a8a0fc875eb934c15d08629302413c671d3f672": "v1.6.5",
	"e630b99d28a3b71860378cafdc2a067c71107f94": "v1.7.0",
	"e51d8e571e22473a2ddebf0ef8a2123f0ab2c02c": "v1.7.1",
	pubdevSetupDartSHA:                         "v1.7.2",
}

var (
	// A redirection or tee target: a quoted or unquoted word (a backslash
	// escapes a space, as in ~/Library/Application\ Support).
	pubdevTarget   = `("[^"]*"|'[^']*'|(?:\\ |[^\s;&|<>])+)`
	pubdevWriteRe  = regexp.MustCompile(`^(?:echo|printf)\b[^;&]*?>>?\s*` + pubdevTarget + `$`)
	pubdevTeeRe    = regexp.MustCompile(`^(?:echo|printf)\b[^;&]*\|\s*(?:sudo\s+)?tee\s+(?:-a\s+)?` + pubdevTarget + `(?:\s*>\s*/dev/null)?$`)
	pubdevHereRe   = regexp.MustCompile(`^(?:cat|tee)\s+(?:<<-?\s*['"]?(\w+)['"]?\s*>\s*` + pubdevTarget + `|>?\s*` + pubdevTarget + `\s*<<-?\s*['"]?(\w+)['"]?)$`)
	pubdevMkdirRe  = regexp.MustCompile(`^mkdir\s+(?:-p\s+)?` + pubdevTarget + `$`)
	pubdevFileOpRe = regexp.MustCompile(`^(?:chmod\s+\S+|touch|rm(?:\s+-[rf]+)?)\s+` + pubdevTarget + `$`)
	pubdevTokenAdd = regexp.MustCompile(`^(?:(?:echo|printf)\b[^;&]*\|\s*)?(?:dart|flutter)\s+pub\s+token\s+add\s+['"]?https://pub\.(?:dev|dartlang\.org)/?['"]?(?:\s+--env-var[=\s]+(\w+))?$`)
	// What a line deletion could break: compound commands, braces and
	// continuations.
	pubdevCompound = regexp.MustCompile(`(?:^|[\s;&|(])(?:if|then|else|elif|fi|for|while|until|do|done|case|esac|function)(?:$|[\s;)])|^[{}()]|\s\{$|(?:\\|&&|\|\||\|)$`)
	// A mention of the credentials file or the token store.
	pubdevCredMention = regexp.MustCompile(`pub-credentials\.json|(?:pub-cache|Pub[/\\]Cache|dart|PUB_CACHE\}?)[/\\]credentials\.json|\bpub\s+token\s+add\b`)
	pubdevFileMention = regexp.MustCompile(`pub-credentials\.json|(?:pub-cache|Pub[/\\]Cache|dart|PUB_CACHE\}?)[/\\]credentials\.json`)
	pubdevSecretRef   = regexp.MustCompile(`secrets\.([A-Za-z_][A-Za-z0-9_]*)`)
	pubdevVarRef      = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)|\benv\.([A-Za-z_][A-Za-z0-9_]*)|\$env:([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%|--env-var[=\s]+([A-Za-z_][A-Za-z0-9_]*)`)
	pubdevTagGate     = regexp.MustCompile(`refs/tags/|ref_type`)
	pubdevVersion     = regexp.MustCompile(`^['"]?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?`)
	// Contexts a job-level if: cannot read.
	pubdevStepContext = regexp.MustCompile(`\b(?:steps|env|matrix|job|runner|strategy)\.|hashFiles\(`)
)

type pubdevStep struct {
	idx         int
	path        string
	node        *yaml.Node
	ms          *model.Step
	action      string // owner/name lowercased, "" for a run: step
	ref         string
	usesNode    *yaml.Node
	runKey, run *yaml.Node
	label       string
}

type pubdevJob struct {
	d         *doc
	f         *rules.Finding
	id        string
	key, node *yaml.Node
	mj        *model.Job
	steps     []*pubdevStep
	notes     *[]string
	// stepGated: the workflow runs the job on other events too, and only
	// the publishing step's if: keeps them from publishing.
	stepGated bool
}

// fixPubDev moves a pub.dev publish on GitHub Actions to automated
// publishing (OIDC).
func fixPubDev(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	if f.Registry != "" && f.Registry != "pubdev" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "this publish goes to " + f.Registry + ", not pub.dev: only pub.dev has automated publishing"}
	}
	if isGitLabPath(f.Path) || !strings.HasPrefix(f.Path, ".github/") {
		return nil, &Refusal{Reason: ReasonRejected, Detail: "pub.dev has no trusted publishing for GitLab CI/CD: use a Google Cloud service account through workload identity federation (see the manual steps)"}
	}
	j, err := pubdevLoad(d, f, notes)
	if err != nil {
		return nil, err
	}
	var edits []Edit
	switch f.Method {
	case "dart-package-publisher", "flutter-pub-publisher":
		edits, err = j.fixAction()
	default:
		edits, err = j.fixCommand()
	}
	if err != nil {
		return nil, err
	}
	j.secretNotes()
	pe, err := ensurePermissions(d, j.id, notes)
	if err != nil {
		return nil, err
	}
	return append(edits, pe...), nil
}

func pubdevLoad(d *doc, f *rules.Finding, notes *[]string) (*pubdevJob, error) {
	if d.pipeline == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the workflow could not be read"}
	}
	id := jobOf(f.YAMLPath)
	if id == "" {
		id = f.Job
	}
	jk, jv := child(mustChild(d.root, "jobs"), id)
	if jv == nil || jv.Kind != yaml.MappingNode || jv.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + id + " is not a block mapping"}
	}
	j := &pubdevJob{d: d, f: f, id: id, key: jk, node: jv, notes: notes}
	for _, mj := range d.pipeline.Jobs {
		if mj.ID == id {
			j.mj = mj
		}
	}
	if j.mj == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + id + " not found"}
	}
	if j.mj.Call != nil {
		return nil, &Refusal{Reason: ReasonReusable, Detail: "job " + id + " calls a reusable workflow: the publish is in the called file"}
	}
	_, sv := child(jv, "steps")
	if sv == nil || sv.Kind != yaml.SequenceNode || sv.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + id + " has no block steps list"}
	}
	byIdx := map[int]*model.Step{}
	for _, ms := range j.mj.Steps {
		byIdx[ms.Index] = ms
	}
	for i, st := range sv.Content {
		if st.Kind != yaml.MappingNode || st.Style&yaml.FlowStyle != 0 || len(st.Content) == 0 {
			return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("step %d of job %s is written in flow style", i, id)}
		}
		s := &pubdevStep{idx: i, path: fmt.Sprintf("jobs.%s.steps[%d]", id, i), node: st, ms: byIdx[i], label: fmt.Sprintf("at line %d", st.Content[0].Line)}
		if _, u := child(st, "uses"); u != nil {
			s.usesNode = u
			s.action, s.ref = u.Value, ""
			if k := strings.LastIndexByte(u.Value, '@'); k >= 0 {
				s.action, s.ref = u.Value[:k], u.Value[k+1:]
			}
			s.action = strings.ToLower(s.action)
		}
		s.runKey, s.run = child(st, "run")
		for _, k := range []string{"id", "name", "uses"} {
			if _, v := child(st, k); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				s.label = v.Value
				break
			}
		}
		j.steps = append(j.steps, s)
	}
	return j, nil
}

func (j *pubdevJob) line(s *pubdevStep) int { return s.node.Content[0].Line }

// where names a step with its line.
func (j *pubdevJob) where(s *pubdevStep) string {
	if strings.HasPrefix(s.label, "at line ") {
		return s.label
	}
	return fmt.Sprintf("%s (line %d)", s.label, j.line(s))
}

// triggers refuses a workflow that runs the publish on events pub.dev
// refuses (§7.4, §10): a branch push next to the tag push, a release, a
// pull request... unless the job (or, with gateStep, the publishing step)
// runs only for tags. workflow_dispatch is accepted when enabled on pub.dev.
func (j *pubdevJob) triggers(stepIf string) error {
	var other []string
	dispatch := false
	_, on := child(j.d.root, "on")
	for _, t := range j.d.pipeline.Triggers {
		switch {
		case t.Event == "workflow_dispatch":
			dispatch = true
		case t.Event == "push" && len(t.Tags) > 0:
			_, push := child(on, "push")
			bk, _ := child(push, "branches")
			bik, _ := child(push, "branches-ignore")
			if len(t.Branches) > 0 || bk != nil || bik != nil {
				other = append(other, "branch pushes")
			}
		case t.Event == "push":
			other = append(other, "branch pushes")
		default:
			other = append(other, t.Event)
		}
	}
	if len(other) > 0 && !pubdevTagGate.MatchString(j.mj.If) {
		j.stepGated = true
	}
	if len(other) > 0 && !pubdevTagGate.MatchString(j.mj.If) && !pubdevTagGate.MatchString(stepIf) {
		return &Refusal{Reason: ReasonRejected, Detail: fmt.Sprintf("the workflow also runs job %s on %s, where pub.dev refuses automated publishing (only a tag push, or workflow_dispatch when enabled): limit the publish to tags (if: startsWith(github.ref, 'refs/tags/') on the job) or move it to a workflow that runs on tag pushes only", j.id, strings.Join(other, ", "))}
	}
	if dispatch {
		*j.notes = append(*j.notes, "workflow_dispatch runs publish only when \"Enable publishing from workflow_dispatch events\" is on in the package's pub.dev admin page and the run is started on the release tag (pub.dev checks that the ref is a tag)")
	}
	return nil
}

// pubdevCmd is a pub publish command of a step.
type pubdevCmd struct {
	step    int
	flutter bool
	bare    bool // the pre-Dart-2.10 `pub` executable
	line    int
}

// publishes lists the commands of the job that publish to pub.dev (dry runs
// excluded).
func (j *pubdevJob) publishes() []pubdevCmd {
	var out []pubdevCmd
	for _, s := range j.steps {
		if s.ms == nil || s.ms.Run == nil {
			continue
		}
		shell.Ensure(s.ms.Run)
		for _, c := range s.ms.Run.Commands {
			var argv []string
			for _, w := range c.Args {
				argv = append(argv, w.Lit)
			}
			if len(argv) > 1 && path.Base(argv[0]) == "fvm" {
				argv = argv[1:]
			}
			if len(argv) < 2 {
				continue
			}
			name := path.Base(argv[0])
			var rest []string
			switch {
			case (name == "dart" || name == "flutter") && len(argv) >= 3 && argv[1] == "pub" && (argv[2] == "publish" || argv[2] == "lish"):
				rest = argv[3:]
			case name == "pub" && (argv[1] == "publish" || argv[1] == "lish"):
				rest = argv[2:]
			default:
				continue
			}
			dry := false
			for _, a := range rest {
				if a == "--dry-run" || a == "-n" {
					dry = true
				}
			}
			if !dry {
				out = append(out, pubdevCmd{step: s.idx, flutter: name == "flutter", bare: name == "pub", line: c.Pos.Line})
			}
		}
	}
	return out
}

// fixCommand fixes dart pub publish / flutter pub publish fed by a stored
// credentials file.
func (j *pubdevJob) fixCommand() ([]Edit, error) {
	pubs := j.publishes()
	if len(pubs) == 0 {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the pub publish command of job " + j.id + " was not found in a run: step"}
	}
	for _, p := range pubs {
		if p.bare {
			return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("line %d runs the standalone pub executable (Dart SDK before 2.10), which does not read the token store setup-dart writes: move to dart pub publish on a current SDK", p.line)}
		}
	}
	if len(pubs) > 1 {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: fmt.Sprintf("job %s runs pub publish %d times (lines %d and %d): pub.dev checks every package against the one pushed tag, so each package needs its own tag pattern and workflow (reference §7.7)", j.id, len(pubs), pubs[0].line, pubs[1].line)}
	}
	pub := j.steps[pubs[0].step]
	if strings.Contains(j.stepText(pub), "matrix.") {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "the publishing step of job " + j.id + " depends on the matrix: each package needs its own tag pattern on pub.dev; split the publish per package by hand"}
	}
	_, pubIf := child(pub.node, "if")
	stepIf := ""
	if pubIf != nil {
		stepIf = pubIf.Value
	}
	if err := j.triggers(stepIf); err != nil {
		return nil, err
	}

	// The stored credentials leave the job.
	c := &pubdevCleaner{j: j, delSteps: map[int]bool{}}
	for _, s := range j.steps {
		if err := c.step(s, s.idx == pub.idx); err != nil {
			return nil, err
		}
	}
	if !c.related {
		return nil, &Refusal{Reason: ReasonScript, Detail: "no step of job " + j.id + " writes the stored pub.dev credentials in a form tpscan removes (echo, printf, cat or tee into pub-credentials.json or ~/.pub-cache/credentials.json, or dart pub token add)"}
	}
	envEdits, err := c.envs()
	if err != nil {
		return nil, err
	}
	edits := append(c.edits, envEdits...)
	if err := c.verify(); err != nil {
		return nil, err
	}

	// The token: setup-dart before the publish.
	se, err := j.setupDart(pub, pubs[0].flutter, c)
	if err != nil {
		return nil, err
	}
	edits = append(edits, se...)
	if j.stepGated {
		*j.notes = append(*j.notes, "job "+j.id+" also runs on events that do not publish, and now holds id-token: write on every run (any of its steps can mint an OIDC token): consider moving the publish into its own job that runs only for tags")
	}
	if c.removedSteps > 0 || len(c.edits) > 0 {
		*j.notes = append(*j.notes, "job "+j.id+": the lines and steps that wrote the stored Google credentials for pub.dev (pub-credentials.json, credentials.json, dart pub token add) are removed, with the env entries that carried them")
	}
	return edits, nil
}

// stepText is the source text of a step.
func (j *pubdevJob) stepText(s *pubdevStep) string {
	_, line, ok := j.d.stepNode(s.path)
	if !ok {
		return ""
	}
	return string(j.d.src[j.d.lineStart(line):j.d.lineStart(j.d.lastLine(s.node)+1)])
}

// setupDart makes sure dart-lang/setup-dart (v1.4.0 or later) runs before
// the publish, as late as it can: the token it mints lives about five
// minutes.
func (j *pubdevJob) setupDart(pub *pubdevStep, flutterPub bool, c *pubdevCleaner) ([]Edit, error) {
	d := j.d
	var existing, flutterSetup *pubdevStep
	for _, s := range j.steps[:pub.idx] {
		switch s.action {
		case "dart-lang/setup-dart":
			existing = s
		case "subosito/flutter-action", "flutter-actions/setup-flutter":
			if flutterSetup == nil {
				flutterSetup = s
			}
		}
	}
	if flutterSetup != nil {
		_, w := child(flutterSetup.node, "with")
		for _, in := range []string{"flutter-version", "version"} {
			if _, v := child(w, in); v != nil && v.Kind == yaml.ScalarNode {
				if maj, min, ok := pubdevMajorMinor(v.Value); ok && (maj < 2 || maj == 2 && min < 8) {
					return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("%s installs Flutter %s: Flutter before 2.8 (Dart 2.15) has no pub token store, so the OIDC token setup-dart stores is never used", flutterSetup.action, v.Value)}
				}
			}
		}
	}
	if existing != nil {
		if j.stepGated {
			// With id-token: write, setup-dart would mint a token on the
			// runs that do not publish too, and pub.dev may refuse the
			// pub requests that carry it (reference §7.7.6).
			return nil, &Refusal{Reason: ReasonRejected, Detail: fmt.Sprintf("job %s also runs on events that do not publish (only the publishing step's if: limits them), and with id-token: write its setup-dart (line %d) would add a pub.dev token to every pub request of those runs, which pub.dev may refuse (reference §7.7.6): move the publish into a job that runs only for tags", j.id, j.line(existing))}
		}
		return j.checkSetupDart(existing, pub, c)
	}
	flutterJob := flutterSetup != nil || strings.Contains(strings.ToLower(j.mj.Image), "flutter")
	for _, s := range j.steps {
		if s.ms != nil && s.ms.Run != nil {
			for _, cmd := range s.ms.Run.Commands {
				if n := path.Base(cmd.Name()); n == "flutter" || n == "fvm" {
					flutterJob = true
				}
			}
		}
	}
	at := pub
	var between []*pubdevStep
	switch {
	case flutterPub || !flutterJob:
		// Right before the publish (§7.8 b).
	case flutterSetup != nil:
		// dart pub publish with Flutter's dart: setup-dart goes before the
		// Flutter setup, whose dart then comes first on PATH (the order
		// of publish.yml).
		at = flutterSetup
		for _, s := range j.steps[flutterSetup.idx:pub.idx] {
			if !c.delSteps[s.idx] {
				between = append(between, s)
			}
		}
	default:
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "job " + j.id + " runs dart pub publish with a Flutter SDK tpscan cannot see installed (an image or script): setup-dart would put a standalone Dart first on PATH; publish with flutter pub publish after adding dart-lang/setup-dart by hand"}
	}
	var lines []string
	lines = append(lines, "name: Set up Dart and the pub.dev OIDC token")
	cond, err := d.stepEntryLines(pub.path, "if")
	if err != nil {
		return nil, err
	}
	if len(cond) > 0 && at != pub && strings.Contains(strings.Join(cond, "\n"), "steps.") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the publishing step's if: reads a step output that does not exist yet where setup-dart must go (before the Flutter setup)"}
	}
	lines = append(lines, cond...)
	lines = append(lines, "uses: "+pubdevSetupDartUse)
	e, err := d.insertStepBefore(at.path, lines)
	if err != nil {
		return nil, err
	}
	if at == pub {
		*j.notes = append(*j.notes, "job "+j.id+": added dart-lang/setup-dart (v1.7.2, pinned by commit) right before the publish: with id-token: write it stores a pub.dev OIDC token (about 5 minutes) that "+map[bool]string{true: "flutter", false: "dart"}[flutterPub]+" pub publish sends instead of the removed credentials")
	} else {
		*j.notes = append(*j.notes, fmt.Sprintf("job %s: added dart-lang/setup-dart (v1.7.2, pinned by commit) before %s so that the Flutter SDK's dart stays first on PATH for dart pub publish; the pub.dev OIDC token it stores lasts about 5 minutes, and the %d steps up to the publish must finish within that", j.id, at.label, len(between)))
	}
	return []Edit{e}, nil
}

// checkSetupDart keeps the job's setup-dart: a pin before v1.4.0 (no OIDC)
// moves to v1.7.2, an SDK before 2.15 (no token store) is refused, and the
// reviewer is told how long the token lives.
func (j *pubdevJob) checkSetupDart(s, pub *pubdevStep, c *pubdevCleaner) ([]Edit, error) {
	d := j.d
	_, w := child(s.node, "with")
	if _, sdk := child(w, "sdk"); sdk != nil && sdk.Kind == yaml.ScalarNode {
		if maj, min, ok := pubdevMajorMinor(sdk.Value); ok && (maj < 2 || maj == 2 && min < 15) {
			return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("setup-dart installs Dart %s (line %d): pub before 2.15 has no token store for the OIDC token", sdk.Value, sdk.Line)}
		}
	}
	var edits []Edit
	old, tag := false, ""
	switch {
	case len(s.ref) == 40:
		if t, ok := pubdevSetupDartPins[strings.ToLower(s.ref)]; ok {
			tag = t
			maj, min, _ := pubdevMajorMinor(t)
			old = maj < 1 || maj == 1 && min < 4
		} else {
			*j.notes = append(*j.notes, "dart-lang/setup-dart is pinned to commit "+s.ref[:12]+": check that it is v1.4.0 or later (pub.dev OIDC token)")
		}
	case s.ref == "main" || s.ref == "master":
	default:
		if maj, min, ok := pubdevMajorMinor(s.ref); ok && strings.HasPrefix(s.ref, "v") {
			old = maj < 1 || maj == 1 && min < 4
			tag = s.ref
		} else {
			*j.notes = append(*j.notes, "dart-lang/setup-dart@"+s.ref+": check that it is v1.4.0 or later (pub.dev OIDC token)")
		}
	}
	if old {
		e, ok := pubdevSetUses(d, s.usesNode, "dart-lang/setup-dart@"+pubdevSetupDartSHA, " # v1.7.2", "dart-lang/setup-dart@v1")
		if !ok {
			return nil, &Refusal{Reason: ReasonOldClient, Detail: "dart-lang/setup-dart@" + s.ref + " predates the pub.dev OIDC token (v1.4.0) and its uses: cannot be rewritten in place"}
		}
		edits = append(edits, e)
		*j.notes = append(*j.notes, "dart-lang/setup-dart@"+s.ref+" ("+tag+") predates the pub.dev OIDC token (v1.4.0): moved to v1.7.2")
	}
	var between []string
	for _, b := range j.steps[s.idx+1 : pub.idx] {
		if c.delSteps[b.idx] || pubdevTrivial(b) {
			continue
		}
		between = append(between, b.label)
	}
	if len(between) > 0 {
		*j.notes = append(*j.notes, fmt.Sprintf("job %s: dart-lang/setup-dart (line %d) stores the pub.dev OIDC token when it runs, and the token lasts about 5 minutes: %s must finish within that before the publish, or move setup-dart down to just before it", j.id, j.line(s), pubdevList(between)))
	}
	return edits, nil
}

// pubdevSetUses rewrites an action reference: with a version comment when
// the scalar is plain and nothing follows it on its line, else the
// fallback (a tag).
func pubdevSetUses(d *doc, n *yaml.Node, ref, comment, fallback string) (Edit, bool) {
	if n == nil {
		return Edit{}, false
	}
	l := strings.TrimRight(d.line(n.Line), "\r\n")
	if n.Style == 0 && n.Column-1 < len(l) && strings.TrimRight(l[n.Column-1:], " \t") == n.Value {
		e, ok := d.setScalar(n, ref)
		e.New += comment
		return e, ok
	}
	return d.setScalar(n, fallback)
}

// pubdevMajorMinor reads the start of a version ("2.19.1", "v1.4", "2.x");
// a version without its minor part ("v1", "2.x") reads as the newest of
// that major, minor 1<<20.
func pubdevMajorMinor(v string) (int, int, bool) {
	m := pubdevVersion.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, 0, false
	}
	maj, _ := strconv.Atoi(m[1])
	if m[2] == "" {
		return maj, 1 << 20, true
	}
	min, _ := strconv.Atoi(m[2])
	return maj, min, true
}

// pubdevTrivial says whether a step is quick and does not matter to the
// token's lifetime: checkout, pub get, a version print.
func pubdevTrivial(s *pubdevStep) bool {
	if s.action == "actions/checkout" {
		return true
	}
	if s.run == nil || s.ms == nil || s.ms.Run == nil || len(s.ms.Run.Commands) == 0 {
		return false
	}
	for _, c := range s.ms.Run.Commands {
		if !pubdevQuickCommand(c) {
			return false
		}
	}
	return true
}

func pubdevQuickCommand(c *model.Command) bool {
	var argv []string
	for _, w := range c.Args {
		argv = append(argv, w.Lit)
	}
	if len(argv) == 0 || len(c.Redirects) > 0 {
		return len(argv) == 0 && len(c.Redirects) == 0
	}
	name := path.Base(argv[0])
	switch {
	case (name == "dart" || name == "flutter") && len(argv) >= 3 && argv[1] == "pub" && (argv[2] == "get" || argv[2] == "publish" && len(argv) > 3 && (argv[3] == "--dry-run" || argv[3] == "-n")):
		return true
	case (name == "dart" || name == "flutter") && len(argv) == 2 && argv[1] == "--version":
		return true
	case name == "cd" || name == "echo":
		return true
	}
	return false
}

func pubdevList(ss []string) string {
	if len(ss) == 1 {
		return "step " + ss[0]
	}
	return "steps " + strings.Join(ss, ", ")
}

// pubdevCleaner removes what wrote the stored credentials.
type pubdevCleaner struct {
	j            *pubdevJob
	edits        []Edit
	delSteps     map[int]bool
	removedSteps int
	related      bool
	// removed is the text of every removed line, for the secrets and
	// variables it used; ranges are the removed byte ranges.
	removed []string
	ranges  [][2]int
}

func (c *pubdevCleaner) remove(start, end int) {
	c.edits = append(c.edits, Edit{Start: start, End: end})
	c.ranges = append(c.ranges, [2]int{start, end})
	c.removed = append(c.removed, string(c.j.d.src[start:end]))
}

// pubdevCredPath says whether a redirection target is pub's credentials
// file (the scanner's test, rules/flow credentialKind, plus
// $PUB_CACHE/credentials.json of SDKs before 2.15).
func pubdevCredPath(target string) bool {
	t := strings.Trim(target, `"'`)
	t = strings.ReplaceAll(t, `\ `, " ")
	base := path.Base(strings.ReplaceAll(t, `\`, "/"))
	return base == "pub-credentials.json" ||
		base == "credentials.json" && (strings.Contains(t, "pub-cache") || strings.Contains(t, "dart") || strings.Contains(t, "Pub") || strings.Contains(t, "PUB_CACHE"))
}

// pubdevCredDir says whether mkdir's target is a directory only the
// credentials file needs.
func pubdevCredDir(target string) bool {
	t := strings.TrimSuffix(strings.Trim(target, `"'`), "/")
	t = strings.ReplaceAll(t, `\ `, " ")
	switch t {
	case "$PUB_CACHE", "${PUB_CACHE}":
		return true
	}
	if pubdevCredPath(t) {
		return false
	}
	base := path.Base(t)
	return base == ".pub-cache" || base == "dart" && (strings.Contains(t, ".config") || strings.Contains(t, "XDG_CONFIG_HOME") || strings.Contains(t, "Application Support"))
}

// step cleans one step: a file-writing action whose path is the credentials
// file goes whole; a run: script loses the lines that write the file (and
// the mkdir, chmod, rm of it), and goes whole when nothing else is left.
func (c *pubdevCleaner) step(s *pubdevStep, isPub bool) error {
	d := c.j.d
	if s.action != "" {
		_, w := child(s.node, "with")
		writer := false
		if w != nil && w.Kind == yaml.MappingNode {
			for i := 1; i < len(w.Content); i += 2 {
				if v := w.Content[i]; v.Kind == yaml.ScalarNode && !strings.Contains(v.Value, "${{") && pubdevCredPath(strings.TrimSpace(v.Value)) {
					writer = true
				}
			}
		}
		if !writer {
			return nil
		}
		c.related = true
		return c.deleteStep(s)
	}
	if s.run == nil {
		return nil
	}
	if s.run.Kind != yaml.ScalarNode {
		return &Refusal{Reason: ReasonLayout, Detail: "the run: of step " + s.label + " is not a scalar"}
	}
	var first, last int
	block := s.run.Style&yaml.LiteralStyle != 0
	switch {
	case block:
		_, to, ok := d.entryLines(s.runKey)
		if !ok {
			return &Refusal{Reason: ReasonLayout, Detail: "the run: of step " + s.label + " is not a block entry"}
		}
		first, last = s.runKey.Line+1, to
	case s.run.Style&yaml.FoldedStyle == 0 && !strings.Contains(s.run.Value, "\n"):
		first, last = s.runKey.Line, s.runKey.Line
	default:
		if pubdevCredMention.MatchString(s.run.Value) {
			return &Refusal{Reason: ReasonScript, Detail: "the run: of step " + s.label + " is a folded or multi-line scalar that writes the pub.dev credentials: edit it by hand"}
		}
		return nil
	}
	text := func(n int) string {
		if !block {
			return strings.TrimSpace(s.run.Value)
		}
		return strings.TrimSpace(strings.TrimRight(d.line(n), "\r\n"))
	}
	del := map[int]bool{}
	related, compound := false, false
	for n := first; n <= last; n++ {
		t := text(n)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if m := pubdevHereRe.FindStringSubmatch(t); m != nil && pubdevCredPath(m[2]+m[3]) {
			delim := m[1] + m[4]
			end := -1
			for k := n + 1; k <= last; k++ {
				if text(k) == delim {
					end = k
					break
				}
			}
			if end < 0 {
				return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("the here-document writing the pub.dev credentials in step %s (line %d) has no end tpscan can find", s.label, n)}
			}
			related = true
			for k := n; k <= end; k++ {
				del[k] = true
			}
			n = end
			continue
		}
		if pubdevCompound.MatchString(t) {
			compound = true
		}
		switch {
		case pubdevWriteRe.MatchString(t) && pubdevCredPath(pubdevWriteRe.FindStringSubmatch(t)[1]),
			pubdevTeeRe.MatchString(t) && pubdevCredPath(pubdevTeeRe.FindStringSubmatch(t)[1]):
			related = true
			del[n] = true
		case pubdevTokenAdd.MatchString(t):
			if !c.stored(s, t) {
				continue // a GCP identity token or the OIDC one: not stored
			}
			related = true
			del[n] = true
		case pubdevMkdirRe.MatchString(t) && pubdevCredDir(pubdevMkdirRe.FindStringSubmatch(t)[1]),
			pubdevFileOpRe.MatchString(t) && pubdevCredPath(pubdevFileOpRe.FindStringSubmatch(t)[1]):
			del[n] = true
		case pubdevCredMention.MatchString(t):
			return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("step %s uses the pub.dev credentials file or token store in a way tpscan does not edit (line %d): remove that by hand", s.label, n)}
		}
	}
	if !related {
		return nil // a mkdir alone is left as it is
	}
	c.related = true
	empty := true
	for n := first; n <= last; n++ {
		if t := text(n); !del[n] && t != "" && !strings.HasPrefix(t, "#") {
			empty = false
		}
	}
	if empty && !isPub {
		return c.deleteStep(s)
	}
	if !block {
		return &Refusal{Reason: ReasonScript, Detail: "the one-line run: of step " + s.label + " writes the pub.dev credentials and does more: edit it by hand"}
	}
	if compound {
		return &Refusal{Reason: ReasonScript, Detail: "the script of step " + s.label + " writes the pub.dev credentials among compound commands (if, for, continuations) that deleting lines could break: edit it by hand"}
	}
	for n := first; n <= last; n++ {
		if !del[n] {
			continue
		}
		m := n
		for m+1 <= last && del[m+1] {
			m++
		}
		c.remove(d.lineStart(n), d.lineStart(m+1))
		n = m
	}
	return nil
}

// stored says whether a dart pub token add line feeds a stored secret.
func (c *pubdevCleaner) stored(s *pubdevStep, t string) bool {
	if pubdevSecretRef.MatchString(t) {
		return true
	}
	for _, name := range pubdevVars(t) {
		if c.envStored(s, name) {
			return true
		}
	}
	return false
}

// envStored says whether name is an env entry (step, job or workflow) that
// holds a secret.
func (c *pubdevCleaner) envStored(s *pubdevStep, name string) bool {
	for _, m := range []*yaml.Node{mustChild(s.node, "env"), mustChild(c.j.node, "env"), mustChild(c.j.d.root, "env")} {
		if _, v := child(m, name); v != nil && pubdevSecretRef.MatchString(pubdevNodeText(c.j.d, v)) {
			return true
		}
	}
	return false
}

func pubdevVars(t string) []string {
	var out []string
	for _, m := range pubdevVarRef.FindAllStringSubmatch(t, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
			}
		}
	}
	return out
}

// pubdevNodeText is the source text of a value node (its lines).
func pubdevNodeText(d *doc, n *yaml.Node) string {
	if n == nil || n.Line == 0 {
		return ""
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var b strings.Builder
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		if x.Kind == yaml.ScalarNode {
			b.WriteString(x.Value + "\n")
		}
		for _, k := range x.Content {
			walk(k)
		}
	}
	walk(n)
	return b.String()
}

// deleteStep removes a whole step (only steps whose every key is known).
func (c *pubdevCleaner) deleteStep(s *pubdevStep) error {
	if c.delSteps[s.idx] {
		return nil
	}
	for i := 0; i+1 < len(s.node.Content); i += 2 {
		switch k := s.node.Content[i].Value; k {
		case "name", "run", "env", "shell", "working-directory", "if", "continue-on-error", "timeout-minutes", "uses", "with":
		case "id":
			id := s.node.Content[i+1].Value
			if strings.Contains(string(c.j.d.src), "steps."+id+".") {
				return &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " writes the pub.dev credentials and its outputs are read elsewhere: edit it by hand"}
			}
		default:
			return &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " writes the pub.dev credentials and has " + k + ": edit it by hand"}
		}
	}
	_, line, ok := c.j.d.stepNode(s.path)
	if !ok {
		return &Refusal{Reason: ReasonLayout, Detail: "step " + s.label + " is not a block step"}
	}
	c.delSteps[s.idx] = true
	c.removedSteps++
	c.remove(c.j.d.lineStart(line), c.j.d.lineStart(c.j.d.lastLine(s.node)+1))
	return nil
}

// masked is the file with every removed range blanked (offsets kept).
func (c *pubdevCleaner) masked() []byte {
	m := append([]byte(nil), c.j.d.src...)
	for _, r := range c.ranges {
		for i := r[0]; i < r[1]; i++ {
			if m[i] != '\n' && m[i] != '\r' {
				m[i] = ' '
			}
		}
	}
	return m
}

// envs removes the env entries (step, job, workflow) that held a secret the
// removed lines used and that nothing left reads.
func (c *pubdevCleaner) envs() ([]Edit, error) {
	d := c.j.d
	used := map[string]bool{}
	for _, t := range c.removed {
		for _, v := range pubdevVars(t) {
			used[v] = true
		}
	}
	mask := c.masked()
	type scope struct {
		path       string
		env        *yaml.Node
		start, end int
	}
	var scopes []scope
	for _, s := range c.j.steps {
		if c.delSteps[s.idx] {
			continue
		}
		_, line, ok := d.stepNode(s.path)
		if !ok {
			continue
		}
		if env := mustChild(s.node, "env"); env != nil {
			scopes = append(scopes, scope{s.path + ".env", env, d.lineStart(line), d.lineStart(d.lastLine(s.node) + 1)})
		}
	}
	if env := mustChild(c.j.node, "env"); env != nil {
		scopes = append(scopes, scope{"jobs." + c.j.id + ".env", env, d.lineStart(c.j.key.Line), d.lineStart(d.lastLine(c.j.node) + 1)})
	}
	if env := mustChild(d.root, "env"); env != nil {
		scopes = append(scopes, scope{"env", env, 0, len(d.src)})
	}
	var edits []Edit
	for _, sc := range scopes {
		if sc.env.Kind != yaml.MappingNode {
			continue
		}
		var drop []string
		var dropRanges [][2]int
		for i := 0; i+1 < len(sc.env.Content); i += 2 {
			k, v := sc.env.Content[i], sc.env.Content[i+1]
			if !used[k.Value] || !pubdevSecretRef.MatchString(pubdevNodeText(d, v)) {
				continue
			}
			st, en, ok := d.entryRange(k)
			if !ok {
				return nil, &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the env entry %s (line %d) is written in flow style", k.Value, k.Line)}
			}
			if pubdevReads(mask[sc.start:st], k.Value) || pubdevReads(mask[en:sc.end], k.Value) {
				if sc.path == "env" {
					*c.j.notes = append(*c.j.notes, fmt.Sprintf("the workflow-level env %s (line %d) still holds the stored pub.dev credentials for other jobs: remove it once nothing reads it", k.Value, k.Line))
				}
				continue
			}
			drop = append(drop, k.Value)
			dropRanges = append(dropRanges, [2]int{st, en})
		}
		if len(drop) == 0 {
			continue
		}
		segs := splitPath(sc.path + ".x")
		stop := len(segs) - 2
		if len(drop) == len(sc.env.Content)/2 {
			e, err := d.removeEntry(sc.path, stop-1)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			c.ranges = append(c.ranges, [2]int{e.Start, e.End})
			continue
		}
		for i, n := range drop {
			e, err := d.removeEntry(sc.path+"."+n, stop)
			if err != nil {
				return nil, err
			}
			edits = append(edits, e)
			c.ranges = append(c.ranges, dropRanges[i])
		}
	}
	return edits, nil
}

// pubdevReads says whether text reads the variable name.
func pubdevReads(text []byte, name string) bool {
	for _, v := range pubdevVars(string(text)) {
		if v == name {
			return true
		}
	}
	return false
}

// verify refuses a fix after which the job still uses the stored
// credentials or their file.
func (c *pubdevCleaner) verify() error {
	d := c.j.d
	secrets := map[string]bool{}
	for _, t := range c.removed {
		for _, m := range pubdevSecretRef.FindAllStringSubmatch(t, -1) {
			secrets[m[1]] = true
		}
	}
	for _, s := range append([]string{c.j.f.Secret}, c.j.f.Secrets...) {
		if s != "" && s != "*" {
			secrets[s] = true
		}
	}
	mask := c.masked()
	start, end := d.lineStart(c.j.key.Line), d.lineStart(d.lastLine(c.j.node)+1)
	jobText := string(mask[start:end])
	for _, s := range pubdevSorted(secrets) {
		re := regexp.MustCompile(`secrets\.` + regexp.QuoteMeta(s) + `\b`)
		if loc := re.FindStringIndex(jobText); loc != nil {
			line := strings.Count(string(mask[:start+loc[0]]), "\n") + 1
			return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s still uses the stored secret %s (line %d) in a way tpscan does not edit: remove it by hand", c.j.id, s, line)}
		}
	}
	if loc := pubdevFileMention.FindStringIndex(jobText); loc != nil {
		line := strings.Count(string(mask[:start+loc[0]]), "\n") + 1
		return &Refusal{Reason: ReasonScript, Detail: fmt.Sprintf("job %s still uses the pub.dev credentials file (line %d) in a way tpscan does not edit", c.j.id, line)}
	}
	return nil
}

func pubdevSorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// secretNotes name the other jobs that still read the finding's secret:
// deleting it breaks them.
func (j *pubdevJob) secretNotes() {
	d := j.d
	for _, s := range append([]string{j.f.Secret}, j.f.Secrets...) {
		if s == "" || s == "*" {
			continue
		}
		re := regexp.MustCompile(`secrets\.` + regexp.QuoteMeta(s) + `\b`)
		jobs := mustChild(d.root, "jobs")
		for i := 0; i+1 < len(jobs.Content); i += 2 {
			k, v := jobs.Content[i], jobs.Content[i+1]
			if k.Value == j.id || v.Kind != yaml.MappingNode || len(v.Content) == 0 {
				continue
			}
			text := d.src[d.lineStart(k.Line):d.lineStart(d.lastLine(v)+1)]
			if loc := re.FindIndex(text); loc != nil {
				line := k.Line + strings.Count(string(text[:loc[0]]), "\n")
				*j.notes = append(*j.notes, fmt.Sprintf("job %s still reads %s (line %d): it must stop before the secret is deleted and the Google grant revoked", k.Value, s, line))
			}
		}
	}
}

// fixAction replaces k-paxian/dart-package-publisher or sakebook's
// actions-flutter-pub-publisher: the job becomes a call of the official
// reusable workflow (§7.8 a), which installs the Dart and Flutter SDKs,
// mints the token, runs pub get and a dry run, and publishes.
func (j *pubdevJob) fixAction() ([]Edit, error) {
	d := j.d
	sp := stepOf(j.f.YAMLPath)
	var pub *pubdevStep
	for _, s := range j.steps {
		if s.path == sp {
			pub = s
		}
	}
	if pub == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the publishing step of job " + j.id + " was not found"}
	}
	kpaxian := pub.action == "k-paxian/dart-package-publisher"
	if !kpaxian && pub.action != "sakebook/actions-flutter-pub-publisher" {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + pub.action + " yet"}
	}
	// Every other step must be one publish.yml does itself (the publisher
	// is a container action: the host's SDKs never reached it).
	for _, s := range j.steps {
		if s == pub {
			continue
		}
		if err := j.replaceable(s, pub); err != nil {
			return nil, err
		}
	}
	if _, so := child(j.node, "strategy"); so != nil {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: "job " + j.id + " runs as a matrix: pub.dev checks every package against the one pushed tag, so each package needs its own tag pattern and workflow; split it by hand"}
	}
	if regexp.MustCompile(`needs\.` + regexp.QuoteMeta(j.id) + `\.outputs\b`).Match(d.src) {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "other jobs read the outputs of job " + j.id + ", which a call of publish.yml does not have"}
	}

	// The publisher's inputs.
	_, with := child(pub.node, "with")
	input := func(name string) *yaml.Node {
		// Action inputs are case-insensitive.
		if with == nil || with.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(with.Content); i += 2 {
			if strings.EqualFold(with.Content[i].Value, name) {
				return with.Content[i+1]
			}
		}
		return nil
	}
	isTrue := func(v *yaml.Node) bool { return v != nil && strings.EqualFold(strings.TrimSpace(v.Value), "true") }
	isFalse := func(v *yaml.Node) bool { return v == nil || strings.EqualFold(strings.TrimSpace(v.Value), "false") }
	var dirNode *yaml.Node
	var dropped []string
	if kpaxian {
		for _, in := range []string{"dryRunOnly", "testRunOnly"} {
			if !isFalse(input(in)) {
				return nil, &Refusal{Reason: ReasonScript, Detail: "k-paxian/dart-package-publisher's " + in + " is " + input(in).Value + ": tpscan cannot tell whether this step publishes"}
			}
		}
		if isTrue(input("force")) {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "force: true makes k-paxian/dart-package-publisher publish even when the dry run reports warnings, while publish.yml stops at them: fix the warnings and drop force (or write the publish job by hand, §7.8 b), then run tpscan fix again"}
		}
		if v := input("force"); v != nil && !isFalse(v) {
			return nil, &Refusal{Reason: ReasonScript, Detail: "k-paxian/dart-package-publisher's force is " + v.Value + ": tpscan cannot tell whether the dry run may fail"}
		}
		if v := input("flutterBranch"); v != nil && strings.TrimSpace(v.Value) != "stable" {
			return nil, &Refusal{Reason: ReasonNoFixer, Detail: "k-paxian/dart-package-publisher uses Flutter from the " + v.Value + " branch, publish.yml the stable release: write the publish job by hand (§7.8 b)"}
		}
		dirNode = input("relativePath")
		if !isTrue(input("skipTests")) {
			dropped = append(dropped, "the package's unit tests (and build_runner for them)")
		}
		if isTrue(input("format")) {
			dropped = append(dropped, "dart format before publishing (commit formatted code)")
		}
	} else {
		if !isFalse(input("dry_run")) {
			return nil, &Refusal{Reason: ReasonScript, Detail: "sakebook/actions-flutter-pub-publisher's dry_run is " + input("dry_run").Value + ": tpscan cannot tell whether this step publishes"}
		}
		dirNode = input("package_directory")
		if !isTrue(input("skip_test")) {
			dropped = append(dropped, "the package's tests")
		}
	}
	dir := ""
	if dirNode != nil {
		if strings.Contains(dirNode.Value, "${{") {
			return nil, &Refusal{Reason: ReasonScript, Detail: "the package directory of " + pub.action + " is an expression (" + dirNode.Value + "): write the publish job by hand"}
		}
		if v := strings.TrimSpace(dirNode.Value); v != "" && v != "." && v != "./" {
			dir = v
		}
	}
	// The step's if: becomes the job's.
	stepIf := ""
	if ik, iv := child(pub.node, "if"); ik != nil {
		if iv.Kind != yaml.ScalarNode || strings.Contains(iv.Value, "\n") {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + pub.label + " spans several lines"}
		}
		if pubdevStepContext.MatchString(iv.Value) {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the if: of step " + pub.label + " reads a context a job-level if: cannot (" + iv.Value + ")"}
		}
		if jk, _ := child(j.node, "if"); jk != nil {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "both job " + j.id + " and its step " + pub.label + " have an if:: merge them by hand"}
		}
		stepIf = iv.Value
	}
	for i := 0; i+1 < len(pub.node.Content); i += 2 {
		switch k := pub.node.Content[i].Value; k {
		case "name", "id", "uses", "with", "if", "env", "timeout-minutes":
		case "continue-on-error":
			return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + pub.label + " has continue-on-error, which a call of publish.yml cannot keep"}
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: "step " + pub.label + " has " + k + ": edit it by hand"}
		}
	}
	if err := j.triggers(stepIf); err != nil {
		return nil, err
	}

	// The job's keys: those a reusable-workflow call cannot have go.
	ind, ok := d.childIndent(j.node)
	if !ok || j.node.Content[0].Line == j.key.Line {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " starts on its key line"}
	}
	sub := ind - (j.key.Column - 1)
	if sub <= 0 {
		sub = 2
	}
	var edits []Edit
	var envVal *yaml.Node
	var stepsKey *yaml.Node
	for i := 0; i+1 < len(j.node.Content); i += 2 {
		k, v := j.node.Content[i], j.node.Content[i+1]
		switch k.Value {
		case "name", "needs", "if", "permissions", "concurrency":
			continue
		case "steps":
			stepsKey = k
			continue
		case "environment":
			envVal = v
		case "runs-on", "env", "defaults":
		case "timeout-minutes":
			*j.notes = append(*j.notes, "job "+j.id+": timeout-minutes removed (a job that calls a reusable workflow cannot set it)")
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " has " + k.Value + ", which a job calling the reusable publish.yml cannot have: rewrite it by hand (§7.8)"}
		}
		st, en, ok := d.entryRange(k)
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the " + k.Value + " of job " + j.id + " is written in flow style"}
		}
		// The blank lines that followed the entry go with it, unless
		// the job ends there.
		end := en
		for n := d.pubdevLineOf(en); n <= d.nLines() && strings.TrimSpace(d.line(n)) == ""; n++ {
			end = d.lineStart(n + 1)
		}
		if end <= d.lineStart(d.lastLine(j.node)) {
			en = end
		}
		edits = append(edits, Edit{Start: st, End: en})
	}
	if stepsKey == nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " has no steps"}
	}
	envName := ""
	if envVal != nil {
		switch {
		case envVal.Kind == yaml.ScalarNode:
			envName = envVal.Value
		case envVal.Kind == yaml.MappingNode:
			_, n := child(envVal, "name")
			if n == nil || n.Kind != yaml.ScalarNode {
				return nil, &Refusal{Reason: ReasonLayout, Detail: "the environment of job " + j.id + " has no name"}
			}
			envName = n.Value
			if u, _ := child(envVal, "url"); u != nil {
				*j.notes = append(*j.notes, "job "+j.id+": the environment's url is not kept (publish.yml takes only its name)")
			}
		default:
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the environment of job " + j.id + " is not a name"}
		}
	}
	eol := d.eol()
	pad := strings.Repeat(" ", ind)
	var b strings.Builder
	if stepIf != "" {
		b.WriteString(pad + "if: " + pubdevScalar(stepIf) + eol)
	}
	b.WriteString(pad + "uses: " + pubdevPublishYML + eol)
	if envName != "" || dir != "" {
		b.WriteString(pad + "with:" + eol)
		if envName != "" {
			b.WriteString(pad + strings.Repeat(" ", sub) + "environment: " + pubdevScalar(envName) + eol)
		}
		if dir != "" {
			b.WriteString(pad + strings.Repeat(" ", sub) + "working-directory: " + pubdevScalar(dir) + eol)
		}
	}
	st, en, ok := d.entryRange(stepsKey)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the steps of job " + j.id + " are written in flow style"}
	}
	edits = append(edits, Edit{Start: st, End: en, New: b.String()})
	note := "job " + j.id + ": " + pub.action + " and the stored Google credentials are replaced by the official reusable workflow dart-lang/setup-dart/.github/workflows/publish.yml (v1.7.2, pinned by commit): it checks out the tag, installs Dart and Flutter, mints the pub.dev OIDC token, runs dart pub get and a dry run, and publishes"
	if envName != "" {
		note += "; the job's environment is passed as its environment input"
	}
	*j.notes = append(*j.notes, note)
	if len(dropped) > 0 {
		*j.notes = append(*j.notes, "job "+j.id+": publish.yml does not run "+strings.Join(dropped, ", ")+", which "+pub.action+" did before publishing: run them in a job this one needs")
	}
	if kpaxian {
		*j.notes = append(*j.notes, "k-paxian/dart-package-publisher skipped the publish when pub.dev already had the pubspec version; publish.yml fails instead, and pub.dev accepts only the tag that equals the pattern with the pubspec version (e.g. v1.2.3): push one tag per release")
	}
	return edits, nil
}

// replaceable says whether a step of the publisher's job can go: publish.yml
// checks out the repository and installs the SDKs itself, and the container
// action used neither the host SDK nor pub get.
func (j *pubdevJob) replaceable(s, pub *pubdevStep) error {
	switch s.action {
	case "actions/checkout":
		_, w := child(s.node, "with")
		if w != nil && w.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(w.Content); i += 2 {
				switch w.Content[i].Value {
				case "fetch-depth", "persist-credentials", "clean", "show-progress", "fetch-tags":
				default:
					return &Refusal{Reason: ReasonLayout, Detail: fmt.Sprintf("the checkout of job %s sets %s (line %d), which publish.yml's checkout does not: rewrite the job by hand", j.id, w.Content[i].Value, w.Content[i].Line)}
				}
			}
		}
		if s.idx > pub.idx {
			return &Refusal{Reason: ReasonLayout, Detail: "job " + j.id + " checks out again after publishing: rewrite it by hand"}
		}
		return nil
	case "dart-lang/setup-dart", "subosito/flutter-action", "flutter-actions/setup-flutter", "actions/cache":
		if s.idx < pub.idx {
			return nil
		}
	case "k-paxian/dart-package-publisher", "sakebook/actions-flutter-pub-publisher":
		return &Refusal{Reason: ReasonNoFixer, Detail: "job " + j.id + " publishes more than one package: pub.dev checks each against the one pushed tag, so each needs its own tag pattern and workflow; split it by hand"}
	case "":
		if s.idx < pub.idx && pubdevTrivial(s) && s.ms != nil && s.ms.Run != nil && len(s.ms.Run.Commands) > 0 {
			return nil
		}
	}
	where := "before"
	if s.idx > pub.idx {
		where = "after"
	}
	return &Refusal{Reason: ReasonNoFixer, Detail: fmt.Sprintf("job %s runs the step %s %s %s, which a call of the reusable publish.yml cannot keep: write the publish job by hand (reference §7.8 b: checkout, those steps, dart-lang/setup-dart, dart pub publish --force)", j.id, j.where(s), where, pub.action)}
}

// pubdevLineOf is the 1-based line that starts at byte offset off.
func (d *doc) pubdevLineOf(off int) int {
	return sort.SearchInts(d.lines, off+1)
}

// pubdevScalar writes a one-line YAML scalar, quoted when needed.
func pubdevScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
