package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestResolveCredentialOrder(t *testing.T) {
	hosts := []byte("github.com:\n    oauth_token: gho_fromhostsfile\n    user: me\nghe.example.com:\n    oauth_token: gho_enterprisehosts\n")
	tests := []struct {
		name       string
		host       string
		env        map[string]string
		hosts      []byte
		gh         string
		wantSource string
		wantNote   bool
		wantErr    bool
	}{
		{name: "GH_TOKEN first", env: map[string]string{"GH_TOKEN": "ghp_a", "GITHUB_TOKEN": "ghp_b"}, hosts: hosts, wantSource: "GH_TOKEN"},
		{name: "GITHUB_TOKEN second", env: map[string]string{"GITHUB_TOKEN": "ghp_b"}, hosts: hosts, wantSource: "GITHUB_TOKEN"},
		{name: "hosts.yml third", env: map[string]string{"HOME": "/home/u"}, hosts: hosts, gh: "gho_cli", wantSource: "gh hosts.yml"},
		{name: "gh auth token last", env: map[string]string{"HOME": "/home/u"}, gh: "gho_cli", wantSource: "gh auth token"},
		{name: "nothing", env: map[string]string{}, wantErr: true},
		{name: "enterprise prefers GH_ENTERPRISE_TOKEN", host: "ghe.example.com",
			env: map[string]string{"GH_TOKEN": "ghp_a", "GH_ENTERPRISE_TOKEN": "ghp_e"}, wantSource: "GH_ENTERPRISE_TOKEN"},
		{name: "enterprise hosts.yml before GH_TOKEN", host: "ghe.example.com",
			env: map[string]string{"GH_TOKEN": "ghp_a", "HOME": "/home/u"}, hosts: hosts, wantSource: "gh hosts.yml"},
		{name: "enterprise falls back to GH_TOKEN with a note", host: "ghe.example.com",
			env: map[string]string{"GH_TOKEN": "ghp_a"}, wantSource: "GH_TOKEN", wantNote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := AuthOptions{Host: tt.host, Getenv: func(k string) string { return tt.env[k] },
				ReadFile: func(p string) ([]byte, error) {
					if tt.hosts == nil || p != filepath.Join("/home/u", ".config", "gh", "hosts.yml") {
						return nil, os.ErrNotExist
					}
					return tt.hosts, nil
				},
				RunGH: func(ctx context.Context, args ...string) ([]byte, error) {
					if tt.gh == "" {
						return nil, errors.New("not logged in")
					}
					return []byte(tt.gh + "\n"), nil
				}}
			c, err := ResolveCredential(context.Background(), o)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %v, want an error", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Source != tt.wantSource || (c.Note != "") != tt.wantNote {
				t.Errorf("source %q note %q, want %q (note %v)", c.Source, c.Note, tt.wantSource, tt.wantNote)
			}
			if strings.Contains(c.String(), c.token) {
				t.Errorf("String() shows the token: %s", c)
			}
		})
	}
}

func TestAPIURLs(t *testing.T) {
	tests := []struct{ in, rest, graphql, host string }{
		{"", "https://api.github.com/", "https://api.github.com/graphql", "github.com"},
		{"https://github.com", "https://api.github.com/", "https://api.github.com/graphql", "github.com"},
		{"github.example.com", "https://github.example.com/api/v3/", "https://github.example.com/api/graphql", "github.example.com"},
		{"https://github.example.com/api/v3/", "https://github.example.com/api/v3/", "https://github.example.com/api/graphql", "github.example.com"},
		{"https://acme.ghe.com", "https://api.acme.ghe.com/", "https://api.acme.ghe.com/graphql", "acme.ghe.com"},
	}
	for _, tt := range tests {
		rest, gql, host, err := APIURLs(tt.in)
		if err != nil || rest != tt.rest || gql != tt.graphql || host != tt.host {
			t.Errorf("APIURLs(%q) = %q %q %q %v, want %q %q %q", tt.in, rest, gql, host, err, tt.rest, tt.graphql, tt.host)
		}
	}
	if _, _, _, err := APIURLs("https://user:ghp_secret@github.example.com"); err == nil {
		t.Error("a URL with credentials must be refused")
	}
}

