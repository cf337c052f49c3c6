package fakegithub

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
)

// Faults are misbehaviours GitHub shows in practice. Path patterns are Go
// regular expressions matched against the escaped URL path after the API
// prefix, e.g. `^/repos/acme/web/actions/secrets`; GraphQL requests have the
// path "/graphql" in both modes. Counters in the maps are consumed: Update
// can re-arm them.
type Faults struct {
	// Deny answers matching requests with 403 or 404 and GitHub's body for
	// it: 404 {"message":"Not Found"} as for invisible private resources;
	// 403 "Must have admin rights to Repository." for classic tokens and
	// "Resource not accessible by personal access token" / "... by
	// integration" (with X-Accepted-GitHub-Permissions) for the others.
	// The response is charged, like any error GitHub serves.
	Deny map[string]int
	// ServerErrors: pattern -> number of 5xx responses (502, 503, 502, ...)
	// served to matching requests before they are served normally. Not
	// charged.
	ServerErrors map[string]int
	// SecondaryLimit refuses one request after every Every charged
	// requests with a secondary rate limit.
	SecondaryLimit *SecondaryLimit
	// PrimaryLimitStatus is the status of an exhausted primary REST budget:
	// 403 (default) or 429. GitHub documents both.
	PrimaryLimitStatus int
	// TruncateListAt: pattern -> n. A matching list is cut to its first n
	// items while total_count still reports every item, and pagination
	// (Link, page counts) covers only the n items: the client sees fewer
	// items than total_count claims, as when GitHub truncates a listing.
	// Arrays without total_count (org repositories) are cut silently.
	TruncateListAt map[string]int
	// GraphQLErrors: ordinal of a GraphQL request (1 = first one this
	// server receives) -> one of GraphQLRateLimited, GraphQLTimeout,
	// GraphQLSecondary.
	GraphQLErrors map[int]string
}

// GraphQL fault kinds.
const (
	// HTTP 200, {"errors":[{"type":"RATE_LIMITED",...}]}, no data and
	// x-ratelimit-remaining: 0, as for an exhausted GraphQL budget (the
	// budget itself is left alone).
	GraphQLRateLimited = "RATE_LIMITED"
	// HTTP 502 with GitHub's "We couldn't respond to your request in time"
	// body, as when a query runs longer than 10 seconds.
	GraphQLTimeout = "TIMEOUT"
	// HTTP 403 with the secondary rate limit body.
	GraphQLSecondary = "SECONDARY"
)

// SecondaryLimit configures secondary rate limit refusals.
type SecondaryLimit struct {
	// Every: after this many charged requests the next request is refused
	// (not charged); then counting starts again. <= 0 disables.
	Every int
	// Status 403 or 429; 0 alternates, starting with 403.
	Status int
	// RetryAfter in seconds for the Retry-After header; 0 omits the header
	// (GitHub does not always send it).
	RetryAfter int
	// DocumentationURL of the body; "" = the current
	// ".../rate-limits-for-the-rest-api#about-secondary-rate-limits". go-github
	// v62 recognises URLs ending in "#abuse-rate-limits" or
	// "secondary-rate-limits".
	DocumentationURL string
}

const secondaryDocURL = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

// compiled returns the compiled pattern, caching it; a bad pattern is
// recorded as a configuration error and never matches.
func (s *Server) compiled(pat string) *regexp.Regexp {
	if re, ok := s.reCache[pat]; ok {
		return re
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		s.configErrs = append(s.configErrs, fmt.Sprintf("fault pattern %q: %v", pat, err))
		re = nil
	}
	s.reCache[pat] = re
	return re
}

// match returns the first pattern (in sorted order, for determinism) of m
// that matches path.
func (s *Server) match(m map[string]int, path string) (string, bool) {
	if len(m) == 0 {
		return "", false
	}
	pats := make([]string, 0, len(m))
	for p := range m {
		pats = append(pats, p)
	}
	sort.Strings(pats)
	for _, p := range pats {
		if re := s.compiled(p); re != nil && re.MatchString(path) {
			return p, true
		}
	}
	return "", false
}

// serverErrorFault consumes one 5xx from ServerErrors for path.
func (s *Server) serverErrorFault(path string) *response {
	f := s.state.Faults.ServerErrors
	pat, ok := s.match(f, path)
	if !ok || f[pat] <= 0 {
		return nil
	}
	f[pat]--
	s.serverErrSeq++
	if s.serverErrSeq%2 == 1 {
		return jsonResponse(http.StatusBadGateway, map[string]any{"message": "Server Error"})
	}
	return jsonResponse(http.StatusServiceUnavailable, map[string]any{"message": "Service Unavailable"})
}

// secondaryFault decides whether this request hits the secondary limit.
func (s *Server) secondaryFault(c *rctx) *response {
	sl := s.state.Faults.SecondaryLimit
	if sl == nil || sl.Every <= 0 || s.sinceSecondary < sl.Every {
		return nil
	}
	s.sinceSecondary = 0
	s.secondarySeq++
	status := sl.Status
	if status == 0 {
		status = http.StatusForbidden
		if s.secondarySeq%2 == 0 {
			status = http.StatusTooManyRequests
		}
	}
	doc := sl.DocumentationURL
	if doc == "" {
		doc = secondaryDocURL
	}
	r := jsonResponse(status, map[string]any{
		"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
			"If you reach out to GitHub Support for help, please include the request ID " + c.requestID + ".",
		"documentation_url": doc,
	})
	if sl.RetryAfter > 0 {
		r.header.Set("Retry-After", fmt.Sprint(sl.RetryAfter))
	}
	return r
}

// truncateAt reports the TruncateListAt limit for path, or -1.
func (s *Server) truncateAt(path string) int {
	pat, ok := s.match(s.state.Faults.TruncateListAt, path)
	if !ok {
		return -1
	}
	return s.state.Faults.TruncateListAt[pat]
}
