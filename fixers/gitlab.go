package fixers

import (
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
