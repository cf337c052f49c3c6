package github

import (
	"sort"
	"sync"
	"time"
)

// Stats counts what a scan asked of the API, by kind of request. It is how
// the coverage section and the benchmarks prove frugality.
type Stats struct {
	mu          sync.Mutex
	requests    map[string]int
	notModified map[string]int
	retries     map[string]int
	errors      map[string]int
	primary     int
	secondary   int
	wait        time.Duration
}

func newStats() *Stats {
	return &Stats{requests: map[string]int{}, notModified: map[string]int{}, retries: map[string]int{}, errors: map[string]int{}}
}

func (s *Stats) response(kind string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[kind]++
	switch {
	case status == 304:
		s.notModified[kind]++
	case status >= 400:
		s.errors[kind]++
	}
}

func (s *Stats) retry(kind, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries[kind+" ("+why+")"]++
	if why == "network" {
		s.requests[kind]++
	}
}

func (s *Stats) limited(kind string, primary bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if primary {
		s.primary++
	} else {
		s.secondary++
	}
}

func (s *Stats) waited(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wait += d
}

// Summary is a snapshot of the counters.
type Summary struct {
	// Requests counts HTTP requests sent, by kind (retries included).
	Requests map[string]int `json:"requests"`
	// NotModified counts 304 answers to conditional requests (not charged).
	NotModified map[string]int `json:"not_modified,omitempty"`
	// Errors counts 4xx/5xx answers by kind (retried ones included).
	Errors map[string]int `json:"errors,omitempty"`
	// Retries counts retries by kind and cause.
	Retries          map[string]int `json:"retries,omitempty"`
	Total            int            `json:"total"`
	TotalNotModified int            `json:"total_not_modified"`
	PrimaryLimited   int            `json:"primary_limited,omitempty"`
	SecondaryLimited int            `json:"secondary_limited,omitempty"`
	// Waited is the time spent waiting for rate limits and backoff, summed
	// over workers.
	Waited time.Duration `json:"waited_ns,omitempty"`
	// Budgets per rate-limit resource (core, graphql).
	Budgets map[string]BudgetUse `json:"budgets,omitempty"`
}

// Summary copies the counters.
func (s *Stats) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Summary{Requests: copyMap(s.requests), NotModified: copyMap(s.notModified), Errors: copyMap(s.errors),
		Retries: copyMap(s.retries), PrimaryLimited: s.primary, SecondaryLimited: s.secondary, Waited: s.wait}
	for _, n := range s.requests {
		out.Total += n
	}
	for _, n := range s.notModified {
		out.TotalNotModified += n
	}
	return out
}

func copyMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SortedKinds lists the kinds of a count map in a stable order.
func SortedKinds(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
