package fixers

import "github.com/tpscan/tpscan/rules"

// fixRubyGems fixes RubyGems (gem push, rake release, publish-gem actions). Not written yet: every finding gets the no-fixer
// reason and its manual steps.
func fixRubyGems(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
