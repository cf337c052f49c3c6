package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/rules/tokens"
	"github.com/tpscan/tpscan/scanner/model"
)

func writeMD(t *testing.T, r *Report, opts MarkdownOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// report builds a report around findings, with the summary New would give.
func report(fs ...*rules.Finding) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "tpscan", Version: "dev"}, Findings: fs,
		Errors: []model.CoverageGap{}, Coverage: &Coverage{Repositories: 3, FullyRead: 3, PartlyRead: []PartialRepo{}}}
	r.Summary = Summary{Repositories: 3, Files: 10, Pipelines: 4, BySeverity: map[string]int{}}
	for _, f := range fs {
		if f.Suppressed {
			r.Summary.Suppressed++
			continue
		}
		r.Summary.Findings++
		r.Summary.BySeverity[f.Severity]++
	}
	return r
}

// checkMarkdown holds md to the block structure GitHub needs: fences and
// <details> balanced and never crossing, a blank line after each <summary>
// and before each </details> (else GitHub does not render the Markdown
// between them), every table row as wide as its header, no trailing
// whitespace, one final newline.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	if !strings.HasSuffix(md, "\n") || strings.HasSuffix(md, "\n\n") {
		t.Errorf("the report does not end with exactly one newline: %q", md[max(0, len(md)-20):])
	}
	lines := strings.Split(strings.TrimSuffix(md, "\n"), "\n")
	fence, depth, tableCols := "", 0, 0
	for i, l := range lines {
		n := i + 1
		if strings.TrimRight(l, " \t") != l {
			t.Errorf("line %d has trailing whitespace: %q", n, l)
		}
		if fence != "" {
			if strings.HasPrefix(strings.TrimLeft(l, " "), fence) && strings.Trim(l, "` ") == "" && len(l)-len(strings.TrimLeft(l, " ")) <= 3 {
				fence = ""
			}
			continue
		}
		if m := regexp.MustCompile("^(`{3,})([^`]*)$").FindStringSubmatch(l); m != nil {
			fence = m[1]
			tableCols = 0
			continue
		}
		switch {
		case l == "<details>":
			depth++
			if i+1 >= len(lines) || !regexp.MustCompile(`^<summary>[^\n]*</summary>$`).MatchString(lines[i+1]) {
				t.Errorf("line %d: <details> is not followed by a one-line <summary>", n)
			} else if i+2 >= len(lines) || lines[i+2] != "" {
				t.Errorf("line %d: no blank line after the <summary>", n+1)
			}
		case l == "</details>":
			depth--
			if depth < 0 {
				t.Fatalf("line %d: </details> without <details>", n)
			}
			if lines[i-1] != "" {
				t.Errorf("line %d: no blank line before </details>", n)
			}
		case strings.Contains(stripCodeSpans(l), "<details>") || strings.Contains(stripCodeSpans(l), "</details>"):
			t.Errorf("line %d: a details tag shares its line: %q", n, l)
		}
		if strings.HasPrefix(l, "|") {
			cols := pipes(l)
			switch {
			case tableCols == 0:
				tableCols = cols
				if i+1 >= len(lines) || !regexp.MustCompile(`^\|(-+:?\|)+$`).MatchString(lines[i+1]) || pipes(lines[i+1]) != cols {
					t.Errorf("line %d: a table header without its delimiter row", n)
				}
			case cols != tableCols:
				t.Errorf("line %d has %d cells, its table %d: %q", n, cols-1, tableCols-1, l)
			}
		} else {
			tableCols = 0
		}
	}
	if fence != "" {
		t.Errorf("a %s fence is never closed", fence)
	}
	if depth != 0 {
		t.Errorf("%d <details> never closed", depth)
	}
}

// pipes counts the cell delimiters of a table row: pipes not escaped.
func pipes(l string) int {
	n := 0
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// prose is md without fenced blocks and code spans: what GitHub reads as
// Markdown, HTML, mentions and references.
func prose(md string) string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		if fence != "" {
			if strings.HasPrefix(l, fence) && strings.Trim(l, "`") == "" {
				fence = ""
			}
			continue
		}
		if m := regexp.MustCompile("^(`{3,})").FindString(l); m != "" {
			fence = m
			continue
		}
		out = append(out, stripCodeSpans(l))
	}
	return strings.Join(out, "\n")
}

