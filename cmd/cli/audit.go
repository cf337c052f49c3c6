package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tpscan/tpscan/reports"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/config"
	"github.com/tpscan/tpscan/scanner/github"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/snapshot"
)

// AuditOptions are the options shared by `tpscan org` and `tpscan repo`.
type AuditOptions struct {
	IO *IOStreams
	// Org or Repo (owner/name) is the target.
	Org  string
	Repo string

	Format           string
	FailOn           string
	FailOnIncomplete bool
	ConfigPath       string
	ShowSuppressed   bool
	Verbose          bool

	IncludeArchived bool
	IncludeForks    bool
	Repos           []string

	GitHubURL      string
	AppID          int64
	InstallationID int64
	PrivateKey     string

	// SARIFCategory overrides the SARIF category (tpscan/org/); SARIFDir
	// receives one SARIF file per repository, organisation-level findings
	// going to the OrgFindingsRepo repository's.
	SARIFCategory string
	// MarkdownMaxChars caps the Markdown report (0: no cap).
	MarkdownMaxChars int
	SARIFDir         string
	OrgFindingsRepo  string
	// Upload sends the per-repository SARIF files to code scanning after
	// the scan (as `tpscan upload-sarif` would).
	Upload bool

	CacheDir    string
	NoCache     bool
	Save        string
	Concurrency int

	// Injected for tests: the environment, the HTTP transport under the
	// client, the gh CLI, the limiter's clock and sleep, the clock.
	Getenv    func(string) string
	Transport http.RoundTripper
	RunGH     func(ctx context.Context, args ...string) ([]byte, error)
	Limits    github.LimitConfig
	Now       func() time.Time
}

// addAuditFlags declares the flags both API commands take.
func addAuditFlags(cmd *cobra.Command, opts *AuditOptions) {
	f := cmd.Flags()
	addReportFlags(f, reportFlagTargets{format: &opts.Format, failOn: &opts.FailOn, failOnIncomplete: &opts.FailOnIncomplete,
		configPath: &opts.ConfigPath, showSuppressed: &opts.ShowSuppressed, verbose: &opts.Verbose, markdownMax: &opts.MarkdownMaxChars,
		sarifCategory: &opts.SARIFCategory}, "config file (suppressions, extra secret patterns, internal registries)", reports.SARIFCategoryGitHub)
	f.StringVar(&opts.SARIFDir, "sarif-dir", "", "also write one SARIF file per repository to this directory (DIR/OWNER/NAME.sarif), for tpscan upload-sarif")
	f.BoolVar(&opts.Upload, "upload", false, "upload each repository's SARIF to code scanning at the commit that was read (needs security_events / Code scanning alerts: write)")
	f.StringVar(&opts.OrgFindingsRepo, "org-findings-repo", ".github", "repository whose SARIF file carries organisation-level findings (organisation secrets and variables)")
	f.StringVar(&opts.GitHubURL, "github-url", "", "GitHub Enterprise Server URL, e.g. https://github.example.com (default github.com)")
	f.Int64Var(&opts.AppID, "app-id", 0, "authenticate as this GitHub App (with --private-key)")
	f.Int64Var(&opts.InstallationID, "installation-id", 0, "the App's installation (default: found from the organisation)")
	f.StringVar(&opts.PrivateKey, "private-key", "", "PEM file of the GitHub App's private key")
	f.StringVar(&opts.CacheDir, "cache-dir", "", "conditional-request cache (default: tpscan under the user cache directory)")
	f.BoolVar(&opts.NoCache, "no-cache", false, "do not read or write the cache")
	f.StringVar(&opts.Save, "save", "", "also write what was collected to this directory as an organisation snapshot, for tpscan local")
	f.IntVar(&opts.Concurrency, "concurrency", 8, "API requests in flight at most")
}

func validateAudit(opts *AuditOptions) error {
	if err := validateReportFlags(opts.Format, opts.FailOn, opts.SARIFCategory); err != nil {
		return err
	}
	if opts.Concurrency < 1 || opts.Concurrency > 50 {
		return usageError("--concurrency must be between 1 and 50 (GitHub allows 100 concurrent requests in all)")
	}
	if (opts.AppID != 0) != (opts.PrivateKey != "") {
		return usageError("GitHub App authentication needs both --app-id and --private-key")
	}
	if opts.SARIFDir != "" {
		if err := checkSARIFDir(opts.SARIFDir); err != nil {
			return usageError("--sarif-dir %s: %v", opts.SARIFDir, err)
		}
	}
	if opts.Save != "" {
		if entries, err := os.ReadDir(opts.Save); err == nil && len(entries) > 0 {
			if _, err := os.Stat(filepath.Join(opts.Save, "tpscan-inventory.json")); err != nil {
				return usageError("--save %s: directory exists and is not a tpscan snapshot; refusing to write into it", opts.Save)
			}
		}
	}
	return nil
}

