package fakegithub

import (
	"crypto/rsa"
	"sort"
	"strings"
	"time"
)

// DefaultTime is the timestamp served for every zero time in the State
// (created_at, updated_at, pushed_at, ...). A fixed value keeps responses,
// and therefore ETags, identical across runs.
var DefaultTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// State is everything the fake serves. The Server owns it after New: change
// it only inside Server.Update, which holds the lock and drops the derived
// git objects so that oids, ETags and Last-Modified follow the new content.
type State struct {
	// Orgs by login. Lookups are case-insensitive, as on GitHub.
	Orgs map[string]*Org
	// Tokens keyed by the exact string sent in "Authorization: token X" or
	// "Authorization: Bearer X". Installation tokens minted through
	// POST /app/installations/{id}/access_tokens are added here.
	Tokens map[string]*Token
	// Apps by app id, for JWT authentication and installation tokens.
	Apps map[int64]*App
	// Faults injected into responses.
	Faults Faults
	// SARIFUploads are the code scanning uploads GitHub accepted (202), in
	// order, with what they said (see codescanning.go). Tests read them
	// through Server.SARIFUploads.
	SARIFUploads []*SARIFUpload
}

// Token kinds. They decide which permission model applies (scopes for
// classic tokens, the Permissions map for the others), which error message a
// missing permission gets, and which headers describe the token.
const (
	KindClassic       = "classic"
	KindFineGrained   = "fine-grained"
	KindInstallation  = "installation"
	KindGitHubActions = "github-actions"
)

// Token describes one credential.
type Token struct {
	// Kind is one of KindClassic, KindFineGrained, KindInstallation,
	// KindGitHubActions; "" means KindClassic.
	Kind string
	// Login of the user (classic, fine-grained) or "app-slug[bot]"
	// (installation, github-actions).
	Login string
	// UserID of that login; 0 derives a stable id from Login.
	UserID int64
	// Scopes of a classic token ("repo", "admin:org", "read:org", ...). They
	// are echoed in X-OAuth-Scopes.
	Scopes []string
	// Permissions of a fine-grained, installation or github-actions token,
	// e.g. "secrets":"read". See the package documentation for the names.
	Permissions map[string]string
	// Org is the resource owner of a fine-grained/installation/actions
	// token: it sees no private repository of another organisation. Empty
	// means every organisation in the State.
	Org string
	// Repos the token may see (names, without owner); nil means all
	// repositories of Org. Private repositories outside it answer 404.
	Repos []string
	// RateLimit is the primary budget per hour for the core and graphql
	// resources (default 5000). Classic and fine-grained tokens of one
	// Login share one budget, as on GitHub; the requesting token's value is
	// the limit.
	RateLimit int
	// ExpiresAt, when set, makes the token answer 401 "Bad credentials"
	// from that instant on (installation tokens expire after one hour).
	ExpiresAt time.Time
	// InstallationID of an installation token (set when minted).
	InstallationID int64
}

// App is a GitHub App that can authenticate with an RS256 JWT.
type App struct {
	ID       int64
	Slug     string
	ClientID string // accepted as JWT iss besides the numeric id
	// PublicKey verifies the JWT signature.
	PublicKey     *rsa.PublicKey
	Installations []*Installation
}

// Installation of an App on an organisation.
type Installation struct {
	ID          int64
	Org         string
	Permissions map[string]string
	// Repos selected for the installation; nil = all (repository_selection
	// "all").
	Repos []string
	// RateLimit for minted tokens (default 5000).
	RateLimit int
}

// Org is an organisation.
type Org struct {
	Login string
	ID    int64
	// Admins are the logins of organisation owners. Classic tokens need
	// both the admin:org scope and a Login listed here for organisation
	// secrets and variables.
	Admins    []string
	Repos     []*Repo
	Secrets   []*OrgSecret
	Variables []*OrgVariable
	CreatedAt time.Time
}

// Repo is a repository with one branch (DefaultBranch) whose head holds Files.
type Repo struct {
	Name       string
	ID         int64
	Visibility string // public | private | internal; "" = public
	Archived   bool
	Fork       bool
	// Empty repositories have no commits: Files is ignored, contents answer
	// 404 "This repository is empty.", git trees 409.
	Empty    bool
	Disabled bool
	// CodeScanningDisabled makes SARIF uploads and their status answer 403
	// as when GitHub Code Security (Advanced Security) is not enabled.
	CodeScanningDisabled bool
	// DefaultBranch, "" = "main".
	DefaultBranch string
	// Files maps a path ("a/b.yml") to its content at the head of the
	// default branch. Blob, tree and commit oids are computed like git does
	// (sha1 of the object), so they change exactly when content changes.
	Files map[string]string
	// PushedAt is served as pushed_at and Last-Modified. Update sets it to
	// Options.Now() when the files of a repository change and PushedAt was
	// left untouched; zero = DefaultTime.
	PushedAt  time.Time
	CreatedAt time.Time

	Secrets      []*Secret
	Variables    []*Variable
	Environments []*Environment
}