func stripCodeSpans(l string) string {
	var b strings.Builder
	for i := 0; i < len(l); {
		if l[i] == '\\' && i+1 < len(l) {
			b.WriteString(l[i : i+2])
			i += 2
			continue
		}
		if l[i] != '`' {
			b.WriteByte(l[i])
			i++
			continue
		}
		n := 0
		for i+n < len(l) && l[i+n] == '`' {
			n++
		}
		closing := -1
		for j := i + n; j < len(l); {
			if l[j] != '`' {
				j++
				continue
			}
			k := 0
			for j+k < len(l) && l[j+k] == '`' {
				k++
			}
			if k == n {
				closing = j
				break
			}
			j += k
		}
		if closing < 0 {
			b.WriteString(l[i : i+n])
			i += n
			continue
		}
		b.WriteString("CODE")
		i = closing + n
	}
	return b.String()
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		name, in, want string
		esc            func(string) string
	}{
		{"plain", "Secret NPM_TOKEN reaches npm publish", "Secret NPM_TOKEN reaches npm publish", mdText},
		{"pipe", "a | b", `a \| b`, mdText},
		{"newline", "first\nsecond\r\n# third", "first second # third", mdText},
		{"leading heading", "# not a heading", `\# not a heading`, mdText},
		{"leading heading run", "### three", `\### three`, mdText},
		{"hash word", "#hashtag stays", "#hashtag stays", mdText},
		{"leading quote", "> not a quote", "&gt; not a quote", mdText},
		{"leading list", "- not an item", `\- not an item`, mdText},
		{"leading plus", "+ not an item", `\+ not an item`, mdText},
		{"leading ordered", "12. not an item", `12\. not an item`, mdText},
		{"version", "0.0.0-dev", "0.0.0-dev", mdText},
		{"flag", "--token", "--token", mdText},
		{"thematic break", "---", `\---`, mdText},
		{"setext", "===", `\===`, mdText},
		{"closing hashes", "heading ##", `heading \##`, mdText},
		{"html tag", "<img src=x onerror=alert(1)>", "`<img` src=x `onerror=alert(1)>`", mdText},
		{"lone angle", "a < b > c", "a &lt; b &gt; c", mdText},
		{"placeholder", "If <project> is new", "If `<project>` is new", mdText},
		{"ampersand", "a & b &amp;", "a &amp; b &amp;amp;", mdText},
		{"mention", "@everyone", "`@everyone`", mdText},
		{"mention in words", "ping @octocat, please", "ping `@octocat`, please", mdText},
		{"team mention", "package @demo-org/widget", "package `@demo-org/widget`", mdText},
		{"mention in parentheses", "(cc @admins)", "(cc `@admins`)", mdText},
		{"email", "user@example.com", "user@example.com", mdText},
		{"action pin", "actions/checkout@v4", "actions/checkout@v4", mdText},
		{"reference", "fixes #12", "fixes `#12`", mdText},
		{"cross reference", "o/r#3", "`o/r#3`", mdText},
		{"intraword underscore", "NODE_AUTH_TOKEN and BUNDLE_GEM__PUSH_KEY", "NODE_AUTH_TOKEN and BUNDLE_GEM__PUSH_KEY", mdText},
		{"edge underscore", "_authToken __init__", `\_authToken \_\_init\_\_`, mdText},
		{"emphasis and links", "**bold** [link](x) ![img](y)", `\*\*bold\*\* \[link\](x) !\[img\](y)`, mdText},
		{"strike", "~~gone~~ ~/.gem", `\~\~gone\~\~ \~/.gem`, mdText},
		{"backslash", `C:\path\`, `C:\\path\\`, mdText},
		{"backticks", "run `rm -rf` now", "run \\`rm -rf\\` now", mdText},
		{"math", "$HOME/.gem and $x$", "`$HOME/.gem` and `$x$`", mdText},
		{"bare url", "at https://pypi.org/manage/account/token/.", "at https://pypi.org/manage/account/token/.", mdText},
		{"url with query", "https://pypi.org/p/?provider=github&owner=o", "https://pypi.org/p/?provider=github&owner=o", mdText},
		{"url with placeholder", "form: https://pypi.org/manage/project/<project>/settings/.", "form: `https://pypi.org/manage/project/<project>/settings/`.", mdText},
		{"url with star", "https://x.org/*", "`https://x.org/*`", mdText},
		{"url with mention", "https://x.org/@everyone", "`https://x.org/@everyone`", mdText},
		{"control characters", "a\tb\x00c\u2028d", "a b c d", mdText},
		{"empty", " \n ", "", mdText},

		{"code", "Publish to npm", "`Publish to npm`", mdCode},
		{"code with backtick", "a`b", "``a`b``", mdCode},
		{"code with backtick run", "a``b`", "``` a``b` ```", mdCode},
		{"code edge backtick", "`x`", "`` `x` ``", mdCode},
		{"code newline", "x\n# y", "`x # y`", mdCode},
		{"code keeps html", "<b>&</b> @everyone", "`<b>&</b> @everyone`", mdCode},

		{"cell code", "NPM_TOKEN", "`NPM_TOKEN`", cellCode},
		{"cell pipe", "a|b", `a\|b`, cellCode},
		{"cell backslash pipe", `a\|b`, `a\\\|b`, cellCode},

		{"html", `<b>"x" & y</b>`, `&lt;b&gt;"x" &amp; y&lt;/b&gt;`, htmlText},
		{"html mention", "@team and a@b", "@\u200dteam and a@b", htmlText},
		{"html reference", "see #4", "see #\u200d4", htmlText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.esc(tt.in); got != tt.want {
				t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMarkdownHostileContent feeds what a hostile workflow can put in a
// finding and checks that the report keeps its structure and that none of
// it becomes Markdown, HTML, a mention or a reference.
func TestMarkdownHostileContent(t *testing.T) {
	f := &rules.Finding{
		Rule: "TP001", RuleName: "stored-token-publish", Severity: "critical", Score: 95, Registry: "pypi",
		Repo: "o/r", Path: "evil|pa`th.yml", Line: 4, Job: "@everyone", Step: "<img src=x onerror=alert(1)> | `rm` \n# Owned",
		Secret: "PYPI|TOKEN", SecretKind: "secret",
		Factors:     []risk.Factor{{Name: "long-lived-token", Points: 95, Reason: "reason | with pipe\n## and heading"}},
		Message:     "Secret X reaches\n# Heading\n> quote\n- item @octocat fixes #12 <script>alert(1)</script>",
		Fix:         "~~strike~~ **bold** [x](javascript:alert(1))",
		Patch:       "--- a/evil|pa`th.yml\n+++ b/evil|pa`th.yml\n@@ -1,3 +1,3 @@\n ```\n-</details>\n+<details>\n ````\n \n",
		PatchNotes:  []string{"<!-- hidden --> note"},
		ManualSteps: []string{"[x] pre-ticked", "@everyone delete it", "<details>"},
		Via:         []string{"env `X` <b>"},
	}
	out := writeMD(t, report(f), MarkdownOptions{})
	checkMarkdown(t, out)
	p := prose(out)
	if m := regexp.MustCompile(`(^|[^\w])@[A-Za-z0-9]`).FindString(p); m != "" {
		t.Errorf("a mention outside code: %q", m)
	}
	if m := regexp.MustCompile(`(^|[^\w])#[0-9]`).FindString(p); m != "" {
		t.Errorf("a reference outside code: %q", m)
	}
	allowed := map[string]bool{"details": true, "/details": true, "summary": true, "/summary": true, "code": true, "/code": true, "sub": true, "/sub": true}
	for _, m := range regexp.MustCompile(`<(/?[A-Za-z!][A-Za-z0-9-]*)`).FindAllStringSubmatch(p, -1) {
		if !allowed[m[1]] {
			t.Errorf("an HTML tag outside code: <%s", m[1])
		}
	}
	for _, l := range strings.Split(p, "\n") {
		for _, bad := range []string{"# Heading", "## and heading", "> quote", "- item", "# Owned", "[x]"} {
			if strings.HasPrefix(strings.TrimPrefix(l, "- [ ] "), bad) {
				t.Errorf("scanned text starts a block: %q", l)
			}
		}
	}
	for _, want := range []string{
		"**Where:** o/r ``evil|pa`th.yml:4``, job `@everyone`, step ``<img src=x onerror=alert(1)> | `rm` # Owned``",
		"Secret X reaches # Heading &gt; quote - item `@octocat` fixes `#12` `<script>alert(1)</script>`",
		"- [ ] \\[x\\] pre-ticked",
		"- [ ] `@everyone` delete it",
		"- [ ] `<details>`",
		"**Fix:** \\~\\~strike\\~\\~ \\*\\*bold\\*\\* \\[x\\](javascript:alert(1))",
		"| 95 | critical | TP001 stored-token-publish | PyPI | PYPI\\|TOKEN | o/r evil\\|pa\\`th.yml:4 | yes |",
		"<summary>Patch for <code>evil|pa`th.yml</code>: 1 line added, 1 removed</summary>",
		"````diff\n--- a/evil|pa`th.yml\n+++ b/evil|pa`th.yml\n@@ -1,3 +1,3 @@\n ```\n-</details>\n+<details>\n ````\n\n`````",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

func TestMarkdownGrouping(t *testing.T) {
	org := []risk.Factor{{Name: "long-lived-token", Points: 70}, {Name: "org-secret-all", Points: 15}}
	fs := []*rules.Finding{
		{Rule: "TP002", RuleName: "literal-token", Score: 100, Severity: "critical", Registry: "pypi", Repo: "o/leak", Path: ".pypirc", Line: 3, Token: "pypi-…aaaa1111"},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 95, Severity: "critical", Registry: "pypi", Repo: "o/one", Path: ".github/workflows/release.yml", Line: 20, Job: "publish", Secret: "ORG_PYPI_TOKEN", SecretKind: "secret", Factors: org},
		{Rule: "TP002", RuleName: "literal-token", Score: 90, Severity: "critical", Registry: "npm", Repo: "o/a", Path: ".npmrc", Line: 1, Token: "npm_…bbbb2222"},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 85, Severity: "high", Registry: "pypi", Repo: "o/two", Path: ".github/workflows/ci.yml", Line: 9, Job: "release", Secret: "ORG_PYPI_TOKEN", SecretKind: "secret", Factors: org},
		{Rule: "TP007", RuleName: "broadly-shared-registry-secret", Score: 80, Severity: "high", Registry: "pypi", Secret: "ORG_PYPI_TOKEN", SecretKind: "secret", SecretScope: "organization", UsedBy: []string{"o/one", "o/three", "o/two"}},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 75, Severity: "high", Registry: "npm", Repo: "o/r", Path: ".github/workflows/p.yml", Line: 5, Secret: "NPM_TOKEN", SecretKind: "secret"},
		{Rule: "TP002", RuleName: "literal-token", Score: 72, Severity: "high", Registry: "pypi", Repo: "o/leak", Path: ".pypirc", Line: 9, Token: "pypi-…aaaa1111"},
		{Rule: "TP002", RuleName: "literal-token", Score: 71, Severity: "high", Registry: "npm", Repo: "o/b", Path: "ci/.npmrc", Line: 2, Token: "npm_…bbbb2222"},
		{Rule: "TP005", RuleName: "trusted-publishing-rejected", Score: 50, Severity: "medium", Registry: "crates", Repo: "o/rust", Path: ".github/workflows/release.yml", Line: 28},
		{Rule: "TP004", RuleName: "unused-registry-secret", Score: 45, Severity: "medium", Registry: "npm", Repo: "o/r", Secret: "NPM_TOKEN", SecretKind: "secret", SecretScope: "repository"},
		{Rule: "TP008", RuleName: "unprotected-environment-secret", Score: 44, Severity: "medium", Registry: "pypi", Repo: "o/env", Secret: "PYPI_API_TOKEN", SecretKind: "secret", SecretScope: "environment", Environment: "pypi"},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 43, Severity: "medium", Registry: "pypi", Repo: "o/env", Path: "x.yml", Line: 3, Secret: "PYPI_API_TOKEN", SecretKind: "secret",
			Factors: []risk.Factor{{Name: "unprotected-environment", Points: 3}}},
		{Rule: "TP005", RuleName: "trusted-publishing-rejected", Score: 40, Severity: "medium", Registry: "crates", Repo: "o/rust", Path: ".github/workflows/release.yml", Line: 40},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 30, Severity: "low", Registry: "pypi", Repo: "o/gl", Path: ".gitlab-ci.yml", Line: 3, Secret: "PYPI_TOKEN", SecretKind: "ci-variable",
			Factors: []risk.Factor{{Name: "repository-secret", Points: 3}}},
		{Rule: "TP001", RuleName: "stored-token-publish", Score: 20, Severity: "low", Registry: "pypi", Repo: "o/local", Path: "p.yml", Line: 3, Secret: "PYPI_TOKEN", SecretKind: "secret"},
	}
	out := writeMD(t, report(fs...), MarkdownOptions{})
	checkMarkdown(t, out)
	// Each group heading, then the headings of its findings, in order.
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "### ") {
			got = append(got, strings.TrimPrefix(l, "### "))
		}
		if strings.HasPrefix(l, "#### ") {
			got = append(got, "  "+strings.Fields(strings.TrimPrefix(l, "#### "))[0]+" "+strconv.Itoa(scoreOf(l)))
		}
	}
	want := []string{
		"Token `pypi-…aaaa1111` committed in o/leak `.pypirc`", "  TP002 100", "  TP002 72",
		"Organisation secret `ORG_PYPI_TOKEN`: used by 3 repositories", "  TP001 95", "  TP001 85", "  TP007 80",
		"Token `npm_…bbbb2222` found in 2 places", "  TP002 90", "  TP002 71",
		// The pipeline's use does not know the scope; the inventory's
		// finding about the same secret does, and they fix together.
		"Repository secret `NPM_TOKEN` of o/r", "  TP001 75", "  TP004 45",
		"`.github/workflows/release.yml` in o/rust", "  TP005 50", "  TP005 40",
		"Environment secret `PYPI_API_TOKEN` of o/env, environment `pypi`", "  TP008 44", "  TP001 43",
		"CI/CD variable `PYPI_TOKEN` of o/gl", "  TP001 30",
		"Secret `PYPI_TOKEN` of o/local", "  TP001 20",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out, "\n\nUsed by o/one, o/three, o/two.\n\n") {
		t.Errorf("the organisation secret's group does not list its users:\n%s", out)
	}
}

