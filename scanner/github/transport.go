package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter is the transport every API request goes through. It owns what
// go-github v62 gets wrong or leaves out: it reads x-ratelimit-* on every
// response and slows down before a budget runs out, waits out secondary
// limits whether GitHub answers 403 or 429 (v62 only knows 403) with or
// without Retry-After, retries 5xx and timeouts with capped backoff, and
// bounds concurrency. It never hands go-github a rate-limit response, because
// v62 would then refuse every later call locally until the reset time.
type limiter struct {
	base  http.RoundTripper
	sem   chan struct{}
	stats *Stats
	cfg   LimitConfig

	mu      sync.Mutex
	budgets map[string]*budget
	// nextSlot spaces requests to one endpoint kind at EndpointPerMinute.
	nextSlot map[string]time.Time
	// pausedUntil holds every request back after a secondary limit: GitHub
	// counts them across endpoints, so one worker hitting it means all
	// should wait.
	pausedUntil time.Time
}

// LimitConfig tunes the limiter. Zero values take the defaults.
type LimitConfig struct {
	// Concurrency bounds requests in flight (GitHub allows 100 across REST
	// and GraphQL; it asks integrations to stay far below).
	Concurrency int
	// MaxRetries for one request after 5xx, timeouts and secondary limits.
	MaxRetries int
	// MaxWait is the longest the limiter waits for a primary rate limit to
	// reset before giving up on a request.
	MaxWait time.Duration
	// SecondaryWait is the wait after a secondary limit without
	// Retry-After (GitHub says: at least a minute).
	SecondaryWait time.Duration
	// BackoffBase and BackoffCap bound the exponential backoff for 5xx.
	BackoffBase, BackoffCap time.Duration
	// Reserve is the part of a budget kept back: below it, requests wait
	// for the reset; between it and Pace, requests are spread over the time
	// left.
	Reserve, Pace float64
	// EndpointPerMinute caps requests per minute to one endpoint kind,
	// under GitHub's secondary limit of 900 points per minute per REST
	// endpoint. Negative disables (benchmarks measuring the client alone).
	EndpointPerMinute int
	// Now and Sleep are injected by tests.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c *LimitConfig) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 5
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 15 * time.Minute
	}
	if c.SecondaryWait <= 0 {
		c.SecondaryWait = time.Minute
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = time.Second
	}
	if c.BackoffCap <= 0 {
		c.BackoffCap = 30 * time.Second
	}
	if c.Reserve <= 0 {
		c.Reserve = 0.01
	}
	if c.Pace <= 0 {
		c.Pace = 0.10
	}
	if c.EndpointPerMinute == 0 {
		c.EndpointPerMinute = 850
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = SleepContext
	}
}

// SleepContext sleeps for d or until ctx is done; the default sleep of
// everything that waits on GitHub.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// budget is what GitHub last said about one rate-limit resource.
type budget struct {
	limit, remaining, used int
	reset                  time.Time
	// first is the first reading of the scan, for "budget used".
	firstRemaining int
	firstReset     time.Time
}

func newLimiter(base http.RoundTripper, stats *Stats, cfg LimitConfig) *limiter {
	cfg.defaults()
	return &limiter{base: base, sem: make(chan struct{}, cfg.Concurrency), stats: stats, cfg: cfg, budgets: map[string]*budget{}, nextSlot: map[string]time.Time{}}
}

// RateLimitError is returned when a request could not be made within the
// rate limit: the budget is spent and resets later than the limiter may wait.
type RateLimitError struct {
	Resource string
	Reset    time.Time
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("GitHub %s rate limit exhausted until %s", e.Resource, e.Reset.UTC().Format(time.RFC3339))
}

func resourceOf(req *http.Request) string {
	p := req.URL.Path
	switch {
	case strings.HasSuffix(p, "/graphql"):
		return "graphql"
	case strings.HasSuffix(p, "/code-scanning/sarifs"):
		return "code_scanning_upload"
	}
	return "core"
}

