package rules

import (
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
)

// HalfMigration reports a job that can mint an OIDC token and still hands a
// stored token to the publish. The stored token wins in most clients.
var HalfMigration = &Rule{
	ID:        "TP003",
	BaseScore: risk.BaseHalfMigration,
	Precision: "high",
	Tags:      []string{"secrets", "ci"},
	Name:      "half-done-migration",
	Short:     "OIDC is set up but a stored token is still passed to the publish",
	Help: `What: the publishing job has id-token: write (GitLab: id_tokens), yet a stored token still
reaches the publish.

Why it matters: in pypa/gh-action-pypi-publish, twine, uv, pdm, maturin and gem a stored
credential takes precedence over trusted publishing, and npm silently falls back to it when
the exchange fails. The job carries both the long-lived token and the right to mint new ones,
and the token can still be stolen. The migration looks done and is not.

How to fix: remove the token input or variable from the publish, keep id-token: write, then
delete the secret and revoke the token.`,
	Run: func(pass *Pass) {
		for _, pub := range pass.Flow.Publishes {
			if !catalog.Public(pub.Registry) || pub.DryRun || !pub.OIDC {
				continue
			}
			publishFindings(pass, pub, risk.Factor{Name: "token-beside-oidc", Points: risk.BaseHalfMigration,
				Reason: "the job can use trusted publishing, but a stored token is passed and usually wins"},
				func(pub *flow.Publish, u flow.Use) string {
					return describeUse(pub, u) + ", although the job can mint an OIDC token: remove the token to finish the migration"
				})
		}
	},
}
