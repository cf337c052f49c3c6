package fakegithub

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const (
	tokSecEvents  = "ghp_securityEvents0000000000000000000000" // classic, security_events
	tokPublicRepo = "ghp_publicRepoOnly0000000000000000000000" // classic, public_repo
	tokReadOrg    = "ghp_readOrgOnly0000000000000000000000000" // classic, read:org
	tokFGWrite    = "github_pat_codeScanningWrite"             // fine-grained, security_events write
	tokFGRead     = "github_pat_codeScanningRead"              // fine-grained, security_events read
)

func codeScanningState() *State {
	files := map[string]string{"README.md": "# x\n"}
	o := &Org{Login: "acme", Repos: []*Repo{
		{Name: "web", Files: files},
		{Name: "api", Visibility: "private", Files: files},
		{Name: "old", Archived: true, Files: files},
		{Name: "locked", Visibility: "private", CodeScanningDisabled: true, Files: files},
		{Name: "void", Empty: true},
	}}
	return &State{
		Orgs: map[string]*Org{"acme": o},
		Tokens: map[string]*Token{
			tokAdmin:      {Kind: KindClassic, Login: "octo-admin", Scopes: []string{"repo"}},
			tokSecEvents:  {Kind: KindClassic, Login: "uploader", Scopes: []string{"security_events"}},
			tokPublicRepo: {Kind: KindClassic, Login: "public", Scopes: []string{"public_repo"}},
			tokReadOrg:    {Kind: KindClassic, Login: "reader", Scopes: []string{"read:org"}},
			tokFGWrite:    {Kind: KindFineGrained, Login: "fg", Org: "acme", Permissions: map[string]string{"security_events": "write"}},
			tokFGRead:     {Kind: KindFineGrained, Login: "fg-read", Org: "acme", Permissions: map[string]string{"security_events": "read"}},
		},
	}
}

