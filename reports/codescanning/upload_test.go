package codescanning

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tpscan/tpscan/scanner/github"
)

// clock is a fake clock: Sleep moves it forward and records the waits.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// fakeAPI answers uploads per repository and statuses from a script.
type fakeAPI struct {
	mu       sync.Mutex
	uploads  []string // repositories, in order
	bodies   []github.SARIFUpload
	polls    int
	inflight int
	maxIn    int
	// refuse: repository -> error of its upload.
	refuse map[string]error
	// statuses are served in turn for every upload; the last one repeats.
	statuses []github.SARIFStatus
	// budget, when set, is what GitHub says about the upload budget; each
	// upload lowers Remaining.
	budget *github.BudgetUse
	hold   time.Duration // real time an upload takes (concurrency test)
}

func (a *fakeAPI) UploadSARIF(ctx context.Context, owner, repo string, u *github.SARIFUpload) (*github.SARIFReceipt, error) {
	a.mu.Lock()
	a.inflight++
	a.maxIn = max(a.maxIn, a.inflight)
	a.mu.Unlock()
	if a.hold > 0 {
		time.Sleep(a.hold)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	full := owner + "/" + repo
	if err := a.refuse[full]; err != nil {
		return nil, err
	}
	a.uploads = append(a.uploads, full)
	a.bodies = append(a.bodies, *u)
	if a.budget != nil {
		a.budget.Remaining--
	}
	id := fmt.Sprintf("id-%d", len(a.uploads))
	return &github.SARIFReceipt{ID: id, URL: "https://api.example/repos/" + full + "/code-scanning/sarifs/" + id}, nil
}

func (a *fakeAPI) SARIFStatus(ctx context.Context, owner, repo, id string) (*github.SARIFStatus, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := min(a.polls, len(a.statuses)-1)
	a.polls++
	st := a.statuses[i]
	return &st, nil
}

func (a *fakeAPI) UploadBudget() (github.BudgetUse, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.budget == nil {
		return github.BudgetUse{}, false
	}
	return *a.budget, true
}

var (
	pending  = github.SARIFStatus{ProcessingStatus: "pending"}
	complete = github.SARIFStatus{ProcessingStatus: "complete", AnalysesURL: "https://api.example/analyses?sarif_id=x"}
)

// files builds uploadable files for the repositories, plus the refused
// ones given as "!repo".
func files(t *testing.T, repos ...string) []*File {
	t.Helper()
	var out []*File
	for _, name := range repos {
		r := good()
		r.repo = strings.TrimPrefix(name, "!")
		if strings.HasPrefix(name, "!") {
			r.partial, r.missing = true, []string{"variables: " + canary}
		}
		f := Parse(r.repo+".sarif", sarifDoc(t, r), ReadOptions{})
		if (f.Problem == "") == strings.HasPrefix(name, "!") {
			t.Fatalf("%s: problem %q", name, f.Problem)
		}
		out = append(out, f)
	}
	return out
}

func TestUploadWaitsForProcessing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []github.SARIFStatus
		wait     bool
		status   Status
		sleeps   string
		errors   []string
	}{
		{name: "complete after two pending", statuses: []github.SARIFStatus{pending, pending, complete}, wait: true, status: Accepted, sleeps: "3s 6s 12s"},
		{name: "complete at once", statuses: []github.SARIFStatus{complete}, wait: true, status: Accepted, sleeps: "3s"},
		{name: "failed", statuses: []github.SARIFStatus{pending, {ProcessingStatus: "failed", Errors: []string{"locationFromSarifResult: expected at least one location"}}},
			wait: true, status: Failed, sleeps: "3s 6s", errors: []string{"locationFromSarifResult: expected at least one location"}},
		// 3+6+12+20+20+20+20+20 = 121 s: the first poll at or past the
		// two-minute bound ends the wait.
		{name: "still pending at the bound", statuses: []github.SARIFStatus{pending}, wait: true, status: Processing, sleeps: "3s 6s 12s 20s 20s 20s 20s 20s"},
		{name: "not waiting", statuses: []github.SARIFStatus{complete}, wait: false, status: Uploaded, sleeps: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0}
			api := &fakeAPI{statuses: tc.statuses}
			rep := Upload(context.Background(), api, files(t, "acme/web"), Options{Wait: tc.wait, Now: c.Now, Sleep: c.Sleep})
			r := rep.Results[0]
			if r.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", r.Status, r.Reason, tc.status)
			}
			var sl []string
			for _, d := range c.sleeps {
				sl = append(sl, d.String())
			}
			if got := strings.Join(sl, " "); got != tc.sleeps {
				t.Errorf("sleeps %q, want %q", got, tc.sleeps)
			}
			if strings.Join(r.Errors, "|") != strings.Join(tc.errors, "|") {
				t.Errorf("errors %v, want %v", r.Errors, tc.errors)
			}
			if tc.status == Accepted && r.AnalysesURL != complete.AnalysesURL {
				t.Errorf("analyses URL %q", r.AnalysesURL)
			}
			if tc.status == Processing && !strings.Contains(r.Reason, "still processing it after 2m0s") {
				t.Errorf("reason %q", r.Reason)
			}
			if r.SARIFID != "id-1" || rep.OK() != tc.status.OK() {
				t.Errorf("id %q, OK %v", r.SARIFID, rep.OK())
			}
			b := api.bodies[0]
			if b.CommitSHA != testCommit || b.Ref != "refs/heads/main" || b.ToolName != "tpscan" {
				t.Errorf("request %+v", b)
			}
			if raw, err := Decode(b.SARIF); err != nil || !strings.Contains(string(raw), `"tpscan/repository":"acme/web"`) {
				t.Errorf("the request's sarif does not decode to the file: %v", err)
			}
		})
	}
}

func TestUploadRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status Status
		reason string
	}{
		{"archived", &github.APIError{Status: 403, Message: "Repository was archived so is read-only."}, Refused, "the repository is archived"},
		{"GHAS off", &github.APIError{Status: 403, Message: "Advanced Security must be enabled for this repository to use code scanning."}, Refused, "code scanning is not enabled"},
		{"Code Security off", &github.APIError{Status: 403, Message: "Code Security must be enabled for this repository to use code scanning."}, Refused, "code scanning is not enabled"},
		{"fine-grained permission", &github.APIError{Status: 403, Message: "Resource not accessible by personal access token", AcceptedPermissions: "security_events=write"},
			Refused, `needs the "security_events=write" permission ("Code scanning alerts: write"`},
		{"classic scope", &github.APIError{Status: 403, Message: "Resource not accessible by personal access token", AcceptedScopes: "security_events", TokenScopes: "read:org"},
			Refused, "needs the security_events scope (the token has: read:org)"},
		{"no headers", &github.APIError{Status: 403, Message: "Forbidden"}, Refused, "security_events scope"},
		{"invisible", &github.APIError{Status: 404, Message: "Not Found"}, Refused, "repository not found, or the credential cannot see it"},
		{"too large", &github.APIError{Status: 413, Message: "Payload Too Large"}, Refused, "too large for GitHub (HTTP 413)"},
		{"bad SARIF", &github.APIError{Status: 400, Message: "No commit found for SHA: abc"}, Refused, "GitHub rejected the upload (HTTP 400) (GitHub: No commit found for SHA: abc)"},
		{"server error", &github.APIError{Status: 503, Message: "Service Unavailable"}, Error, "GitHub failed (HTTP 503)"},
		{"network", errors.New("dial tcp: connection refused"), Error, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{refuse: map[string]error{"acme/web": tc.err}, statuses: []github.SARIFStatus{complete}}
			rep := Upload(context.Background(), api, files(t, "acme/web", "acme/api"), Options{Wait: true, Sleep: (&clock{t: t0}).Sleep})
			r := rep.Results[0]
			if r.Status != tc.status || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("%s %q, want %s %q", r.Status, r.Reason, tc.status, tc.reason)
			}
			if r.Err == nil || !strings.HasPrefix(r.Err.Error(), "acme/web: ") {
				t.Errorf("error not wrapped with the repository: %v", r.Err)
			}
			if rep.Results[1].Status != Accepted || rep.OK() {
				t.Errorf("the other file: %s; OK %v", rep.Results[1].Status, rep.OK())
			}
		})
	}
}

func TestUploadBadCredentialStops(t *testing.T) {
	api := &fakeAPI{refuse: map[string]error{"acme/a": &github.APIError{Status: 401, Message: "Bad credentials"}}, statuses: []github.SARIFStatus{complete}}
	rep := Upload(context.Background(), api, files(t, "acme/a", "acme/b", "acme/c"), Options{Concurrency: 1})
	if !rep.AuthFailed || rep.Results[0].Status != Refused || rep.Results[1].Status != NotUploaded || rep.Results[2].Status != NotUploaded {
		t.Errorf("%+v", rep)
	}
	if len(api.uploads) != 0 {
		t.Errorf("uploads after a 401: %v", api.uploads)
	}
}

