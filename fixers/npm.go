package fixers

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// fixNode makes sure npm is 11.5.1 or later, which trusted publishing
// needs: Node 24 ships it. A setup-node with a literal older version moves
// to 24; one that reads node-version-file is kept with a note (the file
// decides); a job without setup-node gets one before the publishing step.
// A computed version (a matrix, an expression) is refused rather than
// guessed.
func fixNode(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	job := jobOf(f.YAMLPath)
	if job == "" {
		job = f.Job
	}
	_, _, steps := d.lookup("jobs." + job + ".steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job has no steps list"}
	}
	// The last setup-node decides the Node that publishes; any of them
	// pointing npm at another registry rules trusted publishing out.
	var last *yaml.Node
	for _, st := range steps.Content {
		_, uses := child(st, "uses")
		if uses == nil || !strings.HasPrefix(uses.Value, "actions/setup-node@") {
			continue
		}
		_, with := child(st, "with")
		if _, ru := child(with, "registry-url"); ru != nil && !npmPublicRegistry(ru.Value) {
			return nil, &Refusal{Reason: ReasonRejected, Detail: "setup-node points npm at " + ru.Value + ", not the public npm registry: trusted publishing is the public registry's"}
		}
		last = st
	}
	if last != nil {
		_, with := child(last, "with")
		_, nv := child(with, "node-version")
		if nv == nil {
			if _, file := child(with, "node-version-file"); file != nil {
				*notes = append(*notes, fmt.Sprintf("setup-node reads the Node version from %s: it must name Node 24 or later (npm 11.5.1 or later) for trusted publishing", file.Value))
				return nil, nil
			}
			return nil, &Refusal{Reason: ReasonOldClient, Detail: "setup-node without node-version: the runner's Node may ship npm older than 11.5.1"}
		}
		v := strings.TrimPrefix(nv.Value, "v")
		major, err := strconv.Atoi(strings.SplitN(strings.TrimSuffix(v, ".x"), ".", 2)[0])
		if err != nil {
			if v == "lts/*" || v == "latest" || v == "current" || v == "node" {
				return nil, nil
			}
			return nil, &Refusal{Reason: ReasonOldClient, Detail: fmt.Sprintf("node-version %q: cannot tell whether its npm is 11.5.1 or later", nv.Value)}
		}
		if major >= 24 {
			return nil, nil
		}
		e, ok := d.setScalar(nv, "24")
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "node-version is not a one-line scalar"}
		}
		*notes = append(*notes, fmt.Sprintf("node-version %s ships npm older than 11.5.1, which trusted publishing needs: moved to 24", nv.Value))
		return []Edit{e}, nil
	}
	// No setup-node: the runner's Node (20 on ubuntu-latest) ships npm 10.
	step := stepOf(f.YAMLPath)
	if step == "" {
		return nil, &Refusal{Reason: ReasonOldClient, Detail: "no actions/setup-node step: the runner's Node ships npm older than 11.5.1"}
	}
	e, err := d.insertStepBefore(step, []string{"uses: actions/setup-node@v6", "with:", "  node-version: '24'", "  registry-url: https://registry.npmjs.org/"})
	if err != nil {
		return nil, err
	}
	*notes = append(*notes, "added actions/setup-node with Node 24 before the publish: the runner's Node ships npm older than 11.5.1")
	return []Edit{e}, nil
}

// fixJSDevTools fixes JS-DevTools/npm-publish: v4.1.0 and later publish
// with trusted publishing when no token is given (it runs the runner's npm,
// which fixNode makes new enough). Inputs that v2 renamed
// (check-version, greater-version-only) make the bump a rewrite: refused.
func fixJSDevTools(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	step := stepOf(f.YAMLPath)
	if step == "" || !strings.HasSuffix(f.YAMLPath, ".with.token") {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "the token does not reach the action through its token input"}
	}
	_, _, st := d.lookup(step)
	_, with := child(st, "with")
	for _, k := range []string{"check-version", "greater-version-only"} {
		if _, v := child(with, k); v != nil {
			return nil, &Refusal{Reason: ReasonOldClient, Detail: "JS-DevTools/npm-publish input " + k + " was replaced by strategy in v2: the bump to v4 needs a person"}
		}
	}
	var edits []Edit
	var e Edit
	var err error
	if len(with.Content) == 2 {
		e, err = d.removeEntry(step+".with", 3)
	} else {
		e, err = d.removeEntry(step+".with.token", 4)
	}
	if err != nil {
		return nil, err
	}
	edits = append(edits, e)
	_, uses := child(st, "uses")
	ref := uses.Value[strings.LastIndexByte(uses.Value, '@')+1:]
	if m := actionVersion.FindStringSubmatch(ref); m == nil || m[1] != "4" || m[2] == "0" {
		e, ok := d.setScalar(uses, "JS-DevTools/npm-publish@v4")
		if !ok {
			return nil, &Refusal{Reason: ReasonLayout, Detail: "the action's uses: is not a one-line scalar"}
		}
		edits = append(edits, e)
		*notes = append(*notes, "JS-DevTools/npm-publish@"+ref+" needs a token; v4.1.0 and later use trusted publishing: moved to v4")
	}
	nodeEdits, err := fixNode(d, f, notes)
	if err != nil {
		return nil, err
	}
	edits = append(edits, nodeEdits...)
	pe, err := ensurePermissions(d, jobOf(f.YAMLPath), notes)
	if err != nil {
		return nil, err
	}
	return append(edits, pe...), nil
}

// npmPublicRegistry reports the public npm registry's URL forms.
func npmPublicRegistry(u string) bool {
	u = strings.TrimSuffix(strings.TrimSpace(u), "/")
	return u == "https://registry.npmjs.org" || u == "http://registry.npmjs.org" || u == "registry.npmjs.org" || strings.HasPrefix(u, "${{")
}