// sarifBody is an upload request for a SARIF document.
func sarifBody(t *testing.T, commit, ref, doc string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{"commit_sha": commit, "ref": ref, "sarif": base64.StdEncoding.EncodeToString(buf.Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	oneResult = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan","rules":[]}},"automationDetails":{"id":"tpscan/org/"},` +
		`"results":[{"ruleId":"TP001","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.yml"},"region":{"startLine":1}}}]}]}]}`
	noResults  = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan"}},"automationDetails":{"id":"tpscan/org/"},"results":[]}]}`
	noRuns     = `{"version":"2.1.0","runs":[]}`
	noLocation = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan"}},"results":[{"message":{"text":"m"}}]}]}`
	noURI      = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"tpscan"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":1}}}]}]}]}`
)

func TestSARIFUploadRefusals(t *testing.T) {
	for _, ghes := range []bool{false, true} {
		s := New(codeScanningState(), Options{GHES: ghes, Validator: LoadValidator(t), SARIFMaxBytes: 400})
		s.Start(t)
		head := s.HeadCommit("acme", "web")
		if len(head) != 40 {
			t.Fatalf("head commit %q", head)
		}
		up := func(token, repo, body string) result {
			return do(t, "POST", s.URL()+"repos/acme/"+repo+"/code-scanning/sarifs", token, body, "Content-Type", "application/json")
		}
		ok := sarifBody(t, head, "refs/heads/main", oneResult)
		big := sarifBody(t, head, "refs/heads/main", `{"version":"2.1.0","runs":[],"x":"`+strings.Repeat("0123456789abcdef", 200)+pseudoRandom(600)+`"}`)
		disabledMsg := msgCodeSecurityDisabled
		if ghes {
			disabledMsg = msgGHASDisabled
		}
		for _, tc := range []struct {
			name, token, repo, body string
			status                  int
			message                 string
			header                  [2]string
		}{
			{"security_events", tokSecEvents, "web", ok, 202, "", [2]string{"X-RateLimit-Resource", "code_scanning_upload"}},
			{"repo includes security_events", tokAdmin, "web", ok, 202, "", [2]string{}},
			{"public_repo on a public repository", tokPublicRepo, "web", ok, 202, "", [2]string{}},
			{"fine-grained write", tokFGWrite, "web", ok, 202, "", [2]string{"X-Accepted-GitHub-Permissions", "security_events=write"}},
			{"no scope", tokReadOrg, "web", ok, 403, "Resource not accessible by personal access token", [2]string{"X-Accepted-OAuth-Scopes", "security_events"}},
			{"fine-grained read only", tokFGRead, "web", ok, 403, "Resource not accessible by personal access token", [2]string{"X-Accepted-GitHub-Permissions", "security_events=write"}},
			{"private without repo scope is invisible", tokPublicRepo, "api", ok, 404, "Not Found", [2]string{}},
			{"unknown repository", tokAdmin, "nope", ok, 404, "Not Found", [2]string{}},
			{"archived", tokAdmin, "old", sarifBody(t, s.HeadCommit("acme", "old"), "refs/heads/main", oneResult), 403, msgArchived, [2]string{}},
			{"code scanning disabled", tokAdmin, "locked", sarifBody(t, s.HeadCommit("acme", "locked"), "refs/heads/main", oneResult), 403, disabledMsg, [2]string{}},
			{"commit not in the repository", tokAdmin, "web", sarifBody(t, strings.Repeat("ab", 20), "refs/heads/main", oneResult), 400, "No commit found for SHA", [2]string{}},
			{"empty repository has no commit", tokAdmin, "void", sarifBody(t, head, "refs/heads/main", oneResult), 400, "No commit found", [2]string{}},
			{"short commit", tokAdmin, "web", sarifBody(t, head[:7], "refs/heads/main", oneResult), 422, "does not match", [2]string{}},
			{"bare branch name", tokAdmin, "web", sarifBody(t, head, "main", oneResult), 422, "main does not match", [2]string{}},
			{"missing sarif", tokAdmin, "web", `{"commit_sha":"` + head + `","ref":"refs/heads/main"}`, 422, `"sarif" wasn't supplied`, [2]string{}},
			{"not base64", tokAdmin, "web", `{"commit_sha":"` + head + `","ref":"refs/heads/main","sarif":"%%%"}`, 400, "not base64", [2]string{}},
			{"not gzip", tokAdmin, "web", `{"commit_sha":"` + head + `","ref":"refs/heads/main","sarif":"aGVsbG8="}`, 400, "not gzip", [2]string{}},
			{"not JSON", tokAdmin, "web", sarifBody(t, head, "refs/heads/main", "{"), 400, "not a JSON document", [2]string{}},
			{"wrong version", tokAdmin, "web", sarifBody(t, head, "refs/heads/main", `{"version":"2.0.0","runs":[]}`), 400, "only 2.1.0", [2]string{}},
			{"too large", tokAdmin, "web", big, 413, "Payload Too Large", [2]string{}},
			{"no credential", "", "web", ok, 401, "Requires authentication", [2]string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := up(tc.token, tc.repo, tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if tc.message != "" && !strings.Contains(dig(r.json(t), "message").(string), tc.message) {
					t.Errorf("message %s, want %q", r.body, tc.message)
				}
				if tc.status == 202 {
					m := r.json(t)
					id, _ := m["id"].(string)
					if id == "" || m["url"] != s.URL()+"repos/acme/"+tc.repo+"/code-scanning/sarifs/"+id {
						t.Errorf("receipt %s", r.body)
					}
				}
				if h := tc.header; h[0] != "" && r.header.Get(h[0]) != h[1] {
					t.Errorf("%s = %q, want %q", h[0], r.header.Get(h[0]), h[1])
				}
			})
		}
		if n := len(s.SARIFUploads()); n != 4 {
			t.Errorf("%d uploads recorded, want the 4 accepted ones", n)
		}
		for _, v := range s.Violations() {
			t.Errorf("GHES=%v: violation: %s", ghes, v)
		}
	}
}

// pseudoRandom is incompressible-enough text of n bytes, the same every run.
func pseudoRandom(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%64]
	}
	return string(b)
}

