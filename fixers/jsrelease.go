package fixers

import "github.com/tpscan/tpscan/rules"

// fixJSRelease fixes npm release tools on GitHub Actions (semantic-release,
// changesets). Not written yet: every finding gets the no-fixer reason.
func fixJSRelease(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