// startAudit validates the options and runs the audit (or the test's runF).
func startAudit(ctx context.Context, opts *AuditOptions, runF func(context.Context, *AuditOptions) error) error {
	if err := validateAudit(opts); err != nil {
		return err
	}
	if runF != nil {
		return runF(ctx, opts)
	}
	return auditRun(ctx, opts)
}

// auditRun is `tpscan org` and `tpscan repo`: collect over the API, run the
// same rules as `tpscan local`, report with coverage.
func auditRun(ctx context.Context, opts *AuditOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	start := time.Now()
	cfg, err := loadAuditConfig(opts)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	client, cred, host, err := connectGitHub(ctx, opts.conn(), targetOwner(opts))
	if err != nil {
		return err
	}
	target := opts.Org
	if target == "" {
		target = opts.Repo
	}
	fmt.Fprintf(opts.IO.ErrOut, "tpscan: auditing %s on %s as %s\n", target, host, cred)
	if cred.Note != "" {
		fmt.Fprintf(opts.IO.ErrOut, "tpscan: note: %s\n", cred.Note)
	}
	prog := newProgress(opts.IO)
	res, collectErr := client.Collect(ctx, github.Options{Org: opts.Org, Repo: opts.Repo, IncludeArchived: opts.IncludeArchived,
		IncludeForks: opts.IncludeForks, RepoGlobs: opts.Repos, Workers: opts.Concurrency, Progress: prog.update})
	prog.done()
	interrupted := false
	if collectErr != nil {
		if res == nil || !errors.Is(collectErr, context.Canceled) && len(res.Inventory.Repos) == 0 {
			return fmt.Errorf("%s: %w", target, collectErr)
		}
		if errors.Is(collectErr, context.Canceled) {
			interrupted = true
			fmt.Fprintln(opts.IO.ErrOut, "tpscan: interrupted; reporting what was read")
		} else {
			res.Inventory.Coverage = append(res.Inventory.Coverage, model.CoverageGap{Kind: "incomplete", Message: collectErr.Error()})
		}
	}
	id := res.Identity
	if len(id.Scopes) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "tpscan: token scopes: %s\n", strings.Join(id.Scopes, ", "))
	}
	inv := res.Inventory
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	// Rules ask for files beyond CI (a script a workflow runs, package.json):
	// record what they miss, fetch it in one batch, and run them again.
	var (
		mu   sync.Mutex
		want = map[*model.Repo][]string{}
		have = map[*model.Repo]map[string]bool{}
	)
	readFile := func(repo *model.Repo, p string) ([]byte, bool) {
		for _, f := range repo.Files {
			if f.Path == p {
				return f.Content, true
			}
		}
		mu.Lock()
		if have[repo] == nil {
			have[repo] = map[string]bool{}
		}
		if !have[repo][p] {
			have[repo][p] = true
			want[repo] = append(want[repo], p)
		}
		mu.Unlock()
		return nil, false
	}
	ro := ruleOptions(cfg, readFile, 0, now)
	findings := rules.Run(inv, rules.All(), cat, ro)
	if len(want) > 0 && !interrupted {
		if err := client.FetchFiles(ctx, inv, want); err == nil {
			want = map[*model.Repo][]string{}
			findings = rules.Run(inv, rules.All(), cat, ro)
		}
	}
	expired := settle(inv, findings, cfg, now(), wantsPatches(opts.Format))
	rep := reports.New(inv, findings, expired, Version)
	rep.Target = target
	stats := client.Stats()
	rep.Coverage.API = apiUsage(host, res, stats, time.Since(start), len(inv.Repos))
	for _, s := range res.Skipped {
		rep.Coverage.Skipped = append(rep.Coverage.Skipped, reports.SkippedRepo{Repo: s.Repo, Reason: s.Reason})
	}
	if opts.Save != "" {
		facts := map[string]snapshot.RepoFacts{}
		for name, m := range res.Meta {
			facts[name] = snapshot.RepoFacts{Archived: m.Archived, Fork: m.Fork}
		}
		if err := snapshot.Save(opts.Save, inv, "github", now(), facts); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "tpscan: %v\n", err)
		} else {
			fmt.Fprintf(opts.IO.ErrOut, "tpscan: snapshot written to %s (re-run offline with `tpscan local %s`)\n", opts.Save, opts.Save)
		}
	}
	webURL := "https://" + host + "/"
	var sarifErr error
	sarifDir := opts.SARIFDir
	if opts.Upload && sarifDir == "" {
		tmp, err := os.MkdirTemp("", "tpscan-sarif-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		sarifDir = tmp
	}
	if sarifDir != "" {
		sarifErr = writeSARIFDir(opts.IO.ErrOut, sarifDir, rep, reports.SARIFOptions{Category: opts.SARIFCategory, WebURL: webURL},
			targetOwner(opts)+"/"+opts.OrgFindingsRepo)
	}
	var uploadErr error
	if opts.Upload && sarifErr == nil {
		if interrupted {
			fmt.Fprintln(opts.IO.ErrOut, "tpscan: interrupted: nothing uploaded (an analysis of what was not read would close live alerts)")
		} else {
			uploadErr = uploadAfterAudit(ctx, opts, sarifDir)
		}
	}
	err = writeReport(opts.IO, rep, reportFlags{format: opts.Format, failOn: opts.FailOn, failOnIncomplete: opts.FailOnIncomplete,
		showSuppressed: opts.ShowSuppressed, verbose: opts.Verbose, sarifCategory: opts.SARIFCategory, markdownMax: opts.MarkdownMaxChars, webURL: webURL})
	if sarifErr != nil && err == nil {
		return fmt.Errorf("--sarif-dir: %w", sarifErr)
	}
	if uploadErr != nil && err == nil {
		return uploadErr
	}
	if interrupted {
		var ee *exitError
		if err != nil && !errors.As(err, &ee) {
			return err
		}
		return &exitError{code: ExitIncomplete, err: errors.New("interrupted")}
	}
	return err
}

