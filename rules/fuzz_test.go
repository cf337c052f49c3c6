package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/gitlabci"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

// FuzzEngine runs the whole engine on mutated real workflows: whatever the
// parsers accept, the flow analysis and the rules must not panic.
func FuzzEngine(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.y*ml"))
	for i, s := range seeds {
		if i%4 != 0 { // a quarter of the corpus keeps the seed run short
			continue
		}
		if b, err := os.ReadFile(s); err == nil && len(b) < 16<<10 {
			f.Add(b, !strings.Contains(s, "gitlab"))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, github bool) {
		if len(b) > 64<<10 {
			return
		}
		file := &model.File{Path: ".github/workflows/f.yml", Content: b}
		var p *model.Pipeline
		if github {
			p, _ = actions.ParseWorkflow(file)
		} else {
			file.Path = ".gitlab-ci.yml"
			p, _ = gitlabci.Parse(file, nil)
		}
		if p == nil {
			return
		}
		for _, j := range p.Jobs {
			for _, s := range j.Steps {
				shell.Ensure(s.Run)
			}
		}
		repo := &model.Repo{Name: "o/r", Files: []*model.File{file}, Pipelines: []*model.Pipeline{p}}
		rules.Run(&model.Inventory{Repos: []*model.Repo{repo}}, rules.All(), cat, &rules.Options{})
	})
}
