package github_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/internal/fakegithub"
	"github.com/tpscan/tpscan/reports/codescanning"
	"github.com/tpscan/tpscan/scanner/github"
)

const (
	uploadToken   = "ghp_UploadUploadUploadUploadUpload012345"
	noScopeToken  = "ghp_NoScopeNoScopeNoScopeNoScopeNo012345"
	fgUploadToken = "github_pat_11UploadOnlyFineGrained0123456789"
)

func uploadState() *fakegithub.State {
	st := smallOrg()
	st.Tokens[uploadToken] = &fakegithub.Token{Kind: fakegithub.KindClassic, Login: "uploader", Scopes: []string{"security_events"}}
	st.Tokens[noScopeToken] = &fakegithub.Token{Kind: fakegithub.KindClassic, Login: "reader", Scopes: []string{"read:org"}}
	st.Tokens[fgUploadToken] = &fakegithub.Token{Kind: fakegithub.KindFineGrained, Login: "fg", Org: "acme", Permissions: map[string]string{"security_events": "read"}}
	return st
}

func encoded(t *testing.T, doc string) string {
	t.Helper()
	s, _, err := codescanning.Encode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const emptyRun = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan"}},"automationDetails":{"id":"tpscan/org/"},"results":[]}]}`

func TestUploadSARIFThroughTheClient(t *testing.T) {
	srv := fakegithub.New(uploadState(), fakegithub.Options{Validator: fakegithub.LoadValidator(t)})
	srv.Start(t)
	c := newClient(t, srv, uploadToken, nil)
	ctx := context.Background()
	head := srv.HeadCommit("acme", "web")
	rec, err := c.UploadSARIF(ctx, "acme", "web", &github.SARIFUpload{CommitSHA: head, Ref: "refs/heads/main", SARIF: encoded(t, emptyRun), ToolName: "tpscan"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID == "" || !strings.HasSuffix(rec.URL, "/code-scanning/sarifs/"+rec.ID) {
		t.Errorf("receipt %+v", rec)
	}
	var seen []string
	for i := 0; i < 2; i++ {
		st, err := c.SARIFStatus(ctx, "acme", "web", rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, st.ProcessingStatus)
		if st.ProcessingStatus == "complete" && !strings.Contains(st.AnalysesURL, "sarif_id="+rec.ID) {
			t.Errorf("analyses URL %q", st.AnalysesURL)
		}
	}
	if strings.Join(seen, " ") != "pending complete" {
		t.Errorf("statuses %v", seen)
	}
	b, ok := c.UploadBudget()
	if !ok || b.Limit != 1000 || b.Remaining != 999 {
		t.Errorf("upload budget %+v %v", b, ok)
	}
	if up := srv.SARIFUploads(); len(up) != 1 || up[0].CommitSHA != head || up[0].Category != "tpscan/org" || up[0].ToolName != "tpscan" {
		t.Errorf("recorded %+v", up)
	}
	if got := c.Stats().Requests; got["sarif-upload"] != 1 || got["sarif-status"] != 2 {
		t.Errorf("request kinds %v", got)
	}
	for _, v := range srv.Violations() {
		t.Errorf("OpenAPI: %s", v)
	}
}

func TestUploadSARIFRefusals(t *testing.T) {
	srv := fakegithub.New(uploadState(), fakegithub.Options{Validator: fakegithub.LoadValidator(t)})
	srv.Start(t)
	head := srv.HeadCommit("acme", "web")
	bad := "ghp_WrongWrongWrongWrongWrongWrongWrong12"
	for _, tc := range []struct {
		name, token string
		status      int
		check       func(*github.APIError) bool
	}{
		{"classic without security_events", noScopeToken, 403, func(e *github.APIError) bool {
			return e.AcceptedScopes == "security_events" && e.TokenScopes == "read:org"
		}},
		{"fine-grained with read only", fgUploadToken, 403, func(e *github.APIError) bool { return e.AcceptedPermissions == "security_events=write" }},
		{"bad credential", bad, 401, func(e *github.APIError) bool { return e.Message == "Bad credentials" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, tc.token, nil)
			_, err := c.UploadSARIF(context.Background(), "acme", "web", &github.SARIFUpload{CommitSHA: head, Ref: "refs/heads/main", SARIF: encoded(t, emptyRun)})
			var ae *github.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || !tc.check(ae) {
				t.Fatalf("err %v (%+v)", err, ae)
			}
			if strings.Contains(err.Error(), tc.token) || !strings.Contains(err.Error(), "acme/web") {
				t.Errorf("error %q: shows the token, or not the repository", err)
			}
		})
	}
	for _, v := range srv.Violations() {
		t.Errorf("OpenAPI: %s", v)
	}
}

// TestUploadSARIFBudgetSpent: GitHub's upload budget is separate from core,
// and once spent the limiter does not wait an hour for it: it says when.
func TestUploadSARIFBudgetSpent(t *testing.T) {
	srv := fakegithub.New(uploadState(), fakegithub.Options{SARIFUploadsPerHour: 1})
	srv.Start(t)
	c := newClient(t, srv, uploadToken, nil)
	head := srv.HeadCommit("acme", "web")
	up := &github.SARIFUpload{CommitSHA: head, Ref: "refs/heads/main", SARIF: encoded(t, emptyRun)}
	if _, err := c.UploadSARIF(context.Background(), "acme", "web", up); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := c.UploadSARIF(context.Background(), "acme", "web", up)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Resource != github.UploadResource || rl.Reset.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the client waited %s for a budget an hour away", time.Since(start))
	}
	if len(srv.SARIFUploads()) != 1 {
		t.Errorf("uploads %d", len(srv.SARIFUploads()))
	}
}
