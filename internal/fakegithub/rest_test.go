package fakegithub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestEnvironmentSecretPaths(t *testing.T) {
	s := newServer(t, Options{}, true)
	for _, tc := range []struct {
		name, path string
		status     int
		secret     string
	}{
		{"escaped slash", "repos/acme/web/environments/prod%2Feu/secrets", 200, "EU_TOKEN"},
		{"plain name", "repos/acme/web/environments/production/secrets?per_page=100", 200, "PROD_NPM_TOKEN"},
		{"unescaped slash is another resource", "repos/acme/web/environments/prod/eu/secrets", 404, ""},
		{"old repositories path", "repositories/2001/environments/production/secrets", 404, ""},
		{"unknown environment", "repos/acme/web/environments/nope/secrets", 404, ""},
		{"escaped env variables", "repos/acme/web/environments/prod%2Feu/variables", 200, ""},
		{"escaped env itself", "repos/acme/web/environments/prod%2Feu", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, tokAdmin, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.secret != "" && dig(r.json(t), "secrets", 0, "name") != tc.secret {
				t.Errorf("body %s", r.body)
			}
			if tc.status == 404 && dig(r.json(t), "message") != "Not Found" {
				t.Errorf("404 body %s", r.body)
			}
		})
	}
	// go-github v62's ListEnvSecrets uses the old path: it gets a 404.
	_, resp, err := ghClient(t, s, tokAdmin).Actions.ListEnvSecrets(context.Background(), 2001, "production", nil)
	if err == nil || resp.StatusCode != 404 {
		t.Errorf("v62 ListEnvSecrets: %v", err)
	}
}

func TestConditionalRequests(t *testing.T) {
	s := newServer(t, Options{}, true)
	const p = "repos/acme/web/actions/secrets"
	first := get(t, s, tokAdmin, p)
	etag := first.header.Get("ETag")
	if first.status != 200 || etag == "" {
		t.Fatalf("first: %d etag %q", first.status, etag)
	}
	remaining := first.header.Get("X-RateLimit-Remaining")

	again := get(t, s, tokAdmin, p, "If-None-Match", etag)
	if again.status != 304 || len(again.body) != 0 {
		t.Fatalf("revalidation: %d %q", again.status, again.body)
	}
	if again.header.Get("X-RateLimit-Remaining") != remaining || again.header.Get("ETag") != etag {
		t.Errorf("304 must not be charged: remaining %s -> %s", remaining, again.header.Get("X-RateLimit-Remaining"))
	}

	other := get(t, s, tokAdmin2, p, "If-None-Match", etag)
	if other.status != 200 || other.header.Get("ETag") == etag {
		t.Errorf("another token: %d etag %s (ETags are token-specific)", other.status, other.header.Get("ETag"))
	}

	s.Update(func(st *State) {
		web := st.Orgs["acme"].repo("web")
		web.Secrets = append(web.Secrets, &Secret{Name: "NEW_TOKEN"})
	})
	changed := get(t, s, tokAdmin, p, "If-None-Match", etag)
	if changed.status != 200 || changed.header.Get("ETag") == etag || !strings.Contains(string(changed.body), "NEW_TOKEN") {
		t.Errorf("after Update: %d etag %s", changed.status, changed.header.Get("ETag"))
	}
	if st := s.Stats(); st.NotModified != 1 || st.Charged != 3 || st.Requests != 4 {
		t.Errorf("stats %+v", st)
	}

	// A file change moves blob, tree, commit, pushed_at and the ETags.
	repo := get(t, s, tokAdmin, "repos/acme/web")
	lm := repo.header.Get("Last-Modified")
	if get(t, s, tokAdmin, "repos/acme/web", "If-Modified-Since", lm).status != 304 {
		t.Error("If-Modified-Since with the Last-Modified value must give 304")
	}
	if get(t, s, tokAdmin2, "repos/acme/web", "If-Modified-Since", lm).status != 304 {
		t.Error("If-Modified-Since works across tokens")
	}
	tree := get(t, s, tokAdmin, "repos/acme/web/git/trees/main?recursive=1")
	head := get(t, s, tokAdmin, "repos/acme/web/commits/main", "Accept", "application/vnd.github.sha")
	s.Update(func(st *State) {
		st.Orgs["acme"].repo("web").Files[".github/workflows/ci.yml"] += "# changed\n"
	})
	if r := get(t, s, tokAdmin, "repos/acme/web", "If-Modified-Since", lm); r.status != 200 || r.header.Get("Last-Modified") == lm {
		t.Errorf("after a push: %d, Last-Modified %s", r.status, r.header.Get("Last-Modified"))
	}
	if r := get(t, s, tokAdmin, "repos/acme/web/git/trees/main?recursive=1", "If-None-Match", tree.header.Get("ETag")); r.status != 200 || dig(r.json(t), "sha") == dig(tree.json(t), "sha") {
		t.Errorf("tree after a push: %d", r.status)
	}
	if r := get(t, s, tokAdmin, "repos/acme/web/commits/main", "Accept", "application/vnd.github.sha", "If-None-Match", head.header.Get("ETag")); r.status != 200 || string(r.body) == string(head.body) {
		t.Errorf("head after a push: %d %s", r.status, r.body)
	}
	// Lists carry weak ETags, single objects strong ones (both occur on GitHub).
	if !strings.HasPrefix(first.header.Get("ETag"), `W/"`) || strings.HasPrefix(repo.header.Get("ETag"), "W/") {
		t.Errorf("etag forms: list %s, object %s", first.header.Get("ETag"), repo.header.Get("ETag"))
	}
}

