// Package snapshot defines the secrets inventory of an organisation snapshot
// (tpscan-inventory.json beside one directory per repository). `tpscan local`
// reads it; the GitHub audit's --save writes it. The format is documented in
// the README ("Organisation snapshots"); fields are only ever added.
package snapshot

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tpscan/tpscan/scanner/model"
)

// Version is the format version written; readers accept it and older ones.
const Version = 1

// Inventory is the file's top-level object.
type Inventory struct {
	Version      int                 `json:"version"`
	Org          string              `json:"org,omitempty"`
	Source       string              `json:"source,omitempty"` // "github", "gitlab", "manual"
	CollectedAt  *time.Time          `json:"collected_at,omitempty"`
	Secrets      []Secret            `json:"secrets,omitempty"`   // organisation secrets
	Variables    []Variable          `json:"variables,omitempty"` // organisation variables
	Repositories []Repository        `json:"repositories"`
	Coverage     []model.CoverageGap `json:"coverage,omitempty"`
}

// Repository is one repository of the snapshot.
type Repository struct {
	Name string `json:"name"` // owner/name
	// Path is the directory of its files, relative to the inventory; it
	// defaults to the part of Name after the slash.
	Path          string `json:"path,omitempty"`
	Visibility    string `json:"visibility,omitempty"`
	DefaultBranch string `json:"default_branch,omitempty"`
	// Commit is the default branch's head commit the files were read at.
	Commit   string `json:"commit,omitempty"`
	Archived bool   `json:"archived,omitempty"`
	Fork     bool   `json:"fork,omitempty"`
	// SecretsListed is false when the secrets could not be listed (no
	// admin rights): tpscan then never calls a secret unused.
	SecretsListed bool          `json:"secrets_listed"`
	Secrets       []Secret      `json:"secrets,omitempty"`
	Variables     []Variable    `json:"variables,omitempty"`
	Environments  []Environment `json:"environments,omitempty"`
}

// Secret is a stored secret's name and metadata. Value is accepted only in
// hand-written inventories (for scoring a known token) and never written.
type Secret struct {
	Name  string `json:"name"`
	Scope string `json:"scope,omitempty"` // organization | repository | environment
	// Environment names the environment of an environment secret.
	Environment string `json:"environment,omitempty"`
	// Visibility of an organisation secret: all | private | selected.
	Visibility           string     `json:"visibility,omitempty"`
	SelectedRepositories []string   `json:"selected_repositories,omitempty"`
	CreatedAt            *time.Time `json:"created_at,omitempty"`
	UpdatedAt            *time.Time `json:"updated_at,omitempty"`
	Value                string     `json:"value,omitempty"`
}

// Variable is a stored variable; GitHub returns its value.
type Variable struct {
	Name        string     `json:"name"`
	Scope       string     `json:"scope,omitempty"`
	Environment string     `json:"environment,omitempty"`
	Visibility  string     `json:"visibility,omitempty"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	Value       string     `json:"value"`
}

// Environment is a deployment environment and its protection.
type Environment struct {
	Name              string `json:"name"`
	RequiredReviewers int    `json:"required_reviewers,omitempty"`
	BranchPolicy      bool   `json:"branch_policy,omitempty"`
	WaitTimer         int    `json:"wait_timer,omitempty"`
}

// Read decodes an inventory, rejecting unknown fields so that a typo does
// not silently drop a secret.
func Read(r io.Reader) (*Inventory, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	if inv.Version > Version {
		return nil, fmt.Errorf("inventory: version %d is newer than this tpscan (%d)", inv.Version, Version)
	}
	return &inv, nil
}

// Write encodes an inventory. Secret values are dropped: tpscan never
// writes one.
func Write(w io.Writer, inv *Inventory) error {
	out := *inv
	out.Version = Version
	out.Secrets = stripValues(inv.Secrets)
	out.Repositories = make([]Repository, len(inv.Repositories))
	for i, r := range inv.Repositories {
		r.Secrets = stripValues(r.Secrets)
		out.Repositories[i] = r
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}

func stripValues(ss []Secret) []Secret {
	out := make([]Secret, len(ss))
	for i, s := range ss {
		s.Value = ""
		out[i] = s
	}
	return out
}

// ModelSecret converts an inventory secret.
func ModelSecret(s Secret, repo string) *model.Secret {
	m := &model.Secret{Name: s.Name, Scope: model.SecretScope(s.Scope), Repo: repo, Environment: s.Environment,
		Visibility: s.Visibility, SelectedRepos: s.SelectedRepositories, Value: s.Value}
	if m.Scope == "" {
		m.Scope = defaultScope(repo, s.Environment)
	}
	if s.UpdatedAt != nil {
		m.UpdatedAt = *s.UpdatedAt
	}
	if s.CreatedAt != nil {
		m.CreatedAt = *s.CreatedAt
	}
	return m
}

// ModelVariable converts an inventory variable.
func ModelVariable(v Variable, repo string) *model.Variable {
	m := &model.Variable{Name: v.Name, Scope: model.SecretScope(v.Scope), Repo: repo, Environment: v.Environment,
		Visibility: v.Visibility, Value: v.Value}
	if m.Scope == "" {
		m.Scope = defaultScope(repo, v.Environment)
	}
	if v.UpdatedAt != nil {
		m.UpdatedAt = *v.UpdatedAt
	}
	return m
}

// defaultScope is the scope of an entry that does not say: top-level
// entries are the organisation's, entries naming an environment are that
// environment's, the rest the repository's.
func defaultScope(repo, environment string) model.SecretScope {
	switch {
	case repo == "":
		return model.ScopeOrganization
	case environment != "":
		return model.ScopeEnvironment
	}
	return model.ScopeRepository
}