func TestUploadSkipsAndDryRun(t *testing.T) {
	fs := files(t, "acme/web", "!acme/partial")
	api := &fakeAPI{statuses: []github.SARIFStatus{complete}}
	rep := Upload(context.Background(), api, fs, Options{})
	p := rep.Results[1]
	if p.Status != Skipped || !strings.HasPrefix(p.Reason, "partial: ") || len(p.Missing) != 1 {
		t.Errorf("partial: %+v", p)
	}
	if strings.Contains(p.Reason+strings.Join(p.Missing, ""), canary) || !strings.Contains(p.Reason, "[redacted ") {
		t.Errorf("a token in the missing list is printed: %q %q", p.Reason, p.Missing)
	}
	if len(api.uploads) != 1 || api.uploads[0] != "acme/web" {
		t.Errorf("uploads %v", api.uploads)
	}
	// A dry run needs no API at all.
	dry := Upload(context.Background(), nil, fs, Options{DryRun: true, Wait: true})
	if dry.Results[0].Status != WouldUpload || dry.Results[1].Status != Skipped || dry.OK() {
		t.Errorf("dry run: %+v", dry.Results)
	}
	if c := dry.Counts(); c[WouldUpload] != 1 || c[Skipped] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestUploadHourlyBudget(t *testing.T) {
	reset := t0.Add(40 * time.Minute)
	for _, tc := range []struct {
		name    string
		api     *fakeAPI
		opts    Options
		want    int // uploads made
		resetAt time.Time
	}{
		// GHES without rate limiting sends no headers: count.
		{"counted", &fakeAPI{statuses: []github.SARIFStatus{complete}}, Options{HourlyLimit: 3}, 3, t0.Add(time.Hour)},
		// GitHub's headers win over the count (another job may have spent
		// part of the hour).
		{"from headers", &fakeAPI{statuses: []github.SARIFStatus{complete}, budget: &github.BudgetUse{Limit: 1000, Remaining: 2, Reset: reset}}, Options{}, 2, reset},
		{"the limiter gave up", &fakeAPI{statuses: []github.SARIFStatus{complete}, refuse: map[string]error{
			"acme/r2": &github.RateLimitError{Resource: github.UploadResource, Reset: reset}}}, Options{}, 2, reset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{t: t0}
			tc.opts.Concurrency, tc.opts.Now, tc.opts.Sleep = 1, c.Now, c.Sleep
			rep := Upload(context.Background(), tc.api, files(t, "acme/r0", "acme/r1", "acme/r2", "acme/r3", "acme/r4"), tc.opts)
			if len(tc.api.uploads) != tc.want {
				t.Errorf("%d uploads, want %d", len(tc.api.uploads), tc.want)
			}
			if rep.LimitReset == nil || !rep.LimitReset.Equal(tc.resetAt) {
				t.Fatalf("limit reset %v, want %v", rep.LimitReset, tc.resetAt)
			}
			n := 0
			for _, r := range rep.Results {
				if r.Status == NotUploaded {
					n++
					if want := "re-run after " + tc.resetAt.Format("15:04") + " UTC"; !strings.HasSuffix(r.Reason, want) || !r.RetryAfter.Equal(tc.resetAt) {
						t.Errorf("reason %q, want …%q", r.Reason, want)
					}
				}
			}
			if n != 5-tc.want {
				t.Errorf("%d not uploaded: %+v", n, rep.Results)
			}
		})
	}
}

func TestUploadConcurrencyBound(t *testing.T) {
	var repos []string
	for i := 0; i < 12; i++ {
		repos = append(repos, fmt.Sprintf("acme/r%02d", i))
	}
	api := &fakeAPI{statuses: []github.SARIFStatus{complete}, hold: 20 * time.Millisecond}
	rep := Upload(context.Background(), api, files(t, repos...), Options{Concurrency: 3})
	if !rep.OK() || len(api.uploads) != 12 {
		t.Fatalf("%+v", rep.Counts())
	}
	if api.maxIn > 3 || api.maxIn < 2 {
		t.Errorf("%d uploads in flight at most, want up to 3", api.maxIn)
	}
	for i, r := range rep.Results {
		if r.Repo != repos[i] {
			t.Errorf("result %d is %s: results must keep the files' order", i, r.Repo)
		}
	}
}

func TestUploadInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	api := &fakeAPI{statuses: []github.SARIFStatus{complete}}
	rep := Upload(ctx, api, files(t, "acme/a", "acme/b"), Options{})
	for _, r := range rep.Results {
		if r.Status != NotUploaded || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%+v", r)
		}
	}
	if len(api.uploads) != 0 {
		t.Errorf("uploads %v", api.uploads)
	}
}
