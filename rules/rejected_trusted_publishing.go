package rules

import (
	"fmt"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
)

// RejectedTrustedPublishing reports a trusted-publishing setup that the
// registry will refuse, so the next release fails.
var RejectedTrustedPublishing = &Rule{
	ID:        "TP005",
	BaseScore: risk.BaseRejected,
	Precision: "high",
	Tags:      []string{"ci", "oidc"},
	Name:      "trusted-publishing-rejected",
	Short:     "A trusted-publishing setup that the registry will refuse",
	Help: `What: a publish relies on trusted publishing (no stored token; id-token: write or id_tokens)
in a context its registry refuses: PyPI and crates.io refuse pull_request_target, crates.io
also workflow_run; pub.dev accepts only a tag push (and workflow_dispatch when enabled); npm
accepts GitHub-hosted runners only; RubyGems and pub.dev have no GitLab trusted publishing;
PyPI and NuGet match a reusable workflow only in the same repository. NuGet's banned-event
list is configurable, so a NuGet pull_request_target publish is reported as "may be refused".

Why it matters: the release fails at the token exchange, often at the worst moment, and the
usual "fix" is to put a long-lived token back.

A stored secret the job names but that the inventory shows cannot exist for the repository
(no repository or environment secret of that name, and the organisation secret of that name
is shared with other repositories only) is empty at run time: the publish relies on trusted
publishing and is checked here too.

How to fix: publish from a trigger the registry accepts (a tag push or a release), on a
GitHub-hosted runner, from a job in the top-level workflow.`,
	Run: func(pass *Pass) {
		for _, pub := range pass.Flow.Publishes {
			if !catalog.Public(pub.Registry) || pub.DryRun || hasPresentStored(pass, pub) {
				continue
			}
			if !pub.OIDC && (pub.Method == nil || !pub.Method.OIDC) {
				continue
			}
			why := rejection(pub)
			if why == "" {
				continue
			}
			conf := "high"
			if pub.Registry == "nuget" {
				conf = "low"
			}
			f := &Finding{
				Registry: pub.Registry, Method: methodID(pub), Repo: pass.Repo.Name, Path: pub.Path,
				Line: pub.Pos.Line, Column: pub.Pos.Col, Job: jobID(pub.Job), Step: stepLabel(pub.Step),
				Confidence: conf, Blocked: why, key: "trusted-publishing",
				Message: fmt.Sprintf("%s publishes to %s with trusted publishing, but %s", methodName(pub), RegistryName(pub.Registry), why),
			}
			if pub.Step != nil && pub.Step.Uses != "" {
				f.Line, f.Column = pub.Step.UsesPos.Line, pub.Step.UsesPos.Col
			}
			f.Factors = []risk.Factor{{Name: "refused-exchange", Points: risk.BaseRejected, Reason: why}}
			f.Factors = append(f.Factors, contextFactors(pass, pub.Pipeline, pub.Job, pub.Caller, pub.CallJob)...)
			f.ManualSteps = []string{"Publish from a trigger and runner the registry accepts: " + why + "."}
			setEnd(pass.Repo, f)
			pass.Report(f, stepKey(pub))
		}
	},
}

// hasPresentStored reports whether a stored credential (not a user name)
// reaches the publish, leaving out secrets that the inventory shows are
// empty at run time for this repository (see absentSecret).
func hasPresentStored(pass *Pass, pub *flow.Publish) bool {
	for _, u := range pub.Uses {
		if !u.User && u.Cred.Stored() && !(u.Cred.Kind == "secret" && absentSecret(pass, u.Cred.Name)) {
			return true
		}
	}
	return false
}
