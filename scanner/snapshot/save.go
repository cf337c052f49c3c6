package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// RepoFacts are what a source knows about a repository beyond the model.
type RepoFacts struct {
	Archived, Fork bool
}

// Save writes an inventory as an organisation snapshot that `tpscan local`
// reads: DIR/tpscan-inventory.json and one directory per repository with
// the files that were read.
//
// Nothing written holds a token value. GitHub never returns secret values,
// but file texts and Actions variables can hold literal tokens: each is
// replaced by a marker naming its registry and fingerprint, and listed as a
// "redacted" coverage entry, so that an offline re-run still shows where a
// token was without carrying it.
func Save(dir string, inv *model.Inventory, source string, collected time.Time, facts map[string]RepoFacts) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	out := &Inventory{Org: inv.Org, Source: source, Repositories: []Repository{}}
	if !collected.IsZero() {
		t := collected.UTC()
		out.CollectedAt = &t
	}
	var redactions []model.CoverageGap
	for _, s := range inv.OrgSecrets {
		out.Secrets = append(out.Secrets, secretOf(s))
	}
	for _, v := range inv.OrgVariables {
		sv, gap := variableOf(v, "")
		out.Variables = append(out.Variables, sv)
		redactions = append(redactions, gap...)
	}
	used := map[string]bool{}
	for _, r := range inv.Repos {
		if r.Loose {
			continue
		}
		d := dirName(r.Name, used)
		sr := Repository{Name: r.Name, Path: d, Visibility: r.Visibility, DefaultBranch: r.DefaultBranch, Commit: r.Commit,
			SecretsListed: r.SecretsKnown, Archived: facts[r.Name].Archived, Fork: facts[r.Name].Fork}
		for _, s := range r.Secrets {
			sr.Secrets = append(sr.Secrets, secretOf(s))
		}
		for _, v := range r.Variables {
			sv, gap := variableOf(v, r.Name)
			sr.Variables = append(sr.Variables, sv)
			redactions = append(redactions, gap...)
		}
		for _, e := range r.Environments {
			sr.Environments = append(sr.Environments, Environment{Name: e.Name, RequiredReviewers: e.RequiredReviewers, BranchPolicy: e.BranchPolicy, WaitTimer: e.WaitTimer})
		}
		root := filepath.Join(dir, d)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return fmt.Errorf("--save: %w", err)
		}
		for _, f := range r.Files {
			rel := path.Clean(f.Path)
			if rel == "." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
				return fmt.Errorf("--save: %s: path %q leaves the repository", r.Name, f.Path)
			}
			content, gaps := redact(f.Content)
			for _, g := range gaps {
				g.Repo, g.Path = r.Name, f.Path
				redactions = append(redactions, g)
			}
			full := filepath.Join(root, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return fmt.Errorf("--save: %w", err)
			}
			if err := os.WriteFile(full, content, 0o644); err != nil {
				return fmt.Errorf("--save: %w", err)
			}
		}
		out.Repositories = append(out.Repositories, sr)
	}
	out.Coverage = append(append([]model.CoverageGap{}, inv.Coverage...), redactions...)
	f, err := os.Create(filepath.Join(dir, "tpscan-inventory.json"))
	if err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	if err := Write(f, out); err != nil {
		f.Close()
		return fmt.Errorf("--save: %w", err)
	}
	return f.Close()
}

// dirName is the repository's directory in the snapshot: its name, made
// unique (two owners can have a repository of the same name).
func dirName(full string, used map[string]bool) string {
	d := full[strings.LastIndexByte(full, '/')+1:]
	if d == "" || d == "." || d == ".." || strings.HasPrefix(d, ".") {
		d = "_" + d
	}
	base := d
	for i := 2; used[d]; i++ {
		d = fmt.Sprintf("%s-%d", base, i)
	}
	used[d] = true
	return d
}

func secretOf(s *model.Secret) Secret {
	out := Secret{Name: s.Name, Scope: string(s.Scope), Environment: s.Environment, Visibility: s.Visibility, SelectedRepositories: s.SelectedRepos}
	if !s.CreatedAt.IsZero() {
		t := s.CreatedAt
		out.CreatedAt = &t
	}
	if !s.UpdatedAt.IsZero() {
		t := s.UpdatedAt
		out.UpdatedAt = &t
	}
	return out
}

func variableOf(v *model.Variable, repo string) (Variable, []model.CoverageGap) {
	out := Variable{Name: v.Name, Scope: string(v.Scope), Environment: v.Environment, Visibility: v.Visibility}
	if !v.UpdatedAt.IsZero() {
		t := v.UpdatedAt
		out.UpdatedAt = &t
	}
	content, gaps := redact([]byte(v.Value))
	out.Value = string(content)
	for i := range gaps {
		gaps[i].Repo = repo
		gaps[i].Line, gaps[i].Column = 0, 0
		gaps[i].Message = fmt.Sprintf("Actions variable %s held %s", v.Name, strings.TrimPrefix(gaps[i].Message, "held "))
	}
	return out, gaps
}

// RedactedMarker starts the text that replaces a token in a saved file.
const RedactedMarker = "tpscan-redacted:"

// redact replaces every literal token by a marker and says where each was.
func redact(b []byte) ([]byte, []model.CoverageGap) {
	ms := tokens.Find(b)
	if len(ms) == 0 {
		return b, nil
	}
	var out bytes.Buffer
	var gaps []model.CoverageGap
	last := 0
	for _, m := range ms {
		out.Write(b[last:m.Offset])
		fmt.Fprintf(&out, "%s%s:%s", RedactedMarker, m.Registry, m.Fingerprint)
		last = m.End
		gaps = append(gaps, model.CoverageGap{Line: m.Line, Column: m.Col, Kind: "redacted",
			Message: fmt.Sprintf("held a literal %s token (%s), replaced in the snapshot by its fingerprint", m.Registry, m.Fingerprint)})
	}
	out.Write(b[last:])
	return out.Bytes(), gaps
}