// fakeClock lets limiter tests wait without waiting.
type fakeClock struct {
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept += d
	c.now = c.now.Add(d)
	return ctx.Err()
}

func TestLimiterRetriesSecondaryLimitsAndServerErrors(t *testing.T) {
	tests := []struct {
		name      string
		responses []func(w http.ResponseWriter)
		wantCode  int
		wantErr   bool
		minSleep  time.Duration
	}{
		{name: "403 secondary with Retry-After", responses: []func(http.ResponseWriter){
			secondary(403, "7"), ok}, wantCode: 200, minSleep: 7 * time.Second},
		{name: "429 secondary without Retry-After waits a minute", responses: []func(http.ResponseWriter){
			secondary(429, ""), ok}, wantCode: 200, minSleep: time.Minute},
		{name: "5xx burst", responses: []func(http.ResponseWriter){
			statusCode(502), statusCode(503), ok}, wantCode: 200},
		{name: "permission 403 passes through", responses: []func(http.ResponseWriter){
			func(w http.ResponseWriter) {
				w.Header().Set("X-Accepted-GitHub-Permissions", "secrets=read")
				w.WriteHeader(403)
				io.WriteString(w, `{"message":"Resource not accessible by personal access token"}`)
			}}, wantCode: 403},
		{name: "primary limit beyond MaxWait fails", responses: []func(http.ResponseWriter){
			func(w http.ResponseWriter) {
				w.Header().Set("X-Ratelimit-Remaining", "0")
				w.Header().Set("X-Ratelimit-Limit", "5000")
				w.Header().Set("X-Ratelimit-Reset", fmt.Sprint(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC).Unix()))
				w.WriteHeader(403)
				io.WriteString(w, `{"message":"API rate limit exceeded for user ID 1."}`)
			}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if i >= len(tt.responses) {
					i = len(tt.responses) - 1
				}
				tt.responses[i](w)
			}))
			defer srv.Close()
			clk := &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
			lim := newLimiter(http.DefaultTransport, newStats(), LimitConfig{Now: clk.Now, Sleep: clk.Sleep, MaxWait: 10 * time.Minute})
			req, _ := http.NewRequest("GET", srv.URL, nil)
			resp, err := lim.RoundTrip(req)
			if tt.wantErr {
				var rl *RateLimitError
				if !errors.As(err, &rl) {
					t.Fatalf("err = %v, want a RateLimitError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if clk.slept < tt.minSleep {
				t.Errorf("slept %v, want at least %v", clk.slept, tt.minSleep)
			}
		})
	}
}

func ok(w http.ResponseWriter) { io.WriteString(w, `{}`) }

func statusCode(code int) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) { w.WriteHeader(code) }
}

func secondary(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("X-Ratelimit-Remaining", "4000")
		w.WriteHeader(code)
		io.WriteString(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
	}
}

func TestLimiterSlowsDownBeforeTheLimit(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	reset := clk.now.Add(10 * time.Minute)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Ratelimit-Limit", "5000")
		w.Header().Set("X-Ratelimit-Remaining", "100") // 2%: pace
		w.Header().Set("X-Ratelimit-Reset", fmt.Sprint(reset.Unix()))
		w.Header().Set("X-Ratelimit-Resource", "core")
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	lim := newLimiter(http.DefaultTransport, newStats(), LimitConfig{Now: clk.Now, Sleep: clk.Sleep})
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		resp, err := lim.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// 100 left for 10 minutes: about 6 s apart from the second request on.
	if clk.slept < 10*time.Second || clk.slept > time.Minute {
		t.Errorf("slept %v over 3 requests; want pacing of about 6 s each after the first", clk.slept)
	}
}