// Secret of a repository or environment (values are never served).
type Secret struct {
	Name                 string
	CreatedAt, UpdatedAt time.Time
}

// Variable of a repository or environment (values are served).
type Variable struct {
	Name, Value          string
	CreatedAt, UpdatedAt time.Time
}

// OrgSecret is an organisation secret.
type OrgSecret struct {
	Name                 string
	CreatedAt, UpdatedAt time.Time
	// Visibility all | private | selected ("" = all). "private" reaches
	// private and internal repositories.
	Visibility string
	// SelectedRepos (names) for visibility "selected".
	SelectedRepos []string
}

// OrgVariable is an organisation variable.
type OrgVariable struct {
	Name, Value          string
	CreatedAt, UpdatedAt time.Time
	Visibility           string // as OrgSecret.Visibility
	SelectedRepos        []string
}

// Environment of a repository.
type Environment struct {
	Name string
	ID   int64 // 0 = derived from repository id and name
	// Reviewers make a required_reviewers protection rule when non-empty.
	Reviewers         []Reviewer
	PreventSelfReview bool
	// WaitTimer in minutes; > 0 makes a wait_timer protection rule.
	WaitTimer int
	// ProtectedBranches gives deployment_branch_policy
	// {protected_branches:true, custom_branch_policies:false}.
	ProtectedBranches bool
	// BranchPolicies non-empty gives {protected_branches:false,
	// custom_branch_policies:true}; the patterns are served at
	// .../deployment-branch-policies. Either one adds a branch_policy rule.
	BranchPolicies       []BranchPolicy
	Secrets              []*Secret
	Variables            []*Variable
	CreatedAt, UpdatedAt time.Time
}

// Reviewer of an environment. Only "User" and "Team" exist: go-github v62
// fails to decode any other type.
type Reviewer struct {
	Type  string // "User" | "Team"
	Login string // User
	Slug  string // Team
	ID    int64  // 0 = derived
}

// BranchPolicy is a deployment branch or tag name pattern.
type BranchPolicy struct {
	Name string
	Type string // branch | tag; "" = branch
	ID   int64  // 0 = derived
}

// Helpers over the state. All callers hold the server lock.

func (st *State) org(login string) *Org {
	if o, ok := st.Orgs[login]; ok {
		return o
	}
	for k, o := range st.Orgs {
		if strings.EqualFold(k, login) {
			return o
		}
	}
	return nil
}

// repo finds a repository by name, case-insensitively.
func (o *Org) repo(name string) *Repo {
	for _, r := range o.Repos {
		if strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}

// sortedRepos returns the repositories sorted by name (case-insensitive,
// then id), the order the REST list and GraphQL NAME ordering use.
func (o *Org) sortedRepos() []*Repo {
	rs := append([]*Repo(nil), o.Repos...)
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := strings.ToLower(rs[i].Name), strings.ToLower(rs[j].Name)
		if a != b {
			return a < b
		}
		return rs[i].ID < rs[j].ID
	})
	return rs
}

func (o *Org) isAdmin(login string) bool {
	for _, a := range o.Admins {
		if strings.EqualFold(a, login) {
			return true
		}
	}
	return false
}

func (r *Repo) visibility() string {
	switch r.Visibility {
	case "private", "internal":
		return r.Visibility
	}
	return "public"
}

func (r *Repo) isPrivate() bool { return r.visibility() != "public" }

func (r *Repo) defaultBranch() string {
	if r.DefaultBranch == "" {
		return "main"
	}
	return r.DefaultBranch
}

func (r *Repo) env(name string) *Environment {
	for _, e := range r.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

func (e *Environment) id(repoID int64) int64 {
	if e.ID != 0 {
		return e.ID
	}
	return stableID("env", repoID, e.Name)
}

func orTime(t time.Time) time.Time {
	if t.IsZero() {
		return DefaultTime
	}
	return t.UTC()
}

func ts(t time.Time) string { return orTime(t).Format(time.RFC3339) }

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// orgSecretReaches reports whether an organisation secret or variable with
// this visibility reaches the repository.
func orgItemReaches(visibility string, selected []string, r *Repo) bool {
	switch visibility {
	case "private":
		return r.isPrivate()
	case "selected":
		return containsFold(selected, r.Name)
	}
	return true
}

func sortedOrgLogins(st *State) []string {
	keys := make([]string, 0, len(st.Orgs))
	for k := range st.Orgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
