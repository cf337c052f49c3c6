package rules

import (
	"fmt"

	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/scanner/model"
)

// BroadSecret reports a registry token stored as an organisation secret that
// every repository, or every private and internal one, can read.
var BroadSecret = &Rule{
	ID:        "TP007",
	BaseScore: risk.BaseBroadSecret,
	Precision: "medium",
	Tags:      []string{"secrets", "organization"},
	Name:      "broadly-shared-registry-secret",
	Short:     "A registry token is an organisation secret every repository can read",
	Help: `What: an organisation secret whose name says it is a registry token (NPM_TOKEN,
PYPI_API_TOKEN, CARGO_REGISTRY_TOKEN, ... or a configured secret_patterns entry) has the
repository access "All repositories" or "Private repositories": every workflow of every such
repository, present and future, can read it. The finding lists the repositories that use it.
It needs a secrets inventory.

Why it matters: one token that can publish is in reach of every workflow of the organisation,
including workflows that have nothing to do with releases, run third-party actions or run for
pull requests. With "All repositories" public repositories get it too, and their workflows run
for pull requests from forks in some configurations (pull_request_target, workflow_run, or fork
pull requests with secrets enabled). A leak from any of them publishes your packages.

How to fix: move the token to the repositories that publish with it (better: switch them to
trusted publishing, which needs no stored token), or at least restrict the secret's repository
access to the selected repositories that use it; then rotate the token, since every repository
could read it. An organisation secret that no pipeline uses is reported as TP004 instead (delete
it), never as both.`,
	RunOrg: func(pass *OrgPass) {
		extra := compileExtra(pass.Options.ExtraSecretPatterns)
		for _, s := range pass.Inventory.OrgSecrets {
			if s.Visibility != "all" && s.Visibility != "private" && s.Visibility != "" {
				continue
			}
			p := &Pass{Inventory: pass.Inventory, Catalog: pass.Catalog, Options: pass.Options, Repo: &model.Repo{}}
			reg, ok := registryOfSecret(p, s.Name, extra)
			if !ok {
				continue
			}
			u := orgSecretUsage(pass, s)
			if u.Unused() {
				continue // TP004: delete it
			}
			pass.Report(broadFinding(pass.Options, s, reg, u), "org-secret-broad")
		}
	},
}

func broadFinding(opts *Options, s *model.Secret, reg string, u *orgUsage) *Finding {
	all := s.Visibility != "private"
	who := "every repository"
	if !all {
		who = "every private and internal repository"
	}
	use := fmt.Sprintf("used by %d: %s", len(u.Users), listRepos(u.Users, 3))
	switch {
	case len(u.Users) == 0 && len(u.Unknown) == 0 && u.ListingIncomplete:
		use = "no pipeline seen using it, but repositories GitHub would not list may"
	case len(u.Users) == 0:
		use = fmt.Sprintf("no pipeline seen using it, but %d could use it out of sight: %s", len(u.Unknown), listRepos(u.Unknown, 3))
	}
	f := &Finding{
		Registry: reg, Method: "stored-secret", Secret: s.Name, Secrets: []string{s.Name}, SecretKind: "secret",
		SecretScope: string(model.ScopeOrganization),
		Confidence:  "medium", key: s.Name, UsedBy: u.Users,
		Message: fmt.Sprintf("Organisation secret %s (%s token, by its name) is readable by %s of the organisation (%d scanned; %s)",
			s.Name, aRegistry(reg), who, len(u.Readers), use),
	}
	f.Factors = []risk.Factor{
		{Name: "broadly-shared-token", Points: risk.BaseBroadSecret, Reason: "a registry token in reach of every workflow of " + who + ", present and future"},
		orgVisibilityFactor(s),
	}
	readers := fmt.Sprintf("%d scanned repositories can read it; %d of them %s it", len(u.Readers), len(u.Users), plural(len(u.Users), "uses", "use"))
	switch n := len(u.Readers); {
	case n >= 20:
		f.Factors = append(f.Factors, risk.Factor{Name: "many-readers", Points: risk.VeryManyReaders, Reason: readers})
	case n >= 5:
		f.Factors = append(f.Factors, risk.Factor{Name: "many-readers", Points: risk.ManyReaders, Reason: readers})
	}
	if all && u.Public > 0 {
		f.Factors = append(f.Factors, risk.Factor{Name: "public-readers", Points: risk.PublicReaders,
			Reason: fmt.Sprintf("%d public repositories can read it; some workflow setups run with secrets for pull requests from forks (pull_request_target, workflow_run)", u.Public)})
	}
	f.Factors = append(f.Factors, valueFactors(s.Value, opts.now())...)
	f.Factors = append(f.Factors, ageFactors(s.UpdatedAt, opts.now())...)

	if len(u.Users) > 0 {
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Move %s to the repositories that publish with it (%s), as a repository or, better, a protected environment secret; better still, switch their publishing to trusted publishing so that no token is stored.",
			s.Name, listRepos(u.Users, 10)))
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Until then, restrict the secret's repository access to those repositories: organisation Settings → Secrets and variables → Actions → %s → Repository access → Selected repositories.", s.Name))
	} else {
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Find out whether %s uses %s; if nothing does, delete the secret.", listRepos(u.Unknown, 10), s.Name))
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Otherwise restrict the secret's repository access to the repositories that use it: organisation Settings → Secrets and variables → Actions → %s → Repository access → Selected repositories, and move them to trusted publishing.", s.Name))
	}
	if url, ok := revokeURL[reg]; ok {
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Rotate the token: every repository that could read it could have copied it. Revoke it at %s once its users have a replacement (or none is needed).", url))
	} else {
		f.ManualSteps = append(f.ManualSteps, "Rotate the token: every repository that could read it could have copied it. Revoke it at the registry once its users have a replacement (or none is needed).")
	}
	return f
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
