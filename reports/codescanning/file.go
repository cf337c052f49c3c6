// Package codescanning uploads SARIF files to GitHub code scanning: it
// reads what each file says about itself (repository, commit, ref,
// category, and whether tpscan read the repository completely), refuses
// what must not be sent, checks GitHub's limits before sending, uploads
// with bounded concurrency under the hourly upload limit, and waits for
// GitHub to process each analysis.
//
// The refusals matter more than the uploads. Code scanning closes every
// open alert of a category that a later analysis of the same ref no longer
// reports, so an analysis of a partly read repository would mark alerts
// fixed that are still live. Such files are never sent, and neither is a
// file without the commit and ref it belongs to.
package codescanning

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// GitHub's limits (reference §3.4: GitHub's docs and REST description).
const (
	MaxRuns          = 20
	MaxResultsPerRun = 25_000
	// MaxGzipBytes is GitHub's "10 MB" per gzip-compressed file. Whether MB
	// means 10^6 or 2^20 is not said; the smaller is taken, so a file
	// tpscan sends is never too large.
	MaxGzipBytes = 10_000_000
	// UploadsPerHour is GitHub's upload limit per user or App installation.
	UploadsPerHour = 1000
)

// Run properties tpscan's SARIF writer sets (reports.PropRepository,
// reports.PropPartial, reports.PropMissing).
const (
	propRepository = "tpscan/repository"
	propPartial    = "tpscan/partial"
	propMissing    = "tpscan/missing"
)

