package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/tpscan/tpscan/reports/codescanning"
	"github.com/tpscan/tpscan/scanner/github"
)

// UploadSARIFOptions are the options of `tpscan upload-sarif`.
type UploadSARIFOptions struct {
	IO *IOStreams
	// Paths are SARIF files and directories (walked for *.sarif).
	Paths []string

	// Repo, Commit and Ref stand in for what a single file does not say.
	Repo, Commit, Ref string
	Wait              bool
	WaitTimeout       time.Duration
	DryRun            bool
	Format            string

	GitHubURL      string
	AppID          int64
	InstallationID int64
	PrivateKey     string
	Concurrency    int

	// Injected for tests: the environment, the HTTP transport, the gh
	// CLI, the limiter's clock and sleep, and the clock and sleep of the
	// status polling.
	Getenv    func(string) string
	Transport http.RoundTripper
	RunGH     func(ctx context.Context, args ...string) ([]byte, error)
	Limits    github.LimitConfig
	Now       func() time.Time
	Sleep     func(ctx context.Context, d time.Duration) error
}

// NewCmdUploadSARIF builds `tpscan upload-sarif`.
func NewCmdUploadSARIF(io *IOStreams, runF func(context.Context, *UploadSARIFOptions) error) *cobra.Command {
	opts := &UploadSARIFOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "upload-sarif DIR|FILE...",
		Short: "Upload SARIF files (from tpscan org --sarif-dir) to GitHub code scanning",
		Long: `Upload SARIF files to GitHub code scanning, one analysis per repository: the files
` + "`tpscan org --sarif-dir DIR`" + ` writes (DIR/OWNER/NAME.sarif), or any SARIF 2.1.0 file. A
directory is searched for *.sarif files.

Each file's run says where it belongs: versionControlProvenance gives the repository, the
commit scanned and the ref (refs/heads/<default branch>); automationDetails.id the category.
For a single file that does not say, pass --repo, --commit and --ref.

Some files are never sent. A run marked partial (tpscan could not read the whole repository)
would close code scanning alerts that are still live, because a new analysis of a category
closes every alert it no longer reports; it is skipped with what was missing. So is a file
without a 40- or 64-hex commit or a refs/heads|tags|pull ref, and one over GitHub's limits
(20 runs, 25,000 results per run, 10 MB compressed), which is refused here rather than left
to GitHub.

Uploads go 4 at a time (--concurrency) through the same rate limiting as the audit, and stop
at GitHub's 1,000 uploads per hour: what is left is reported "not uploaded" with the time
to re-run. With --wait (the default) each upload's processing is followed until GitHub has
stored the analysis or says why it could not.

Credentials as for ` + "`tpscan org`" + `. The token needs the security_events scope (classic; repo
includes it, public_repo suffices for public repositories); fine-grained tokens and GitHub
Apps need "Code scanning alerts: write".

Exit status: 0 when every file was accepted (or, with --dry-run, would be sent), 1 when
something was skipped, refused, failed or not uploaded, 2 for a usage or authentication
error.`,
		Example: `  tpscan org myorg --sarif-dir sarif/ && tpscan upload-sarif sarif/
  tpscan upload-sarif --dry-run sarif/
  tpscan upload-sarif --repo myorg/api --commit "$(git rev-parse HEAD)" --ref refs/heads/main api.sarif
  tpscan upload-sarif --format json sarif/ > uploads.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("upload-sarif needs at least one SARIF file or directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := validateUploadSARIF(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return uploadSARIFRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Repo, "repo", "", "OWNER/NAME, for a single file that does not name its repository")
	f.StringVar(&opts.Commit, "commit", "", "the analysed commit (40 or 64 hex digits), for a single file")
	f.StringVar(&opts.Ref, "ref", "", "the analysed ref (refs/heads/B, refs/tags/T, refs/pull/N/merge), for a single file")
	f.BoolVar(&opts.Wait, "wait", true, "wait for GitHub to process each upload (--wait=false: upload only)")
	f.DurationVar(&opts.WaitTimeout, "wait-timeout", 2*time.Minute, "how long to wait for the processing of one upload")
	f.BoolVar(&opts.DryRun, "dry-run", false, "check the files and list what would be uploaded; send nothing")
	f.StringVarP(&opts.Format, "format", "f", "table", "output format: table or json")
	f.StringVar(&opts.GitHubURL, "github-url", "", "GitHub Enterprise Server URL, e.g. https://github.example.com (default github.com)")
	f.Int64Var(&opts.AppID, "app-id", 0, "authenticate as this GitHub App (with --private-key)")
	f.Int64Var(&opts.InstallationID, "installation-id", 0, "the App's installation (default: found from the first file's owner)")
	f.StringVar(&opts.PrivateKey, "private-key", "", "PEM file of the GitHub App's private key")
	f.IntVar(&opts.Concurrency, "concurrency", 4, "uploads in flight at most")
	return cmd
}

var (
	flagCommitRe = regexp.MustCompile(`^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)
	flagRefRe    = regexp.MustCompile(`^refs/(heads|tags|pull)/.+$`)
)