func targetOwner(opts *AuditOptions) string {
	if opts.Org != "" {
		return opts.Org
	}
	owner, _, _ := strings.Cut(opts.Repo, "/")
	return owner
}

func apiUsage(host string, res *github.Result, s github.Summary, d time.Duration, repos int) *reports.APIUsage {
	id := res.Identity
	a := &reports.APIUsage{Host: host, OrgAdmin: res.OrgAdmin, Refused: res.Refused, Requests: s.Requests, NotModified: s.NotModified,
		Total: s.Total, TotalNotModified: s.TotalNotModified, Retries: s.Retries, RateLimited: s.PrimaryLimited + s.SecondaryLimited,
		Duration: d, Budgets: map[string]reports.Budget{},
		Identity: reports.Identity{Login: id.Login, Kind: id.Kind, Source: id.Source, Fingerprint: id.Fingerprint, Scopes: id.Scopes, Permissions: id.Permissions, Note: id.Note}}
	if repos > 0 {
		a.PerRepository = float64(s.Total-s.TotalNotModified) / float64(repos)
	}
	for k, b := range s.Budgets {
		a.Budgets[k] = reports.Budget{Limit: b.Limit, Remaining: b.Remaining, Spent: b.Spent, Reset: b.Reset}
	}
	return a
}

func loadAuditConfig(opts *AuditOptions) (*config.Config, error) {
	if opts.ConfigPath != "" {
		return config.Load(opts.ConfigPath)
	}
	if _, err := os.Stat(config.FileName); err == nil {
		return config.Load(config.FileName)
	}
	return nil, nil
}

// runGHCLI runs the gh CLI when it is installed (GH_PATH, else $PATH).
func runGHCLI(ctx context.Context, args ...string) ([]byte, error) {
	bin := os.Getenv("GH_PATH")
	if bin == "" {
		p, err := exec.LookPath("gh")
		if err != nil {
			return nil, err
		}
		bin = p
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, bin, args...).Output()
}

// uploadAfterAudit uploads the files writeSARIFDir wrote and prints how
// each ended on stderr (stdout holds the report). A refused or failed
// upload makes the audit exit 1.
func uploadAfterAudit(ctx context.Context, opts *AuditOptions, dir string) error {
	files, err := uploadableSARIF(dir)
	if err != nil {
		return err
	}
	rep, err := uploadSARIFFiles(ctx, opts.conn(), files, sarifUploadSettings{Wait: true, Concurrency: 4, Now: opts.Now, Sleep: opts.Limits.Sleep})
	if err != nil {
		return err
	}
	if err := writeUploadReport(opts.IO.ErrOut, rep, "table"); err != nil {
		return err
	}
	return uploadExit(rep)
}
