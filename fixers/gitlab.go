package fixers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// GitLab CI fixers (reference §11.1). Trusted publishing on GitLab works
// only on gitlab.com (PyPI also in a staff-run beta for self-managed
// Organizations; npm only on GitLab-hosted runners), which a file cannot
// show: every GitLab patch says so in a note. RubyGems and pub.dev have no
// GitLab trusted publishing; rules report those as blocked.

// gitlabFixers are the GitLab CI fixers by catalogue method.
var gitlabFixers = map[string]fixer{
	"npm-publish":      fixGitLabNPM,
	"semantic-release": fixGitLabNPM,
	"twine":            fixGitLabPyPI,
	"uv-publish":       fixGitLabPyPI,
	// crates.io and NuGet accept GitLab ID tokens, but neither cargo nor
	// dotnet exchanges one: the job would need a curl exchange whose
	// tools and quoting depend on its image. Refused with the recipe.
	"cargo-publish":     gitlabExchangeOnly("crates.io", "CRATES_IO_ID_TOKEN with aud crates.io, then POST {\"jwt\": ...} to https://crates.io/api/v1/trusted_publishing/tokens and export .token as CARGO_REGISTRY_TOKEN"),
	"dotnet-nuget-push": gitlabExchangeOnly("nuget.org", "NUGET_ID_TOKEN with aud https://www.nuget.org, then POST to https://www.nuget.org/api/v2/token with Authorization: Bearer and {\"username\": ..., \"tokenType\": \"ApiKey\"} and push with .apiKey"),
}

// gitlabExchangeOnly refuses a GitLab publish whose client cannot exchange
// an ID token itself, saying what the job would need.
func gitlabExchangeOnly(registry, recipe string) fixer {
	return func(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
		return nil, &Refusal{Reason: ReasonNoFixer, Detail: registry + " trusted publishing on GitLab needs an explicit token exchange in the job, which depends on the image's tools: add " + recipe + " (gitlab.com only)"}
	}
}

func isGitLabPath(p string) bool {
	return p == ".gitlab-ci.yml" || strings.HasSuffix(p, "/.gitlab-ci.yml") || strings.HasPrefix(p, ".gitlab/") && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml"))
}

// npmrcLine is a script line that writes an npm token into .npmrc.
var npmrcLine = regexp.MustCompile(`_authToken=`)

// fixGitLabNPM moves a GitLab job that publishes to npm with a token
// written into .npmrc to trusted publishing: the line writing the token
// goes, the job gets an NPM_ID_TOKEN with npm's audience (the name npm
// reads), and npm is made 11.5.1 or later unless the image is Node 24+.
// semantic-release bundles its own npm and needs only the ID token.
func fixGitLabNPM(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	jk, job := child(d.root, f.Job)
	if job == nil || job.Kind != yaml.MappingNode || job.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " is not a block mapping in this file (an include or a template?)"}
	}
	if _, ids := child(job, "id_tokens"); ids != nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " already has id_tokens: add NPM_ID_TOKEN by hand"}
	}
	var edits []Edit
	// The .npmrc line: one script item on the finding's line.
	removed := false
	var publishItem *yaml.Node
	for _, sec := range []string{"before_script", "script"} {
		_, seq := child(job, sec)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for _, it := range seq.Content {
			if it.Kind != yaml.ScalarNode {
				continue
			}
			if it.Line == f.Line && npmrcLine.MatchString(it.Value) && it.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
				l := d.line(it.Line)
				if !strings.HasPrefix(strings.TrimLeft(l, " "), "- ") {
					return nil, &Refusal{Reason: ReasonLayout, Detail: "the .npmrc line is not a script item of its own"}
				}
				edits = append(edits, Edit{Start: d.lineStart(it.Line), End: d.lineStart(it.Line + 1)})
				removed = true
			}
			if publishItem == nil && strings.Contains(it.Value, "npm publish") {
				publishItem = it
			}
		}
	}
	if !removed {
		return nil, &Refusal{Reason: ReasonScript, Detail: "the token does not reach npm through a script line of its own that writes .npmrc"}
	}
	ind, ok := d.childIndent(job)
	if !ok {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " is written in flow style"}
	}
	eol := d.eol()
	sp := strings.Repeat(" ", ind)
	at := d.lineStart(jk.Line + 1)
	edits = append(edits, Edit{Start: at, End: at, New: sp + "id_tokens:" + eol + sp + sp + "NPM_ID_TOKEN:" + eol + sp + sp + sp + `aud: "npm:registry.npmjs.org"` + eol})
	*notes = append(*notes, "job "+f.Job+": npm trusted publishing on GitLab works only on gitlab.com with GitLab-hosted runners")
	if f.Method == "semantic-release" {
		*notes = append(*notes, "semantic-release uses trusted publishing from @semantic-release/npm 13.1.0 (semantic-release 25): check the version the project installs")
		return edits, nil
	}
	if !gitlabNodeAtLeast24(job) && publishItem != nil {
		l := d.line(publishItem.Line)
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		if !strings.HasPrefix(strings.TrimLeft(l, " "), "- ") {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "npm publish is not a script item of its own"}
		}
		at := d.lineStart(publishItem.Line)
		// npm 12 refuses Node 20 and older 22/24: pin the 11 line.
		edits = append(edits, Edit{Start: at, End: at, New: lead + "- npm install -g npm@^11.5.1" + eol})
		*notes = append(*notes, "job "+f.Job+": the image's Node version is not known to ship npm 11.5.1: npm@^11.5.1 is installed before publishing (it needs Node 20.17 or later)")
	}
	return edits, nil
}