func scoreOf(heading string) int {
	m := regexp.MustCompile(`\(score (\d+),`).FindStringSubmatch(heading)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// manyFindings are n findings of falling score, each in its own repository
// and so its own group, each with a patch and steps.
func manyFindings(n int) []*rules.Finding {
	fs := make([]*rules.Finding, n)
	for i := range fs {
		score := 100 - i*100/max(n, 1)
		sev := "low"
		switch {
		case score >= 90:
			sev = "critical"
		case score >= 70:
			sev = "high"
		case score >= 40:
			sev = "medium"
		}
		repo := fmt.Sprintf("o/repo-%03d", i)
		var patch strings.Builder
		patch.WriteString("--- a/.github/workflows/release.yml\n+++ b/.github/workflows/release.yml\n@@ -1,12 +1,12 @@\n")
		for k := 0; k < 12; k++ {
			fmt.Fprintf(&patch, " line %d of the release workflow, kept as it is\n", k)
		}
		patch.WriteString("-        password: ${{ secrets.PYPI_TOKEN }}\n+    permissions:\n+      id-token: write\n")
		fs[i] = &rules.Finding{
			Rule: "TP001", RuleName: "stored-token-publish", Severity: sev, Score: score, Registry: "pypi",
			Repo: repo, Path: ".github/workflows/release.yml", Line: 30, Job: "publish", Step: "Publish",
			Secret: fmt.Sprintf("PYPI_TOKEN_%03d", i), SecretKind: "secret",
			Factors: []risk.Factor{{Name: "long-lived-token", Points: score, Reason: "a stored token publishes; it stays valid until revoked"}},
			Message: fmt.Sprintf("Secret PYPI_TOKEN_%03d reaches pypa/gh-action-pypi-publish to PyPI via input password", i),
			Fix:     "drop the user and password inputs and grant the job id-token: write",
			Patch:   patch.String(),
			ManualSteps: []string{
				fmt.Sprintf("Register a trusted publisher on PyPI: owner o, repository repo-%03d, workflow file release.yml.", i),
				fmt.Sprintf("Delete the repository secret PYPI_TOKEN_%03d once a release has gone through trusted publishing.", i),
			},
		}
	}
	return fs
}

func TestMarkdownTableCollapse(t *testing.T) {
	for _, tt := range []struct{ n, visible, hidden int }{{3, 3, 0}, {20, 20, 0}, {21, 20, 1}, {25, 20, 5}} {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			fs := manyFindings(tt.n)
			out := writeMD(t, report(fs...), MarkdownOptions{})
			checkMarkdown(t, out)
			table := out[strings.Index(out, "## Findings\n"):strings.Index(out, "## What to fix\n")]
			before, after, folded := strings.Cut(table, "<details>")
			if rows := strings.Count(before, "\n| ") - 1; rows != tt.visible {
				t.Errorf("%d rows visible, want %d", rows, tt.visible)
			}
			if folded != (tt.hidden > 0) {
				t.Fatalf("collapsed section present: %v, want %v", folded, tt.hidden > 0)
			}
			if !folded {
				return
			}
			if rows := strings.Count(after, "\n| ") - 1; rows != tt.hidden {
				t.Errorf("%d rows collapsed, want %d", rows, tt.hidden)
			}
			summary := fmt.Sprintf("<summary>%d more finding", tt.hidden)
			if !strings.Contains(after, summary) || !strings.Contains(after, fmt.Sprintf("(score %d", fs[tt.n-1].Score)) && !strings.Contains(after, fmt.Sprintf("(scores %d to %d)", fs[tt.n-1].Score, fs[20].Score)) {
				t.Errorf("collapsed section summary: %q", strings.SplitN(after, "\n", 3)[1])
			}
			// The rows keep their order: the first collapsed one is the 21st finding.
			var rows []string
			for _, l := range strings.Split(after, "\n") {
				if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| Score ") {
					rows = append(rows, l)
				}
			}
			if len(rows) == 0 || !strings.Contains(rows[0], fs[20].Repo+" ") {
				t.Errorf("the first collapsed row is not %s's: %q", fs[20].Repo, rows)
			}
		})
	}
}