func validateUploadSARIF(opts *UploadSARIFOptions) error {
	switch opts.Format {
	case "table", "json":
	default:
		return usageError("--format must be table or json, not %q", opts.Format)
	}
	if opts.Concurrency < 1 || opts.Concurrency > 20 {
		return usageError("--concurrency must be between 1 and 20")
	}
	if (opts.AppID != 0) != (opts.PrivateKey != "") {
		return usageError("GitHub App authentication needs both --app-id and --private-key")
	}
	if opts.Repo != "" {
		if owner, name, ok := strings.Cut(opts.Repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return usageError("--repo needs OWNER/NAME, not %q", opts.Repo)
		}
	}
	if opts.Commit != "" && !flagCommitRe.MatchString(opts.Commit) {
		return usageError("--commit must be a full commit SHA (40 or 64 hex digits), not %q", opts.Commit)
	}
	if opts.Ref != "" && !flagRefRe.MatchString(opts.Ref) {
		return usageError("--ref must be refs/heads/BRANCH, refs/tags/TAG or refs/pull/N/merge|head, not %q", opts.Ref)
	}
	if opts.WaitTimeout <= 0 {
		return usageError("--wait-timeout must be positive")
	}
	return nil
}

// sarifUploadSettings are what an upload needs beyond the connection.
type sarifUploadSettings struct {
	Overrides   codescanning.Overrides
	Wait        bool
	WaitTimeout time.Duration
	DryRun      bool
	Concurrency int
	Now         func() time.Time
	Sleep       func(ctx context.Context, d time.Duration) error
}

// uploadSARIFFiles checks and uploads SARIF files through the connection
// every command uses. It is what `tpscan upload-sarif` runs, and what an
// organisation scan calls to upload the files --sarif-dir wrote. Files
// are read before any connection is made: a dry run, or a run in which
// nothing may be sent, needs no credential and makes no request. The
// error is for a file that cannot be read or a connection that cannot be
// made (exit 2); how each file ended is in the report.
func uploadSARIFFiles(ctx context.Context, conn githubConn, files []string, s sarifUploadSettings) (*codescanning.Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	_, _, host, err := github.APIURLs(conn.GitHubURL)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	var parsed []*codescanning.File
	owner := ""
	for _, p := range files {
		f, err := codescanning.Read(p, codescanning.ReadOptions{Overrides: s.Overrides, Host: host})
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		if f.Problem == "" && owner == "" {
			owner, _, _ = strings.Cut(f.Repo, "/")
		}
		parsed = append(parsed, f)
	}
	uo := codescanning.Options{Concurrency: s.Concurrency, Wait: s.Wait, WaitTimeout: s.WaitTimeout, DryRun: s.DryRun, Now: s.Now, Sleep: s.Sleep}
	if s.DryRun || owner == "" {
		// Without an uploadable file every result is "skipped" before
		// any request: no API is needed.
		return codescanning.Upload(ctx, nil, parsed, uo), nil
	}
	// Status answers are meant to change and nothing else is read: the
	// conditional-request cache has no use here.
	conn.NoCache = true
	conn.Concurrency = max(conn.Concurrency, s.Concurrency)
	client, cred, host, err := connectGitHub(ctx, conn, owner)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(conn.ErrOut, "tpscan: uploading %d SARIF files to %s as %s\n", countUploadable(parsed), host, cred)
	if cred.Note != "" {
		fmt.Fprintf(conn.ErrOut, "tpscan: note: %s\n", cred.Note)
	}
	return codescanning.Upload(ctx, client, parsed, uo), nil
}

func countUploadable(files []*codescanning.File) int {
	n := 0
	for _, f := range files {
		if f.Problem == "" {
			n++
		}
	}
	return n
}

