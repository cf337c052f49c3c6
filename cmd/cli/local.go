package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tpscan/tpscan/reports"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/config"
	"github.com/tpscan/tpscan/scanner/local"
)

// LocalOptions are the options of `tpscan local`.
type LocalOptions struct {
	IO               *IOStreams
	Paths            []string
	Format           string
	FailOn           string
	FailOnIncomplete bool
	ConfigPath       string
	ShowSuppressed   bool
	Verbose          bool
	AllFiles         bool
	// MarkdownMaxChars caps the Markdown report (0: no cap).
	MarkdownMaxChars int
	// SARIFCategory overrides the SARIF run's category (tpscan/local/).
	SARIFCategory string
	Workers       int
	// Now fixes the clock for tests; nil means the wall clock.
	Now func() time.Time
}

// NewCmdLocal builds `tpscan local`.
func NewCmdLocal(io *IOStreams, runF func(context.Context, *LocalOptions) error) *cobra.Command {
	opts := &LocalOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "local PATH...",
		Short: "Scan files on disk: workflow files, a checkout, or an organisation snapshot",
		Long: `Scan CI files offline. Each PATH is one of:

  a file       a GitHub Actions workflow, a composite action (action.yml) or a GitLab CI
               file, recognised by its content;
  a checkout   a directory with .github/, .gitlab-ci.yml or .git: its workflows, composite
               actions, GitLab CI files (with local includes), and the scripts and credential
               files they use (.npmrc, .pypirc, ...), which are also searched for literal tokens;
  a snapshot   a directory of checkouts, one per repository, with an optional
               tpscan-inventory.json listing stored secrets, variables and environments
               (its format is documented in the README).

Findings are sorted by risk score (0–100). Files that could not be read are listed under
"errors" and the scan goes on.

Exit status: 0 when no unsuppressed finding is at or above --fail-on, 1 when one is, 2 for a
usage error, 3 with --fail-on-incomplete when something could not be read (and nothing
reached --fail-on).`,
		Example: `  tpscan local .
  tpscan local --format json testdata/demo-org
  tpscan local --fail-on critical --fail-on-incomplete .github/workflows/*.yml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("local needs at least one PATH (a file, a checkout or a snapshot)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := validateReportFlags(opts.Format, opts.FailOn, opts.SARIFCategory); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return localRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addReportFlags(f, reportFlagTargets{format: &opts.Format, failOn: &opts.FailOn, failOnIncomplete: &opts.FailOnIncomplete,
		configPath: &opts.ConfigPath, showSuppressed: &opts.ShowSuppressed, verbose: &opts.Verbose, markdownMax: &opts.MarkdownMaxChars,
		sarifCategory: &opts.SARIFCategory}, "config file (default: .tpscan.yml in the scanned directory)", reports.SARIFCategoryLocal)
	f.BoolVar(&opts.AllFiles, "all-files", false, "search every file of a checkout for literal tokens, not only CI, script and credential files")
	f.IntVar(&opts.Workers, "workers", 0, "parallel workers (default: number of CPUs)")
	return cmd
}

func localRun(ctx context.Context, opts *LocalOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	cfg, err := loadConfig(opts)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	inv, err := local.Load(ctx, opts.Paths, local.Options{Workers: opts.Workers, AllFiles: opts.AllFiles})
	if err != nil {
		if errors.Is(err, context.Canceled) && inv != nil {
			fmt.Fprintln(opts.IO.ErrOut, "tpscan: interrupted; reporting what was read")
		} else {
			return &exitError{code: ExitUsage, err: err}
		}
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	findings := rules.Run(inv, rules.All(), cat, ruleOptions(cfg, local.ReadFile, opts.Workers, now))
	// Patches are computed for the JSON, which carries them; the table
	// does not show them, and parsing every fixable file again would slow
	// a large scan for nothing.
	expired := settle(inv, findings, cfg, now(), wantsPatches(opts.Format))
	rep := reports.New(inv, findings, expired, Version)
	return writeReport(opts.IO, rep, reportFlags{format: opts.Format, failOn: opts.FailOn, failOnIncomplete: opts.FailOnIncomplete,
		showSuppressed: opts.ShowSuppressed, verbose: opts.Verbose, sarifCategory: opts.SARIFCategory, markdownMax: opts.MarkdownMaxChars})
}

// loadConfig reads --config, or .tpscan.yml in the first scanned directory
// that has one.
func loadConfig(opts *LocalOptions) (*config.Config, error) {
	if opts.ConfigPath != "" {
		return config.Load(opts.ConfigPath)
	}
	for _, p := range opts.Paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			continue
		}
		file := filepath.Join(p, config.FileName)
		if _, err := os.Stat(file); err == nil {
			return config.Load(file)
		}
	}
	return nil, nil
}
