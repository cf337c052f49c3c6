// Package github is the GitHub source: it reads an organisation or one
// repository through the GitHub API into the CI-neutral model (workflow
// texts, composite actions, secrets, variables, environments) for the same
// rules that scan a checkout. It is built to be frugal — workflow texts,
// environments and repository metadata for 50 repositories per GraphQL
// query, REST only where GitHub offers nothing else (secrets, variables),
// conditional requests against an encrypted on-disk cache — and to be
// honest about what it could not read: every refusal, truncation or limit
// becomes a coverage gap of the repository concerned.
package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/tpscan/tpscan/rules/tokens"
)

// DefaultAPIURL is github.com's REST base.
const DefaultAPIURL = "https://api.github.com/"

// Config configures a Client.
type Config struct {
	// APIURL is the REST base: https://api.github.com/ or, for GitHub
	// Enterprise Server, https://HOST/api/v3/. GraphQLURL defaults to the
	// matching /graphql endpoint.
	APIURL     string
	GraphQLURL string
	Credential *Credential
	// Transport is the base HTTP transport (tests inject the fake's).
	Transport http.RoundTripper
	// Cache, when set, makes GET requests conditional.
	Cache  *Cache
	Limits LimitConfig
	// UserAgent identifies tpscan to GitHub, as GitHub asks.
	UserAgent string
}

// Client talks to one GitHub host with one credential.
type Client struct {
	rest       *gh.Client
	httpc      *http.Client
	graphqlURL string
	lim        *limiter
	stats      *Stats
	cred       *Credential
	cache      *Cache
}

// NewClient builds the transport chain: cache (conditional requests) →
// limiter (rate limits, retries, concurrency) → credential → base.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Credential == nil {
		return nil, ErrNoCredential
	}
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad GitHub API URL %q", apiURL)
	}
	graphqlURL := cfg.GraphQLURL
	if graphqlURL == "" {
		graphqlURL = GraphQLURLFor(apiURL)
	}
	stats := newStats()
	lim := newLimiter(cfg.Credential.transport(base), stats, cfg.Limits)
	var rt http.RoundTripper = lim
	if cfg.Cache != nil {
		rt = &cacheTransport{base: lim, cache: cfg.Cache}
	}
	if cfg.UserAgent != "" {
		rt = &uaTransport{base: rt, ua: cfg.UserAgent}
	}
	httpc := &http.Client{Transport: rt}
	rest := gh.NewClient(httpc)
	rest.BaseURL = u
	if cfg.UserAgent != "" {
		rest.UserAgent = cfg.UserAgent
	}
	return &Client{rest: rest, httpc: httpc, graphqlURL: graphqlURL, lim: lim, stats: stats, cred: cfg.Credential, cache: cfg.Cache}, nil
}

type uaTransport struct {
	base http.RoundTripper
	ua   string
}

func (t *uaTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.base.RoundTrip(r)
}

// APIURLs turns --github-url into REST and GraphQL endpoints: empty or
// github.com means api.github.com; any other host is an Enterprise Server
// (https://HOST/api/v3/, https://HOST/api/graphql) unless the URL already
// names an API path.
func APIURLs(githubURL string) (rest, graphql, host string, err error) {
	if githubURL == "" {
		return DefaultAPIURL, "https://api.github.com/graphql", "github.com", nil
	}
	if !strings.Contains(githubURL, "://") {
		githubURL = "https://" + githubURL
	}
	u, err := url.Parse(githubURL)
	if err != nil || u.Host == "" {
		return "", "", "", fmt.Errorf("--github-url %q is not a URL", githubURL)
	}
	if u.User != nil || u.RawQuery != "" {
		return "", "", "", errors.New("--github-url must not carry credentials or a query")
	}
	host = u.Hostname()
	switch {
	case host == "github.com" || host == "api.github.com":
		return DefaultAPIURL, "https://api.github.com/graphql", "github.com", nil
	case strings.HasPrefix(host, "api.") && strings.HasSuffix(host, ".ghe.com"):
		base := u.Scheme + "://" + u.Host + "/"
		return base, base + "graphql", strings.TrimPrefix(host, "api."), nil
	case strings.HasSuffix(host, ".ghe.com"):
		base := u.Scheme + "://api." + u.Host + "/"
		return base, base + "graphql", host, nil
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p, "/api/v3") {
		p += "/api/v3"
	}
	rest = u.Scheme + "://" + u.Host + p + "/"
	return rest, GraphQLURLFor(rest), host, nil
}

// GraphQLURLFor derives the GraphQL endpoint from a REST base.
func GraphQLURLFor(rest string) string {
	rest = strings.TrimSuffix(rest, "/")
	if strings.HasSuffix(rest, "/api/v3") {
		return strings.TrimSuffix(rest, "/v3") + "/graphql"
	}
	return rest + "/graphql"
}

// Stats reports the requests made so far.
func (c *Client) Stats() Summary {
	s := c.stats.Summary()
	s.Budgets = c.lim.Budgets()
	return s
}

// Credential is the credential the client uses.
func (c *Client) Credential() *Credential { return c.cred }

// safe makes an error fit to print: no token (not even one GitHub echoed
// back), no query strings (download URLs carry tokens there), no literal
// registry token from a response body.
func (c *Client) safe(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: stripQuery(ue.URL), Err: ue.Err}
	}
	msg := c.redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is(err, context.Canceled) working; the wrapped error
// is never printed.
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redact(s string) string {
	for _, t := range c.cred.secrets() {
		if t != "" {
			s = strings.ReplaceAll(s, t, "[credential "+c.cred.Fingerprint()+"]")
		}
	}
	for _, m := range tokens.Find([]byte(s)) {
		s = strings.ReplaceAll(s, m.Secret(), "[redacted "+m.Fingerprint+"]")
	}
	return s
}

func stripQuery(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i] + "?…"
	}
	return raw
}

func decodeJSON(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(v)
}

// status returns the HTTP status of a go-github error, 0 for others.
func status(err error) int {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// refusedPermissions reads what a 403 says the request needed: fine-grained
// tokens and Apps get X-Accepted-GitHub-Permissions, classic tokens
// X-Accepted-OAuth-Scopes.
func refusedPermissions(err error) string {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return ""
	}
	if p := er.Response.Header.Get("X-Accepted-GitHub-Permissions"); p != "" {
		return p
	}
	if s := er.Response.Header.Get("X-Accepted-OAuth-Scopes"); s != "" {
		return "scopes " + s
	}
	return ""
}