func TestPermissions(t *testing.T) {
	s := newServer(t, Options{}, true)
	for _, tc := range []struct {
		name, token, path string
		status            int
		message           string
		acceptedPerms     string
	}{
		{"private repo without repo scope", tokNoRepo, "repos/acme/api", 404, "Not Found", ""},
		{"internal repo without repo scope", tokNoRepo, "repos/acme/internal-tools/actions/secrets", 404, "Not Found", ""},
		{"secrets without repo scope", tokNoRepo, "repos/acme/web/actions/secrets", 403, "Must have admin rights to Repository.", ""},
		{"org secrets, not an owner", tokMember, "orgs/acme/actions/secrets", 403, "Must have admin rights to Repository.", ""},
		{"org secrets without admin:org", tokNoRepo, "orgs/acme/actions/variables", 403, "Must have admin rights to Repository.", ""},
		{"org secrets as owner", tokAdmin, "orgs/acme/actions/secrets", 200, "", ""},
		{"fine-grained without secrets", tokFGNone, "repos/acme/web/actions/secrets", 403, "Resource not accessible by personal access token", "secrets=read"},
		{"fine-grained without variables", tokFGNone, "repos/acme/web/actions/variables", 403, "Resource not accessible by personal access token", "actions_variables=read"},
		{"fine-grained without environments", tokFGNone, "repos/acme/web/environments/production/secrets", 403, "Resource not accessible by personal access token", "environments=read"},
		{"fine-grained env list on public repo", tokFGNone, "repos/acme/web/environments", 200, "", ""},
		{"fine-grained outside its repos", tokFG, "repos/acme/internal-tools", 404, "Not Found", ""},
		{"fine-grained public repo outside its repos", tokFG, "repos/acme/repo-01/actions/secrets", 403, "Resource not accessible by personal access token", "secrets=read"},
		{"fine-grained private selected", tokFG, "repos/acme/api/actions/secrets", 200, "", ""},
		{"fine-grained org secrets", tokFG, "orgs/acme/actions/secrets", 200, "", ""},
		{"fine-grained no org permission", tokFGNone, "orgs/acme/actions/secrets", 403, "Resource not accessible by personal access token", "organization_secrets=read"},
		{"installation has no user", tokInst, "user", 403, "Resource not accessible by integration", ""},
		{"installation lists its repos", tokInst, "installation/repositories", 200, "", ""},
		{"classic cannot list installation repos", tokAdmin, "installation/repositories", 403, "You must authenticate with an installation access token in order to list repositories for an installation.", ""},
		{"unknown token", "ghp_unknown", "repos/acme/web", 401, "Bad credentials", ""},
		{"anonymous secrets", "", "repos/acme/web/actions/secrets", 401, "Requires authentication", ""},
		{"anonymous private", "", "repos/acme/api/actions/secrets", 404, "Not Found", ""},
		{"anonymous public contents", "", "repos/acme/web/contents/README.md", 200, "", ""},
		{"unknown path", tokAdmin, "repos/acme/web/nonsense", 404, "Not Found", ""},
		{"empty repo contents", tokAdmin, "repos/acme/empty/contents/", 404, "This repository is empty.", ""},
		{"empty repo tree", tokAdmin, "repos/acme/empty/git/trees/main", 409, "Git Repository is empty.", ""},
		{"contents at an unknown ref", tokAdmin, "repos/acme/web/contents/README.md?ref=nope", 404, "No commit found for the ref nope", ""},
		{"selected repos of a visibility-all secret", tokAdmin, "orgs/acme/actions/secrets/ORG_ALL/repositories", 409, "The visibility of the secret is not set to selected.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, s, tc.token, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.message != "" {
				if m := r.json(t); m["message"] != tc.message || m["documentation_url"] == nil {
					t.Errorf("body %s, want message %q", r.body, tc.message)
				}
			}
			if got := r.header.Get("X-Accepted-GitHub-Permissions"); tc.acceptedPerms != "" && got != tc.acceptedPerms {
				t.Errorf("X-Accepted-GitHub-Permissions %q, want %q", got, tc.acceptedPerms)
			}
		})
	}
}

