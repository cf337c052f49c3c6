package fakegithub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options tune a Server.
type Options struct {
	// Latency is added to every response. The sleep happens outside the
	// lock and ends early when the request's context is done, so a client
	// timeout behaves as against a slow GitHub.
	Latency time.Duration
	// GHES serves REST under /api/v3 and GraphQL at /api/graphql, as GitHub
	// Enterprise Server does; requests outside the prefix answer 404.
	GHES bool
	// BlobTextLimit cuts GraphQL Blob.text after this many bytes and sets
	// isTruncated (default 512000, the threshold observed on github.com).
	BlobTextLimit int
	// Validator, when set, checks every REST response against GitHub's
	// OpenAPI description and every GraphQL query against the schema.
	// Violations are recorded (Server.Violations, Validator.Violations).
	Validator *Validator
	// Now is the clock for rate-limit windows, token expiry and Update's
	// pushed_at (default time.Now).
	Now func() time.Time
	// SARIFUploadsPerHour is the code_scanning_upload budget per user or
	// installation (default 1000, GitHub's).
	SARIFUploadsPerHour int
	// SARIFMaxBytes is the largest gzip-compressed SARIF accepted; more
	// answers 413 (default 10,000,000: GitHub's "10 MB").
	SARIFMaxBytes int
	// SARIFPendingPolls is how many status reads of an upload answer
	// "pending" before it is complete or failed (default 1; negative: 0).
	SARIFPendingPolls int
}

// Stats count what clients asked for. They are how a test proves a client
// frugal: Charged is what GitHub would bill against the primary budget.
type Stats struct {
	// Requests received (everything, including refused and 304 ones).
	Requests int
	// Charged requests: counted against a primary rate limit budget.
	Charged int
	// NotModified responses (304, not charged).
	NotModified int
	// ByKind counts requests by "METHOD /openapi/{template}" or "graphql";
	// unmatched paths count as "METHOD unknown".
	ByKind map[string]int
	// RateLimited refusals (primary or secondary, REST or GraphQL).
	RateLimited int
	// ServerErrors injected (Faults.ServerErrors and GraphQL timeouts).
	ServerErrors int
	// PerToken: Fingerprint(token) (or "anonymous", "app:<id>") -> charged
	// requests. Token values never appear in Stats.
	PerToken map[string]int
	// GraphQLPoints charged against graphql budgets.
	GraphQLPoints int
}

func (st Stats) clone() Stats {
	out := st
	out.ByKind = make(map[string]int, len(st.ByKind))
	for k, v := range st.ByKind {
		out.ByKind[k] = v
	}
	out.PerToken = make(map[string]int, len(st.PerToken))
	for k, v := range st.PerToken {
		out.PerToken[k] = v
	}
	return out
}

// Server is the fake. All state is behind mu; handlers run under it, which
// keeps responses consistent (a page and its Link header come from the same
// state) at no cost for the ~16 concurrent requests a client makes.
type Server struct {
	opts Options

	mu      sync.Mutex
	state   *State
	baseURL string // with trailing "/" and the GHES prefix
	snaps   map[*Repo]*snapshot
	buckets map[string]*bucket
	stats   Stats
	reCache map[string]*regexp.Regexp
	routes  []*route

	sarifs         map[string]*SARIFUpload // by id
	configErrs     []string
	reqSeq         int
	serverErrSeq   int
	secondarySeq   int
	sinceSecondary int
	graphqlSeq     int
	mintSeq        int
	sarifSeq       int
}

