package rules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

var fullSHA = regexp.MustCompile(`@[0-9a-f]{40}$`)

// firstParty are action owners whose actions are the registries' or GitHub's
// own; handing them a token is not a third-party exposure.
var firstParty = map[string]bool{
	"actions": true, "github": true, "pypa": true, "rubygems": true, "rust-lang": true,
	"nuget": true, "dart-lang": true, "npm": true,
}

// attackerTriggers are events that run a job holding the token for people
// without write access (reference §1.8).
var attackerTriggers = []struct {
	event  string
	points int
	reason string
}{
	{"pull_request_target", risk.PullRequestTgt, "runs with the repository's secrets for pull requests from anyone"},
	{"workflow_run", risk.WorkflowRun, "runs with secrets after another workflow, possibly started by a fork"},
	{"issue_comment", risk.CommentTrigger, "anyone who can comment starts a run that holds the secrets"},
	{"issues", risk.CommentTrigger, "anyone who can open an issue starts a run that holds the secrets"},
	{"discussion", risk.CommentTrigger, "anyone who can open a discussion starts a run that holds the secrets"},
	{"discussion_comment", risk.CommentTrigger, "anyone who can comment on a discussion starts a run that holds the secrets"},
	{"pull_request", risk.PullRequest, "also runs for pull requests; branches of this repository get the secrets"},
}

