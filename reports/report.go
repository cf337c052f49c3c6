// Package reports turns findings into outputs: a table for people, JSON for
// scripts and bots (a documented, stable contract), and later SARIF and
// Markdown. Reports read findings and coverage only; they know nothing of
// where the model came from.
package reports

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

// SchemaVersion is the JSON contract's version; it changes only on a
// breaking change, and fields are only ever added within one version.
const SchemaVersion = 1

// Report is the whole result of one scan.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          Tool   `json:"tool"`
	Target        string `json:"target,omitempty"`
	// Repositories lists what was scanned, with the commit that was read
	// when the source knows it: SARIF files and uploads name it.
	Repositories []Repository     `json:"repositories,omitempty"`
	Summary      Summary          `json:"summary"`
	Findings     []*rules.Finding `json:"findings"`
	// Errors lists everything that could not be fully read. It is never
	// dropped: a clean report with errors is not a clean bill of health.
	Errors              []model.CoverageGap        `json:"errors"`
	ExpiredSuppressions []rules.ExpiredSuppression `json:"expired_suppressions,omitempty"`
	// Coverage says how much was read: repositories fully and partly read,
	// and for API scans the requests made and the rate limit spent.
	Coverage *Coverage `json:"coverage"`
}

// Repository is one scanned repository.
type Repository struct {
	Name          string `json:"name"`
	Visibility    string `json:"visibility,omitempty"`
	DefaultBranch string `json:"default_branch,omitempty"`
	Commit        string `json:"commit,omitempty"`
	// Ref is the ref read when it is not the default branch (a checkout's
	// current branch); Forge and ForgeRepo name a checkout's repository
	// on its forge, from its origin.
	Ref       string `json:"ref,omitempty"`
	Forge     string `json:"forge,omitempty"`
	ForgeRepo string `json:"forge_repo,omitempty"`
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts what was scanned and found.
type Summary struct {
	Repositories int            `json:"repositories"`
	Files        int            `json:"files"`
	Pipelines    int            `json:"pipelines"`
	Findings     int            `json:"findings"`
	Suppressed   int            `json:"suppressed"`
	BySeverity   map[string]int `json:"by_severity"`
	ByRule       map[string]int `json:"by_rule"`
	ByRegistry   map[string]int `json:"by_registry"`
	Errors       int            `json:"errors"`
	// MaxSeverity is the highest severity among unsuppressed findings, ""
	// when there are none.
	MaxSeverity string `json:"max_severity"`
}

// New builds a report.
func New(inv *model.Inventory, fs []*rules.Finding, expired []rules.ExpiredSuppression, version string) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "tpscan", Version: version}, Findings: fs,
		Errors: inv.Coverage, ExpiredSuppressions: expired}
	if r.Findings == nil {
		r.Findings = []*rules.Finding{}
	}
	if r.Errors == nil {
		r.Errors = []model.CoverageGap{}
	}
	// Parser messages never quote file content; make sure no token does.
	r.Errors = append(make([]model.CoverageGap, 0, len(r.Errors)), r.Errors...)
	for i := range r.Errors {
		for _, m := range tokens.Find([]byte(r.Errors[i].Message)) {
			r.Errors[i].Message = strings.ReplaceAll(r.Errors[i].Message, m.Secret(), m.Fingerprint)
		}
	}
	sort.SliceStable(r.Errors, func(i, k int) bool {
		a, b := r.Errors[i], r.Errors[k]
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	s := Summary{BySeverity: map[string]int{}, ByRule: map[string]int{}, ByRegistry: map[string]int{}, Errors: len(inv.Coverage)}
	for _, repo := range inv.Repos {
		if !repo.Loose {
			s.Repositories++
			r.Repositories = append(r.Repositories, Repository{Name: repo.Name, Visibility: repo.Visibility,
				DefaultBranch: repo.DefaultBranch, Commit: repo.Commit, Ref: repo.Ref, Forge: repo.Forge, ForgeRepo: repo.ForgeRepo})
		}
		s.Files += len(repo.Files)
		s.Pipelines += len(repo.Pipelines)
	}
	for _, f := range fs {
		if f.Suppressed {
			s.Suppressed++
			continue
		}
		s.Findings++
		s.BySeverity[f.Severity]++
		s.ByRule[f.Rule]++
		if f.Registry != "" {
			s.ByRegistry[f.Registry]++
		}
		if rules.SeverityRank(f.Severity) > rules.SeverityRank(s.MaxSeverity) {
			s.MaxSeverity = f.Severity
		}
	}
	sort.Slice(r.Repositories, func(i, k int) bool { return r.Repositories[i].Name < r.Repositories[k].Name })
	r.Summary = s
	r.Coverage = coverageOf(inv)
	return r
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