func TestMarkdownMaxChars(t *testing.T) {
	fs := manyFindings(150)
	r := report(fs...)
	r.Errors = []model.CoverageGap{{Repo: "o/x", Path: "a.yml", Line: 2, Kind: "parse-error", Message: "did not find expected key"}}
	r.Summary.Errors = 1
	full := writeMD(t, r, MarkdownOptions{})
	if n := utf8.RuneCountInString(full); n <= GitHubMaxChars {
		t.Fatalf("the test report is only %d characters: it must exceed GitHub's limit", n)
	}
	if same := writeMD(t, r, MarkdownOptions{MaxChars: utf8.RuneCountInString(full)}); same != full {
		t.Errorf("a report that fits exactly is changed")
	}
	note := regexp.MustCompile(`Left out: the details of (?:all (\d+)|the (\d+) lowest-risk of the (\d+)) findings(, (\d+) of them from the table too)?`)
	for _, limit := range []int{GitHubMaxChars, 30000, 8000, 3000, 1200, 200, 40, 1} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			out := writeMD(t, r, MarkdownOptions{MaxChars: limit})
			if n := utf8.RuneCountInString(out); n > limit {
				t.Errorf("%d characters, over the limit of %d", n, limit)
			}
			checkMarkdown(t, out)
			if !strings.HasPrefix(out, "# ") {
				// Not even the headings fit: one line of plain text.
				if limit >= 1000 {
					t.Errorf("%d characters give only the last-resort line: %q", limit, out)
				}
				if strings.Count(out, "\n") != 1 {
					t.Errorf("the last-resort report is not one line: %q", out)
				}
				if limit >= 200 && !strings.Contains(out, "--format json") {
					t.Errorf("the last-resort report does not point to --format json: %q", out)
				}
				return
			}
			m := note.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no note saying what was left out:\n%s", out[:min(len(out), 2000)])
			}
			left, _ := strconv.Atoi(m[1] + m[2])
			total, _ := strconv.Atoi(m[1] + m[3])
			shown := strings.Count(out, "\n#### ")
			if total != len(fs) || shown+left != total || left == 0 {
				t.Errorf("note says %d of %d left out, and %d are shown", left, total, shown)
			}
			if !strings.Contains(out, "Run tpscan with `--format json` to see all of them.") {
				t.Error("the note does not point to --format json")
			}
			// What is kept is the top of the ranking.
			if shown > 0 && !strings.Contains(out, "### Secret `PYPI_TOKEN_000` of o/repo-000\n") {
				t.Error("the highest-risk group was dropped")
			}
			if strings.Contains(out, "`PYPI_TOKEN_149` of") {
				t.Error("the lowest-risk group was kept")
			}
			rows := strings.Count(out, "\n| ") - strings.Count(out, "\n| Score |")
			tableLeft := 0
			if m[5] != "" {
				tableLeft, _ = strconv.Atoi(m[5])
			}
			if rows+tableLeft != total {
				t.Errorf("%d table rows and %d left out of the table, of %d", rows, tableLeft, total)
			}
			// The incomplete scan is still said, however short the report.
			if !strings.Contains(out, "> **Incomplete scan:**") {
				t.Error("the coverage warning was dropped")
			}
		})
	}
}

