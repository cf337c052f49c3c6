package codescanning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/github"
)

// API is what an upload needs of GitHub; *github.Client is one.
type API interface {
	UploadSARIF(ctx context.Context, owner, repo string, u *github.SARIFUpload) (*github.SARIFReceipt, error)
	SARIFStatus(ctx context.Context, owner, repo, id string) (*github.SARIFStatus, error)
	// UploadBudget is what GitHub last said about the upload budget.
	UploadBudget() (github.BudgetUse, bool)
}

// Status is how one file ended.
type Status string

// Statuses. Only Accepted, Uploaded (when not waiting) and WouldUpload (a
// dry run) are success.
const (
	// Accepted: GitHub processed the analysis.
	Accepted Status = "accepted"
	// Uploaded: GitHub took the file (202); processing was not awaited.
	Uploaded Status = "uploaded"
	// Processing: uploaded, but processing had not finished (or could not
	// be read) when the wait ended.
	Processing Status = "processing"
	// Failed: GitHub could not process the analysis (Errors says why).
	Failed Status = "failed"
	// Refused: GitHub refused the upload.
	Refused Status = "refused"
	// Skipped: tpscan did not send the file (partial, no commit, over a
	// limit, not SARIF).
	Skipped Status = "skipped"
	// NotUploaded: not tried, because the hourly limit was reached, the
	// credential was refused, or the run was interrupted.
	NotUploaded Status = "not-uploaded"
	// Error: the request failed (network, GitHub's 5xx after retries).
	Error Status = "error"
	// WouldUpload: a dry run found nothing against sending the file.
	WouldUpload Status = "would-upload"
)

// OK reports whether s is a success.
func (s Status) OK() bool { return s == Accepted || s == Uploaded || s == WouldUpload }