func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	resource := resourceOf(req)
	kind := kindOf(ctx)
	for attempt := 0; ; attempt++ {
		if err := l.waitTurn(ctx, resource, kind); err != nil {
			return nil, err
		}
		try, err := rewind(req)
		if err != nil {
			return nil, err
		}
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		resp, err := l.base.RoundTrip(try)
		<-l.sem
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if attempt < l.cfg.MaxRetries && retryable(err) {
				l.stats.retry(kind, "network")
				if err := l.cfg.Sleep(ctx, l.backoff(attempt)); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		l.observe(resource, resp.Header)
		l.stats.response(kind, resp.StatusCode)
		switch {
		case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
			body := peekBody(resp)
			wait, primary, limited := l.classify(resp, body)
			if !limited {
				return resp, nil
			}
			drain(resp)
			l.stats.limited(kind, primary)
			if primary {
				if wait > l.cfg.MaxWait || attempt >= l.cfg.MaxRetries {
					return nil, &RateLimitError{Resource: resource, Reset: l.cfg.Now().Add(wait)}
				}
			} else {
				if attempt >= l.cfg.MaxRetries {
					return nil, fmt.Errorf("GitHub secondary rate limit: still limited after %d retries", attempt)
				}
				l.pause(wait)
			}
			if err := l.cfg.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			l.stats.waited(wait)
		case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
			if attempt >= l.cfg.MaxRetries {
				return resp, nil
			}
			drain(resp)
			l.stats.retry(kind, strconv.Itoa(resp.StatusCode))
			if err := l.cfg.Sleep(ctx, l.backoff(attempt)); err != nil {
				return nil, err
			}
		default:
			return resp, nil
		}
	}
}

// rewind gives a fresh copy of the request for each attempt: a POST body
// (GraphQL) must be sent again in full.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("request body cannot be replayed for a retry")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "connection reset")
}

func (l *limiter) backoff(attempt int) time.Duration {
	d := l.cfg.BackoffBase << attempt
	if d > l.cfg.BackoffCap || d <= 0 {
		d = l.cfg.BackoffCap
	}
	// Full jitter keeps parallel workers from retrying in lockstep.
	return d/2 + rand.N(d/2+1)
}

// classify reads a 403/429: a primary limit (remaining 0), a secondary limit
// (its message, or Retry-After), or an ordinary refusal (permissions), which
// is the caller's business.
func (l *limiter) classify(resp *http.Response, body []byte) (wait time.Duration, primary, limited bool) {
	h := resp.Header
	now := l.cfg.Now()
	retryAfter := -1
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			retryAfter = n
		} else if t, err := http.ParseTime(v); err == nil {
			retryAfter = int(t.Sub(now).Seconds()) + 1
		}
	}
	msg := strings.ToLower(string(body))
	secondary := strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse") ||
		strings.Contains(msg, "temporarily blocked")
	if h.Get("X-Ratelimit-Remaining") == "0" && !secondary {
		reset := parseReset(h.Get("X-Ratelimit-Reset"))
		wait = max(reset.Sub(now), 0) + time.Second
		if retryAfter >= 0 {
			wait = time.Duration(retryAfter) * time.Second
		}
		return wait, true, true
	}
	if !secondary && retryAfter < 0 && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false, false
	}
	if retryAfter >= 0 {
		return time.Duration(retryAfter) * time.Second, false, true
	}
	if reset := parseReset(h.Get("X-Ratelimit-Reset")); h.Get("X-Ratelimit-Remaining") == "0" && reset.After(now) {
		return reset.Sub(now) + time.Second, false, true
	}
	return l.cfg.SecondaryWait, false, true
}