// The patterns of GitHub's upload request (OA code-scanning/upload-sarif).
var (
	commitRe = regexp.MustCompile(`^([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)$`)
	refRe    = regexp.MustCompile(`^refs/(heads|tags|pull)/.+$`)
	repoRe   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// Overrides replace what a file says, for a single file (one without
// versionControlProvenance, say): Commit and Ref win over the file's;
// Repo fills in a missing repository but never contradicts one the file
// names, since results uploaded to the wrong repository would close that
// repository's alerts.
type Overrides struct {
	Repo, Commit, Ref string
}

// ReadOptions tune Read and Parse.
type ReadOptions struct {
	Overrides
	// Host is the GitHub host the upload goes to ("github.com", an
	// Enterprise Server's host name): a file whose repositoryUri names
	// another host is refused.
	Host string
	// Limits, zero meaning GitHub's; tests lower them.
	MaxRuns, MaxResultsPerRun, MaxGzipBytes int
}

// File is one SARIF file ready to upload, or the reason it may not be.
type File struct {
	Path string
	// Repo is OWNER/NAME.
	Repo   string
	Commit string
	Ref    string
	// Category is run 0's automationDetails.id ("tpscan/org/").
	Category string
	// Tool is run 0's tool.driver.name.
	Tool    string
	Runs    int
	Results int
	// Partial: a run says tpscan read the repository only in part;
	// Missing says what it could not read.
	Partial bool
	Missing []string
	// GzipBytes is the compressed size (0 when the file was refused
	// before compressing).
	GzipBytes int
	// Problem is why the file must not be uploaded; "" when it may.
	Problem string

	encoded string // gzip, then base64: the request's sarif field
}

// Encoded is the request's sarif field: the file gzip-compressed, then
// base64-encoded ("" for a refused file).
func (f *File) Encoded() string { return f.encoded }

// sarifLog is what Parse reads of a SARIF log.
type sarifLog struct {
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver struct {
			Name string `json:"name"`
		} `json:"driver"`
	} `json:"tool"`
	Results           []json.RawMessage `json:"results"`
	AutomationDetails *struct {
		ID string `json:"id"`
	} `json:"automationDetails"`
	VersionControlProvenance []struct {
		RepositoryURI string `json:"repositoryUri"`
		RevisionID    string `json:"revisionId"`
		Branch        string `json:"branch"`
	} `json:"versionControlProvenance"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// Read reads and checks one SARIF file. The error is for a file that
// cannot be read at all; everything else is File.Problem.
func Read(path string, o ReadOptions) (*File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, raw, o), nil
}

// Parse checks a SARIF document and, when it may be uploaded, encodes it.
func Parse(path string, raw []byte, o ReadOptions) *File {
	f := &File{Path: path}
	maxRuns, maxResults, maxGzip := orDefault(o.MaxRuns, MaxRuns), orDefault(o.MaxResultsPerRun, MaxResultsPerRun), orDefault(o.MaxGzipBytes, MaxGzipBytes)
	var log sarifLog
	if err := json.Unmarshal(raw, &log); err != nil {
		f.Problem = "not a SARIF file: " + err.Error()
		return f
	}
	if log.Version != "2.1.0" {
		f.Problem = fmt.Sprintf("SARIF version %q: code scanning takes 2.1.0", log.Version)
		return f
	}
	f.Runs = len(log.Runs)
	if f.Runs == 0 {
		// GitHub fails such an analysis ("runs: 1 item required"); an
		// empty run, not an empty file, is how alerts are closed.
		f.Problem = "no runs: nothing says which repository or tool the file is for"
		return f
	}
	run0 := log.Runs[0]
	f.Tool = run0.Tool.Driver.Name
	if run0.AutomationDetails != nil {
		f.Category = run0.AutomationDetails.ID
	}
	var fileRepo, fileURIHost string
	var problems []string
	for i, run := range log.Runs {
		f.Results += len(run.Results)
		if len(run.Results) > maxResults {
			problems = append(problems, fmt.Sprintf("run %d has %d results: GitHub takes at most %d per run", i, len(run.Results), maxResults))
		}
		var partial bool
		if p, ok := run.Properties[propPartial]; ok && json.Unmarshal(p, &partial) == nil && partial {
			f.Partial = true
			var missing []string
			_ = json.Unmarshal(run.Properties[propMissing], &missing)
			for _, m := range missing {
				if !slices.Contains(f.Missing, m) {
					f.Missing = append(f.Missing, m)
				}
			}
		}
		repo, host, commit, ref := runIdentity(run)
		if repo != "" {
			if fileRepo != "" && !strings.EqualFold(fileRepo, repo) {
				problems = append(problems, fmt.Sprintf("runs name different repositories (%s, %s): upload them separately", fileRepo, repo))
			}
			fileRepo = repo
		}
		if host != "" {
			fileURIHost = host
		}
		if i == 0 {
			f.Commit, f.Ref = commit, ref
		} else if (commit != "" && commit != f.Commit) || (ref != "" && ref != f.Ref) {
			problems = append(problems, "runs name different commits or refs: upload them separately")
		}
	}
	if f.Runs > maxRuns {
		problems = append(problems, fmt.Sprintf("%d runs: GitHub takes at most %d per file", f.Runs, maxRuns))
	}
	f.Repo = fileRepo
	switch {
	case o.Repo == "":
	case fileRepo == "":
		f.Repo = o.Repo
	case !strings.EqualFold(fileRepo, o.Repo):
		problems = append(problems, fmt.Sprintf("the file is for %s, not %s (--repo)", fileRepo, o.Repo))
	}
	if o.Commit != "" {
		f.Commit = o.Commit
	}
	if o.Ref != "" {
		f.Ref = o.Ref
	}
	if o.Host != "" && fileURIHost != "" && !strings.EqualFold(fileURIHost, o.Host) {
		problems = append(problems, fmt.Sprintf("the file is for a repository on %s, and this upload goes to %s", fileURIHost, o.Host))
	}
	switch {
	case f.Repo == "":
		problems = append(problems, "no repository: the run has no versionControlProvenance repositoryUri (or tpscan/repository); pass --repo OWNER/NAME")
	case !repoRe.MatchString(f.Repo):
		problems = append(problems, fmt.Sprintf("repository %q is not OWNER/NAME", f.Repo))
	}
	switch {
	case f.Commit == "":
		problems = append(problems, "no commit: the run has no versionControlProvenance revisionId; pass --commit SHA")
	case !commitRe.MatchString(f.Commit):
		problems = append(problems, fmt.Sprintf("commit %q is not 40 or 64 hex digits", f.Commit))
	}
	switch {
	case f.Ref == "":
		problems = append(problems, "no ref: the run has no versionControlProvenance branch; pass --ref refs/heads/BRANCH")
	case !refRe.MatchString(f.Ref):
		problems = append(problems, fmt.Sprintf("ref %q is not refs/heads/…, refs/tags/… or refs/pull/…: pass --ref", f.Ref))
	}
	if f.Partial {
		// First, because it is the one no flag can change.
		what := "the repository was only partly read"
		if len(f.Missing) > 0 {
			what += " (missing: " + strings.Join(f.Missing, "; ") + ")"
		}
		problems = append([]string{"partial: " + what + "; uploading it would close alerts that may still be live"}, problems...)
	}
	if len(problems) > 0 {
		f.Problem = strings.Join(problems, "; ")
		return f
	}
	enc, n, err := Encode(raw)
	if err != nil {
		f.Problem = "compressing: " + err.Error()
		return f
	}
	f.GzipBytes = n
	if n > maxGzip {
		f.Problem = fmt.Sprintf("%d bytes compressed: GitHub takes at most %d (split the analysis, or fewer results)", n, maxGzip)
		return f
	}
	f.encoded = enc
	return f
}

// runIdentity is what one run says about where it belongs: the repository
// (tpscan's property, else the provenance URI's path), the URI's host, the
// commit and the ref.
func runIdentity(run sarifRun) (repo, host, commit, ref string) {
	var prop string
	if p, ok := run.Properties[propRepository]; ok {
		_ = json.Unmarshal(p, &prop)
	}
	repo = prop
	if len(run.VersionControlProvenance) > 0 {
		vc := run.VersionControlProvenance[0]
		commit, ref = vc.RevisionID, vc.Branch
		if u, err := url.Parse(vc.RepositoryURI); err == nil && u.Host != "" {
			host = u.Hostname()
			if p := strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git"); repo == "" && strings.Count(p, "/") == 1 {
				repo = p
			}
		}
	}
	return repo, host, commit, ref
}

// Encode gzip-compresses a SARIF document and base64-encodes it, as the
// upload's sarif field wants; n is the compressed size, the one GitHub's
// 10 MB limit applies to.
func Encode(raw []byte) (encoded string, n int, err error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return "", 0, err
	}
	if _, err := zw.Write(raw); err != nil {
		return "", 0, err
	}
	if err := zw.Close(); err != nil {
		return "", 0, err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), buf.Len(), nil
}

// Decode reverses Encode.
func Decode(encoded string) ([]byte, error) {
	gz, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
