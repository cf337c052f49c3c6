package fixers

import "github.com/tpscan/tpscan/rules"

// fixCrates fixes crates.io (cargo publish, katyo/publish-crates, release-plz). Not written yet: every finding gets the no-fixer
// reason and its manual steps.
func fixCrates(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