var nodeImage = regexp.MustCompile(`(?:^|/)node:(\d+)`)

func gitlabNodeAtLeast24(job *yaml.Node) bool {
	_, img := child(job, "image")
	if img == nil {
		return false
	}
	v := img.Value
	if img.Kind == yaml.MappingNode {
		_, n := child(img, "name")
		if n == nil {
			return false
		}
		v = n.Value
	}
	m := nodeImage.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	n, _ := strconv.Atoi(m[1])
	return n >= 24
}

// pinRe finds "tool==X.Y[.Z]" in a job's scripts below min.
var pinRe = regexp.MustCompile(`\b(twine|uv)==(\d+)\.(\d+)(?:\.(\d+))?`)

// fixGitLabPyPI moves a GitLab job that uploads with twine or uv to PyPI
// trusted publishing: the token variable (and its user-name companion)
// goes, and the job gets the ID token twine ≥ 6.1.0 and uv ≥ 0.8.18 look
// for: PYPI_ID_TOKEN with audience pypi (TESTPYPI_ID_TOKEN / testpypi).
// A leftover TWINE_PASSWORD would silently win, so it must go, not stay
// empty.
func fixGitLabPyPI(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	segs := splitPath(f.YAMLPath)
	onCommandLine := len(segs) < 2 || segs[len(segs)-2] != "variables"
	jk, job := child(d.root, f.Job)
	if job == nil || job.Kind != yaml.MappingNode || job.Style&yaml.FlowStyle != 0 {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " is not a block mapping in this file"}
	}
	if _, ids := child(job, "id_tokens"); ids != nil {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job " + f.Job + " already has id_tokens: add the PyPI one by hand"}
	}
	for _, sec := range []string{"before_script", "script"} {
		_, seq := child(job, sec)
		if seq == nil {
			continue
		}
		for _, it := range seq.Content {
			m := pinRe.FindStringSubmatch(it.Value)
			if m == nil {
				continue
			}
			major, _ := strconv.Atoi(m[2])
			minor, _ := strconv.Atoi(m[3])
			patch, _ := strconv.Atoi(m[4])
			if m[1] == "twine" && (major < 6 || major == 6 && minor < 1) || m[1] == "uv" && major == 0 && (minor < 8 || minor == 8 && patch < 18) {
				return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("%s is pinned to %s.%s, older than trusted publishing on GitLab (twine 6.1.0, uv 0.8.18)", m[1], m[2], m[3])}
			}
		}
	}
	var edits []Edit
	if onCommandLine {
		x, ok := d.stripCredentialFlags(f.Line, f.Method)
		if !ok {
			return nil, &Refusal{Reason: ReasonScript, Detail: "the token reaches the client through a script or file tpscan does not edit, not through variables: or a one-command line"}
		}
		return append(x, gitlabIDToken(d, jk, job, f, notes, nil)...), nil
	}
	varsPath := strings.Join(segs[:len(segs)-1], ".")
	_, _, vars := d.lookup(varsPath)
	names := []string{segs[len(segs)-1]}
	for _, c := range companions[names[0]] {
		if _, v := child(vars, c); v != nil {
			names = append(names, c)
		}
	}
	x, err := d.removeKeys(varsPath, names)
	if err != nil {
		return nil, err
	}
	edits = append(edits, x...)
	if len(segs) == 2 {
		*notes = append(*notes, "the token variable was set for the whole pipeline (top-level variables:): removed there")
	}
	return append(edits, gitlabIDToken(d, jk, job, f, notes, names)...), nil
}

// gitlabIDToken adds the PyPI ID token to a GitLab job.
func gitlabIDToken(d *doc, jk, job *yaml.Node, f *rules.Finding, notes *[]string, removed []string) []Edit {
	name, aud := "PYPI_ID_TOKEN", "pypi"
	if f.Registry == "testpypi" {
		name, aud = "TESTPYPI_ID_TOKEN", "testpypi"
	}
	ind, _ := d.childIndent(job)
	eol := d.eol()
	sp := strings.Repeat(" ", ind)
	at := d.lineStart(jk.Line + 1)
	*notes = append(*notes, "job "+f.Job+": PyPI trusted publishing on GitLab works on gitlab.com (self-managed only in PyPI's beta for Organizations); twine 6.1.0 / uv 0.8.18 or later find "+name+" themselves")
	stale := "TWINE_PASSWORD"
	if len(removed) > 0 {
		stale = removed[0]
	}
	*notes = append(*notes, "delete any "+stale+" or token CI/CD variable in the project settings too: a stored one silently wins over trusted publishing")
	return []Edit{{Start: at, End: at, New: sp + "id_tokens:" + eol + sp + sp + name + ":" + eol + sp + sp + sp + "aud: " + aud + eol}}
}
