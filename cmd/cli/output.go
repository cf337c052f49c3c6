package cli

import (
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tpscan/tpscan/fixers"
	"github.com/tpscan/tpscan/reports"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/config"
	"github.com/tpscan/tpscan/scanner/model"
)

// What the scanning commands (local, org, repo, fix) share: validating the
// report flags, the rules' options from the config, suppressions and
// patches, and writing the report with its exit status.

// reportFlags are the output flags of the scanning commands.
type reportFlags struct {
	format           string
	failOn           string
	failOnIncomplete bool
	showSuppressed   bool
	verbose          bool
	// sarifCategory is the SARIF run's automationDetails.id ("tpscan/org/");
	// webURL the forge's web root for SARIF provenance.
	sarifCategory string
	webURL        string
	// markdownMax caps the Markdown report (runes; 0: no cap).
	markdownMax int
}

// wantsPatches says whether a format shows patches: computing them costs a
// fixer pass, so the table (which never shows them) skips it.
func wantsPatches(format string) bool { return format == "json" || format == "markdown" }

// reportFlagTargets are where a scanning command keeps the report flags.
type reportFlagTargets struct {
	format, failOn, configPath, sarifCategory *string
	failOnIncomplete, showSuppressed, verbose *bool
	markdownMax                               *int
}

// addReportFlags declares the report flags every scanning command takes;
// only the config's default and the SARIF category differ between them.
func addReportFlags(f *pflag.FlagSet, t reportFlagTargets, configHelp, sarifCategory string) {
	f.StringVarP(t.format, "format", "f", "table", "output format: table, json, sarif (SARIF 2.1.0 for code scanning) or markdown")
	f.StringVar(t.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (critical, high, medium, low, none)")
	f.BoolVar(t.failOnIncomplete, "fail-on-incomplete", false, "exit 3 when something could not be fully read")
	f.StringVar(t.configPath, "config", "", configHelp)
	f.BoolVar(t.showSuppressed, "show-suppressed", false, "list suppressed findings in the table and the Markdown report (JSON always has them; SARIF never: code scanning would show them as open alerts)")
	f.BoolVarP(t.verbose, "verbose", "v", false, "explain every finding: score factors, fix and manual steps")
	f.IntVar(t.markdownMax, "markdown-max-chars", reports.GitHubMaxChars, "cap the Markdown report at this many characters, dropping the lowest-risk detail first (GitHub's limit for a comment or issue; 0: no cap)")
	f.StringVar(t.sarifCategory, "sarif-category", sarifCategory, "SARIF category (automationDetails.id, ending in /): code scanning keeps one set of alerts per category")
}

func validateReportFlags(format, failOn, sarifCategory string) error {
	// Code scanning reads the category as everything before the last "/";
	// without one, every run would be a category of its own and old alerts
	// would never close.
	if sarifCategory != "" && !strings.HasSuffix(sarifCategory, "/") {
		return usageError("--sarif-category must end in \"/\" (e.g. \"tpscan/org/\"), not %q", sarifCategory)
	}
	switch format {
	case "table", "json", "sarif", "markdown":
	default:
		return usageError("--format must be table, json, sarif or markdown, not %q", format)
	}
	if rules.SeverityRank(failOn) == 0 && failOn != "none" {
		return usageError("--fail-on must be critical, high, medium, low or none, not %q", failOn)
	}
	return nil
}

// ruleOptions are the engine's options under a config (nil: none).
func ruleOptions(cfg *config.Config, read func(*model.Repo, string) ([]byte, bool), workers int, now func() time.Time) *rules.Options {
	ro := &rules.Options{ReadFile: read, Workers: workers, Now: now}
	if cfg != nil {
		ro.InternalRegistries = cfg.InternalRegistries
		ro.ExtraSecretPatterns = cfg.SecretPatterns
	}
	return ro
}

// settle applies suppressions and, when patches are wanted, attaches each
// publish's patch or the reason it has none.
func settle(inv *model.Inventory, findings []*rules.Finding, cfg *config.Config, now time.Time, patches bool) []rules.ExpiredSuppression {
	expired := rules.Suppress(findings, cfg, now)
	if patches {
		fixers.Attach(inv, findings)
	}
	return expired
}

// writeReport writes rep and returns the exit status it calls for.
func writeReport(io *IOStreams, rep *reports.Report, f reportFlags) error {
	var err error
	switch f.format {
	case "json":
		err = reports.WriteJSON(io.Out, rep)
	case "sarif":
		err = reports.WriteSARIF(io.Out, rep, reports.SARIFOptions{Category: f.sarifCategory, WebURL: f.webURL})
	case "markdown":
		err = reports.WriteMarkdown(io.Out, rep, reports.MarkdownOptions{ShowSuppressed: f.showSuppressed, MaxChars: f.markdownMax})
	default:
		err = reports.WriteTable(io.Out, rep, reports.TableOptions{ShowSuppressed: f.showSuppressed, Verbose: f.verbose})
	}
	if err != nil {
		return err
	}
	if f.failOn != "none" && rep.Summary.MaxSeverity != "" && rules.SeverityRank(rep.Summary.MaxSeverity) >= rules.SeverityRank(f.failOn) {
		return &exitError{code: ExitFindings}
	}
	if f.failOnIncomplete && len(rep.Errors) > 0 {
		return &exitError{code: ExitIncomplete}
	}
	return nil
}