// uploadSARIFRun is `tpscan upload-sarif`.
func uploadSARIFRun(ctx context.Context, opts *UploadSARIFOptions) error {
	files, err := sarifPaths(opts.Paths)
	if err != nil {
		return err
	}
	if len(files) > 1 && (opts.Repo != "" || opts.Commit != "" || opts.Ref != "") {
		return usageError("--repo, --commit and --ref are for a single file; %d SARIF files were given", len(files))
	}
	conn := githubConn{ErrOut: opts.IO.ErrOut, GitHubURL: opts.GitHubURL, AppID: opts.AppID, InstallationID: opts.InstallationID,
		PrivateKey: opts.PrivateKey, Concurrency: opts.Concurrency, Getenv: opts.Getenv, Transport: opts.Transport, RunGH: opts.RunGH, Limits: opts.Limits}
	rep, err := uploadSARIFFiles(ctx, conn, files, sarifUploadSettings{
		Overrides: codescanning.Overrides{Repo: opts.Repo, Commit: opts.Commit, Ref: opts.Ref},
		Wait:      opts.Wait, WaitTimeout: opts.WaitTimeout, DryRun: opts.DryRun, Concurrency: opts.Concurrency, Now: opts.Now, Sleep: opts.Sleep})
	if err != nil {
		return err
	}
	if err := writeUploadReport(opts.IO.Out, rep, opts.Format); err != nil {
		return err
	}
	return uploadExit(rep)
}

// uploadExit is the exit status a report calls for.
func uploadExit(rep *codescanning.Report) error {
	switch {
	case rep.AuthFailed:
		return &exitError{code: ExitUsage, err: errors.New("GitHub refused the credential: nothing more was uploaded")}
	case !rep.OK():
		return &exitError{code: ExitFindings}
	}
	return nil
}

// sarifPaths expands the arguments: files as given, directories walked
// for *.sarif in lexical order.
func sarifPaths(args []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			out = append(out, p)
		}
	}
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if !info.IsDir() {
			add(a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".sarif") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, usageError("%v", err)
		}
		if len(found) == 0 {
			return nil, usageError("%s: no *.sarif files", a)
		}
		sort.Strings(found)
		for _, p := range found {
			add(p)
		}
	}
	return out, nil
}

// writeUploadReport writes one row per file and a summary, or JSON.
func writeUploadReport(w io.Writer, rep *codescanning.Report, format string) error {
	if format == "json" {
		return writeUploadJSON(w, rep)
	}
	var rows [][]string
	for _, r := range rep.Results {
		who := r.Repo
		if who == "" {
			who = r.File
		}
		detail := r.Reason
		if r.Status == codescanning.Accepted {
			detail = r.AnalysesURL
		}
		rows = append(rows, []string{who, string(r.Status), fmt.Sprint(r.Results), detail})
	}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoWrap(tw.WrapNone), tablewriter.WithRowAutoWrap(tw.WrapNone))
	t.Header("Repository", "Status", "Results", "Detail")
	if err := t.Bulk(rows); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, uploadSummary(rep))
	return err
}

// statusOrder is the order of the summary line.
var statusOrder = []codescanning.Status{codescanning.Accepted, codescanning.Uploaded, codescanning.WouldUpload, codescanning.Processing,
	codescanning.Failed, codescanning.Refused, codescanning.Skipped, codescanning.NotUploaded, codescanning.Error}

func uploadSummary(rep *codescanning.Report) string {
	counts := rep.Counts()
	var parts []string
	for _, s := range statusOrder {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	line := fmt.Sprintf("%d SARIF files: %s.", len(rep.Results), strings.Join(parts, ", "))
	if rep.DryRun {
		line += " Dry run: nothing was sent."
	}
	if rep.LimitReset != nil {
		line += fmt.Sprintf(" GitHub's hourly upload limit was reached: re-run after %s.", rep.LimitReset.Local().Format("15:04 MST"))
	}
	if rep.AuthFailed {
		line += " GitHub refused the credential."
	}
	return line
}

func writeUploadJSON(w io.Writer, rep *codescanning.Report) error {
	counts := map[string]int{}
	for s, n := range rep.Counts() {
		counts[string(s)] = n
	}
	out := struct {
		Results    []codescanning.Result `json:"results"`
		Summary    map[string]int        `json:"summary"`
		OK         bool                  `json:"ok"`
		DryRun     bool                  `json:"dry_run"`
		AuthFailed bool                  `json:"auth_failed,omitempty"`
		LimitReset *time.Time            `json:"limit_reset,omitempty"`
	}{rep.Results, counts, rep.OK(), rep.DryRun, rep.AuthFailed, rep.LimitReset}
	if out.Results == nil {
		out.Results = []codescanning.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
