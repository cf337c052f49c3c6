package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/tpscan/tpscan/scanner/model"
)

// Coverage says how much of the target was read: every output carries it,
// because a clean report over half an organisation is not a clean bill of
// health.
type Coverage struct {
	// Repositories scanned; FullyRead of them had nothing missing.
	Repositories int `json:"repositories"`
	FullyRead    int `json:"fully_read"`
	// PartlyRead lists the others with what was missing and why.
	PartlyRead []PartialRepo `json:"partly_read"`
	// Skipped repositories were left out on purpose (archived, forks,
	// --repos).
	Skipped []SkippedRepo `json:"skipped,omitempty"`
	// API is set for scans over an API.
	API *APIUsage `json:"api,omitempty"`
}

// PartialRepo is one repository that could not be fully read.
type PartialRepo struct {
	Repo    string   `json:"repo"`
	Missing []string `json:"missing"`
}

// SkippedRepo is a repository left out and why.
type SkippedRepo struct {
	Repo   string `json:"repo"`
	Reason string `json:"reason"`
}

// APIUsage is what a scan asked of an API.
type APIUsage struct {
	Host     string   `json:"host"`
	Identity Identity `json:"identity"`
	// OrgAdmin is false when organisation secrets had to be read per
	// repository.
	OrgAdmin bool `json:"org_admin"`
	// Refused maps what was refused to the permission GitHub said it needs.
	Refused map[string]string `json:"refused,omitempty"`
	// Requests counts requests sent by kind; NotModified the 304 answers
	// among them, which cost no rate limit.
	Requests         map[string]int `json:"requests"`
	NotModified      map[string]int `json:"not_modified,omitempty"`
	Total            int            `json:"total"`
	TotalNotModified int            `json:"total_not_modified"`
	// PerRepository is the charged requests (total minus 304s) per scanned
	// repository.
	PerRepository float64           `json:"per_repository"`
	Retries       map[string]int    `json:"retries,omitempty"`
	RateLimited   int               `json:"rate_limited,omitempty"`
	Budgets       map[string]Budget `json:"budgets,omitempty"`
	Duration      time.Duration     `json:"duration_ns"`
}

// Identity is the credential a scan used, never its value.
type Identity struct {
	Login       string            `json:"login,omitempty"`
	Kind        string            `json:"kind"`
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Scopes      []string          `json:"scopes,omitempty"`
	Permissions map[string]string `json:"permissions,omitempty"`
	Note        string            `json:"note,omitempty"`
}

// Budget is one rate-limit resource as the scan left it.
type Budget struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Spent     int       `json:"spent"`
	Reset     time.Time `json:"reset"`
}

// coverageOf derives the repository part of the coverage from the
// inventory's gaps.
func coverageOf(inv *model.Inventory) *Coverage {
	c := &Coverage{PartlyRead: []PartialRepo{}}
	missing := map[string][]string{}
	for _, g := range inv.Coverage {
		if g.Repo == "" {
			continue
		}
		what := g.Kind
		if g.Path != "" {
			what += " " + g.Path
		}
		missing[g.Repo] = append(missing[g.Repo], what+": "+g.Message)
	}
	for _, r := range inv.Repos {
		if r.Loose {
			continue
		}
		c.Repositories++
		if m := missing[r.Name]; len(m) > 0 {
			c.PartlyRead = append(c.PartlyRead, PartialRepo{Repo: r.Name, Missing: m})
		} else {
			c.FullyRead++
		}
	}
	sort.Slice(c.PartlyRead, func(i, k int) bool { return c.PartlyRead[i].Repo < c.PartlyRead[k].Repo })
	return c
}

// writeCoverage prints the coverage section of the table output.
func writeCoverage(w io.Writer, c *Coverage) {
	if c == nil {
		return
	}
	fmt.Fprintf(w, "\nCoverage: %d repositories, %d fully read, %d partly read", c.Repositories, c.FullyRead, len(c.PartlyRead))
	if len(c.Skipped) > 0 {
		fmt.Fprintf(w, ", %d skipped", len(c.Skipped))
	}
	fmt.Fprintln(w, ".")
	if a := c.API; a != nil {
		id := a.Identity
		who := id.Login
		if who == "" {
			who = "(no login)"
		}
		fmt.Fprintf(w, "  Credential: %s %s token from %s (fingerprint %s)", who, id.Kind, id.Source, id.Fingerprint)
		if len(id.Scopes) > 0 {
			fmt.Fprintf(w, ", scopes %s", strings.Join(id.Scopes, ", "))
		}
		fmt.Fprintln(w)
		if id.Note != "" {
			fmt.Fprintf(w, "  Note: %s\n", id.Note)
		}
		if !a.OrgAdmin {
			fmt.Fprintln(w, "  Organisation secrets were read per repository (no organisation-admin rights): their visibility is unknown.")
		}
		for _, k := range sortedKeys(a.Refused) {
			fmt.Fprintf(w, "  Refused: %s (needs %s)\n", k, a.Refused[k])
		}
		fmt.Fprintf(w, "  API requests: %d (%d answered 304 from cache, not charged), %.2f charged per repository", a.Total, a.TotalNotModified, a.PerRepository)
		if a.RateLimited > 0 {
			fmt.Fprintf(w, ", rate-limited %d times", a.RateLimited)
		}
		fmt.Fprintf(w, ", %s\n", a.Duration.Round(time.Millisecond))
		var kinds []string
		for _, k := range sortedKeys(a.Requests) {
			s := fmt.Sprintf("%s %d", k, a.Requests[k])
			if n := a.NotModified[k]; n > 0 {
				s += fmt.Sprintf(" (%d cached)", n)
			}
			kinds = append(kinds, s)
		}
		fmt.Fprintf(w, "    by kind: %s\n", strings.Join(kinds, ", "))
		for _, k := range sortedKeys(a.Budgets) {
			b := a.Budgets[k]
			fmt.Fprintf(w, "    rate limit %s: spent %d, %d of %d left, resets %s\n", k, b.Spent, b.Remaining, b.Limit, b.Reset.UTC().Format("15:04 MST"))
		}
	}
	for _, p := range c.PartlyRead {
		fmt.Fprintf(w, "  partly read: %s: %s\n", p.Repo, strings.Join(p.Missing, "; "))
	}
	if len(c.Skipped) > 0 {
		byReason := map[string]int{}
		for _, s := range c.Skipped {
			byReason[s.Reason]++
		}
		for _, k := range sortedKeys(byReason) {
			fmt.Fprintf(w, "  skipped %d: %s\n", byReason[k], k)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