func TestCommonHeaders(t *testing.T) {
	s := newServer(t, Options{}, true)
	for _, tc := range []struct {
		token, path, version string
		oauth, perms         bool
	}{
		{tokAdmin, "repos/acme/web", "", true, false},
		{tokFG, "repos/acme/web/actions/secrets", "2022-11-28", false, true},
		{tokInst, "repos/acme/web/contents/README.md", "2026-03-10", false, true},
		{"", "orgs/acme/repos", "", false, false},
	} {
		hdr := []string{}
		if tc.version != "" {
			hdr = append(hdr, "X-GitHub-Api-Version", tc.version)
		}
		r := get(t, s, tc.token, tc.path, hdr...)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", tc.path, r.status, r.body)
		}
		want := tc.version
		if want == "" {
			want = "2022-11-28"
		}
		h := r.header
		for _, k := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource", "X-GitHub-Request-Id", "ETag", "Cache-Control", "Vary", "X-GitHub-Media-Type"} {
			if h.Get(k) == "" {
				t.Errorf("%s: header %s missing", tc.path, k)
			}
		}
		if h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("X-GitHub-Api-Version-Selected") != want {
			t.Errorf("%s: content-type %q version %q", tc.path, h.Get("Content-Type"), h.Get("X-GitHub-Api-Version-Selected"))
		}
		if (h.Get("X-OAuth-Scopes") != "") != tc.oauth || (h.Get("X-Accepted-GitHub-Permissions") != "") != tc.perms {
			t.Errorf("%s: scopes %q accepted %q", tc.path, h.Get("X-OAuth-Scopes"), h.Get("X-Accepted-GitHub-Permissions"))
		}
		if tc.oauth && (h.Get("X-OAuth-Scopes") != "repo, admin:org, workflow" || h.Get("X-Accepted-OAuth-Scopes") != "repo") {
			t.Errorf("scopes headers %q / %q", h.Get("X-OAuth-Scopes"), h.Get("X-Accepted-OAuth-Scopes"))
		}
		if tc.token == "" && (h.Get("X-RateLimit-Limit") != "60" || !strings.HasPrefix(h.Get("Cache-Control"), "public")) {
			t.Errorf("anonymous: limit %s cache %s", h.Get("X-RateLimit-Limit"), h.Get("Cache-Control"))
		}
		if !strings.Contains(strings.Join(h.Values("Vary"), ", "), "Authorization") {
			t.Errorf("Vary %v", h.Values("Vary"))
		}
	}
	if r := get(t, s, tokAdmin, "rate_limit", "X-GitHub-Api-Version", "1999-01-01"); r.status != 400 {
		t.Errorf("unsupported API version: %d", r.status)
	}
}

// Classic and fine-grained tokens of one user share one budget.
func TestPrimaryBudgetPerUser(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) {
		st.Tokens["ghp_second_token_of_admin"] = &Token{Kind: KindClassic, Login: "octo-admin", Scopes: []string{"repo"}}
	})
	get(t, s, tokAdmin, "repos/acme/web")
	r := get(t, s, "ghp_second_token_of_admin", "repos/acme/web")
	if r.header.Get("X-RateLimit-Used") != "2" {
		t.Errorf("used %s, want 2 (shared user bucket)", r.header.Get("X-RateLimit-Used"))
	}
	st := s.Stats()
	if st.PerToken[Fingerprint(tokAdmin)] != 1 || st.PerToken[Fingerprint("ghp_second_token_of_admin")] != 1 {
		t.Errorf("per token %v", st.PerToken)
	}
	for k := range st.PerToken {
		if strings.Contains(k, "ghp_") {
			t.Errorf("a token value leaked into Stats: %s", k)
		}
	}
	if st.ByKind["GET /repos/{owner}/{repo}"] != 2 {
		t.Errorf("by kind %v", st.ByKind)
	}
}