// New returns a Server serving st. The Server owns st from now on.
func New(st *State, opts Options) *Server {
	if st == nil {
		st = &State{}
	}
	if st.Orgs == nil {
		st.Orgs = map[string]*Org{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]*Token{}
	}
	if st.Apps == nil {
		st.Apps = map[int64]*App{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BlobTextLimit <= 0 {
		opts.BlobTextLimit = 512000
	}
	s := &Server{
		opts:    opts,
		state:   st,
		snaps:   map[*Repo]*snapshot{},
		buckets: map[string]*bucket{},
		reCache: map[string]*regexp.Regexp{},
		sarifs:  map[string]*SARIFUpload{},
	}
	s.stats = Stats{ByKind: map[string]int{}, PerToken: map[string]int{}}
	s.routes = s.restRoutes()
	return s
}

// Start serves s on an httptest.Server closed at the end of the test and
// sets URL.
func (s *Server) Start(t testing.TB) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.mu.Lock()
	s.baseURL = ts.URL + s.prefix() + "/"
	s.mu.Unlock()
	return ts
}

// SetURL sets the base URL (ending in "/", including "/api/v3" in GHES
// mode) for a Server served by other means than Start. Without it URLs in
// bodies and Link headers are derived from each request's Host.
func (s *Server) SetURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	s.baseURL = base
}

// URL is the REST base URL ending in "/" (".../api/v3/" in GHES mode), ready
// for go-github's BaseURL.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// GraphQLURL is the GraphQL endpoint: ".../graphql", or ".../api/graphql"
// in GHES mode.
func (s *Server) GraphQLURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	root := strings.TrimSuffix(strings.TrimSuffix(s.baseURL, "/"), s.prefix())
	if s.opts.GHES {
		return root + "/api/graphql"
	}
	return root + "/graphql"
}

func (s *Server) prefix() string {
	if s.opts.GHES {
		return "/api/v3"
	}
	return ""
}

// Update changes the state under the lock. Derived git objects are
// recomputed afterwards; a repository whose files changed gets a new head
// commit and, unless fn set PushedAt itself, PushedAt = Options.Now().
func (s *Server) Update(fn func(st *State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type before struct {
		commit string
		pushed time.Time
	}
	old := map[*Repo]before{}
	for _, o := range s.state.Orgs {
		for _, r := range o.Repos {
			old[r] = before{s.snap(o, r).commit, r.PushedAt}
		}
	}
	fn(s.state)
	s.snaps = map[*Repo]*snapshot{}
	now := s.opts.Now().UTC().Truncate(time.Second)
	for _, o := range s.state.Orgs {
		for _, r := range o.Repos {
			b, existed := old[r]
			if existed && b.commit != s.snap(o, r).commit && r.PushedAt.Equal(b.pushed) {
				r.PushedAt = now
			}
		}
	}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.clone()
}

// ResetStats zeroes the counters (not the rate-limit budgets).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByKind: map[string]int{}, PerToken: map[string]int{}}
}

// Violations are the validator's findings plus configuration errors of the
// fake itself (bad fault patterns, unimplemented GraphQL fields in a valid
// query). A test should fail when this is non-empty.
func (s *Server) Violations() []string {
	s.mu.Lock()
	out := append([]string(nil), s.configErrs...)
	s.mu.Unlock()
	if s.opts.Validator != nil {
		out = append(out, s.opts.Validator.Violations()...)
	}
	return out
}

// Fingerprint is how a token appears in Stats and messages: a short sha256
// prefix, never the token.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// snap returns (and caches) the git snapshot of a repository. Caller holds mu.
func (s *Server) snap(o *Org, r *Repo) *snapshot {
	if sn, ok := s.snaps[r]; ok {
		return sn
	}
	files := r.Files
	if r.Empty {
		files = nil
	}
	sn := buildSnapshot(o.Login+"/"+r.Name, files)
	s.snaps[r] = sn
	return sn
}

// rctx is one request being handled.
type rctx struct {
	s         *Server
	r         *http.Request
	path      string // escaped, prefix stripped
	requestID string
	p         *principal
	route     *route
	params    map[string]string // unescaped path parameters
	oaPath    string            // escaped path to validate as ("" = none)
	bucket    *bucket
	version   string
}

// response is what a handler produces; ServeHTTP adds the common headers.
type response struct {
	status       int
	body         []byte
	contentType  string
	header       http.Header
	lastModified time.Time
	weakETag     bool
	// zeroRemaining reports x-ratelimit-remaining: 0 whatever the budget
	// (the GraphQL RATE_LIMITED fault).
	zeroRemaining bool
	// acceptedPerms overrides the route's X-Accepted-GitHub-Permissions
	// (set by a permission check).
	acceptedPerms *string
}

