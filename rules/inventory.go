package rules

import (
	"path"
	"strings"

	"github.com/tpscan/tpscan/scanner/model"
)

// What the inventory says about who uses a stored secret. The unused-secret
// rule (TP004) and the two storage rules (TP007, TP008) share these, so that
// a stored secret is either "unused" (TP004) or "used, or possibly used"
// (TP007, TP008), never both.

// unreadGaps are the coverage gaps after which a repository's pipelines may
// reference a secret that tpscan did not see: the repository was not in the
// snapshot, a CI file did not parse or could not be read, an include lives
// elsewhere, the scan was interrupted.
var unreadGaps = map[string]bool{
	"missing": true, "unreadable": true, "parse-error": true, "too-large": true,
	"unresolved": true, "interrupted": true,
}

// listingIncomplete reports whether the source could not list every
// repository (GitHub refused to describe some): a secret visible to all of
// them cannot be called unused.
func listingIncomplete(inv *model.Inventory) bool {
	for _, g := range inv.Coverage {
		if g.Repo == "" && g.Kind == "incomplete-listing" {
			return true
		}
	}
	return false
}

// incompleteRepos returns the repositories whose pipelines were not fully
// read, by name; all is true when that holds for every repository (an
// interrupted scan).
func incompleteRepos(inv *model.Inventory) (repos map[string]bool, all bool) {
	repos = map[string]bool{}
	if inv == nil {
		return repos, false
	}
	for _, g := range inv.Coverage {
		if !unreadGaps[g.Kind] {
			continue
		}
		if g.Kind == "interrupted" {
			all = true
			continue
		}
		if g.Path != "" && !ciPath(g.Path) {
			continue // a script or credential file: no secrets.X in it
		}
		if g.Repo != "" {
			repos[g.Repo] = true
		}
	}
	return repos, all
}

// ciPath reports whether a path may hold pipeline definitions (or is a
// directory that may contain them).
func ciPath(p string) bool {
	if strings.HasPrefix(p, ".github") || strings.HasPrefix(p, ".gitlab") || p == "." {
		return true
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".yml", ".yaml":
		return true
	case "":
		return true // a directory that could not be walked
	}
	return false
}

// repoFullyRead reports whether every pipeline of repo was read.
func repoFullyRead(inv *model.Inventory, repo *model.Repo) bool {
	inc, all := incompleteRepos(inv)
	return !all && !inc[repo.Name]
}

// repoSecretUnused reports whether TP004 calls a repository or environment
// secret of the pass's repository unused: its secrets were listed, every
// pipeline was read, none passes secrets: inherit out of sight, and none
// references the name.
func repoSecretUnused(pass *Pass, s *model.Secret) bool {
	return pass.Repo.SecretsKnown && !pass.Flow.InheritAll && repoFullyRead(pass.Inventory, pass.Repo) &&
		!referenced(pass.Flow.Referenced, s.Name)
}

// orgUsage is who can read an organisation secret and who uses it.
type orgUsage struct {
	// Readers are the scanned repositories that can read it.
	Readers []*model.Repo
	// Users are the readers whose pipelines reference it (and do not get
	// their own repository secret of the same name instead).
	Users []string
	// Unknown are readers that may use it out of sight: a secrets: inherit
	// into a workflow tpscan could not read, or pipelines not fully read.
	Unknown []string
	// Unscanned are selected repositories that are not in the inventory.
	Unscanned []string
	// ListingIncomplete: the source could not list every repository, and
	// the secret is visible to those it left out.
	ListingIncomplete bool
	// Public counts the public readers.
	Public int
}

// Unused reports whether TP004 calls the secret unused.
func (u *orgUsage) Unused() bool {
	return len(u.Users) == 0 && len(u.Unknown) == 0 && len(u.Unscanned) == 0 && !u.ListingIncomplete
}

// orgSecretUsage works out who reads and who uses an organisation secret.
func orgSecretUsage(pass *OrgPass, s *model.Secret) *orgUsage {
	inc, all := incompleteRepos(pass.Inventory)
	u := &orgUsage{}
	for _, r := range pass.Inventory.Repos {
		if r.Loose || !s.Visible(r) {
			continue
		}
		u.Readers = append(u.Readers, r)
		if r.Visibility == "public" {
			u.Public++
		}
		fr := pass.Flows[r.Name]
		switch {
		case fr == nil || all || inc[r.Name]:
			u.Unknown = append(u.Unknown, r.Name)
		case referenced(fr.Referenced, s.Name) && !shadowed(r, s.Name):
			u.Users = append(u.Users, r.Name)
		case fr.InheritAll && !shadowed(r, s.Name):
			u.Unknown = append(u.Unknown, r.Name)
		}
	}
	if s.Visibility != "selected" && listingIncomplete(pass.Inventory) {
		// Repositories the source could not list may read and use it.
		u.ListingIncomplete = true
	}
	if s.Visibility == "selected" {
		for _, name := range s.SelectedRepos {
			if !inInventory(pass.Inventory, name) {
				u.Unscanned = append(u.Unscanned, name)
			}
		}
	}
	return u
}

// shadowed reports whether repo has its own repository secret named name:
// its workflows then read that one, never the organisation's.
func shadowed(repo *model.Repo, name string) bool {
	if !repo.SecretsKnown {
		return false
	}
	for _, s := range repo.Secrets {
		if s.Scope == model.ScopeRepository && strings.EqualFold(s.Name, name) {
			return true
		}
	}
	return false
}

func inInventory(inv *model.Inventory, name string) bool {
	probe := &model.Secret{Scope: model.ScopeOrganization, Visibility: "selected", SelectedRepos: []string{name}}
	for _, r := range inv.Repos {
		if probe.Visible(r) {
			return true
		}
	}
	return false
}

// absentSecret reports whether the inventory shows that a stored secret a
// job names cannot exist for it: the repository's secrets were listed and
// hold no secret of that name, and the organisation secret of that name is
// not shared with the repository (selected for others, or private while the
// repository is public). `secrets.X` is then empty at run time.
func absentSecret(pass *Pass, name string) bool {
	if pass.Inventory == nil || !pass.Repo.SecretsKnown {
		return false
	}
	for _, s := range pass.Repo.Secrets {
		if strings.EqualFold(s.Name, name) {
			return false
		}
	}
	org := false
	for _, s := range pass.Inventory.OrgSecrets {
		if strings.EqualFold(s.Name, name) {
			if s.Visible(pass.Repo) {
				return false
			}
			org = true
		}
	}
	return org
}

// listRepos is "a, b, c" with at most n names and an ellipsis after.
func listRepos(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + "…"
}
