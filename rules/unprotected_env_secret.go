package rules

import (
	"fmt"
	"strings"

	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/scanner/model"
)

// envPublisherRegistries are the registries whose trusted publisher can
// require a GitHub deployment environment.
var envPublisherRegistries = map[string]bool{
	"pypi": true, "testpypi": true, "rubygems": true, "npm": true, "crates": true, "pubdev": true,
}

// UnprotectedEnvSecret reports a registry token stored in a deployment
// environment that has no protection rules.
var UnprotectedEnvSecret = &Rule{
	ID:        "TP008",
	BaseScore: risk.BaseUngatedEnv,
	Precision: "high",
	Tags:      []string{"secrets", "environments"},
	Name:      "unprotected-environment-secret",
	Short:     "A registry token is stored in an environment with no reviewers or branch rules",
	Help: `What: a secret whose name says it is a registry token is stored in a deployment environment
that has neither required reviewers nor a deployment branch or tag policy. It needs a secrets
inventory that lists the repository's secrets and environments.

Why it matters: environments exist to gate secrets. Without reviewers or a branch policy, any
workflow run that names the environment gets the token: anyone who can push a branch can add
such a workflow and print it, and a job on pull_request_target or workflow_run that names the
environment hands it to runs started from forks. It protects no better than a repository
secret, while looking like it does.

How to fix: add required reviewers to the environment and/or restrict its deployment branches
and tags to the release refs. Better, move the publish to trusted publishing: PyPI, RubyGems.org,
npm, crates.io and pub.dev let the trusted publisher require the environment, so only runs that
pass its protection can publish; then delete the secret and revoke the token. A secret in an
unprotected environment that no pipeline uses is reported as TP004 instead (delete it), never as
both.`,
	Run: func(pass *Pass) {
		if !pass.Repo.SecretsKnown {
			return
		}
		extra := compileExtra(pass.Options.ExtraSecretPatterns)
		for _, s := range pass.Repo.Secrets {
			if s.Scope != model.ScopeEnvironment {
				continue
			}
			env := findEnv(pass.Repo, s.Environment)
			if env == nil || env.Protected() {
				continue
			}
			reg, ok := registryOfSecret(pass, s.Name, extra)
			if !ok || repoSecretUnused(pass, s) {
				continue // not a registry token, or TP004
			}
			pass.Report(ungatedFinding(pass, s, reg), "env-secret:"+s.Environment)
		}
	},
}

func ungatedFinding(pass *Pass, s *model.Secret, reg string) *Finding {
	repo := pass.Repo
	f := &Finding{
		Registry: reg, Method: "stored-secret", Repo: repo.Name, Secret: s.Name, Secrets: []string{s.Name}, SecretKind: "secret",
		SecretScope: string(model.ScopeEnvironment), Environment: s.Environment,
		Confidence: "medium", key: s.Name,
		Message: fmt.Sprintf("Environment %s of %s holds %s (%s token, by its name) but has no required reviewers and no deployment branch policy: any workflow run that names the environment gets the token",
			s.Environment, repo.Name, s.Name, aRegistry(reg)),
	}
	f.Factors = []risk.Factor{{Name: "ungated-environment", Points: risk.BaseUngatedEnv,
		Reason: "environment " + s.Environment + " gates nothing: a workflow on any branch that names it gets the token"}}
	if tf, ok := envTriggerFactor(pass, s); ok {
		f.Factors = append(f.Factors, tf)
	}
	if repo.Visibility == "public" {
		f.Factors = append(f.Factors, risk.Factor{Name: "public-repository", Points: risk.PublicRepo, Reason: "the repository is public: anyone can open pull requests against its workflows"})
	}
	f.Factors = append(f.Factors, valueFactors(s.Value, pass.Options.now())...)
	f.Factors = append(f.Factors, ageFactors(s.UpdatedAt, pass.Options.now())...)

	f.ManualSteps = []string{
		fmt.Sprintf("Protect environment %s of %s (Settings → Environments → %s): add required reviewers and/or limit Deployment branches and tags to the release refs (for example tags v*).", s.Environment, repo.Name, s.Environment),
	}
	if where, ok := publisherWhere[reg]; ok {
		step := fmt.Sprintf("Better, move the publish to trusted publishing and register the publisher at %s", where)
		if envPublisherRegistries[reg] {
			step += fmt.Sprintf(" with environment %q, so that only runs that pass its protection can publish", s.Environment)
		}
		f.ManualSteps = append(f.ManualSteps, step+".")
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Then delete the secret %s of environment %s.", s.Name, s.Environment))
	}
	if u, ok := revokeURL[reg]; ok {
		f.ManualSteps = append(f.ManualSteps, fmt.Sprintf("Revoke the token at %s once nothing needs it, or rotate it if the environment may have been used by an unreviewed run.", u))
	}
	return f
}

// envTriggerFactor scores the most dangerous trigger of a job in the
// secret's environment that uses the secret (a publish or a handed-over
// credential the flow analysis saw).
func envTriggerFactor(pass *Pass, s *model.Secret) (risk.Factor, bool) {
	type use struct {
		trig *model.Pipeline
		job  string
	}
	var uses []use
	for _, pub := range pass.Flow.Publishes {
		if !strings.EqualFold(envOf(pub.Job, pub.CallJob), s.Environment) {
			continue
		}
		for _, u := range pub.Uses {
			if u.Cred.Kind == "secret" && strings.EqualFold(u.Cred.Name, s.Name) {
				trig := pub.Pipeline
				if pub.Caller != nil {
					trig = pub.Caller
				}
				uses = append(uses, use{trig, jobID(pub.Job)})
				break
			}
		}
	}
	for _, e := range pass.Flow.Exposures {
		if e.Job != nil && strings.EqualFold(e.Job.Environment, s.Environment) && strings.EqualFold(e.Cred.Name, s.Name) {
			uses = append(uses, use{e.Pipeline, jobID(e.Job)})
		}
	}
	best, bestJob := -1, ""
	for _, u := range uses {
		for i, t := range attackerTriggers {
			if u.trig.HasTrigger(t.event) && (best < 0 || t.points > attackerTriggers[best].points) {
				best, bestJob = i, u.job
			}
		}
	}
	if best < 0 {
		return risk.Factor{}, false
	}
	t := attackerTriggers[best]
	return risk.Factor{Name: "trigger-" + t.event, Points: t.points,
		Reason: fmt.Sprintf("job %s uses it on %s: %s", bestJob, t.event, t.reason)}, true
}
