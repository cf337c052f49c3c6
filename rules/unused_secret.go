package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/scanner/model"
)

// UnusedSecret reports a stored registry-looking secret that no pipeline of
// any repository that can see it references. It needs a secrets inventory.
var UnusedSecret = &Rule{
	ID:        "TP004",
	BaseScore: risk.BaseUnusedSecret,
	Precision: "medium",
	Tags:      []string{"secrets", "hygiene"},
	Name:      "unused-registry-secret",
	Short:     "A stored registry token is not used by any pipeline",
	Help: `What: a repository, environment or organisation secret whose name says it is a registry
token (PYPI_API_TOKEN, NPM_TOKEN, CARGO_REGISTRY_TOKEN, ...) is not referenced by any workflow
of any repository that can read it. Typically left behind after a migration to trusted
publishing.

Why it matters: an unused token is still a valid token. Nobody notices when it leaks, and it
often predates scoped tokens (a user-wide PyPI token, say).

How to fix: check that no workflow outside the scan needs it, revoke it at the registry and
delete the secret. tpscan does not report this when a job passes secrets: inherit to a workflow
it could not read, since that workflow may use any secret, nor when a repository that can read
it was not fully read (missing from the snapshot, a CI file that does not parse) or, for an
organisation secret shared with selected repositories, one of them was not scanned. A
repository with its own repository secret of the same name does not use the organisation's.
A registry secret that is used, or may be, is never TP004: a broadly shared organisation
secret is TP007, one in an unprotected environment TP008.`,
	Run: func(pass *Pass) {
		if !pass.Repo.SecretsKnown || pass.Flow.InheritAll || !repoFullyRead(pass.Inventory, pass.Repo) {
			return
		}
		extra := compileExtra(pass.Options.ExtraSecretPatterns)
		for _, s := range pass.Repo.Secrets {
			if !repoSecretUnused(pass, s) {
				continue
			}
			reg, ok := registryOfSecret(pass, s.Name, extra)
			if !ok {
				continue
			}
			f := unusedFinding(pass.Options, pass.Repo.Name, s, reg, "")
			if s.Scope == model.ScopeEnvironment {
				if env := findEnv(pass.Repo, s.Environment); env != nil && env.Protected() {
					f.Factors = append(f.Factors, risk.Factor{Name: "protected-environment", Points: risk.EnvProtected, Reason: "behind a protected environment"})
				} else if env != nil {
					f.Factors = append(f.Factors, risk.Factor{Name: "unprotected-environment", Points: risk.EnvUnprotected, Reason: "environment secret, but the environment has no reviewers or branch rules"})
				}
			}
			pass.Report(f, "secret:"+string(s.Scope)+":"+s.Environment)
		}
	},
	RunOrg: func(pass *OrgPass) {
		extra := compileExtra(pass.Options.ExtraSecretPatterns)
		for _, s := range pass.Inventory.OrgSecrets {
			p := &Pass{Inventory: pass.Inventory, Catalog: pass.Catalog, Options: pass.Options, Repo: &model.Repo{}}
			reg, ok := registryOfSecret(p, s.Name, extra)
			if !ok {
				continue
			}
			u := orgSecretUsage(pass, s)
			if !u.Unused() {
				continue
			}
			f := unusedFinding(pass.Options, "", s, reg, fmt.Sprintf(" (visible to %d scanned repositories, used by none)", len(u.Readers)))
			// Where it is stored, before its age, as for every other finding.
			f.Factors = append(f.Factors[:1], append([]risk.Factor{orgVisibilityFactor(s)}, f.Factors[1:]...)...)
			pass.Report(f, "org-secret")
		}
	},
}

// orgVisibilityFactor scores who can read an organisation secret.
func orgVisibilityFactor(s *model.Secret) risk.Factor {
	switch s.Visibility {
	case "all", "":
		return risk.Factor{Name: "org-secret-all", Points: risk.OrgAll, Reason: "organisation secret visible to every repository"}
	case "private":
		return risk.Factor{Name: "org-secret-private", Points: risk.OrgPrivate, Reason: "organisation secret visible to every private repository"}
	}
	return risk.Factor{Name: "org-secret-selected", Points: risk.OrgSelected, Reason: fmt.Sprintf("organisation secret shared with %d selected repositories", len(s.SelectedRepos))}
}

func referenced(refs map[string]bool, name string) bool {
	if refs[name] {
		return true
	}
	for r := range refs {
		if strings.EqualFold(r, name) {
			return true
		}
	}
	return false
}

func compileExtra(patterns []string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		if re, err := regexp.Compile(p); err == nil {
			out = append(out, re)
		}
	}
	return out
}

func registryOfSecret(pass *Pass, name string, extra []*regexp.Regexp) (string, bool) {
	if reg, ok := pass.Catalog.InferRegistry(name); ok {
		return reg, true
	}
	for _, re := range extra {
		if re.MatchString(name) {
			if reg, ok := pass.Catalog.InferRegistryFromText(name); ok {
				return reg, true
			}
			return "unknown", true
		}
	}
	return "", false
}

func unusedFinding(opts *Options, repo string, s *model.Secret, reg, extra string) *Finding {
	where := string(s.Scope) + " secret"
	if s.Scope == model.ScopeEnvironment {
		where = "secret of environment " + s.Environment
	}
	f := &Finding{
		Registry: reg, Method: "stored-secret", Repo: repo, Secret: s.Name, Secrets: []string{s.Name}, SecretKind: "secret",
		SecretScope: string(s.Scope), Environment: s.Environment,
		Confidence: "medium", key: s.Name,
		Message: fmt.Sprintf("The %s %s looks like %s token and no scanned pipeline uses it%s", where, s.Name, aRegistry(reg), extra),
	}
	f.Factors = []risk.Factor{{Name: "unused-token", Points: risk.BaseUnusedSecret, Reason: "a valid token that nothing needs; nobody would notice it leak"}}
	f.Factors = append(f.Factors, valueFactors(s.Value, opts.now())...)
	f.Factors = append(f.Factors, ageFactors(s.UpdatedAt, opts.now())...)
	f.ManualSteps = []string{
		fmt.Sprintf("Confirm that no workflow outside this scan uses %s.", s.Name),
	}
	if u, ok := revokeURL[reg]; ok {
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Revoke the token at %s.", u))
	}
	f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Delete the %s %s.", where, s.Name))
	return f
}