func TestDeterministic(t *testing.T) {
	var bodies [2][]string
	for i := range bodies {
		s := newServer(t, Options{}, false)
		for _, p := range []string{"orgs/acme/repos?per_page=100", "repos/acme/web/environments", "repos/acme/web/git/trees/main?recursive=1"} {
			r := get(t, s, tokAdmin, p)
			bodies[i] = append(bodies[i], r.header.Get("ETag"), strings.ReplaceAll(string(r.body), s.URL(), "BASE/"))
		}
	}
	for i := range bodies[0] {
		if bodies[0][i] != bodies[1][i] && i%2 == 1 {
			t.Errorf("response %d differs between two servers over the same state", i)
		}
	}
}

func TestGHESMode(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, Options{GHES: true}, true)
	if !strings.HasSuffix(s.URL(), "/api/v3/") || !strings.HasSuffix(s.GraphQLURL(), "/api/graphql") {
		t.Fatalf("URLs %s %s", s.URL(), s.GraphQLURL())
	}
	c := ghClient(t, s, tokAdmin)
	repos, resp, err := c.Repositories.ListByOrg(ctx, "acme", &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 5}})
	if err != nil || len(repos) != 5 || !strings.Contains(resp.Header.Get("Link"), "/api/v3/organizations/1000/repos") {
		t.Errorf("GHES list: %d repos, link %q, %v", len(repos), resp.Header.Get("Link"), err)
	}
	root := strings.TrimSuffix(s.URL(), "api/v3/")
	if r := do(t, "GET", root+"repos/acme/web", tokAdmin, ""); r.status != 404 {
		t.Errorf("outside the prefix: %d", r.status)
	}
	if code, m, _ := graphql(t, s, tokAdmin, `{ viewer { login } }`, nil); code != 200 || dig(m, "data", "viewer", "login") != "octo-admin" {
		t.Errorf("GHES GraphQL: %d %v", code, m)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	s := newServer(t, Options{Latency: 5 * time.Second}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := ghClient(t, s, tokAdmin).Repositories.Get(ctx, "acme", "web")
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
}

// ~16 concurrent clients, as the scanner runs; -race checks the locking.
func TestConcurrentClients(t *testing.T) {
	s := newServer(t, Options{}, true)
	paths := []string{"orgs/acme/repos?per_page=100", "repos/acme/web/actions/secrets", "repos/acme/api/actions/variables",
		"repos/acme/web/environments", "repos/acme/web/contents/.github/workflows", "orgs/acme/actions/secrets"}
	var wg sync.WaitGroup
	errs := make(chan error, 16*len(paths))
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i, p := range paths {
				req, _ := http.NewRequest("GET", s.URL()+p, nil)
				req.Header.Set("Authorization", "Bearer "+tokAdmin)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("goroutine %d path %d: %d", g, i, resp.StatusCode)
				}
				if g%4 == 0 {
					s.Update(func(st *State) { st.Orgs["acme"].repo("web").Files["n.txt"] = fmt.Sprint(g, i) })
				}
				_ = s.Stats()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := s.Stats(); st.Requests != 16*len(paths) {
		t.Errorf("requests %d", st.Requests)
	}
}

func TestContentsTooLargeAndRaw(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) {
		st.Orgs["acme"].repo("web").Files["big.bin"] = strings.Repeat("x", maxContentsBytes+1)
	})
	r := get(t, s, tokAdmin, "repos/acme/web/contents/big.bin")
	if r.status != 403 || dig(r.json(t), "errors", 0, "code") != "too_large" {
		t.Errorf("too large: %d %s", r.status, r.body)
	}
	raw := get(t, s, tokAdmin, "repos/acme/web/contents/big.bin", "Accept", "application/vnd.github.raw+json")
	if raw.status != 200 || len(raw.body) != maxContentsBytes+1 {
		t.Errorf("raw: %d, %d bytes", raw.status, len(raw.body))
	}
}

func TestErrorsTypedByGoGitHub(t *testing.T) {
	s := newServer(t, Options{}, false)
	_, _, err := ghClient(t, s, "ghp_nope").Repositories.Get(context.Background(), "acme", "web")
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response.StatusCode != 401 {
		t.Errorf("bad credentials: %v", err)
	}
}
