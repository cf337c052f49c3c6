package fixers

import "github.com/tpscan/tpscan/rules"

// fixNuGet fixes NuGet (dotnet nuget push, publish-nuget actions). Not written yet: every finding gets the no-fixer
// reason and its manual steps.
func fixNuGet(d *doc, f *rules.Finding, notes *[]string) ([]Edit, error) {
	return nil, &Refusal{Reason: ReasonNoFixer, Detail: "no automatic fixer for " + f.Method + " yet: follow the manual steps"}
}
