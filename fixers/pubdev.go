package fixers

import "github.com/tpscan/tpscan/rules"

// fixPubDev fixes pub.dev publishing (dart pub publish, the publisher
// actions). Not written yet: every finding gets the no-fixer reason.
func fixPubDev(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
