package fakegithub

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestSecondaryLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		sl         SecondaryLimit
		wantStatus []int // of requests 1..4
		retryAfter string
	}{
		{"403 with Retry-After", SecondaryLimit{Every: 2, Status: 403, RetryAfter: 60}, []int{200, 200, 403, 200}, "60"},
		{"429 without Retry-After", SecondaryLimit{Every: 2, Status: 429}, []int{200, 200, 429, 200}, ""},
		{"alternating", SecondaryLimit{Every: 1}, []int{200, 403, 200, 429}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Options{}, true)
			sl := tc.sl
			s.Update(func(st *State) { st.Faults.SecondaryLimit = &sl })
			for i, want := range tc.wantStatus {
				r := get(t, s, tokAdmin, "repos/acme/web/actions/secrets")
				if r.status != want {
					t.Fatalf("request %d: %d, want %d", i+1, r.status, want)
				}
				if want == 200 {
					continue
				}
				m := r.json(t)
				if !strings.HasPrefix(m["message"].(string), "You have exceeded a secondary rate limit") ||
					!strings.HasSuffix(m["documentation_url"].(string), "#about-secondary-rate-limits") {
					t.Errorf("body %s", r.body)
				}
				if r.header.Get("Retry-After") != tc.retryAfter {
					t.Errorf("Retry-After %q, want %q", r.header.Get("Retry-After"), tc.retryAfter)
				}
				if r.header.Get("X-RateLimit-Remaining") == "0" {
					t.Error("secondary limits leave x-ratelimit-remaining alone")
				}
			}
			limited := 0
			for _, w := range tc.wantStatus {
				if w != 200 {
					limited++
				}
			}
			if st := s.Stats(); st.RateLimited != limited || st.Charged != len(tc.wantStatus)-limited {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// What go-github v62 makes of the two forms: 403 is an AbuseRateLimitError
// (with RetryAfter when the header is present), 429 a plain ErrorResponse.
func TestSecondaryLimitAsSeenByGoGitHub(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) { st.Faults.SecondaryLimit = &SecondaryLimit{Every: 1, Status: 403, RetryAfter: 1} })
	c := ghClient(t, s, tokAdmin)
	if _, _, err := c.Repositories.Get(ctx, "acme", "web"); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Repositories.Get(ctx, "acme", "web")
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.RetryAfter == nil {
		t.Errorf("403: %T %v", err, err)
	}
	s.Update(func(st *State) { st.Faults.SecondaryLimit = &SecondaryLimit{Every: 1, Status: 429} })
	c = ghClient(t, s, tokAdmin) // v62 remembers the abuse window per client
	c.Repositories.Get(ctx, "acme", "web")
	_, resp, err := c.Repositories.Get(ctx, "acme", "web")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || resp.StatusCode != 429 {
		t.Errorf("429: %T %v", err, err)
	}
}

func TestPrimaryLimit(t *testing.T) {
	for _, status := range []int{0, 429} {
		clock := &testClock{t: fixedNow}
		s := newServer(t, Options{Now: clock.Now}, true)
		s.Update(func(st *State) { st.Faults.PrimaryLimitStatus = status })
		for i := 0; i < 3; i++ {
			if r := get(t, s, tokSmall, "repos/acme/web"); r.status != 200 {
				t.Fatalf("request %d: %d", i, r.status)
			}
		}
		r := get(t, s, tokSmall, "repos/acme/web")
		want := 403
		if status == 429 {
			want = 429
		}
		if r.status != want || r.header.Get("X-RateLimit-Remaining") != "0" ||
			!strings.HasPrefix(dig(r.json(t), "message").(string), "API rate limit exceeded for user ID") {
			t.Errorf("exhausted: %d remaining %s %s", r.status, r.header.Get("X-RateLimit-Remaining"), r.body)
		}
		// Not modified responses stay free, /rate_limit stays free.
		if rl := get(t, s, tokSmall, "rate_limit"); rl.status != 200 || dig(rl.json(t), "resources", "core", "remaining") != 0.0 {
			t.Errorf("rate_limit: %d %s", rl.status, rl.body)
		}
		if status == 0 {
			_, _, err := ghClient(t, s, tokSmall).Repositories.Get(context.Background(), "acme", "web")
			var rle *github.RateLimitError
			if !errors.As(err, &rle) {
				t.Errorf("go-github: %T %v, want RateLimitError", err, err)
			}
		}
		// The window ends an hour after the first charged request.
		clock.Set(fixedNow.Add(time.Hour))
		if r := get(t, s, tokSmall, "repos/acme/web"); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
			t.Errorf("after reset: %d remaining %s", r.status, r.header.Get("X-RateLimit-Remaining"))
		}
	}
}

