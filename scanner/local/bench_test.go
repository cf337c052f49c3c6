package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/internal/gen"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/local"
)

// benchFiles is the size of the generated organisation: 10,000 workflows of
// 80–100 lines, the size the README's figures are for.
const benchFiles = 10000

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

func benchCorpus(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "tpscan-bench-")
		if benchErr != nil {
			return
		}
		r := gen.New(1)
		for i := 0; i < benchFiles; i++ {
			p := filepath.Join(benchDir, fmt.Sprintf("wf-%05d.yml", i))
			if benchErr = os.WriteFile(p, []byte(gen.Workflow(r, i)), 0o644); benchErr != nil {
				return
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

// BenchmarkYAMLParseOnly is the floor: read every file and parse it into
// yaml.v3 nodes on all cores, nothing else.
func BenchmarkYAMLParseOnly(b *testing.B) {
	dir := benchCorpus(b)
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		ch := make(chan string)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range ch {
					data, err := os.ReadFile(p)
					if err != nil {
						b.Error(err)
						continue
					}
					var n yaml.Node
					if err := yaml.Unmarshal(data, &n); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, e := range entries {
			ch <- filepath.Join(dir, e.Name())
		}
		close(ch)
		wg.Wait()
	}
	b.ReportMetric(float64(len(entries))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkScan is the whole engine on the same files: read, parse with
// actionlint, parse every run: script as shell, search for literal tokens,
// follow credentials and score findings.
func BenchmarkScan(b *testing.B) {
	dir := benchCorpus(b)
	cat := catalog.MustLoad()
	b.ReportAllocs()
	b.ResetTimer()
	findings := 0
	for i := 0; i < b.N; i++ {
		inv, err := local.Load(context.Background(), []string{dir}, local.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Coverage) > 0 {
			b.Fatalf("unexpected errors: %+v", inv.Coverage[0])
		}
		fs := rules.Run(inv, rules.All(), cat, &rules.Options{ReadFile: local.ReadFile})
		findings = len(fs)
	}
	b.ReportMetric(float64(benchFiles)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(findings), "findings")
}

// BenchmarkRulesOnly is the engine without reading or parsing: flow
// analysis and every rule over the already parsed organisation.
func BenchmarkRulesOnly(b *testing.B) {
	dir := benchCorpus(b)
	cat := catalog.MustLoad()
	inv, err := local.Load(context.Background(), []string{dir}, local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rules.Run(inv, rules.All(), cat, &rules.Options{ReadFile: local.ReadFile})
	}
	b.ReportMetric(float64(benchFiles)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkLoadOnly is reading and parsing into the model, without rules.
func BenchmarkLoadOnly(b *testing.B) {
	dir := benchCorpus(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := local.Load(context.Background(), []string{dir}, local.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchFiles)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
