package rules

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
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

// publisherWhere is where a registry's trusted publisher is registered,
// with placeholders for the package (reference §2.2, §3.2, §4.2, §5.2,
// §6.2, §7.2); manualSteps fills in the real values.
var publisherWhere = map[string]string{
	"pypi":     "https://pypi.org/manage/project/<project>/settings/publishing/ (or a pending publisher at https://pypi.org/manage/account/publishing/ for a new project)",
	"testpypi": "https://test.pypi.org/manage/project/<project>/settings/publishing/ (or a pending publisher at https://test.pypi.org/manage/account/publishing/ for a new project)",
	"rubygems": "https://rubygems.org/gems/<gem>/trusted_publishers (or a pending publisher at https://rubygems.org/profile/oidc/pending_trusted_publishers for a new gem)",
	"npm":      "the package's Settings → Trusted publishing on npmjs.com (the package must already exist)",
	"crates":   "https://crates.io/crates/<crate>/settings (Trusted Publishing; the crate must already exist)",
	"nuget":    "https://www.nuget.org/account/trustedpublishing (a policy for the package owner)",
	"pubdev":   "https://pub.dev/packages/<package>/admin (Automated publishing: enable GitHub Actions with a tag pattern)",
}

// registryHost is the site of the PyPI-family registries.
var registryHost = map[string]string{"pypi": "https://pypi.org", "testpypi": "https://test.pypi.org"}

// publisher is what a registry's trusted-publisher form asks for.
type publisher struct {
	registry string
	gitlab   bool
	// owner and repo are the GitHub owner and repository, or the GitLab
	// namespace and project; "" when the repository's name is unknown.
	owner, repo string
	// workflow is the workflow file name (GitHub) or the top-level pipeline
	// path (GitLab); "" when only the caller knows it.
	workflow string
	// env is the deployment environment; envExpr is set instead when an
	// expression chooses it.
	env, envExpr string
	// name is the package name, "" when unknown.
	name string
	// composite is set for a publish inside a composite action, which
	// the registry knows by the workflow that runs it.
	composite bool
	// workflowRepo is the "owner/name" holding a reusable workflow called
	// from another repository (RubyGems' workflow repository fields).
	workflowRepo string
}

// manualSteps are the steps outside the repository for a migration: the
// exact values of the registry's publisher form (with a pre-filled link
// where the registry has one), deleting the stored secret where it is
// stored, revoking the token.
func manualSteps(pass *Pass, registry string, pub *flow.Publish, secrets []string, callSecret bool) []string {
	var steps []string
	p, caller := pub.Pipeline, pub.Caller
	gitlab := p.Kind == model.GitLabCI
	if gitlab && (registry == "rubygems" || registry == "pubdev") {
		// No trusted publishing there: the token stays (rejection says so).
		return []string{gitlabNoTrustedPublishing(registry, packageName(pass, registry, pub))}
	}
	if _, ok := publisherWhere[registry]; ok {
		v := publisher{registry: registry, gitlab: gitlab, name: packageName(pass, registry, pub)}
		v.owner, v.repo = splitRepo(pass.Repo.Name, gitlab)
		v.env, v.envExpr = environmentOf(pub)
		v.workflow = path.Base(p.File.Path)
		if gitlab {
			v.workflow = p.File.Path
		}
		if p.Kind == model.GitHubComposite {
			// The registry names the workflow whose job uses the action:
			// the one that hands it the credential, when tpscan saw it.
			v.workflow, v.composite = usingWorkflow(pass.Repo, pub), true
		}
		standalone := caller == nil && p.Reusable && onlyTriggers(p, "workflow_call")
		switch registry {
		case "npm", "crates":
			// These registries match the top-level caller (reference §9).
			if caller != nil {
				v.workflow = path.Base(caller.File.Path)
			} else if standalone {
				v.workflow = ""
			}
		case "pypi", "testpypi":
			if caller != nil {
				steps = append(steps, fmt.Sprintf("%s matches the reusable workflow %s only in the same repository and its docs call this unsupported: the safe route is to move the publish job into %s and register that file.", RegistryName(registry), path.Base(p.File.Path), path.Base(caller.File.Path)))
				v.workflow = path.Base(caller.File.Path)
			} else if standalone {
				steps = append(steps, fmt.Sprintf("%s matches the reusable workflow %s only in the same repository and its docs call this unsupported: the safe route is to move the publish job into the workflow that calls it and register that file.", RegistryName(registry), path.Base(p.File.Path)))
				v.workflow = ""
			}
		case "rubygems":
			if o, r, wf, ok := remoteCall(pub); ok {
				v.workflow, v.workflowRepo = wf, o+"/"+r
			}
		case "nuget":
			if _, _, _, ok := remoteCall(pub); ok {
				steps = append(steps, fmt.Sprintf("nuget.org matches a reusable workflow only in the calling repository: move the publish job into %s (or a workflow of this repository) and name that file.", path.Base(caller.File.Path)))
				v.workflow = path.Base(caller.File.Path)
			}
		}
		steps = append(steps, publisherSteps(v, pub)...)
	}
	for _, s := range secrets {
		steps = append(steps, deleteStep(pass, pub, s, callSecret, gitlab))
	}
	if u, ok := revokeURL[registry]; ok {
		steps = append(steps, fmt.Sprintf("Revoke the long-lived %s token at %s.", RegistryName(registry), u))
	}
	if h := hardening(registry, gitlab); h != "" {
		steps = append(steps, h)
	}
	return steps
}

