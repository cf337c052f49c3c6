package fixers

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/rules"
)

// fixNode makes sure npm is 11.5.1 or later: Node 24 ships it. A
// setup-node with a literal older version is moved to 24; anything else
// (a matrix, no setup-node) is refused rather than guessed.
func fixNode(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	job := jobOf(f.YAMLPath)
	if job == "" {
		job = f.Job
	}
	_, _, steps := d.lookup("jobs." + job + ".steps")
	if steps == nil || steps.Kind != yaml.SequenceNode {
		return nil, &Refusal{Reason: ReasonLayout, Detail: "job has no steps list"}
	}
	for _, st := range steps.Content {
		_, uses := child(st, "uses")
		if uses == nil || !strings.HasPrefix(uses.Value, "actions/setup-node@") {
			continue
		}
		_, with := child(st, "with")
		_, nv := child(with, "node-version")
		if nv == nil {
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
	return nil, &Refusal{Reason: ReasonOldClient, Detail: "no actions/setup-node step: the runner's Node may ship npm older than 11.5.1"}
}

// fixJSDevTools fixes JS-DevTools/npm-publish. Not written yet.
func fixJSDevTools(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
