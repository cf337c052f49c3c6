package rules

import (
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/risk"
)

// StoredTokenPublish reports a long-lived registry token that reaches a
// publish to a public registry.
var StoredTokenPublish = &Rule{
	ID:        "TP001",
	BaseScore: risk.BaseStoredToken,
	Precision: "high",
	Tags:      []string{"secrets", "ci"},
	Name:      "stored-token-publish",
	Short:     "A stored long-lived registry token publishes packages",
	Help: `What: a secret (or variable) holding a long-lived registry token reaches a publish to
PyPI, TestPyPI, RubyGems.org, npm, crates.io, nuget.org or pub.dev: through an action input,
env at any level, a run: command, a credentials file, $GITHUB_ENV or a reusable workflow.

Why it matters: the token stays valid until someone revokes it. Anyone who can read it (a
compromised action, a malicious pull request in a privileged workflow, a leaked log) can
publish a new version of every package it covers, long after the run ended.

How to fix: switch to trusted publishing. The job gets id-token: write and the registry mints
a short-lived token per run, so nothing is stored. tpscan prints the trusted-publishing form
for the method, the publisher to register, the secret to delete and the token to revoke.`,
	Run: func(pass *Pass) {
		for _, pub := range pass.Flow.Publishes {
			if !catalog.Public(pub.Registry) || pub.DryRun || pub.OIDC {
				continue
			}
			publishFindings(pass, pub, risk.Factor{Name: "long-lived-token", Points: risk.BaseStoredToken,
				Reason: "a stored token publishes; it stays valid until revoked"}, describeUse)
		}
	},
}