func TestMarkdownNegativeMaxChars(t *testing.T) {
	if err := WriteMarkdown(&bytes.Buffer{}, report(), MarkdownOptions{MaxChars: -1}); err == nil {
		t.Error("a negative MaxChars is accepted")
	}
}

func TestMarkdownEmpty(t *testing.T) {
	t.Run("clean", func(t *testing.T) {
		got := writeMD(t, report(), MarkdownOptions{})
		want := "# tpscan report\n\n" +
			"**No findings** in 3 repositories (10 files, 4 pipelines).\n\n" +
			"## Coverage\n\n" +
			"All 3 repositories were fully read; none skipped.\n\n" +
			"<sub>Generated by tpscan dev. `--format json` has every field of every finding.</sub>\n"
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("incomplete", func(t *testing.T) {
		r := report()
		r.Target = "demo-org"
		r.Errors = []model.CoverageGap{
			{Repo: "o/a", Path: ".github/workflows/x.yml", Line: 3, Column: 7, Kind: "parse-error", Message: "did not find expected key"},
			{Repo: "o/a", Path: "big.yml", Kind: "too-large", Message: "over 1 MiB"},
		}
		r.Summary.Errors = 2
		r.Coverage = &Coverage{Repositories: 3, FullyRead: 2, PartlyRead: []PartialRepo{{Repo: "o/a", Missing: []string{"x", "y"}}},
			Skipped: []SkippedRepo{{Repo: "o/old", Reason: "archived"}, {Repo: "o/fork", Reason: "fork"}, {Repo: "o/ancient", Reason: "archived"}}}
		got := writeMD(t, r, MarkdownOptions{})
		checkMarkdown(t, got)
		want := "# tpscan report: demo-org\n\n" +
			"**No findings** in 3 repositories (10 files, 4 pipelines).\n\n" +
			"> [!WARNING]\n" +
			"> **Incomplete scan:** 2 files or items could not be fully read, 1 repository was only partly read and 3 repositories were skipped. " +
			"Findings may be missing for what was not read: no findings here does not mean there are none. The coverage section below lists it.\n\n" +
			"## Coverage\n\n" +
			"3 repositories scanned: 2 fully read, 1 partly read; 3 more skipped.\n\n" +
			"**Not fully read (2):**\n\n" +
			"- o/a `.github/workflows/x.yml:3:7` (`parse-error`): did not find expected key\n" +
			"- o/a `big.yml` (`too-large`): over 1 MiB\n\n" +
			"**Partly read repositories (1):**\n\n" +
			"- o/a: 2 items not read\n\n" +
			"**Skipped repositories (2):**\n\n" +
			"- archived (2): o/ancient, o/old\n" +
			"- fork (1): o/fork\n\n" +
			"<sub>Generated by tpscan dev. `--format json` has every field of every finding.</sub>\n"
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("long coverage lists fold", func(t *testing.T) {
		r := report()
		for i := 0; i < 12; i++ {
			r.Errors = append(r.Errors, model.CoverageGap{Repo: "o/a", Path: fmt.Sprintf("w%02d.yml", i), Kind: "parse-error", Message: "bad"})
		}
		got := writeMD(t, r, MarkdownOptions{})
		checkMarkdown(t, got)
		if !strings.Contains(got, "**Not fully read (12):**\n\n<details>\n<summary>12 entries</summary>\n\n- o/a `w00.yml`") {
			t.Errorf("12 coverage entries are not folded:\n%s", got)
		}
	})
}

func TestMarkdownAPICoverage(t *testing.T) {
	r := report()
	r.Coverage.API = &APIUsage{Host: "api.github.com", Identity: Identity{Login: "bot", Kind: "app", Source: "GITHUB_TOKEN", Fingerprint: "ghs_…12345678"},
		OrgAdmin: true, Requests: map[string]int{"rest": 40, "graphql": 2}, Total: 42, TotalNotModified: 10, PerRepository: 10.67,
		Refused: map[string]string{"environments": "administration: read"}}
	got := writeMD(t, r, MarkdownOptions{})
	checkMarkdown(t, got)
	for _, want := range []string{
		"**Incomplete scan:** 1 kind of data was refused to the credential.",
		"**Credential:** bot, app token from GITHUB_TOKEN (fingerprint `ghs_…12345678`)\n",
		"- Refused: environments (needs administration: read)\n",
		"**API:** 42 requests to api.github.com (10 answered 304 from cache, not charged), 10.67 charged per repository; by kind: graphql 2, rest 40.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the report lacks %q:\n%s", want, got)
		}
	}
}

func TestMarkdownSuppressed(t *testing.T) {
	active := &rules.Finding{Rule: "TP001", RuleName: "stored-token-publish", Severity: "high", Score: 80, Registry: "pypi",
		Repo: "o/r", Path: "a.yml", Line: 3, Secret: "PYPI_TOKEN", SecretKind: "secret"}
	quiet := &rules.Finding{Rule: "TP004", RuleName: "unused-registry-secret", Severity: "medium", Score: 50, Registry: "npm",
		Repo: "o/r", Secret: "OLD_NPM_TOKEN", SecretKind: "secret", SecretScope: "repository",
		Suppressed: true, SuppressionReason: "kept for the | legacy mirror"}
	r := report(active, quiet)

	hidden := writeMD(t, r, MarkdownOptions{})
	checkMarkdown(t, hidden)
	if strings.Contains(hidden, "OLD_NPM_TOKEN") || strings.Contains(hidden, "legacy mirror") {
		t.Errorf("a suppressed finding is shown without ShowSuppressed:\n%s", hidden)
	}
	if !strings.Contains(hidden, "- **Suppressed:** 1, not listed (`--show-suppressed` lists them)\n") {
		t.Errorf("the summary does not count the suppressed finding:\n%s", hidden)
	}

	shown := writeMD(t, r, MarkdownOptions{ShowSuppressed: true})
	checkMarkdown(t, shown)
	want := "## Suppressed\n\n<details>\n<summary>1 suppressed finding, with the reasons given in .tpscan.yml</summary>\n\n" +
		"| Score | Rule | Secret | Where | Reason |\n|---:|---|---|---|---|\n" +
		"| 50 | TP004 unused-registry-secret | `OLD_NPM_TOKEN` | o/r | kept for the \\| legacy mirror |\n\n</details>\n\n"
	if !strings.Contains(shown, want) {
		t.Errorf("the suppressed section is not\n%s\nin:\n%s", want, shown)
	}
	// A report cut to fit does not count as left out what was never asked for.
	cut := writeMD(t, report(append(manyFindings(30), quiet)...), MarkdownOptions{MaxChars: 8000})
	if !strings.Contains(cut, "> This report is shortened") || strings.Contains(cut, "suppressed finding") {
		t.Errorf("the note of a cut report without ShowSuppressed counts the suppressed finding:\n%s", cut[:2000])
	}
	// Suppressed findings are neither counted nor detailed with the others.
	if strings.Count(shown, "#### ") != 1 || !strings.Contains(shown, "- **Findings:** 1 (") || !strings.Contains(shown, "- **Suppressed:** 1\n") {
		t.Errorf("the suppressed finding is mixed with the active ones:\n%s", shown)
	}
}

func TestMarkdownDeterministic(t *testing.T) {
	fs := manyFindings(30)
	fs[3].UsedBy = []string{"o/z", "o/a", "o/m"}
	r := report(fs...)
	r.Coverage.Skipped = []SkippedRepo{{Repo: "o/q", Reason: "fork"}, {Repo: "o/b", Reason: "archived"}, {Repo: "o/c", Reason: "fork"}}
	r.Coverage.API = &APIUsage{Host: "h", Requests: map[string]int{"c": 1, "a": 2, "b": 3}, Refused: map[string]string{"y": "1", "x": "2"},
		Budgets: map[string]Budget{"core": {Limit: 5000, Remaining: 4000}, "graphql": {Limit: 5000, Remaining: 4990}}}
	first := writeMD(t, r, MarkdownOptions{MaxChars: 20000})
	for i := 0; i < 20; i++ {
		if again := writeMD(t, r, MarkdownOptions{MaxChars: 20000}); again != first {
			t.Fatal("two renderings of one report differ")
		}
	}
}

// Canaries: valid-looking tokens of every registry, built here from a
// fixed seed, never copied from anywhere (as cmd/cli's canary test does).

func canaryString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func canaryMacaroon(r *rand.Rand, location, caveat string) string {
	packet := func(typ int, data []byte) []byte {
		out := binary.AppendUvarint(nil, uint64(typ))
		out = binary.AppendUvarint(out, uint64(len(data)))
		return append(out, data...)
	}
	b := []byte{2}
	b = append(b, packet(1, []byte(location))...)
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	b = append(b, packet(2, []byte(id))...)
	b = append(b, 0)
	b = append(b, packet(2, []byte(caveat))...)
	b = append(b, 0, 0)
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(r.UintN(256))
	}
	b = append(b, packet(6, sig)...)
	return "pypi-" + base64.RawURLEncoding.EncodeToString(b)
}

// TestMarkdownNeverPrintsTokens plants tokens of every registry in every
// string field of a hand-built report and a token-holding file on disk
// that a finding points at, and checks that the Markdown holds none of
// them, nor a long fragment: the writer reads no file, and what it prints
// is scrubbed even if a finding field ever carried a token.
func TestMarkdownNeverPrintsTokens(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 42^0x9e3779b97f4a7c15))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	c := map[string]string{
		"pypi":     canaryMacaroon(r, "pypi.org", `[3,"0f7c2d4e-1111-4a2b-9c3d-5e6f7a8b9c0d"]`),
		"testpypi": canaryMacaroon(r, "test.pypi.org", `[1,["demo-project"]]`),
		"rubygems": "rubygems_" + canaryString(r, "0123456789abcdef", 48),
		"npm":      "npm_" + canaryString(r, alnum, 36),
		"crates":   "cio" + canaryString(r, alnum, 32),
		"nuget":    "oy2" + canaryString(r, "abcdefghijklmnopqrstuvwxyz234567", 43),
	}
	// Pub tokens are tokens only beside their keys, as in a credentials
	// file: planted that way.
	pubRefresh := "1//" + canaryString(r, alnum+"-_", 60)
	pubAccess := "ya29." + canaryString(r, alnum+"-_", 80)
	pubJSON := `{"accessToken":"` + pubAccess + `","refreshToken":"` + pubRefresh + `"}`
	all := map[string]string{"pub refresh": pubRefresh, "pub access": pubAccess}
	for k, v := range c {
		all[k] = v
	}
	// The file a finding points at holds a token nowhere else planted, in
	// a form no scrub recognises: it can only appear if the file is read.
	dir := t.TempDir()
	onDisk := "1//" + canaryString(r, alnum+"-_", 60) + " DISK-ONLY-" + canaryString(r, alnum, 20)
	if err := os.WriteFile(filepath.Join(dir, ".pypirc"), []byte("[pypi]\npassword = "+onDisk+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	tok := func(keys ...string) string {
		var parts []string
		for _, k := range keys {
			parts = append(parts, c[k])
		}
		return strings.Join(parts, " ")
	}
	f := &rules.Finding{
		Rule: "TP001", RuleName: "stored-token-publish " + tok("npm"), Severity: "critical", Score: 99, Registry: "pypi",
		Repo: "o/" + c["crates"], Path: ".github/workflows/" + c["nuget"] + ".yml", Line: 3, Job: "publish " + c["rubygems"],
		Step:   "upload with " + c["rubygems"] + " and " + c["pypi"],
		Secret: c["npm"], SecretKind: "secret",
		Factors: []risk.Factor{{Name: "long-lived-token " + c["crates"], Points: 99, Reason: "value " + tok("pypi", "nuget")}},
		Message: "Secret reaches twine with " + tok("pypi", "testpypi", "rubygems", "npm", "crates", "nuget"),
		Via:     []string{"env TWINE_PASSWORD=" + c["pypi"]},
		Fix:     "remove --token " + c["crates"],
		Patch: "--- a/.github/workflows/release.yml\n+++ b/.github/workflows/release.yml\n@@ -1,4 +1,3 @@\n-      password: " + c["pypi"] +
			"\n-      run: cargo publish --token " + c["crates"] + "\n+      run: cargo publish\n " + pubJSON + "\n",
		PatchNotes:  []string{"the key " + c["rubygems"] + " is gone"},
		ManualSteps: []string{"Revoke " + c["testpypi"] + " now.", "Then " + pubJSON},
	}
	literal := &rules.Finding{Rule: "TP002", RuleName: "literal-token", Severity: "critical", Score: 100, Registry: "pypi",
		Repo: "o/leak", Path: ".pypirc", Line: 2, Token: tokens.Fingerprint(c["pypi"]), Message: "A PyPI token is written in this file"}
	noPatch := &rules.Finding{Rule: "TP001", RuleName: "stored-token-publish", Severity: "high", Score: 80, Registry: "npm",
		Repo: "o/x", Path: "a.yml", Line: 1, Secret: "NPM_TOKEN", Token: c["npm"],
		NoPatch: &rules.NoPatch{Reason: "literal-token " + c["npm"], Detail: "detail " + c["nuget"]}}
	quiet := &rules.Finding{Rule: "TP004", RuleName: "unused-registry-secret", Severity: "medium", Score: 50, Registry: "npm",
		Repo: "o/r", Secret: "OLD", Suppressed: true, SuppressionReason: "kept " + c["npm"]}
	rep := report(literal, f, noPatch, quiet)
	rep.Target = "org " + c["crates"]
	rep.Tool.Version = c["npm"]
	rep.Errors = []model.CoverageGap{{Repo: "o/x", Path: "b.yml", Line: 1, Kind: "parse-error", Message: "near " + c["pypi"]}}
	rep.Coverage.PartlyRead = []PartialRepo{{Repo: "o/" + c["npm"], Missing: []string{c["pypi"]}}}
	rep.Coverage.Skipped = []SkippedRepo{{Repo: "o/s", Reason: "archived " + c["nuget"]}}
	rep.ExpiredSuppressions = []rules.ExpiredSuppression{{Path: ".tpscan.yml", Line: 4, Message: "expired " + c["rubygems"], Reason: c["crates"]}}
	rep.Coverage.API = &APIUsage{Host: "api.github.com", Identity: Identity{Login: c["npm"], Note: c["pypi"]}, Refused: map[string]string{c["nuget"]: c["crates"]}}

	for _, opts := range []MarkdownOptions{{}, {ShowSuppressed: true}, {ShowSuppressed: true, MaxChars: 3000}} {
		out := writeMD(t, rep, opts)
		checkMarkdown(t, out)
		if strings.Contains(out, "DISK-ONLY") || strings.Contains(out, onDisk[:20]) {
			t.Errorf("%+v: the report holds what only the file on disk holds", opts)
		}
		for what, v := range all {
			if strings.Contains(out, v) {
				t.Errorf("%+v: the %s canary leaked", opts, what)
			}
			if strings.Contains(out, v[len(v)-16:]) {
				t.Errorf("%+v: a fragment of the %s canary leaked", opts, what)
			}
		}
		// The tokens were replaced, not dropped with what carried them.
		if opts.MaxChars == 0 && !strings.Contains(out, tokens.Fingerprint(c["rubygems"])) {
			t.Errorf("%+v: the step's token is not shown by its fingerprint:\n%s", opts, out)
		}
	}
	// Every fingerprint of the full report, where each field is shown.
	out := writeMD(t, rep, MarkdownOptions{ShowSuppressed: true})
	for what, v := range all {
		if !strings.Contains(out, tokens.Fingerprint(v)) {
			t.Errorf("the %s canary's fingerprint is not in the report", what)
		}
	}
}

// TestMarkdownDemoRendersOnGitHub checks the demo golden's structure, which
// the CLI test only compares byte for byte.
func TestMarkdownDemoRendersOnGitHub(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "demo-org.md"))
	if err != nil {
		t.Fatal(err)
	}
	checkMarkdown(t, string(b))
}

