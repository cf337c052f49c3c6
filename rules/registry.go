package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/scanner/model"
)

// registryNames are how people write the registries.
var registryNames = map[string]string{
	"pypi": "PyPI", "testpypi": "TestPyPI", "rubygems": "RubyGems.org", "npm": "npm",
	"crates": "crates.io", "nuget": "nuget.org", "pubdev": "pub.dev",
}

// RegistryName is the human name of a registry.
func RegistryName(r string) string {
	if n, ok := registryNames[r]; ok {
		return n
	}
	return r
}

// revokeURL is where a registry's long-lived tokens are revoked.
var revokeURL = map[string]string{
	"pypi":     "https://pypi.org/manage/account/token/",
	"testpypi": "https://test.pypi.org/manage/account/token/",
	"rubygems": "https://rubygems.org/profile/api_keys",
	"npm":      "https://www.npmjs.com/settings/~/tokens",
	"crates":   "https://crates.io/settings/tokens",
	"nuget":    "https://www.nuget.org/account/apikeys",
	"pubdev":   "https://myaccount.google.com/permissions (remove the Dart/pub OAuth grant)",
}

// publisherWhere is where a registry's trusted publisher is registered.
var publisherWhere = map[string]string{
	"pypi":     "https://pypi.org/manage/project/<project>/settings/publishing/ (or a pending publisher at https://pypi.org/manage/account/publishing/ for a new project)",
	"testpypi": "https://test.pypi.org/manage/project/<project>/settings/publishing/",
	"rubygems": "https://rubygems.org/gems/<gem>/trusted_publishers (or a pending publisher under your profile)",
	"npm":      "the package's Settings → Trusted publishing on npmjs.com (the package must already exist)",
	"crates":   "https://crates.io/crates/<crate>/settings (Trusted Publishing; the crate must already exist)",
	"nuget":    "https://www.nuget.org/account/trustedpublishing (a policy for the package owner)",
	"pubdev":   "https://pub.dev/packages/<package>/admin (Automated publishing: enable GitHub Actions with a tag pattern)",
}

// manualSteps are the steps outside the repository for a migration.
func manualSteps(registry string, p *model.Pipeline, j *model.Job, secrets []string, caller *model.Pipeline, callSecret bool) []string {
	var steps []string
	if where, ok := publisherWhere[registry]; ok {
		wf := path.Base(p.File.Path)
		if caller != nil && (registry == "npm" || registry == "crates") {
			wf = path.Base(caller.File.Path) // these registries match the top-level caller
		}
		if caller != nil && (registry == "pypi" || registry == "testpypi") {
			steps = append(steps, fmt.Sprintf("PyPI matches the reusable workflow %s only in the same repository and its docs call this unsupported: the safe route is to move the publish job into %s and register that file.", path.Base(p.File.Path), path.Base(caller.File.Path)))
			wf = path.Base(caller.File.Path)
		}
		env := ""
		if j != nil && j.Environment != "" {
			env = fmt.Sprintf(", environment %q", j.Environment)
		}
		if p.Kind == model.GitLabCI {
			steps = append(steps, fmt.Sprintf("Register a trusted publisher on %s: GitLab project, top-level pipeline file %s%s, at %s.", RegistryName(registry), p.File.Path, env, where))
		} else if registry == "pubdev" {
			steps = append(steps, fmt.Sprintf("Enable automated publishing on pub.dev for this repository with a tag pattern%s at %s.", env, where))
		} else {
			steps = append(steps, fmt.Sprintf("Register a trusted publisher on %s: this repository, workflow %s%s, at %s.", RegistryName(registry), wf, env, where))
		}
	}
	for _, s := range secrets {
		switch {
		case s == "" || s == "*":
			steps = append(steps, "Delete the registry token among the secrets this job inherits, once a release has gone through trusted publishing.")
		case callSecret:
			steps = append(steps, fmt.Sprintf("Delete the stored secret that callers pass as %s, once a release has gone through trusted publishing.", s))
		default:
			steps = append(steps, fmt.Sprintf("Delete the stored secret %s once a release has gone through trusted publishing.", s))
		}
	}
	if u, ok := revokeURL[registry]; ok {
		steps = append(steps, fmt.Sprintf("Revoke the long-lived %s token at %s.", RegistryName(registry), u))
	}
	return steps
}

// rejection says why a registry would refuse trusted publishing for a
// publish, or "" when it would accept it (reference §10, §12.1).
func rejection(pub *flow.Publish) string {
	p := pub.Pipeline
	trig := p
	if pub.Caller != nil {
		trig = pub.Caller
	}
	reg := pub.Registry
	if pub.Caller == nil && p.Reusable && onlyTriggers(p, "workflow_call") {
		// A reusable workflow read on its own: the event the registry sees
		// is its caller's, which tpscan does not know here.
		return ""
	}
	if p.Kind == model.GitLabCI {
		switch reg {
		case "rubygems", "pubdev":
			return RegistryName(reg) + " has no trusted publishing for GitLab CI/CD"
		}
		return ""
	}
	switch reg {
	case "pypi", "testpypi":
		if trig.HasTrigger("pull_request_target") {
			return "PyPI refuses the OIDC exchange for pull_request_target runs"
		}
		if pub.Callee != "" && pub.Caller != nil && !sameRepoCall(pub) {
			return "PyPI's publisher names the called workflow, same repository only"
		}
	case "crates":
		if trig.HasTrigger("pull_request_target") {
			return "crates.io refuses the OIDC exchange for pull_request_target runs"
		}
		if trig.HasTrigger("workflow_run") && onlyTriggers(trig, "workflow_run") {
			return "crates.io refuses the OIDC exchange for workflow_run runs"
		}
	case "nuget":
		if trig.HasTrigger("pull_request_target") {
			return "nuget.org may refuse pull_request_target runs (its banned-event list is configurable)"
		}
	case "npm":
		if pub.Job != nil && pub.Job.SelfHosted {
			return "npm accepts trusted publishing from GitHub-hosted runners only"
		}
	case "pubdev":
		if !hasTagPush(trig) {
			if onlyTriggers(trig, "workflow_dispatch") {
				return "pub.dev accepts workflow_dispatch only when enabled in the package's admin settings"
			}
			return "pub.dev accepts automated publishing only from a tag push (" + triggerList(trig) + " would be refused)"
		}
	}
	return ""
}

func sameRepoCall(pub *flow.Publish) bool {
	return pub.CallJob != nil && pub.CallJob.Call != nil && pub.CallJob.Call.Local
}

func hasTagPush(p *model.Pipeline) bool {
	for _, t := range p.Triggers {
		if t.Event == "push" && len(t.Tags) > 0 {
			return true
		}
	}
	return false
}

// onlyTriggers reports whether every trigger of p is one of events.
func onlyTriggers(p *model.Pipeline, events ...string) bool {
	if len(p.Triggers) == 0 {
		return false
	}
	for _, t := range p.Triggers {
		found := false
		for _, e := range events {
			if t.Event == e {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func triggerList(p *model.Pipeline) string {
	var out []string
	for _, t := range p.Triggers {
		out = append(out, t.Event)
	}
	if len(out) == 0 {
		return "no trigger"
	}
	return strings.Join(out, ", ")
}

// aRegistry is the registry's name with its article: "a PyPI", "an npm".
func aRegistry(r string) string {
	n := RegistryName(r)
	if n != "" && strings.ContainsRune("aeiouAEIOU", rune(n[0])) || strings.HasPrefix(n, "npm") {
		return "an " + n
	}
	return "a " + n
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
