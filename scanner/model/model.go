// Package model is the CI-neutral picture of an organisation that every source
// (files on disk, the GitHub API, the GitLab API, a saved snapshot) fills and that
// every rule reads. Nothing in it knows where the data came from: a rule that
// works on a checkout works unchanged on an API audit.
//
// Pipelines are normalised into Pipeline → Job → Step. GitHub Actions workflows,
// composite actions and GitLab CI files all land in the same shape; a GitLab job
// has one synthetic step per script section.
package model

import "time"

// CIKind says which CI system a pipeline file belongs to.
type CIKind string

// The pipeline kinds tpscan understands.
const (
	GitHubWorkflow  CIKind = "github-actions"
	GitHubComposite CIKind = "github-composite-action"
	GitLabCI        CIKind = "gitlab-ci"
)

// Pos is a 1-based line and column in a file. The zero Pos means "unknown".
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// IsZero reports whether the position is unknown.
func (p Pos) IsZero() bool { return p.Line == 0 }

// Inventory is everything one scan looked at: repositories with their CI files
// and stored secrets, plus organisation-level secrets.
type Inventory struct {
	// Org is the organisation or group name when the source knows it.
	Org string
	// Repos in the order the source produced them.
	Repos []*Repo
	// OrgSecrets are secrets stored at organisation level; each says which
	// repositories can see it.
	OrgSecrets []*Secret
	// OrgVariables are organisation Actions variables (their values are
	// readable by anyone with read access to a repository that sees them).
	OrgVariables []*Variable
	// Coverage records what could not be fully read. It is never dropped.
	Coverage []CoverageGap
}

// CoverageGap is one thing a source could not read completely: a file that did
// not parse, a repository whose secrets were not visible, a truncated response.
type CoverageGap struct {
	Repo    string `json:"repo,omitempty"`
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Repo is one repository (or, for a bare file scan, the directory it sits in).
type Repo struct {
	// Name is "owner/name" when known, else the directory name.
	Name string
	// Root is the directory on disk for local sources; empty for API sources.
	Root string
	// Visibility is "public", "private", "internal" or "" when unknown.
	Visibility    string
	DefaultBranch string
	// Commit is the commit that was read, when the source knows it: the
	// default branch's head for API sources, HEAD for a git checkout.
	// Reports and uploads name it.
	Commit string
	// Ref is the ref that was read when it is not the default branch's
	// (a checkout's current branch, refs/heads/B); empty when detached or
	// unknown.
	Ref string
	// Forge and ForgeRepo name the repository on its forge when the source
	// knows it and Name does not (a checkout whose origin is
	// https://github.com/OWNER/NAME: "github.com", "OWNER/NAME").
	Forge, ForgeRepo string
	// Pipelines are the parsed CI files.
	Pipelines []*Pipeline
	// Files holds every file read: CI files (for fixers, which need the exact
	// bytes) and credential-bearing files scanned for literal tokens.
	Files []*File
	// Secrets are repository and environment secrets (names and metadata).
	Secrets []*Secret
	// Variables are repository and environment variables with their values.
	Variables []*Variable
	// Environments are deployment environments with their protection.
	Environments []*Environment
	// SecretsKnown is true when the source really listed this repository's
	// secrets; a rule must not call a secret "unused" or "missing" otherwise.
	SecretsKnown bool
	// Loose marks a file scanned on its own, outside any checkout: it is
	// its own unit of analysis but not a repository.
	Loose bool
}

// File is one file's bytes, path relative to the repository root with '/'.
type File struct {
	Path    string
	Content []byte
}

// SecretScope is where a secret is stored.
type SecretScope string

// Secret scopes, from the widest exposure to the narrowest.
const (
	ScopeOrganization SecretScope = "organization"
	ScopeRepository   SecretScope = "repository"
	ScopeEnvironment  SecretScope = "environment"
)

// Secret is a stored secret's name and metadata. Value is set only by sources
// that really hold one (a local inventory written by a user); it is never
// serialised and never printed.
type Secret struct {
	Name        string
	Scope       SecretScope
	Repo        string // owning repository for repository and environment secrets
	Environment string // for environment secrets
	// Visibility for organisation secrets: "all", "private" or "selected".
	Visibility    string
	SelectedRepos []string
	UpdatedAt     time.Time
	CreatedAt     time.Time
	Value         string `json:"-"`
}

// Visible reports whether an organisation secret can be read by repo.
func (s *Secret) Visible(repo *Repo) bool {
	if s.Scope != ScopeOrganization {
		return s.Repo == repo.Name
	}
	switch s.Visibility {
	case "all", "":
		return true
	case "private":
		return repo.Visibility != "public"
	case "selected":
		for _, r := range s.SelectedRepos {
			// GitHub repository names are case-insensitive.
			if equalFold(r, repo.Name) || equalFold(shortName(r), shortName(repo.Name)) {
				return true
			}
		}
	}
	return false
}

func shortName(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '/' {
			return full[i+1:]
		}
	}
	return full
}