// exposureFactors scores how widely a credential is exposed where it is used.
func exposureFactors(pass *Pass, pub *flow.Publish, use flow.Use) []risk.Factor {
	var fs []risk.Factor
	cr := use.Cred
	switch cr.Level {
	case "workflow", "global":
		fs = append(fs, risk.Factor{Name: "workflow-env", Points: risk.WorkflowEnv, Reason: "set in workflow-level env: every step of every job sees the token"})
	case "job":
		fs = append(fs, risk.Factor{Name: "job-env", Points: risk.JobEnv, Reason: "set in job-level env: every step of the job sees the token"})
	case "github-env":
		fs = append(fs, risk.Factor{Name: "github-env", Points: risk.GitHubEnv, Reason: "written to $GITHUB_ENV: every later step of the job sees the token"})
	}
	if (cr.Level == "workflow" || cr.Level == "job" || cr.Level == "global" || cr.Level == "github-env") && pub.Job != nil && codeSteps(pub.Job) > 1 {
		fs = append(fs, risk.Factor{Name: "shared-with-other-steps", Points: risk.SharedSteps,
			Reason: fmt.Sprintf("%d other steps of the job run code with the token in reach", codeSteps(pub.Job)-1)})
	}
	if pub.Step != nil && pub.Step.Uses != "" && strings.HasPrefix(use.Key, "with.") || pub.Step != nil && pub.Step.Uses != "" && pub.Method != nil && pub.Method.Kind == "action" {
		owner := strings.ToLower(strings.SplitN(pub.Step.Uses, "/", 2)[0])
		if !firstParty[owner] && !strings.HasPrefix(pub.Step.Uses, "./") {
			if fullSHA.MatchString(pub.Step.Uses) {
				fs = append(fs, risk.Factor{Name: "third-party-action", Points: risk.ThirdPartyPinned, Reason: "handed to a third-party action (" + catalog.ActionName(pub.Step.Uses) + "), pinned to a commit"})
			} else {
				fs = append(fs, risk.Factor{Name: "third-party-action", Points: risk.ThirdPartyAction, Reason: "handed to a third-party action (" + catalog.ActionName(pub.Step.Uses) + ") not pinned to a full commit SHA: whoever moves its tag gets the token"})
			}
		}
	}
	fs = append(fs, contextFactors(pass, pub.Pipeline, pub.Job, pub.Caller, pub.CallJob)...)
	fs = append(fs, storageFactors(pass, cr, pub.Job, pub.CallJob)...)
	switch pub.Confidence {
	case "low":
		fs = append(fs, risk.Factor{Name: "inferred", Points: risk.LowConfidence, Reason: "the publish itself is out of sight (" + pub.Indirect + "); inferred from names"})
	case "medium":
		fs = append(fs, risk.Factor{Name: "indirect", Points: risk.MediumConfidence, Reason: "the publish happens through " + orDefault(pub.Indirect, "indirection")})
	}
	return fs
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func codeSteps(j *model.Job) int {
	n := 0
	for _, s := range j.Steps {
		if s.Run != nil || s.Uses != "" && !strings.HasPrefix(strings.ToLower(s.Uses), "actions/") {
			n++
		}
	}
	return n
}

// contextFactors scores the triggers, runner and token permissions of the job
// holding a credential (the caller's, for a reusable workflow).
func contextFactors(pass *Pass, p *model.Pipeline, j *model.Job, caller *model.Pipeline, callJob *model.Job) []risk.Factor {
	var fs []risk.Factor
	trig := p
	if caller != nil {
		trig = caller
	}
	best := -1
	for i, t := range attackerTriggers {
		if trig.HasTrigger(t.event) && (best < 0 || t.points > attackerTriggers[best].points) {
			best = i
		}
	}
	if best >= 0 {
		t := attackerTriggers[best]
		fs = append(fs, risk.Factor{Name: "trigger-" + t.event, Points: t.points, Reason: t.event + ": " + t.reason})
	}
	if j != nil && (j.SelfHosted || callJob != nil && callJob.SelfHosted) {
		fs = append(fs, risk.Factor{Name: "self-hosted-runner", Points: risk.SelfHosted, Reason: "runs on a self-hosted runner, which may keep state between jobs"})
	}
	if p.Kind != model.GitLabCI && j != nil {
		perms := j.Permissions
		if perms == nil {
			perms = p.Permissions
		}
		if callJob != nil && perms == nil {
			perms = callJob.Permissions
			if perms == nil && caller != nil {
				perms = caller.Permissions
			}
		}
		switch {
		case perms == nil:
			fs = append(fs, risk.Factor{Name: "default-permissions", Points: risk.DefaultPerms, Reason: "no permissions block: GITHUB_TOKEN gets the repository default, often write to everything"})
		case perms.All == "write-all":
			fs = append(fs, risk.Factor{Name: "write-all", Points: risk.WriteAll, Reason: "permissions: write-all"})
		}
	}
	return fs
}

// storageFactors scores where the secret is stored and what its value can do,
// when the source knows.
func storageFactors(pass *Pass, cr flow.Cred, j, callJob *model.Job) []risk.Factor {
	var fs []risk.Factor
	if cr.Kind == "variable" {
		fs = append(fs, risk.Factor{Name: "stored-as-variable", Points: risk.StoredAsVariable, Reason: "stored as a variable, whose value anyone with read access can see"})
	}
	sec := findSecret(pass.Inventory, pass.Repo, cr.Name, envOf(j, callJob))
	if sec == nil {
		return fs
	}
	switch sec.Scope {
	case model.ScopeOrganization:
		fs = append(fs, orgVisibilityFactor(sec))
	case model.ScopeRepository:
		fs = append(fs, risk.Factor{Name: "repository-secret", Points: risk.RepoSecret, Reason: "repository secret: every workflow on every branch can read it"})
	case model.ScopeEnvironment:
		env := findEnv(pass.Repo, sec.Environment)
		if env != nil && env.Protected() {
			fs = append(fs, risk.Factor{Name: "protected-environment", Points: risk.EnvProtected, Reason: "environment secret behind required reviewers or branch rules"})
		} else {
			fs = append(fs, risk.Factor{Name: "unprotected-environment", Points: risk.EnvUnprotected, Reason: "environment secret, but the environment has no reviewers or branch rules"})
		}
	}
	fs = append(fs, valueFactors(sec.Value, pass.Options.now())...)
	fs = append(fs, ageFactors(sec.UpdatedAt, pass.Options.now())...)
	return fs
}

func envOf(j, callJob *model.Job) string {
	if j != nil && j.Environment != "" {
		return j.Environment
	}
	if callJob != nil {
		return callJob.Environment
	}
	return ""
}

// findSecret finds the secret a job reads: an environment secret of its
// environment wins over a repository secret, which wins over an organisation one.
func findSecret(inv *model.Inventory, repo *model.Repo, name, env string) *model.Secret {
	var repoSec *model.Secret
	for _, s := range repo.Secrets {
		if !strings.EqualFold(s.Name, name) {
			continue
		}
		if s.Scope == model.ScopeEnvironment && env != "" && s.Environment == env {
			return s
		}
		if s.Scope == model.ScopeRepository {
			repoSec = s
		}
	}
	if repoSec != nil {
		return repoSec
	}
	if inv != nil {
		for _, s := range inv.OrgSecrets {
			if strings.EqualFold(s.Name, name) && s.Visible(repo) {
				return s
			}
		}
	}
	return nil
}

func findEnv(repo *model.Repo, name string) *model.Environment {
	for _, e := range repo.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// valueFactors decodes a known token value: a PyPI macaroon tells a
// user-wide token from a project-scoped one, and shows an expiry.
func valueFactors(value string, now time.Time) []risk.Factor {
	if value == "" {
		return nil
	}
	m, ok := tokens.Classify(value)
	if !ok || m.Macaroon == nil {
		return nil
	}
	return macaroonFactors(m.Macaroon, now)
}

func macaroonFactors(mac *tokens.Macaroon, now time.Time) []risk.Factor {
	var fs []risk.Factor
	switch mac.Scope {
	case "user":
		fs = append(fs, risk.Factor{Name: "user-wide-token", Points: risk.UserWideToken, Reason: "the PyPI token is user-wide: it can publish every project of its owner"})
	case "project":
		fs = append(fs, risk.Factor{Name: "project-scoped-token", Points: risk.ProjectToken, Reason: "the PyPI token is scoped to " + strings.Join(mac.Projects, ", ")})
	}
	if mac.ExpiresAt == nil {
		fs = append(fs, risk.Factor{Name: "no-expiry", Points: risk.NoExpiry, Reason: "the token never expires"})
	} else if mac.ExpiresAt.Before(now) {
		fs = append(fs, risk.Factor{Name: "expired", Points: risk.Expired, Reason: "the token expired on " + mac.ExpiresAt.UTC().Format("2006-01-02")})
	}
	return fs
}

func ageFactors(updated, now time.Time) []risk.Factor {
	if updated.IsZero() {
		return nil
	}
	age := now.Sub(updated)
	switch {
	case age > 365*24*time.Hour:
		return []risk.Factor{{Name: "secret-age", Points: risk.OldSecret, Reason: fmt.Sprintf("not rotated for %d days", int(age.Hours()/24))}}
	case age > 180*24*time.Hour:
		return []risk.Factor{{Name: "secret-age", Points: risk.AgingSecret, Reason: fmt.Sprintf("not rotated for %d days", int(age.Hours()/24))}}
	}
	return nil
}