// TestMarkdownLooseFilesGroupApart: files scanned on their own have no
// repository; the same secret name in two of them is two secrets (perhaps
// of two projects), so each file is its own group and its heading names it.
func TestMarkdownLooseFilesGroupApart(t *testing.T) {
	a := &rules.Finding{Rule: "TP001", RuleName: "stored-token-publish", Score: 80, Severity: "high", Path: "a/release.yml", Line: 9,
		Secret: "PYPI_API_TOKEN", SecretKind: "secret", Message: "Secret PYPI_API_TOKEN reaches twine", Fingerprint: "a"}
	b := &rules.Finding{Rule: "TP001", RuleName: "stored-token-publish", Score: 70, Severity: "high", Path: "b/release.yml", Line: 4,
		Secret: "PYPI_API_TOKEN", SecretKind: "secret", Message: "Secret PYPI_API_TOKEN reaches twine", Fingerprint: "b"}
	out := writeMD(t, report(a, b), MarkdownOptions{})
	for _, h := range []string{"### Secret `PYPI_API_TOKEN` in `a/release.yml`\n", "### Secret `PYPI_API_TOKEN` in `b/release.yml`\n"} {
		if !strings.Contains(out, h) {
			t.Errorf("no heading %q in:\n%s", h, out)
		}
	}
}

// TestMarkdownCutKeepsFixesBeforeTheListing: when a report must be cut,
// the fix groups (what a reader acts on) outlast the collapsed rows of the
// table, which --format json lists anyway.
func TestMarkdownCutKeepsFixesBeforeTheListing(t *testing.T) {
	fs := manyFindings(400)
	r := report(fs...)
	out := writeMD(t, r, MarkdownOptions{MaxChars: 30000})
	groups := strings.Count(out, "\n### ")
	if strings.Contains(out, "<summary>") && strings.Contains(out, "more finding") && groups < 10 {
		t.Errorf("the cut kept collapsed table rows but only %d fix groups", groups)
	}
	if groups < 10 {
		t.Errorf("30,000 characters hold only %d fix groups", groups)
	}
}