// Variable is a stored CI variable. Unlike a secret its value is readable by
// everyone with read access, so a token stored here is as good as committed.
type Variable struct {
	Name        string
	Scope       SecretScope
	Repo        string
	Environment string
	Visibility  string
	UpdatedAt   time.Time
	Value       string `json:"-"`
}

// Environment is a deployment environment and its protection rules.
type Environment struct {
	Name              string
	RequiredReviewers int
	// BranchPolicy is true when deployments are limited to protected or
	// selected branches or tags.
	BranchPolicy bool
	WaitTimer    int
}

// Protected reports whether using the environment needs more than a push.
func (e *Environment) Protected() bool { return e.RequiredReviewers > 0 || e.BranchPolicy }

// Pipeline is one CI file: a GitHub workflow, a composite action or a GitLab
// CI file.
type Pipeline struct {
	Kind CIKind
	File *File
	Name string
	// Triggers are the events that start the pipeline (GitHub `on:`); GitLab
	// pipelines have none at file level: see Job.Rules.
	Triggers    []Trigger
	Permissions *Permissions
	// Env is the workflow-level `env:` (GitLab: global `variables:`).
	Env []*Var
	// Jobs in file order. A composite action has one synthetic job "(action)".
	Jobs []*Job
	// CallSecrets are the secrets a reusable workflow declares under
	// `on.workflow_call.secrets`; nil when it is not reusable.
	CallSecrets []string
	// Reusable is true for a workflow with an `on: workflow_call` trigger.
	Reusable bool
	// Inputs are a composite action's declared inputs.
	Inputs []string
	// Included lists the files merged into this pipeline (GitLab local
	// includes); their jobs are part of it.
	Included []string
}

// Trigger is one event of `on:`.
type Trigger struct {
	Event    string
	Types    []string
	Branches []string
	Tags     []string
	Pos      Pos
}

// HasTrigger reports whether the pipeline starts on event.
func (p *Pipeline) HasTrigger(event string) bool {
	for _, t := range p.Triggers {
		if t.Event == event {
			return true
		}
	}
	return false
}

// Permissions is a `permissions:` block. A nil *Permissions means the key is
// absent, which gives the repository or organisation default.
type Permissions struct {
	// All is "read-all", "write-all" or "" when scopes are listed.
	All    string
	Scopes map[string]string
	Pos    Pos
}

// Scope returns the permission level of one scope ("write", "read", "none").
func (p *Permissions) Scope(name string) string {
	if p == nil {
		return ""
	}
	switch p.All {
	case "write-all":
		return "write"
	case "read-all":
		return "read"
	}
	if v, ok := p.Scopes[name]; ok {
		return v
	}
	return "none"
}

// Var is one entry of an `env:`, `with:`, `secrets:` or `variables:` mapping.
type Var struct {
	Name  string
	Value Value
	// Pos is the position of the key.
	Pos Pos
	// Level says where it was declared: "workflow", "job", "step", "input",
	// "call-secret", "global", "default", "job-token".
	Level string
	// YAMLPath locates the entry, e.g. "jobs.publish.steps[3].with.password".
	YAMLPath string
	// Path is the file the entry is written in when that is not the
	// pipeline's own file (a GitLab template from a local include).
	Path string
}

// Value is a scalar with the references it makes.
type Value struct {
	Raw  string
	Pos  Pos
	Refs []Ref
}

// Ref is one reference inside a value: `${{ secrets.X }}`, `${{ env.Y }}`,
// `$VAR` in GitLab, or `${!VAR}`.
type Ref struct {
	// Kind is "secrets", "vars", "env", "inputs", "matrix", "steps", "needs",
	// "github", "var" (a shell or GitLab variable), "other".
	Kind string
	Name string
	// Fallback is true for the right side of `a || b`: the value is one of
	// several candidates.
	Fallback bool
	// Indirect is true for `${!NAME}`: the value names the variable to read.
	Indirect bool
}

