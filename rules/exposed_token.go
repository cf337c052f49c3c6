package rules

import (
	"fmt"

	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
)

// ExposedToken reports a registry token handed to a job or step that does not
// publish with it.
var ExposedToken = &Rule{
	ID:        "TP006",
	BaseScore: risk.BaseExposed,
	Precision: "medium",
	Tags:      []string{"secrets", "least-privilege"},
	Name:      "exposed-registry-token",
	Short:     "A registry token is handed to a job that does not publish with it",
	Help: `What: a secret whose name says it is a registry token is passed to a job or step (env,
an input, a command line) where no publish that tpscan can see consumes it: a test job, a
pull-request job, a "release PR" job, a presence check.

Why it matters: every job that holds a token is a place it can leak from, and jobs that
run on pull requests or run third-party code are the likeliest. The token is exposed for no
benefit.

How to fix: remove the secret from jobs that do not publish. If the job does publish in a
way tpscan cannot see (a script outside the scan), move that publish to trusted publishing.`,
	Run: func(pass *Pass) {
		for _, e := range pass.Flow.Exposures {
			pub := &flow.Publish{Pipeline: e.Pipeline, Job: e.Job, Step: e.Step}
			cr := e.Cred
			f := &Finding{
				Registry: e.Registry, Method: "none", Repo: pass.Repo.Name, Path: cr.Path,
				Line: cr.Pos.Line, Column: cr.Pos.Col, YAMLPath: cr.YAMLPath, Job: jobID(e.Job), Step: stepLabel(e.Step),
				Secret: cr.Name, Secrets: []string{cr.Name}, SecretKind: secretKind(cr), Confidence: "low", key: cr.YAMLPath + "|" + cr.Name,
				Message: fmt.Sprintf("%s %s (%s token, by its name) is handed to job %s, which publishes nothing with it", kindWord(cr), cr.Name, aRegistry(e.Registry), jobID(e.Job)),
			}
			f.Factors = []risk.Factor{{Name: "needless-exposure", Points: risk.BaseExposed, Reason: "the job holds a registry token it does not need"}}
			f.Factors = append(f.Factors, contextFactors(pass, e.Pipeline, e.Job, nil, nil)...)
			f.Factors = append(f.Factors, storageFactors(pass, cr, e.Job, nil)...)
			f.ManualSteps = []string{fmt.Sprintf("Remove %s from job %s.", cr.Name, jobID(e.Job))}
			setEnd(pass.Repo, f)
			pass.Report(f, stepKey(pub))
		}
	},
}