func TestServerErrorBurst(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) { st.Faults.ServerErrors = map[string]int{`^/repos/acme/web/actions/secrets$`: 3} })
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, get(t, s, tokAdmin, "repos/acme/web/actions/secrets").status)
	}
	if got[0] != 502 || got[1] != 503 || got[2] != 502 || got[3] != 200 {
		t.Errorf("statuses %v", got)
	}
	if r := get(t, s, tokAdmin, "repos/acme/web/actions/variables"); r.status != 200 {
		t.Errorf("other path: %d", r.status)
	}
	if st := s.Stats(); st.ServerErrors != 3 || st.Charged != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDenyFaults(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) {
		st.Faults.Deny = map[string]int{`^/repos/acme/web/actions/secrets$`: 403, `^/repos/acme/web/environments`: 404}
	})
	for _, tc := range []struct {
		token, path string
		status      int
		msg, perms  string
	}{
		{tokAdmin, "repos/acme/web/actions/secrets", 403, "Must have admin rights to Repository.", ""},
		{tokFG, "repos/acme/web/actions/secrets", 403, "Resource not accessible by personal access token", "secrets=read"},
		{tokInst, "repos/acme/web/actions/secrets", 403, "Resource not accessible by integration", "secrets=read"},
		{tokAdmin, "repos/acme/web/environments/production/secrets", 404, "Not Found", ""},
		{tokAdmin, "repos/acme/web/actions/variables", 200, "", ""},
	} {
		r := get(t, s, tc.token, tc.path)
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d", tc.path, r.status, tc.status)
			continue
		}
		if tc.msg != "" && dig(r.json(t), "message") != tc.msg {
			t.Errorf("%s: %s", tc.path, r.body)
		}
		if r.header.Get("X-Accepted-GitHub-Permissions") != tc.perms && tc.perms != "" {
			t.Errorf("%s: accepted %q", tc.path, r.header.Get("X-Accepted-GitHub-Permissions"))
		}
	}
	s.Update(func(st *State) { st.Faults.Deny = map[string]int{"(": 403} })
	get(t, s, tokAdmin, "repos/acme/web")
	v := s.Violations()
	if len(v) == 0 || !strings.Contains(v[len(v)-1], "fault pattern") {
		t.Errorf("a bad pattern must be reported: %v", v)
	}
	s.mu.Lock()
	s.configErrs = nil // reported as expected
	s.mu.Unlock()
}

func TestTruncatedList(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) { st.Faults.TruncateListAt = map[string]int{`/actions/variables$`: 12} })
	var names []string
	total := 0
	for page, next := 1, true; next; page++ {
		r := get(t, s, tokAdmin, "repos/acme/web/actions/variables?per_page=10&page="+strconv.Itoa(page))
		m := r.json(t)
		total = int(m["total_count"].(float64))
		for _, v := range m["variables"].([]any) {
			names = append(names, v.(map[string]any)["name"].(string))
		}
		next = strings.Contains(r.header.Get("Link"), `rel="next"`)
	}
	if total != 35 || len(names) != 12 {
		t.Errorf("total_count %d, served %d: the client must notice the gap", total, len(names))
	}
}

func TestUnauthenticatedBudget(t *testing.T) {
	s := newServer(t, Options{}, false)
	for i := 0; i < 60; i++ {
		get(t, s, "", "repos/acme/web")
	}
	r := get(t, s, "", "repos/acme/web")
	if r.status != http.StatusForbidden || !strings.Contains(dig(r.json(t), "message").(string), "Authenticated requests get a higher rate limit") {
		t.Errorf("61st anonymous request: %d %s", r.status, r.body)
	}
}