// usingWorkflow is the file name of the workflow that hands a composite
// action's publish its credential, "" when none is known.
func usingWorkflow(repo *model.Repo, pub *flow.Publish) string {
	for _, u := range pub.Uses {
		for _, pl := range repo.Pipelines {
			if pl.Kind == model.GitHubWorkflow && pl.File != nil && pl.File.Path == u.Cred.Path {
				return path.Base(pl.File.Path)
			}
		}
	}
	return ""
}

// splitRepo splits "owner/name" (GitHub) or "group/sub/project" (GitLab:
// the namespace is everything before the last slash).
func splitRepo(name string, gitlab bool) (owner, repo string) {
	i := strings.IndexByte(name, '/')
	if gitlab {
		i = strings.LastIndexByte(name, '/')
	}
	if i <= 0 || i == len(name)-1 {
		return "", ""
	}
	return name[:i], name[i+1:]
}

// environmentOf is the deployment environment of the publishing job: a
// literal, or `${{ inputs.X }}` that the caller sets to a literal; envExpr
// is the expression when tpscan cannot tell its value.
func environmentOf(pub *flow.Publish) (env, envExpr string) {
	if pub.Job == nil || pub.Job.Environment == "" {
		return "", ""
	}
	e := strings.TrimSpace(pub.Job.Environment)
	if !strings.Contains(e, "${{") && !strings.Contains(e, "$") {
		return e, ""
	}
	if m := inputExpr.FindStringSubmatch(e); m != nil && pub.CallJob != nil && pub.CallJob.Call != nil {
		for _, in := range pub.CallJob.Call.Inputs {
			if strings.EqualFold(in.Name, m[1]) && len(in.Value.Refs) == 0 && in.Value.Raw != "" && !strings.Contains(in.Value.Raw, "$") {
				return in.Value.Raw, ""
			}
		}
	}
	return "", e
}

var inputExpr = regexp.MustCompile(`^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$`)