// Result is the outcome for one file.
type Result struct {
	File     string `json:"file"`
	Repo     string `json:"repository,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Ref      string `json:"ref,omitempty"`
	Category string `json:"category,omitempty"`
	Results  int    `json:"results"`
	Status   Status `json:"status"`
	// Reason says why, for anything but Accepted.
	Reason string `json:"reason,omitempty"`
	// Missing is what a partial run says could not be read.
	Missing []string `json:"missing,omitempty"`
	// HTTPStatus of GitHub's refusal.
	HTTPStatus  int    `json:"http_status,omitempty"`
	SARIFID     string `json:"sarif_id,omitempty"`
	StatusURL   string `json:"status_url,omitempty"`
	AnalysesURL string `json:"analyses_url,omitempty"`
	// Errors are GitHub's processing errors of a Failed analysis.
	Errors []string `json:"errors,omitempty"`
	// RetryAfter is when the hourly limit resets (NotUploaded).
	RetryAfter *time.Time `json:"retry_after,omitempty"`
	// Err is the underlying error, wrapped with the repository's name.
	Err error `json:"-"`
}

// Options tune Upload. Zero values take the defaults.
type Options struct {
	// Concurrency bounds uploads in flight (default 4). The client's own
	// limiter still spaces requests and waits out secondary limits.
	Concurrency int
	// Wait polls each upload's processing status until it is complete or
	// failed, or WaitTimeout has passed since the upload.
	Wait        bool
	WaitTimeout time.Duration // default 2 minutes
	// PollInterval is the first wait before reading the status; it
	// doubles up to PollMax (defaults 3 s and 20 s).
	PollInterval, PollMax time.Duration
	// DryRun checks the files and makes no request; the API may be nil.
	DryRun bool
	// HourlyLimit is the upload budget assumed when GitHub sends no rate
	// limit headers (default UploadsPerHour).
	HourlyLimit int
	// Now and Sleep are injected by tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 2 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 3 * time.Second
	}
	if o.PollMax <= 0 {
		o.PollMax = 20 * time.Second
	}
	if o.HourlyLimit <= 0 {
		o.HourlyLimit = UploadsPerHour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = github.SleepContext
	}
}

// Report is the outcome of Upload.
type Report struct {
	// Results are in the order of the files given.
	Results []Result
	// AuthFailed: GitHub refused the credential (401); nothing after it
	// was tried.
	AuthFailed bool
	// LimitReset is set when uploads stopped at the hourly limit: when the
	// budget resets.
	LimitReset *time.Time
	// DryRun: nothing was sent.
	DryRun bool
}

// OK reports whether every file succeeded.
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if !res.Status.OK() {
			return false
		}
	}
	return true
}

// Counts are the results per status.
func (r *Report) Counts() map[Status]int {
	m := map[Status]int{}
	for _, res := range r.Results {
		m[res.Status]++
	}
	return m
}

// Upload sends the files that may be sent and reports on every file.
func Upload(ctx context.Context, api API, files []*File, opts Options) *Report {
	opts.defaults()
	rep := &Report{Results: make([]Result, len(files)), DryRun: opts.DryRun}
	u := &uploader{api: api, opts: opts, rep: rep, budget: &budget{limit: opts.HourlyLimit, api: api, now: opts.Now}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < opts.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rep.Results[i] = u.one(ctx, files[i])
			}
		}()
	}
	for i := range files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if t, ok := u.budget.stoppedUntil(); ok {
		rep.LimitReset = &t
	}
	rep.AuthFailed = u.authFailed()
	return rep
}

type uploader struct {
	api    API
	opts   Options
	rep    *Report
	budget *budget

	mu     sync.Mutex
	noAuth bool
}

func (u *uploader) authFailed() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.noAuth
}

func (u *uploader) one(ctx context.Context, f *File) Result {
	r := Result{File: f.Path, Repo: f.Repo, Commit: f.Commit, Ref: f.Ref, Category: f.Category, Results: f.Results, Missing: scrubAll(f.Missing)}
	switch {
	case f.Problem != "":
		r.Status, r.Reason = Skipped, scrub(f.Problem)
		return r
	case u.opts.DryRun:
		r.Status = WouldUpload
		r.Reason = fmt.Sprintf("%d results, %d bytes compressed", f.Results, f.GzipBytes)
		return r
	case u.authFailed():
		r.Status, r.Reason = NotUploaded, "not uploaded: GitHub refused the credential"
		return r
	case ctx.Err() != nil:
		r.Status, r.Reason, r.Err = NotUploaded, "not uploaded: interrupted", fmt.Errorf("%s: %w", f.Repo, ctx.Err())
		return r
	}
	if reset, ok := u.budget.acquire(); !ok {
		return u.limited(r, reset)
	}
	owner, name, _ := strings.Cut(f.Repo, "/")
	rec, err := u.api.UploadSARIF(ctx, owner, name, &github.SARIFUpload{CommitSHA: f.Commit, Ref: f.Ref, SARIF: f.encoded, ToolName: f.Tool})
	u.budget.release(err == nil || madeRequest(err))
	if err != nil {
		return u.failed(ctx, r, err)
	}
	r.SARIFID, r.StatusURL = rec.ID, rec.URL
	if !u.opts.Wait {
		r.Status, r.Reason = Uploaded, "processing not awaited"
		return r
	}
	return u.wait(ctx, r, owner, name)
}

// wait polls the processing status with a doubling interval, within
// WaitTimeout of the upload.
func (u *uploader) wait(ctx context.Context, r Result, owner, name string) Result {
	deadline := u.opts.Now().Add(u.opts.WaitTimeout)
	d := u.opts.PollInterval
	for {
		if err := u.opts.Sleep(ctx, d); err != nil {
			r.Status, r.Reason, r.Err = Processing, "uploaded; interrupted while waiting for GitHub to process it", fmt.Errorf("%s: %w", r.Repo, err)
			return r
		}
		st, err := u.api.SARIFStatus(ctx, owner, name, r.SARIFID)
		var ae *github.APIError
		switch {
		case err != nil && errors.As(err, &ae) && ae.Status == 404:
			// unverified: a just-made upload may not be known to the
			// status endpoint at once; keep asking until the deadline.
		case err != nil:
			r.Status, r.Err = Processing, fmt.Errorf("%s: %w", r.Repo, err)
			r.Reason = scrub("uploaded, but its processing status could not be read: " + err.Error())
			return r
		case st.ProcessingStatus == "complete":
			r.Status, r.AnalysesURL = Accepted, st.AnalysesURL
			return r
		case st.ProcessingStatus == "failed":
			r.Status, r.Errors = Failed, scrubAll(st.Errors)
			r.Reason = "GitHub could not process the analysis"
			if len(r.Errors) > 0 {
				r.Reason += ": " + strings.Join(r.Errors, "; ")
			}
			return r
		}
		if !u.opts.Now().Before(deadline) {
			r.Status = Processing
			r.Reason = fmt.Sprintf("GitHub was still processing it after %s; its status: %s", u.opts.WaitTimeout, r.StatusURL)
			return r
		}
		d = min(2*d, u.opts.PollMax)
	}
}

func (u *uploader) limited(r Result, reset time.Time) Result {
	r.Status = NotUploaded
	r.RetryAfter = &reset
	r.Reason = "not uploaded: hourly limit of SARIF uploads reached, re-run after " + reset.In(u.opts.Now().Location()).Format("15:04 MST")
	return r
}

// failed turns an upload error into the result.
func (u *uploader) failed(ctx context.Context, r Result, err error) Result {
	r.Err = fmt.Errorf("%s: %w", r.Repo, err)
	var rl *github.RateLimitError
	var ae *github.APIError
	switch {
	case ctx.Err() != nil:
		r.Status, r.Reason = NotUploaded, "not uploaded: interrupted"
	case errors.As(err, &rl):
		if rl.Resource == github.UploadResource {
			u.budget.stop(rl.Reset)
			return u.limited(r, rl.Reset)
		}
		r.Status = NotUploaded
		r.Reason = fmt.Sprintf("not uploaded: GitHub %s rate limit exhausted, re-run after %s", rl.Resource, rl.Reset.In(u.opts.Now().Location()).Format("15:04 MST"))
	case errors.As(err, &ae):
		r.HTTPStatus = ae.Status
		r.Status, r.Reason = refusal(ae)
		if ae.Status == 401 {
			u.mu.Lock()
			u.noAuth = true
			u.mu.Unlock()
		}
	default:
		r.Status, r.Reason = Error, err.Error()
	}
	r.Reason = scrub(r.Reason)
	return r
}

// refusal explains GitHub's answer to an upload.
func refusal(ae *github.APIError) (Status, string) {
	msg := ae.Message
	lower := strings.ToLower(msg)
	said := ""
	if msg != "" {
		said = " (GitHub: " + msg + ")"
	}
	switch ae.Status {
	case 401:
		return Refused, "GitHub refused the credential" + said
	case 403:
		switch {
		case strings.Contains(lower, "archived"):
			return Refused, "the repository is archived, so read-only: code scanning takes no uploads" + said
		case strings.Contains(lower, "must be enabled") || strings.Contains(lower, "not enabled") ||
			strings.Contains(lower, "advanced security") || strings.Contains(lower, "code security"):
			return Refused, "code scanning is not enabled for the repository: turn on GitHub Code Security (Advanced Security on Enterprise Server) in its settings" + said
		}
		return Refused, "the credential may not upload code scanning results: " + needs(ae) + said
	case 404:
		return Refused, "repository not found, or the credential cannot see it (private repositories need the repo scope, or access granted to the fine-grained token or App)" + said
	case 413:
		return Refused, "too large for GitHub (HTTP 413): split the analysis or report fewer results" + said
	case 400, 422:
		return Refused, fmt.Sprintf("GitHub rejected the upload (HTTP %d)%s", ae.Status, said)
	}
	if ae.Status >= 500 {
		return Error, fmt.Sprintf("GitHub failed (HTTP %d)%s", ae.Status, said)
	}
	return Refused, fmt.Sprintf("HTTP %d%s", ae.Status, said)
}

// needs names the missing right from what GitHub said it accepts.
func needs(ae *github.APIError) string {
	const both = `classic tokens need the security_events scope (public_repo for public repositories), fine-grained tokens and GitHub Apps the "Code scanning alerts" permission set to write (security_events=write)`
	switch {
	case ae.AcceptedPermissions != "":
		return fmt.Sprintf(`it needs the %q permission ("Code scanning alerts: write" for fine-grained tokens and GitHub Apps)`, ae.AcceptedPermissions)
	case ae.AcceptedScopes != "":
		has := ae.TokenScopes
		if has == "" {
			has = "none"
		}
		return fmt.Sprintf("it needs the %s scope (the token has: %s)", ae.AcceptedScopes, has)
	}
	return both
}

// madeRequest reports whether a failed upload still reached GitHub (and so
// was charged): refusals did, local and limiter errors did not.
func madeRequest(err error) bool {
	var ae *github.APIError
	return errors.As(err, &ae)
}

// scrub removes registry tokens from text tpscan prints: a third-party
// SARIF file or GitHub's message may quote one. (The credential is
// redacted by the client.)
func scrub(s string) string {
	for _, m := range tokens.Find([]byte(s)) {
		s = strings.ReplaceAll(s, m.Secret(), "[redacted "+m.Fingerprint+"]")
	}
	return s
}

func scrubAll(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = scrub(s)
	}
	return out
}

// budget is the hourly upload limit: GitHub's x-ratelimit-* for
// code_scanning_upload when it sends them, else a count of this run's
// uploads against the documented limit.
type budget struct {
	api   API
	now   func() time.Time
	limit int

	mu       sync.Mutex
	used     int
	inflight int
	first    time.Time
	stopped  bool
	reset    time.Time
}

// acquire reserves one upload; false (with the reset time) when none is
// left.
func (b *budget) acquire() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return b.reset, false
	}
	now := b.now()
	if b.first.IsZero() {
		b.first = now
	}
	avail, reset := b.limit-b.used-b.inflight, b.first.Add(time.Hour)
	if bu, ok := b.api.UploadBudget(); ok {
		// GitHub's count includes uploads by other runs with the same
		// identity; responses still in flight are not in it yet.
		avail, reset = bu.Remaining-b.inflight, bu.Reset
		if !bu.Reset.After(now) {
			avail = bu.Limit - b.inflight // the window has reset
		}
	}
	if avail <= 0 {
		b.stopped, b.reset = true, reset
		return reset, false
	}
	b.inflight++
	return time.Time{}, true
}

func (b *budget) release(made bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	if made {
		b.used++
	}
}

// stop ends uploading until reset (GitHub said the budget is spent).
func (b *budget) stop(reset time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped, b.reset = true, reset
}

func (b *budget) stoppedUntil() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reset, b.stopped
}
