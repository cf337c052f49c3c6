package fixers

import "github.com/tpscan/tpscan/rules"

// fixPyPITool fixes PyPI tools without trusted publishing (poetry, flit, hatch, rye) and third-party PyPI actions. Not written yet: every finding gets the no-fixer
// reason and its manual steps.
func fixPyPITool(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