// Job is one job: a GitHub job, a GitLab job, or a composite action's body.
type Job struct {
	ID   string
	Name string
	Pos  Pos
	// YAMLPath of the job, e.g. "jobs.publish".
	YAMLPath string
	RunsOn   []string
	// SelfHosted is true when the runner labels or tags name a self-hosted
	// runner.
	SelfHosted  bool
	Permissions *Permissions
	// Environment is the deployment environment name ("" for none).
	Environment    string
	EnvironmentPos Pos
	Env            []*Var
	Steps          []*Step
	If             string
	// Call is set when the job calls a reusable workflow (GitHub `uses:`).
	Call *Call
	// IDTokens are GitLab `id_tokens` entries.
	IDTokens []IDToken
	// Rules is GitLab's `rules:`/`only:` text, kept for trigger reasoning.
	Rules []string
	// Hidden marks a GitLab template job (name starts with '.').
	Hidden bool
	// Image is the container image, when set.
	Image string
}

// IDToken is a GitLab `id_tokens` entry.
type IDToken struct {
	Name     string
	Audience []string
	Pos      Pos
}

// Call is a job-level call of a reusable workflow.
type Call struct {
	Uses string
	Pos  Pos
	// Local is true for "./.github/workflows/x.yml" in the same repository.
	Local bool
	// Secrets are the explicit `secrets:` mapping.
	Secrets    []*Var
	SecretsPos Pos
	// Inherit is true for `secrets: inherit`; InheritPos is that line.
	Inherit    bool
	InheritPos Pos
	Inputs     []*Var
}

// Step is one step. GitLab script sections become one step each.
type Step struct {
	Index int
	ID    string
	Name  string
	Pos   Pos
	// YAMLPath of the step, e.g. "jobs.publish.steps[3]".
	YAMLPath string
	If       string
	Uses     string
	UsesPos  Pos
	With     []*Var
	Env      []*Var
	Run      *Script
}

// Label names the step the way a person would: its id, else its name, else
// what it runs.
func (s *Step) Label() string {
	switch {
	case s.ID != "":
		return s.ID
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	}
	return ""
}

// Input returns the `with:` entry named name (case-insensitive, as GitHub
// treats input names) or nil.
func (s *Step) Input(name string) *Var {
	for _, v := range s.With {
		if equalFold(v.Name, name) {
			return v
		}
	}
	return nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Script is shell text from `run:` or a GitLab script section, parsed into
// commands.
type Script struct {
	Text string
	Pos  Pos
	// Shell is the declared shell ("bash", "pwsh", ...), "" for the default.
	Shell string
	// Commands are the simple commands found, in order, nested ones (inside
	// if/for/functions/subshells) included.
	Commands []*Command
	// ParseError is set when the shell parser gave up; Commands then holds
	// what a line-by-line fallback recovered.
	ParseError string
	// Pending, when set, holds what the shell parse needs: parsing is
	// deferred until a rule needs the commands, so scripts that cannot
	// matter (no publish tool named, no credential in reach) cost nothing.
	Pending *PendingParse
}

// PendingParse is a deferred shell parse (see scanner/shell.Ensure).
type PendingParse struct {
	Lines       []Pos
	Expressions bool
}

// Command is one simple command with its argv, prefix assignments and
// redirections.
type Command struct {
	Args    []Word
	Assigns []Assign
	// Redirects are output redirections and here-documents.
	Redirects []Redirect
	// Stdin is the text piped or here-string'ed into the command, when it is
	// visible (e.g. `echo "$T" | cargo login`).
	Stdin *Word
	// Pos is the command's start in the file; End its end on the last line.
	Pos Pos
	End Pos
	// Export is true for `export A=B` (and `declare -x`).
	Export bool
	// Path is the file the command is written in when that is not the
	// pipeline's own file (a GitLab template from a local include).
	Path string
	// Negated, Background etc. are not needed by any rule yet.
}

// Name is the command name (argv[0]) as a literal, or "".
func (c *Command) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	return c.Args[0].Lit
}

// Assign is `NAME=value` before a command, alone, or after export.
type Assign struct {
	Name  string
	Value Word
	Pos   Pos
}

// Redirect is `> file`, `>> file` or a here-document.
type Redirect struct {
	Op     string // ">", ">>", "<<", "<<-", "<<<"
	Target Word
	// Body is the here-document body for "<<"/"<<-".
	Body *Word
}

// Word is one shell word. Lit is the word with every expansion replaced by
// its source text; Refs lists the expansions (shell variables and, for GitHub,
// `${{ }}` expressions) it contains. A word is literal when Refs is empty.
type Word struct {
	Lit  string
	Refs []Ref
	Pos  Pos
	// Dynamic is true when the word contains a command substitution or
	// another expansion whose value tpscan cannot know.
	Dynamic bool
}
