package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// label is one entry of testdata/corpus/LABELS.yaml (format in its README).
type label struct {
	File      string    `yaml:"file"`
	CI        string    `yaml:"ci"`
	Category  string    `yaml:"category"`
	Publishes []publish `yaml:"publishes"`
	Other     []struct {
		Secret any `yaml:"secret"`
	} `yaml:"other_secret_refs"`
}

type publish struct {
	Registry string `yaml:"registry"`
	Method   string `yaml:"method"`
	Job      string `yaml:"job"`
	Auth     string `yaml:"auth"`
	Secret   any    `yaml:"secret"`
	Line     any    `yaml:"line"`
}

func names(v any) []string {
	switch x := v.(type) {
	case string:
		return strings.Fields(strings.ReplaceAll(x, ",", " "))
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func lines(v any) []int {
	switch x := v.(type) {
	case int:
		return []int{x}
	case []any:
		var out []int
		for _, e := range x {
			if n, ok := e.(int); ok {
				out = append(out, n)
			}
		}
		return out
	}
	return nil
}

func has[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

var public = map[string]bool{"pypi": true, "testpypi": true, "rubygems": true, "npm": true, "crates": true, "nuget": true, "pubdev": true}

// secretOutOfSight lists labelled publishes whose secret name is not
// written in the file, so no scanner can name it from the file alone; the
// finding must still be on the labelled line.
var secretOutOfSight = map[string]string{
	// `secrets: inherit` to another repository's workflow: the names are
	// only known with a secrets inventory.
	"joinself__self-ruby-sdk__.github__workflows__ci.yml": "secrets: inherit to another repository",
	// ${!VARNAME_TWINE_PASSWORD}: the variable's name comes from a script
	// outside the file.
	"Erotemic__kwimage_ext__.gitlab-ci.yml": "bash indirection through a variable set outside the file",
}

type jsonReport struct {
	Findings []struct {
		Rule     string   `json:"rule"`
		Registry string   `json:"registry"`
		Path     string   `json:"path"`
		Line     int      `json:"line"`
		Job      string   `json:"job"`
		Secret   string   `json:"secret"`
		Secrets  []string `json:"secrets"`
		Score    int      `json:"score"`
		Factors  []struct {
			Points int `json:"points"`
		} `json:"factors"`
	} `json:"findings"`
	Errors []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestCorpusLabels scans the labelled real workflows and holds tpscan to the
// labels: every long-lived publish is found with its registry, secret and
// line, and nothing claims a stored secret where the label says trusted
// publishing, a job token, or no publish.
func TestCorpusLabels(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "corpus")
	raw, err := os.ReadFile(filepath.Join(dir, "LABELS.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []label
	if err := yaml.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, l := range labels {
		paths = append(paths, filepath.Join(dir, l.File))
	}
	var out, errOut bytes.Buffer
	opts := &LocalOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: paths, Format: "json", FailOn: "none"}
	if err := localRun(context.Background(), opts); err != nil {
		t.Fatalf("local: %v\n%s", err, errOut.String())
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// The corpus holds files that cannot be fully read; they must be listed,
	// and nothing else may be.
	wantErrors := map[string]string{
		"SanctumLabs__ci-workflows__.gitlab__templates__publish-pypi.yml": "invalid YAML",          // labelled invalid-yaml-indentation
		"Seekr-Technologies__seekr-hatchery__.gitlab__ci__pypi.yml":       "unresolved !reference", // its templates live in an include not in the corpus
	}
	seenErr := map[string]bool{}
	for _, e := range rep.Errors {
		base := filepath.Base(e.Path)
		if want, ok := wantErrors[base]; !ok || !strings.Contains(e.Message, want) {
			t.Errorf("unexpected scan error on %s: %s", e.Path, e.Message)
		}
		seenErr[base] = true
	}
	for f := range wantErrors {
		if !seenErr[f] {
			t.Errorf("%s should be listed under errors", f)
		}
	}
	byFile := map[string][]int{}
	for i, f := range rep.Findings {
		byFile[filepath.Base(f.Path)] = append(byFile[filepath.Base(f.Path)], i)
		sum := 0
		for _, fa := range f.Factors {
			sum += fa.Points
		}
		if want := min(max(sum, 0), 100); f.Score != want {
			t.Errorf("%s:%d: score %d is not the sum of its factors (%d)", f.Path, f.Line, f.Score, want)
		}
	}
	positives, found := 0, 0
	for _, l := range labels {
		exposed := map[string]bool{}
		for _, o := range l.Other {
			for _, n := range names(o.Secret) {
				exposed[n] = true
			}
		}
		var positiveSecrets []string
		for _, p := range l.Publishes {
			if p.Auth == "long-lived-secret" && public[p.Registry] {
				positiveSecrets = append(positiveSecrets, names(p.Secret)...)
			}
		}
		for _, p := range l.Publishes {
			if p.Auth != "long-lived-secret" || !public[p.Registry] {
				continue
			}
			positives++
			ls, ss := lines(p.Line), names(p.Secret)
			ok := false
			for _, i := range byFile[l.File] {
				f := rep.Findings[i]
				if f.Registry != p.Registry || !has(ls, f.Line) {
					continue
				}
				if _, blind := secretOutOfSight[l.File]; blind || has(ss, f.Secret) {
					ok = true
				}
			}
			if ok {
				found++
			} else {
				t.Errorf("%s: missed %s publish (%s) of %v at line %v", l.File, p.Registry, p.Method, ss, ls)
			}
		}
		// Nothing may name a secret as a publish credential where the label
		// has none.
		for _, i := range byFile[l.File] {
			f := rep.Findings[i]
			if f.Secret == "" || f.Rule == "TP006" || exposed[f.Secret] || has(positiveSecrets, f.Secret) {
				continue
			}
			matched := false
			for _, p := range l.Publishes {
				if has(lines(p.Line), f.Line) && (p.Auth == "long-lived-secret" || p.Auth == "unknown") {
					matched = true
				}
			}
			if !matched {
				t.Errorf("%s:%d: %s claims secret %s publishes to %s, which the label does not have", l.File, f.Line, f.Rule, f.Secret, f.Registry)
			}
		}
	}
	t.Logf("corpus: %d of %d labelled long-lived publishes found with registry, secret and line", found, positives)
}