func TestSARIFProcessing(t *testing.T) {
	s := New(codeScanningState(), Options{Validator: LoadValidator(t), SARIFPendingPolls: 2})
	s.Start(t)
	head := s.HeadCommit("acme", "web")
	for _, tc := range []struct {
		name, doc string
		status    string
		errors    []string
		results   int
	}{
		{"one result", oneResult, "complete", nil, 1},
		{"zero results close alerts", noResults, "complete", nil, 0},
		{"no runs", noRuns, "failed", []string{msgNoRuns}, 0},
		{"result without a location", noLocation, "failed", []string{msgNoLocation}, 1},
		{"location without a file", noURI, "failed", []string{msgNoArtifact}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, "POST", s.URL()+"repos/acme/web/code-scanning/sarifs", tokFGWrite, sarifBody(t, head, "refs/heads/main", tc.doc))
			if r.status != 202 {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			id := dig(r.json(t), "id").(string)
			var last map[string]any
			var seen []string
			for i := 0; i < 3; i++ {
				g := get(t, s, tokFGRead, "repos/acme/web/code-scanning/sarifs/"+id)
				if g.status != 200 {
					t.Fatalf("status read: %d %s", g.status, g.body)
				}
				last = g.json(t)
				seen = append(seen, last["processing_status"].(string))
			}
			if want := "pending pending " + tc.status; strings.Join(seen, " ") != want {
				t.Errorf("statuses %v, want %s", seen, want)
			}
			var errs []string
			if e, ok := last["errors"].([]any); ok {
				for _, x := range e {
					errs = append(errs, x.(string))
				}
			}
			if strings.Join(errs, "|") != strings.Join(tc.errors, "|") {
				t.Errorf("errors %v, want %v", errs, tc.errors)
			}
			if url, _ := last["analyses_url"].(string); (tc.status == "complete") != strings.Contains(url, "analyses?sarif_id="+id) {
				t.Errorf("analyses_url %q", url)
			}
			ups := s.SARIFUploads()
			u := ups[len(ups)-1]
			if u.ID != id || u.Repo != "acme/web" || u.CommitSHA != head || u.Ref != "refs/heads/main" || u.Results != tc.results || u.ProcessingStatus != tc.status {
				t.Errorf("recorded %+v", u)
			}
		})
	}
	if u := s.SARIFUploads()[0]; u.Category != "tpscan/org" || u.Tool != "tpscan" || u.Runs != 1 {
		t.Errorf("category/tool/runs: %+v", u)
	}
	for _, tc := range []struct {
		name, token, path string
		status            int
	}{
		{"unknown id", tokFGRead, "repos/acme/web/code-scanning/sarifs/00000000-0000-4000-8000-000000000000", 404},
		{"id of another repository", tokAdmin, "repos/acme/api/code-scanning/sarifs/" + s.SARIFUploads()[0].ID, 404},
		{"disabled", tokAdmin, "repos/acme/locked/code-scanning/sarifs/x", 403},
		{"no scope", tokReadOrg, "repos/acme/web/code-scanning/sarifs/" + s.SARIFUploads()[0].ID, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := get(t, s, tc.token, tc.path); r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	for _, v := range s.Violations() {
		t.Errorf("violation: %s", v)
	}
}

func TestSARIFHourlyLimit(t *testing.T) {
	clock := &testClock{t: fixedNow}
	s := New(codeScanningState(), Options{Validator: LoadValidator(t), SARIFUploadsPerHour: 2, Now: clock.Now})
	s.Start(t)
	body := sarifBody(t, s.HeadCommit("acme", "web"), "refs/heads/main", noResults)
	var got []int
	var last result
	for i := 0; i < 3; i++ {
		last = do(t, "POST", s.URL()+"repos/acme/web/code-scanning/sarifs", tokSecEvents, body)
		got = append(got, last.status)
	}
	if got[0] != 202 || got[1] != 202 || got[2] != 403 {
		t.Fatalf("statuses %v, want 202 202 403", got)
	}
	h := last.header
	if h.Get("X-RateLimit-Resource") != uploadResource || h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Limit") != "2" {
		t.Errorf("limit headers %v", h)
	}
	if !strings.Contains(string(last.body), "API rate limit exceeded") {
		t.Errorf("body %s", last.body)
	}
	// Uploads have their own budget: other requests still go through.
	if r := get(t, s, tokSecEvents, "repos/acme/web"); r.status != 200 || r.header.Get("X-RateLimit-Resource") != "core" {
		t.Errorf("core request: %d %s", r.status, r.header.Get("X-RateLimit-Resource"))
	}
	clock.Set(fixedNow.Add(time.Hour + time.Second))
	if r := do(t, "POST", s.URL()+"repos/acme/web/code-scanning/sarifs", tokSecEvents, body); r.status != 202 {
		t.Errorf("after the reset: %d %s", r.status, r.body)
	}
	for _, v := range s.Violations() {
		t.Errorf("violation: %s", v)
	}
}