func jsonResponse(status int, v any) *response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakegithub: marshal: %v", err)) // a bug in the fake
	}
	return &response{status: status, body: b, contentType: "application/json; charset=utf-8", header: http.Header{}}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	resp, c := s.handle(r)
	if v := s.opts.Validator; v != nil && c.oaPath != "" {
		v.validateREST(r.Context(), c.route.method, c.oaPath, r.URL.RawQuery, r.Header, resp.status, resp.header, resp.body)
	}
	h := w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	if resp.status == http.StatusNotModified || resp.status == http.StatusNoContent {
		w.WriteHeader(resp.status)
		return
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func (s *Server) handle(r *http.Request) (*response, *rctx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.reqSeq++
	c := &rctx{s: s, r: r, requestID: requestID(s.reqSeq)}
	c.version = r.Header.Get("X-GitHub-Api-Version")
	if c.version == "" {
		c.version = "2022-11-28"
	}

	path, ok := strings.CutPrefix(r.URL.EscapedPath(), s.prefix())
	if !ok || path == "" {
		path = "/"
	}
	gql := path == "/graphql"
	if s.opts.GHES {
		gql = r.URL.EscapedPath() == "/api/graphql"
		if gql {
			path = "/graphql"
		}
	}
	c.path = path

	p, authErr := s.authenticate(c)
	c.p = p
	if gql {
		return s.finish(c, s.serveGraphQL(c, authErr)), c
	}
	rt, params := s.findRoute(r.Method, path)
	c.route, c.params = rt, params
	kind := r.Method + " unknown"
	if rt != nil {
		kind = r.Method + " " + rt.kind()
		if rt.oaPath != "" {
			c.oaPath = rt.oaURLPath(c) // under the lock: aliases look up state
		}
	}
	s.stats.ByKind[kind]++
	c.bucket = s.bucketFor(p, rt.budget())
	if authErr != nil {
		s.charge(c)
		return s.finish(c, authErr), c
	}
	if c.version != "2022-11-28" && c.version != "2026-03-10" {
		s.charge(c)
		return s.finish(c, errResponse(http.StatusBadRequest, fmt.Sprintf("Unsupported 'X-GitHub-Api-Version': '%s'", c.version),
			"https://docs.github.com/rest/about-the-rest-api/api-versions")), c
	}
	if rt == nil {
		s.charge(c)
		return s.finish(c, notFound()), c
	}
	if rt.free {
		return s.finish(c, rt.h(c)), c
	}
	if rt.need.app != (p.app != nil) {
		// App JWTs only reach /app endpoints; those take nothing else.
		s.charge(c)
		if rt.need.app {
			return s.finish(c, errResponse(http.StatusUnauthorized, "A JSON web token could not be decoded", rt.doc)), c
		}
		return s.finish(c, errResponse(http.StatusForbidden, "Resource not accessible by integration", rt.doc)), c
	}
	if c.bucket.exhausted(s.now()) {
		s.stats.RateLimited++
		return s.finish(c, s.primaryLimited(c)), c
	}
	if resp := s.secondaryFault(c); resp != nil {
		s.stats.RateLimited++
		return s.finish(c, resp), c
	}
	if resp := s.serverErrorFault(path); resp != nil {
		s.stats.ServerErrors++
		return s.finish(c, resp), c
	}
	var resp *response
	if pat, ok := s.match(s.state.Faults.Deny, path); ok {
		resp = c.denied(s.state.Faults.Deny[pat], rt.need)
	} else {
		resp = rt.h(c)
	}
	if resp.status == http.StatusOK && r.Method == http.MethodGet {
		resp.header.Set("ETag", s.etag(c, resp))
		if notModified(r, resp) {
			s.stats.NotModified++
			nm := &response{status: http.StatusNotModified, header: resp.header, lastModified: resp.lastModified}
			return s.finish(c, nm), c
		}
	}
	s.charge(c)
	return s.finish(c, resp), c
}

func (s *Server) now() time.Time { return s.opts.Now() }

// charge bills one request to the request's bucket.
func (s *Server) charge(c *rctx) {
	c.bucket.charge(s.now(), 1)
	s.stats.Charged++
	s.stats.PerToken[c.p.statsKey()]++
	s.sinceSecondary++
}

func requestID(n int) string {
	return fmt.Sprintf("C0DE:%04X:%06X:%07X:%08X", n%0xFFFF, n, n*7, n*13)
}

// etag is token-specific, as GitHub's are: the same body seen through
// another token has another ETag, so a cache keyed by URL alone misses.
func (s *Server) etag(c *rctx, resp *response) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", c.p.etagKey(), c.r.Header.Get("Accept"), resp.contentType)
	h.Write(resp.body)
	tag := `"` + hex.EncodeToString(h.Sum(nil)) + `"`
	if resp.weakETag {
		return "W/" + tag
	}
	return tag
}

