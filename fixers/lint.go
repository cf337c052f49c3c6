package fixers

import (
	"fmt"
	"io"
	"regexp"

	"github.com/rhysd/actionlint"

	"github.com/tpscan/tpscan/scanner/gitlabci"
	"github.com/tpscan/tpscan/scanner/model"
)

// lineRef drops line numbers from actionlint messages ("defined at
// line:12"), which move when a patch adds lines.
var lineRef = regexp.MustCompile(`line:? ?\d+(:\d+)?`)

// lintCounts is actionlint's verdict on a workflow, by kind and message.
// External linters (shellcheck, pyflakes) stay off: the verdict must not
// depend on what the machine has installed.
func lintCounts(src []byte) (map[string]int, error) {
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		return nil, err
	}
	errs, err := l.Lint("<stdin>", src, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, e := range errs {
		out[e.Kind+": "+lineRef.ReplaceAllString(e.Message, "line")]++
	}
	return out, nil
}

// newLintErrors returns an actionlint error the fixed file has and the
// original had not, or "". actionlint parses the file first, so a patch
// that breaks the YAML or the workflow syntax shows here too. The original
// is linted only when the fixed file has errors at all, which is rare.
func newLintErrors(orig, fixed []byte) (string, error) {
	after, err := lintCounts(fixed)
	if err != nil || len(after) == 0 {
		return "", err
	}
	before, err := lintCounts(orig)
	if err != nil {
		return "", err
	}
	for k, n := range after {
		if n > before[k] {
			return fmt.Sprintf("actionlint: %s", k), nil
		}
	}
	return "", nil
}

// reparse says why a fixed file cannot be offered: it does not parse as
// its CI's file, or (GitHub) actionlint finds a new error. "" means fine.
func reparse(kind model.CIKind, path string, orig, fixed []byte) string {
	if kind == model.GitLabCI {
		file := &model.File{Path: path, Content: fixed}
		if _, errs := gitlabci.Parse(file, nil); len(errs) > 0 {
			// Errors the original had too (an include out of reach) do
			// not count against the patch.
			_, before := gitlabci.Parse(&model.File{Path: path, Content: orig}, nil)
			if len(errs) > len(before) {
				return errs[len(errs)-1].Error()
			}
		}
		return ""
	}
	msg, err := newLintErrors(orig, fixed)
	if err != nil {
		return "actionlint: " + err.Error()
	}
	return msg
}
