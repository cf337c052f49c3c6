package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableOptions shape the table output.
type TableOptions struct {
	// ShowSuppressed lists suppressed findings too.
	ShowSuppressed bool
	// Verbose adds each finding's factors, fix and manual steps below the table.
	Verbose bool
}

// WriteTable writes the risk-ranked table, then coverage problems.
func WriteTable(w io.Writer, r *Report, opts TableOptions) error {
	var rows [][]string
	for _, f := range r.Findings {
		if f.Suppressed && !opts.ShowSuppressed {
			continue
		}
		where := f.Path
		if f.Line > 0 {
			where = fmt.Sprintf("%s:%d", f.Path, f.Line)
		}
		if f.Repo != "" {
			where = f.Repo + " " + where
		}
		what := f.Secret
		if f.Token != "" {
			what = f.Token
		}
		sev := strings.ToUpper(f.Severity)
		if f.Suppressed {
			sev = "suppressed"
		}
		rows = append(rows, []string{
			fmt.Sprintf("%d", f.Score), sev, f.Rule + " " + f.RuleName, registryLabel(f.Registry),
			what, strings.TrimSpace(where), f.Job,
		})
	}
	if len(rows) == 0 {
		fmt.Fprintf(w, "No findings in %d repositories (%d files, %d pipelines).\n", r.Summary.Repositories, r.Summary.Files, r.Summary.Pipelines)
	} else {
		t := tablewriter.NewTable(w,
			tablewriter.WithHeaderAutoWrap(tw.WrapNone),
			tablewriter.WithRowAutoWrap(tw.WrapNone),
		)
		t.Header("Score", "Severity", "Rule", "Registry", "Secret", "Where", "Job")
		if err := t.Bulk(rows); err != nil {
			return err
		}
		if err := t.Render(); err != nil {
			return err
		}
		s := r.Summary
		fmt.Fprintf(w, "%d findings (%d critical, %d high, %d medium, %d low), %d suppressed, in %d repositories (%d files, %d pipelines).\n",
			s.Findings, s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"], s.BySeverity["low"], s.Suppressed,
			s.Repositories, s.Files, s.Pipelines)
	}
	if opts.Verbose {
		for _, f := range r.Findings {
			if f.Suppressed && !opts.ShowSuppressed {
				continue
			}
			loc := f.Path
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", f.Path, f.Line)
			}
			if f.Repo != "" {
				loc = strings.TrimSpace(f.Repo + " " + loc)
			}
			if loc == "" {
				loc = "(organisation)"
			}
			fmt.Fprintf(w, "\n%s %s  %s (%d, %s)\n  %s\n", f.Rule, loc, f.RuleName, f.Score, f.Severity, f.Message)
			for _, fa := range f.Factors {
				fmt.Fprintf(w, "    %+4d  %-24s %s\n", fa.Points, fa.Name, fa.Reason)
			}
			if f.Blocked != "" {
				fmt.Fprintf(w, "  blocked: %s\n", f.Blocked)
			}
			if f.Fix != "" {
				fmt.Fprintf(w, "  fix: %s\n", f.Fix)
			}
			for _, m := range f.ManualSteps {
				fmt.Fprintf(w, "  - %s\n", m)
			}
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nNot fully read (%d):\n", len(r.Errors))
		for _, e := range r.Errors {
			loc := e.Path
			if e.Line > 0 {
				loc = fmt.Sprintf("%s:%d:%d", e.Path, e.Line, e.Column)
			}
			if e.Repo != "" {
				loc = e.Repo + " " + loc
			}
			fmt.Fprintf(w, "  %s: %s (%s)\n", strings.TrimSpace(loc), e.Message, e.Kind)
		}
	}
	for _, e := range r.ExpiredSuppressions {
		fmt.Fprintf(w, "\n%s:%d: %s (reason was: %s)\n", e.Path, e.Line, e.Message, e.Reason)
	}
	if r.Coverage != nil && (r.Coverage.API != nil || len(r.Coverage.Skipped) > 0) {
		writeCoverage(w, r.Coverage)
	}
	return nil
}

func registryLabel(r string) string {
	switch r {
	case "pypi":
		return "PyPI"
	case "testpypi":
		return "TestPyPI"
	case "rubygems":
		return "RubyGems"
	case "crates":
		return "crates.io"
	case "nuget":
		return "NuGet"
	case "pubdev":
		return "pub.dev"
	}
	return r
}
