package github_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/internal/fakegithub"
	"github.com/tpscan/tpscan/scanner/github"
)

// benchOrg is an organisation of n repositories whose workflows are the
// labelled corpus's GitHub workflows, cycled; every tenth repository has a
// deployment environment with a secret, every repository a secret and a
// variable.
func benchOrg(b *testing.B, n int) *fakegithub.State {
	b.Helper()
	dir := filepath.Join("..", "..", "testdata", "corpus")
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var workflows []string
	for _, e := range entries {
		if strings.Contains(e.Name(), "__.github__workflows__") {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			workflows = append(workflows, string(data))
		}
	}
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	org := &fakegithub.Org{Login: "big", Admins: []string{"admin"}}
	for i := 0; i < n; i++ {
		r := &fakegithub.Repo{Name: fmt.Sprintf("repo-%04d", i), Visibility: "private", Files: map[string]string{
			".github/workflows/release.yml": workflows[i%len(workflows)],
			".github/workflows/ci.yml":      workflows[(i+7)%len(workflows)],
		},
			Secrets:   []*fakegithub.Secret{{Name: "PYPI_API_TOKEN", CreatedAt: t0, UpdatedAt: t0}},
			Variables: []*fakegithub.Variable{{Name: "PYTHON_VERSION", Value: "3.12", CreatedAt: t0, UpdatedAt: t0}},
		}
		if i%10 == 0 {
			r.Environments = []*fakegithub.Environment{{Name: "release", Secrets: []*fakegithub.Secret{{Name: "NPM_TOKEN", CreatedAt: t0, UpdatedAt: t0}}}}
		}
		org.Repos = append(org.Repos, r)
	}
	return &fakegithub.State{Orgs: map[string]*fakegithub.Org{"big": org},
		Tokens: map[string]*fakegithub.Token{adminToken: {Kind: fakegithub.KindClassic, Login: "admin", Scopes: []string{"repo", "admin:org"}, RateLimit: 1_000_000}}}
}

// BenchmarkOrgScan measures a first scan and an unchanged re-scan of 2,000
// repositories against the fake GitHub with 100 ms latency per request:
// wall time, requests per repository, and the share of the first scan's
// charged requests the re-scan spends. Per-endpoint pacing (GitHub's
// secondary limit) is off so the client itself is measured; see README.
func BenchmarkOrgScan(b *testing.B) {
	const repos = 2000
	latency := 100 * time.Millisecond
	if os.Getenv("TPSCAN_BENCH_LATENCY") != "" {
		latency, _ = time.ParseDuration(os.Getenv("TPSCAN_BENCH_LATENCY"))
	}
	for _, admin := range []bool{true, false} {
		name := "org-admin"
		if !admin {
			name = "no-org-admin"
		}
		b.Run(name, func(b *testing.B) {
			st := benchOrg(b, repos)
			if !admin {
				st.Orgs["big"].Admins = nil
			}
			srv := fakegithub.New(st, fakegithub.Options{Latency: latency})
			srv.Start(b)
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				run := func() (time.Duration, github.Summary, int) {
					cache, _ := github.OpenCache(dir, []byte(adminToken))
					c, err := github.NewClient(github.Config{APIURL: srv.URL(), GraphQLURL: srv.GraphQLURL(), Credential: github.TokenCredential(adminToken, "bench"),
						Cache: cache, Limits: github.LimitConfig{Concurrency: 20, EndpointPerMinute: -1}})
					if err != nil {
						b.Fatal(err)
					}
					srv.ResetStats()
					start := time.Now()
					res, err := c.Collect(context.Background(), github.Options{Org: "big", Workers: 20})
					if err != nil {
						b.Fatal(err)
					}
					if len(res.Inventory.Repos) != repos {
						b.Fatalf("repos = %d", len(res.Inventory.Repos))
					}
					return time.Since(start), c.Stats(), srv.Stats().Charged
				}
				d1, s1, charged1 := run()
				d2, _, charged2 := run()
				b.ReportMetric(d1.Seconds(), "first-scan-s")
				b.ReportMetric(float64(s1.Total)/repos, "requests/repo")
				b.ReportMetric(float64(charged1)/repos, "charged/repo")
				b.ReportMetric(d2.Seconds(), "rescan-s")
				b.ReportMetric(100*float64(charged2)/float64(charged1), "rescan-%-of-first")
			}
		})
	}
}