func parseReset(v string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

func (l *limiter) pause(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := l.cfg.Now().Add(d); until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// waitTurn holds a request back while a secondary limit is being waited out,
// and paces requests once a budget runs low: below Pace of the limit the
// remaining requests are spread over the time to the reset, below Reserve
// they wait for the reset. Slowing before the limit is what GitHub asks for,
// and it keeps the scan from ever seeing a primary 403.
func (l *limiter) waitTurn(ctx context.Context, resource, kind string) error {
	l.mu.Lock()
	now := l.cfg.Now()
	var wait time.Duration
	if l.pausedUntil.After(now) {
		wait = l.pausedUntil.Sub(now)
	}
	if l.cfg.EndpointPerMinute > 0 && resource == "core" {
		// Reserve the next slot of this endpoint: GitHub's secondary
		// limit counts points per endpoint per minute.
		gap := time.Minute / time.Duration(l.cfg.EndpointPerMinute)
		slot := l.nextSlot[kind]
		if slot.Before(now) {
			slot = now
		}
		l.nextSlot[kind] = slot.Add(gap)
		wait = max(wait, slot.Sub(now))
	}
	if b := l.budgets[resource]; b != nil && b.limit > 0 && b.reset.After(now) {
		left := b.reset.Sub(now)
		switch frac := float64(b.remaining) / float64(b.limit); {
		case b.remaining <= 0 || frac < l.cfg.Reserve:
			if left > l.cfg.MaxWait {
				l.mu.Unlock()
				return &RateLimitError{Resource: resource, Reset: b.reset}
			}
			wait = max(wait, left+time.Second)
		case frac < l.cfg.Pace:
			wait = max(wait, left/time.Duration(b.remaining+1))
			// Count the request now so concurrent workers do not all
			// take the same slot.
			b.remaining--
		}
	}
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	l.stats.waited(wait)
	return l.cfg.Sleep(ctx, wait)
}

// observe records a response's rate-limit headers.
func (l *limiter) observe(resource string, h http.Header) {
	if r := h.Get("X-Ratelimit-Resource"); r != "" {
		resource = r
	}
	limit, err1 := strconv.Atoi(h.Get("X-Ratelimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Ratelimit-Remaining"))
	if err1 != nil || err2 != nil {
		return
	}
	used, _ := strconv.Atoi(h.Get("X-Ratelimit-Used"))
	reset := parseReset(h.Get("X-Ratelimit-Reset"))
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.budgets[resource]
	if b == nil {
		b = &budget{firstRemaining: remaining, firstReset: reset}
		// The first reading was taken after this request was charged.
		b.firstRemaining++
		l.budgets[resource] = b
	}
	// Responses arrive out of order: keep the lowest remaining within one
	// reset window, and start over when the window moves.
	if reset.After(b.reset) || remaining < b.remaining || b.limit == 0 {
		b.remaining = remaining
	}
	b.limit, b.used = limit, used
	if reset.After(b.reset) {
		b.reset = reset
	}
}

// Budgets reports, per resource, the limit, what remains and what this scan
// spent of it.
func (l *limiter) Budgets() map[string]BudgetUse {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]BudgetUse{}
	for r, b := range l.budgets {
		spent := b.firstRemaining - b.remaining
		if b.reset.After(b.firstReset) && !b.firstReset.IsZero() {
			// The window reset during the scan: what was left of the
			// first window plus what the new one has spent.
			spent = b.firstRemaining + (b.limit - b.remaining)
		}
		out[r] = BudgetUse{Limit: b.limit, Remaining: b.remaining, Spent: max(spent, 0), Reset: b.reset}
	}
	return out
}

// BudgetUse is one rate-limit resource as the scan left it.
type BudgetUse struct {
	Limit     int       `json:"limit"`
	Remaining int       `json:"remaining"`
	Spent     int       `json:"spent"`
	Reset     time.Time `json:"reset"`
}

// peekBody reads a small response body and puts it back.
func peekBody(resp *http.Response) []byte {
	if resp.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	return b
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}

type kindKey struct{}

// withKind labels the requests made with ctx for the request counts
// ("repo-secrets", "graphql-inventory", ...).
func withKind(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, kindKey{}, kind)
}

func kindOf(ctx context.Context) string {
	if k, ok := ctx.Value(kindKey{}).(string); ok {
		return k
	}
	return "other"
}
