package rules

import (
	"fmt"
	"strings"

	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// LiteralToken reports a registry token written into a file or stored as a
// readable variable. Its value is never printed: only a redacted fingerprint.
var LiteralToken = &Rule{
	ID:        "TP002",
	BaseScore: risk.BaseLiteralToken,
	Precision: "very-high",
	Tags:      []string{"secrets", "leaked-credential"},
	Name:      "literal-token",
	Short:     "A registry token is committed to a file or stored as a readable variable",
	Help: `What: a value with the shape of a registry token (PyPI/TestPyPI "pypi-" macaroons, RubyGems
"rubygems_", npm "npm_", crates.io "cio", NuGet "oy2", pub.dev OAuth credentials) is written in
a file of the repository, or stored as a CI variable, whose value anyone with read access sees.

Why it matters: it is readable by everyone who can read the repository and stays in its
history after deletion. PyPI, RubyGems and crates.io revoke reported tokens, which breaks the
next release; until then anyone can publish with it.

How to fix: revoke the token at the registry now, remove it from the file (and from history
if the repository is public), and move the pipeline to trusted publishing. tpscan never
patches such a line: a patch would have to quote the token.`,
	Run: func(pass *Pass) {
		for _, f := range pass.Repo.Files {
			for _, m := range tokens.Find(f.Content) {
				pass.Report(literalFinding(pass, f.Path, m, pass.Repo.Visibility == "public"), f.Path)
			}
		}
		for _, v := range pass.Repo.Variables {
			if m, ok := tokens.Classify(v.Value); ok {
				pass.Report(variableFinding(pass, v, m), "variable:"+v.Name)
			}
		}
	},
	RunOrg: func(pass *OrgPass) {
		for _, v := range pass.Inventory.OrgVariables {
			if m, ok := tokens.Classify(v.Value); ok {
				p := &Pass{Inventory: pass.Inventory, Repo: &model.Repo{}, Options: pass.Options}
				f := variableFinding(p, v, m)
				pass.Report(f, "org-variable:"+v.Name)
			}
		}
	},
}

func literalFinding(pass *Pass, path string, m tokens.Match, public bool) *Finding {
	reg := string(m.Registry)
	f := &Finding{
		Registry: reg, Method: "literal", Repo: pass.Repo.Name, Path: path,
		Line: m.Line, Column: m.Col, EndLine: m.EndLine, EndColumn: m.EndCol,
		Token: m.Fingerprint, key: m.Fingerprint,
		Message: fmt.Sprintf("%s token (%s) is written in this file", capitalize(aRegistry(reg)), m.Fingerprint),
	}
	f.Factors = []risk.Factor{{Name: "committed-token", Points: risk.BaseLiteralToken, Reason: "the token is readable by everyone who can read the repository, and stays in its history"}}
	if public {
		f.Factors = append(f.Factors, risk.Factor{Name: "public-repository", Points: risk.PublicRepo, Reason: "the repository is public"})
	}
	if m.Macaroon != nil {
		f.Factors = append(f.Factors, macaroonFactors(m.Macaroon, pass.Options.now())...)
		if m.Macaroon.Scope == "trusted-publishing" {
			f.Factors = append(f.Factors, risk.Factor{Name: "short-lived", Points: risk.ShortLived, Reason: "minted by trusted publishing: valid for 15 minutes"})
		}
	}
	f.ManualSteps = literalSteps(reg, path)
	return f
}

func variableFinding(pass *Pass, v *model.Variable, m tokens.Match) *Finding {
	reg := string(m.Registry)
	where := strings.TrimSpace(string(v.Scope) + " variable")
	if v.Environment != "" {
		where = "variable of environment " + v.Environment
	}
	f := &Finding{
		Registry: reg, Method: "variable", Repo: pass.Repo.Name, Secret: v.Name, SecretKind: "variable",
		SecretScope: string(v.Scope), Environment: v.Environment,
		Token: m.Fingerprint, key: v.Name,
		Message: fmt.Sprintf("The %s %s holds %s token (%s): variable values are readable by anyone with read access", where, v.Name, aRegistry(reg), m.Fingerprint),
	}
	f.Factors = []risk.Factor{{Name: "token-in-variable", Points: risk.BaseVariableToken, Reason: "stored as a variable, not a secret: its value is shown to everyone with read access"}}
	if v.Scope == model.ScopeOrganization {
		f.Factors = append(f.Factors, risk.Factor{Name: "org-variable", Points: risk.OrgPrivate, Reason: "organisation variable"})
	}
	if m.Macaroon != nil {
		f.Factors = append(f.Factors, macaroonFactors(m.Macaroon, pass.Options.now())...)
	}
	f.Factors = append(f.Factors, ageFactors(v.UpdatedAt, pass.Options.now())...)
	f.ManualSteps = append([]string{fmt.Sprintf("Delete the variable %s.", v.Name)}, literalSteps(reg, "")...)
	return f
}

func literalSteps(reg, path string) []string {
	var steps []string
	if u, ok := revokeURL[reg]; ok {
		steps = append(steps, fmt.Sprintf("Revoke the token now at %s: assume it is compromised.", u))
	} else {
		steps = append(steps, "Revoke the token at the registry now: assume it is compromised.")
	}
	if path != "" {
		steps = append(steps, fmt.Sprintf("Remove it from %s and from the repository history (git filter-repo), then force-push.", path))
	}
	steps = append(steps, "Move the pipeline to trusted publishing so that no new token is needed.")
	return steps
}
