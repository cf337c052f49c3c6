package fakegithub

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// bucket is one primary rate-limit budget: an identity and a resource
// ("core" or "graphql"). Like GitHub's, the one-hour window starts with the
// first charged request and the budget refills completely at reset.
type bucket struct {
	resource string
	limit    int
	used     int
	reset    time.Time // zero until the first charge of a window
	who      string    // for the "API rate limit exceeded for ..." text
}

func (b *bucket) roll(now time.Time) {
	if !b.reset.IsZero() && !now.Before(b.reset) {
		b.used, b.reset = 0, time.Time{}
	}
}

func (b *bucket) remaining(now time.Time) int {
	b.roll(now)
	if r := b.limit - b.used; r > 0 {
		return r
	}
	return 0
}

func (b *bucket) resetAt(now time.Time) time.Time {
	b.roll(now)
	if b.reset.IsZero() {
		return now.Add(time.Hour).Truncate(time.Second)
	}
	return b.reset
}

func (b *bucket) exhausted(now time.Time) bool { return b.remaining(now) <= 0 }

func (b *bucket) charge(now time.Time, n int) {
	b.roll(now)
	if b.reset.IsZero() {
		b.reset = now.Add(time.Hour).Truncate(time.Second)
	}
	b.used += n
}

func (b *bucket) setHeaders(h http.Header, now time.Time) {
	h.Set("X-RateLimit-Limit", fmt.Sprint(b.limit))
	h.Set("X-RateLimit-Remaining", fmt.Sprint(b.remaining(now)))
	h.Set("X-RateLimit-Used", fmt.Sprint(b.used))
	h.Set("X-RateLimit-Reset", fmt.Sprint(b.resetAt(now).Unix()))
	h.Set("X-RateLimit-Resource", b.resource)
}

// bucketFor returns the principal's budget for a resource. Classic and
// fine-grained tokens of one user share the user's budget (GitHub: "all
// share the user's bucket"); each installation has its own; unauthenticated
// clients get 60 per hour per IP.
func (s *Server) bucketFor(p *principal, resource string) *bucket {
	var key, who string
	limit := 5000
	switch {
	case p.app != nil:
		key, who = fmt.Sprintf("app:%d", p.app.ID), fmt.Sprintf("integration ID %d", p.app.ID)
	case p.tok == nil:
		key, who, limit = "ip:"+p.remote, p.remote, 60
	case p.tok.Kind == KindInstallation:
		key, who = "installation:"+p.fp, "installation ID "+fmt.Sprint(p.tok.InstallationID)
		if p.tok.InstallationID != 0 {
			key = fmt.Sprintf("installation:%d", p.tok.InstallationID)
		}
	case p.tok.Kind == KindGitHubActions:
		key, who, limit = "actions:"+p.fp, "installation ID 0", 1000
	default:
		key, who = "user:"+strings.ToLower(p.tok.Login), "user ID "+fmt.Sprint(userID(p.tok))
	}
	if p.tok != nil && p.tok.RateLimit > 0 {
		limit = p.tok.RateLimit
	}
	if resource == uploadResource {
		// Its own hourly limit, whatever the core budget (see
		// codescanning.go).
		limit = s.opts.SARIFUploadsPerHour
		if limit <= 0 {
			limit = 1000
		}
	}
	k := key + "|" + resource
	b, ok := s.buckets[k]
	if !ok {
		b = &bucket{resource: resource, who: who}
		s.buckets[k] = b
	}
	b.limit = limit
	return b
}

// primaryLimited is GitHub's answer to an exhausted REST budget.
func (s *Server) primaryLimited(c *rctx) *response {
	status := s.state.Faults.PrimaryLimitStatus
	if status != http.StatusTooManyRequests {
		status = http.StatusForbidden
	}
	msg := "API rate limit exceeded for " + c.bucket.who + "."
	if c.p.tok == nil && c.p.app == nil {
		msg += " (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
	} else {
		msg += " If you reach out to GitHub Support for help, please include the request ID " + c.requestID + "."
	}
	return errResponse(status, msg, "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")
}

func userID(t *Token) int64 {
	if t.UserID != 0 {
		return t.UserID
	}
	return stableID("user", strings.ToLower(t.Login))
}