// notModified evaluates If-None-Match (weak comparison, as GitHub accepts
// both forms back) and, without it, If-Modified-Since.
func notModified(r *http.Request, resp *response) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		cur := strings.TrimPrefix(resp.header.Get("ETag"), "W/")
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == cur {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !resp.lastModified.IsZero() {
		t, err := http.ParseTime(ims)
		return err == nil && !resp.lastModified.Truncate(time.Second).After(t)
	}
	return false
}

// finish adds the headers GitHub sends on every API response.
func (s *Server) finish(c *rctx, resp *response) *response {
	if resp.header == nil {
		resp.header = http.Header{}
	}
	h := resp.header
	if resp.contentType != "" && resp.status != http.StatusNotModified {
		h.Set("Content-Type", resp.contentType)
	}
	h.Set("Server", "GitHub.com")
	h.Set("X-GitHub-Request-Id", c.requestID)
	h.Set("X-GitHub-Api-Version-Selected", c.version)
	if h.Get("X-GitHub-Media-Type") == "" {
		h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	}
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubdomains; preload")
	h.Set("X-Frame-Options", "deny")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-XSS-Protection", "0")
	h.Set("Referrer-Policy", "origin-when-cross-origin, strict-origin-when-cross-origin")
	h.Set("Content-Security-Policy", "default-src 'none'")
	if b := c.bucket; b != nil {
		b.setHeaders(h, s.now())
		if resp.zeroRemaining {
			h.Set("X-RateLimit-Remaining", "0")
		}
	}
	if c.p != nil {
		c.p.setHeaders(h, c.route, resp)
	}
	if resp.status/100 == 2 || resp.status == http.StatusNotModified {
		if c.p.tok != nil || c.p.app != nil {
			h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		} else {
			h.Set("Cache-Control", "public, max-age=60, s-maxage=60")
		}
		h["Vary"] = []string{"Accept, Authorization, Cookie, X-GitHub-OTP", "Accept-Encoding, Accept, X-Requested-With"}
		if !resp.lastModified.IsZero() {
			h.Set("Last-Modified", resp.lastModified.UTC().Format(http.TimeFormat))
		}
	}
	if resp.status == http.StatusNotModified {
		h.Del("Link")
	}
	return resp
}

// base is the REST base URL ending in "/".
func (c *rctx) base() string {
	if c.s.baseURL != "" {
		return c.s.baseURL
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + c.s.prefix() + "/"
}

// htmlBase is the web URL root (github.com, or the GHES host).
func (c *rctx) htmlBase() string {
	if c.s.opts.GHES {
		return strings.TrimSuffix(c.base(), "api/v3/")
	}
	return "https://github.com/"
}

func errResponse(status int, msg, doc string) *response {
	if doc == "" {
		doc = "https://docs.github.com/rest"
	}
	return jsonResponse(status, map[string]any{"message": msg, "documentation_url": doc, "status": fmt.Sprint(status)})
}

func notFound() *response { return errResponse(http.StatusNotFound, "Not Found", "") }