func TestCacheIsEncryptedAndKeyedByCredential(t *testing.T) {
	dir := t.TempDir()
	canary := "npm_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"
	c, err := OpenCache(dir, []byte("ghp_tokenA"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put("GET https://api.github.com/repos/acme/web/actions/variables", []byte(`{"value":"`+canary+`"}`)); err != nil {
		t.Fatal(err)
	}
	if b, ok := c.Get("GET https://api.github.com/repos/acme/web/actions/variables"); !ok || !strings.Contains(string(b), canary) {
		t.Fatalf("round trip failed: %q %v", b, ok)
	}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), canary) || strings.Contains(string(b), "acme") || strings.Contains(p, "acme") {
			t.Errorf("%s holds plaintext", p)
		}
		return nil
	})
	other, _ := OpenCache(dir, []byte("ghp_tokenB"))
	if _, ok := other.Get("GET https://api.github.com/repos/acme/web/actions/variables"); ok {
		t.Error("another credential read the entry")
	}
}

func TestCacheTransportTurns304IntoTheStoredAnswer(t *testing.T) {
	var hits, conditional atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Etag", `"v1"`)
		w.Header().Set("Link", `<https://x/?page=2>; rel="next"`)
		io.WriteString(w, `{"total_count":1}`)
	}))
	defer srv.Close()
	c, _ := OpenCache(t.TempDir(), []byte("k"))
	tr := &cacheTransport{base: http.DefaultTransport, cache: c}
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `{"total_count":1}` || resp.Header.Get("Link") == "" {
			t.Errorf("round %d: %d %q link=%q", i, resp.StatusCode, b, resp.Header.Get("Link"))
		}
	}
	if conditional.Load() != 1 {
		t.Errorf("conditional requests = %d, want 1", conditional.Load())
	}
}

func TestSafeErrorsNeverShowTheToken(t *testing.T) {
	cred := TokenCredential("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "test")
	c, err := NewClient(Config{Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	err = c.safe(fmt.Errorf("GET https://api.github.com/x?access_token=%s: boom, token %s, npm_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d", cred.token, cred.token))
	msg := err.Error()
	if strings.Contains(msg, cred.token) || strings.Contains(msg, "npm_u8jzP") {
		t.Errorf("leaked: %s", msg)
	}
}

func TestNodeErrorsPlaceEachErrorOnItsRepository(t *testing.T) {
	s := &state{c: &Client{cred: TokenCredential("ghp_x", "test")}}
	ge := &GraphQLError{Errors: []gqlError{
		{Message: "Resource not accessible by integration", Path: []any{"organization", "repositories", "nodes", float64(1), "workflows"}},
		{Message: "Resource not accessible by integration", Path: []any{"organization", "repositories", "nodes", float64(2), "environments"}},
		{Message: "Something else", Path: []any{"organization", "repositories", "nodes", float64(9), "name"}},
		{Message: "No path"},
	}}
	byNode, unplaced := s.nodeErrors(ge, []any{"organization", "repositories", "nodes"}, 3)
	if got := byNode[1]; len(got) != 1 || got[0] != "organization.repositories.nodes[1].workflows: Resource not accessible by integration" {
		t.Errorf("node 1: %q", got)
	}
	if refusedGap(byNode[1][0]) != "unreadable" || refusedGap(byNode[2][0]) != "forbidden" {
		t.Error("a refused workflow tree hides pipelines; refused environments do not")
	}
	if len(unplaced) != 2 {
		t.Errorf("an out-of-range node and a pathless error are unplaced: %q", unplaced)
	}
	nodes := []*gqlRepo{{Name: "a"}, {Name: "b"}, nil}
	if got := envRefused(nodes, byNode); len(got) != 1 || got[0] != 2 {
		t.Errorf("envRefused = %v, want [2]: only a nulled node whose every error is on environments is read again", got)
	}
}