// remoteCall reports a publish in a reusable workflow that a caller takes
// from another repository: its owner, name and file name.
func remoteCall(pub *flow.Publish) (owner, repo, file string, ok bool) {
	if pub.Caller == nil || pub.CallJob == nil || pub.CallJob.Call == nil || pub.CallJob.Call.Local {
		return "", "", "", false
	}
	uses, _, _ := strings.Cut(pub.CallJob.Call.Uses, "@")
	parts := strings.SplitN(uses, "/", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || !strings.HasSuffix(parts[2], ".yml") && !strings.HasSuffix(parts[2], ".yaml") {
		return "", "", "", false
	}
	return parts[0], parts[1], path.Base(parts[2]), true
}

// placeholder is name, or the placeholder the registry's pages use.
func placeholder(name, ph string) string {
	if name == "" {
		return ph
	}
	return name
}

// repoFields names the repository fields of the form.
func (v publisher) repoFields(ownerLabel, repoLabel string) string {
	if v.owner == "" {
		if v.gitlab {
			return "the namespace and project name of this GitLab project"
		}
		return "the owner and name of this repository"
	}
	return fmt.Sprintf("%s %s, %s %s", ownerLabel, v.owner, repoLabel, v.repo)
}

// workflowField names the workflow field of the form.
func (v publisher) workflowField(label string) string {
	switch {
	case v.workflow == "" && v.composite:
		return label + ": the file name of the workflow whose job uses this action"
	case v.workflow == "":
		return label + ": the file name of the top-level workflow that calls this reusable workflow"
	}
	return label + " " + v.workflow
}

// envField names the environment field of the form.
func (v publisher) envField() string {
	switch {
	case v.envExpr != "":
		return fmt.Sprintf("environment: the value %s takes for release runs", v.envExpr)
	case v.env == "":
		return "environment left empty"
	}
	return fmt.Sprintf("environment %q", v.env)
}

// publisherSteps are the registration steps with the exact form values.
func publisherSteps(v publisher, pub *flow.Publish) []string {
	reg := RegistryName(v.registry)
	switch v.registry {
	case "pypi", "testpypi":
		host := registryHost[v.registry]
		proj := placeholder(v.name, "<project>")
		var fields string
		if v.gitlab {
			fields = fmt.Sprintf("%s, top-level pipeline file %s, %s", v.repoFields("GitLab namespace", "project"), v.workflow, v.envField())
		} else {
			fields = fmt.Sprintf("%s, %s, %s", v.repoFields("owner", "repository"), v.workflowField("workflow file"), v.envField())
		}
		forProj := ""
		if v.name != "" {
			forProj = " for project " + v.name
		}
		steps := []string{
			fmt.Sprintf("Register a trusted publisher on %s%s: %s. Pre-filled form (nothing is saved until you press Add): %s", reg, forProj, fields, pypiPublishingURL(host, v)),
			fmt.Sprintf("If %s is not on %s yet, add a pending publisher instead at %s/manage/account/publishing/ with project name %s and the same values (that page cannot be pre-filled; an unused pending publisher is deleted after 30 days).", proj, reg, host, proj),
		}
		return steps
	case "rubygems":
		gem := placeholder(v.name, "<gem>")
		fields := fmt.Sprintf("%s, %s, %s", v.repoFields("repository owner", "repository name"), v.workflowField("workflow filename"), v.envField())
		if v.workflowRepo != "" {
			o, r, _ := strings.Cut(v.workflowRepo, "/")
			fields += fmt.Sprintf(", workflow repository owner %s, workflow repository name %s (the reusable workflow lives there)", o, r)
		}
		return []string{
			fmt.Sprintf("Register a trusted publisher on %s for gem %s: %s, at https://rubygems.org/gems/%s/trusted_publishers/new.", reg, gem, fields, pathPart(v.name, "<gem>")),
			fmt.Sprintf("If %s is not on %s yet, create a pending trusted publisher instead at https://rubygems.org/profile/oidc/pending_trusted_publishers with gem name %s and the same values (it expires 12 hours after creation: push the first release soon after).", gem, reg, gem),
		}
	case "npm":
		pkg := placeholder(v.name, "<package>")
		var fields, cmd string
		if v.gitlab {
			fields = fmt.Sprintf("%s, top-level CI file path %s, %s", v.repoFields("GitLab namespace", "project name"), v.workflow, v.envField())
			cmd = "npm trust gitlab " + pkg + " --file " + v.workflow
			if v.owner != "" {
				cmd += " --project " + v.owner + "/" + v.repo
			}
		} else {
			fields = fmt.Sprintf("%s, %s, %s", v.repoFields("organization or user", "repository"), v.workflowField("workflow filename"), v.envField())
			wf := v.workflow
			if wf == "" {
				wf = "<workflow.yml>"
			}
			cmd = "npm trust github " + pkg + " --file " + wf
			if v.owner != "" {
				cmd += " --repo " + v.owner + "/" + v.repo
			}
		}
		if v.env != "" {
			cmd += " --env " + v.env
		}
		cmd += " --allow-publish --yes"
		return []string{fmt.Sprintf("Register a trusted publisher on %s for package %s: %s, allowing npm publish; in the package's Settings → Trusted publishing on npmjs.com (the package must already exist), or with npm ≥ 11.15.0: %s", reg, pkg, fields, cmd)}
	case "crates":
		crate := placeholder(v.name, "<crate>")
		var fields, provider string
		if v.gitlab {
			fields = fmt.Sprintf("%s, workflow filepath %s, %s", v.repoFields("namespace", "project"), v.workflow, v.envField())
			provider = "GitLab, a public beta"
		} else {
			fields = fmt.Sprintf("%s, %s, %s", v.repoFields("repository owner", "repository name"), v.workflowField("workflow filename"), v.envField())
			provider = "GitHub"
		}
		return []string{fmt.Sprintf("Register a trusted publisher on %s for crate %s: %s, at https://crates.io/crates/%s/settings (Trusted Publishing → Add → %s; the crate must already exist).", reg, crate, fields, pathPart(v.name, "<crate>"), provider)}
	case "nuget":
		owner := "the nuget.org account or organisation that owns the package"
		if v.name != "" {
			owner = "the nuget.org account or organisation that owns " + v.name
		}
		if v.gitlab {
			return []string{fmt.Sprintf("Register a trusted publishing policy on %s at https://www.nuget.org/account/trustedpublishing (GitLab): package owner %s, %s, ref left empty (it can only name a branch, so a tag pipeline would never match), %s. nuget.org does not check the pipeline file, so any pipeline of the project can obtain a key: use a protected environment.", reg, owner, v.repoFields("namespace path", "project path"), v.envField())}
		}
		return []string{fmt.Sprintf("Register a trusted publishing policy on %s at https://www.nuget.org/account/trustedpublishing: package owner %s, %s, %s, %s (the policy covers every package of that owner).", reg, owner, v.repoFields("repository owner", "repository"), v.workflowField("workflow file"), v.envField())}
	case "pubdev":
		pkg := placeholder(v.name, "<package>")
		repo := "this repository (owner/name)"
		if v.owner != "" {
			repo = v.owner + "/" + v.repo
		}
		env := ""
		switch {
		case v.env != "":
			env = fmt.Sprintf(", require GitHub Actions environment %q", v.env)
		case v.envExpr != "":
			env = fmt.Sprintf(", require the GitHub Actions environment %s takes for release runs", v.envExpr)
		}
		return []string{fmt.Sprintf("Enable automated publishing on pub.dev for package %s at https://pub.dev/packages/%s/admin: publishing from GitHub Actions enabled, repository %s, tag pattern %s%s (the package must already exist).", pkg, pathPart(v.name, "<package>"), repo, tagPattern(pub), env)}
	}
	return nil
}

// pathPart is name escaped for a URL path, or the placeholder.
func pathPart(name, ph string) string {
	if name == "" {
		return ph
	}
	return url.PathEscape(name)
}

// pypiPublishingURL is PyPI's project publishing page with the form filled
// in by query parameters (reference §2.2: `provider`, then the form's
// field names); values tpscan does not know are left out.
func pypiPublishingURL(host string, v publisher) string {
	type kv struct{ k, v string }
	var q []kv
	if v.gitlab {
		q = []kv{{"provider", "gitlab"}, {"namespace", v.owner}, {"project", v.repo}, {"workflow_filepath", v.workflow}, {"environment", v.env}}
	} else {
		q = []kv{{"provider", "github"}, {"owner", v.owner}, {"repository", v.repo}, {"workflow_filename", v.workflow}, {"environment", v.env}}
	}
	var b strings.Builder
	b.WriteString(host + "/manage/project/" + pathPart(v.name, "<project>") + "/settings/publishing/")
	sep := "?"
	for _, p := range q {
		if p.v == "" {
			continue
		}
		b.WriteString(sep + p.k + "=" + url.QueryEscape(p.v))
		sep = "&"
	}
	return b.String()
}

// tagPattern is pub.dev's tag pattern for the tags that start the
// workflow: the literal prefix of the first tag filter followed by
// {{version}}, "v{{version}}" (pub.dev's default) otherwise.
func tagPattern(pub *flow.Publish) string {
	trig := pub.Pipeline
	if pub.Caller != nil {
		trig = pub.Caller
	}
	for _, t := range trig.Triggers {
		if t.Event != "push" {
			continue
		}
		for _, tag := range t.Tags {
			k := strings.IndexAny(tag, "*?[+!{")
			if k < 0 || strings.HasPrefix(tag, "!") {
				continue
			}
			if prefix := tag[:k]; tagPrefix.MatchString(prefix) {
				return prefix + "{{version}}"
			}
		}
	}
	return "v{{version}}"
}

var tagPrefix = regexp.MustCompile(`^[a-z0-9._/-]*$`)

// deleteStep says to delete a stored credential, where it is stored when
// the inventory knows.
func deleteStep(pass *Pass, pub *flow.Publish, name string, callSecret, gitlab bool) string {
	const after = "once a release has gone through trusted publishing"
	switch {
	case name == "" || name == "*":
		return "Delete the registry token among the secrets this job inherits, " + after + "."
	case callSecret:
		return fmt.Sprintf("Delete the stored secret that callers pass as %s, %s.", name, after)
	}
	env := envOf(pub.Job, pub.CallJob)
	if credKind(pub, name) == "variable" {
		if v := findVariable(pass.Inventory, pass.Repo, name, env); v != nil {
			return fmt.Sprintf("Delete the %s.", stored(pass, v.Scope, v.Environment, "variable", name, gitlab)) +
				" Its value is readable by anyone who can read the repository: treat the token as leaked."
		}
		return fmt.Sprintf("Delete the stored variable %s; its value is readable by anyone who can read the repository.", name)
	}
	if s := findSecret(pass.Inventory, pass.Repo, name, env); s != nil {
		step := fmt.Sprintf("Delete the %s %s.", stored(pass, s.Scope, s.Environment, "secret", name, gitlab), after)
		if s.Scope == model.ScopeOrganization {
			step = strings.TrimSuffix(step, ".") + " and no other repository publishes with it."
		}
		return step
	}
	return fmt.Sprintf("Delete the stored secret %s %s.", name, after)
}

// stored names a stored secret or variable with where it is kept:
// "repository secret X (Settings → ...)".
func stored(pass *Pass, scope model.SecretScope, env, what, name string, gitlab bool) string {
	if gitlab {
		switch scope {
		case model.ScopeOrganization:
			return fmt.Sprintf("group CI/CD variable %s (the group's Settings → CI/CD → Variables)", name)
		case model.ScopeEnvironment:
			return fmt.Sprintf("CI/CD variable %s of environment %s (Settings → CI/CD → Variables)", name, env)
		}
		return fmt.Sprintf("project CI/CD variable %s (Settings → CI/CD → Variables)", name)
	}
	switch scope {
	case model.ScopeOrganization:
		org := ""
		if pass.Inventory != nil && pass.Inventory.Org != "" {
			org = " of " + pass.Inventory.Org
		}
		return fmt.Sprintf("organisation %s %s%s (organisation Settings → Secrets and variables → Actions)", what, name, org)
	case model.ScopeEnvironment:
		return fmt.Sprintf("environment %s %s of environment %s (Settings → Environments → %s)", what, name, env, env)
	}
	return fmt.Sprintf("repository %s %s (Settings → Secrets and variables → Actions)", what, name)
}

// credKind is the kind of the credential name of pub's uses.
func credKind(pub *flow.Publish, name string) string {
	for _, u := range pub.Uses {
		if u.Cred.Name == name {
			return u.Cred.Kind
		}
	}
	return ""
}

// findVariable finds a stored variable the way findSecret finds a secret.
func findVariable(inv *model.Inventory, repo *model.Repo, name, env string) *model.Variable {
	var repoVar *model.Variable
	for _, v := range repo.Variables {
		if !strings.EqualFold(v.Name, name) {
			continue
		}
		if v.Scope == model.ScopeEnvironment && env != "" && v.Environment == env {
			return v
		}
		if v.Scope == model.ScopeRepository {
			repoVar = v
		}
	}
	if repoVar != nil {
		return repoVar
	}
	if inv != nil {
		for _, v := range inv.OrgVariables {
			if strings.EqualFold(v.Name, name) {
				return v
			}
		}
	}
	return nil
}

// hardening is the registry setting that stops tokens once trusted
// publishing works (reference §4.2, §5.2, §7.2).
func hardening(registry string, gitlab bool) string {
	switch registry {
	case "npm":
		return "Then turn on \"Require two-factor authentication and disallow tokens\" in the package's Settings → Publishing access: trusted publishing keeps working, tokens no longer publish."
	case "crates":
		return "Then turn on \"Require trusted publishing for all new versions\" in the crate's settings, so that no token can publish it."
	case "pubdev":
		if !gitlab {
			return "Then turn off \"Enable manual publishing\" in the package's admin page, once automated publishing works."
		}
	}
	return ""
}

// gitlabNoTrustedPublishing is the step for a registry that has no GitLab
// trusted publishing (reference §11.5).
func gitlabNoTrustedPublishing(registry, name string) string {
	if registry == "rubygems" {
		return fmt.Sprintf("RubyGems.org has no trusted publishing for GitLab CI/CD: keep a token, but make it an API key with only the push_rubygem scope, restricted to gem %s, with an expiry, stored as a masked and protected CI/CD variable GEM_HOST_API_KEY (https://rubygems.org/profile/api_keys).", placeholder(name, "<gem>"))
	}
	return fmt.Sprintf("pub.dev has no trusted publishing for GitLab CI/CD: the credential-less route is GitLab OIDC → Google Cloud Workload Identity Federation → a service account that package %s trusts in its admin page (https://pub.dev/packages/%s/admin).", placeholder(name, "<package>"), pathPart(name, "<package>"))
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
