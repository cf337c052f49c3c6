package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/model"
)

// sarifDoc is the part of a SARIF log the tests read.
type sarifDoc struct {
	Version string `json:"version"`
	Schema  string `json:"$schema"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string `json:"id"`
					Name             string `json:"name"`
					ShortDescription struct{ Text string }
					FullDescription  struct{ Text string }
					Help             struct{ Text, Markdown string }
					HelpURI          string `json:"helpUri"`
					Properties       map[string]any
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		AutomationDetails struct {
			ID string `json:"id"`
		} `json:"automationDetails"`
		VersionControlProvenance []struct {
			RepositoryURI string `json:"repositoryUri"`
			RevisionID    string `json:"revisionId"`
			Branch        string `json:"branch"`
		} `json:"versionControlProvenance"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine, StartColumn, EndLine, EndColumn int
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Properties map[string]any `json:"properties"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, b []byte) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if d.Version != "2.1.0" || d.Schema == "" || len(d.Runs) != 1 {
		t.Fatalf("want one SARIF 2.1.0 run with $schema, got version %q schema %q runs %d", d.Version, d.Schema, len(d.Runs))
	}
	return d
}

func finding(rule string, score int, mut func(*rules.Finding)) *rules.Finding {
	f := &rules.Finding{Rule: rule, RuleName: rules.Lookup(rule).Name, Score: score, Severity: "high", Confidence: "high",
		Repo: "o/a", Path: ".github/workflows/release.yml", Line: 12, Column: 9, EndLine: 12, EndColumn: 40,
		Secret: "PYPI_API_TOKEN", Message: "Secret PYPI_API_TOKEN reaches twine upload to PyPI via env TWINE_PASSWORD",
		Fingerprint: rule + "-" + strings.Repeat("0", 10)}
	if mut != nil {
		mut(f)
	}
	return f
}

func TestSARIFCleanRunStillListsEveryRule(t *testing.T) {
	r := New(&model.Inventory{Repos: []*model.Repo{{Name: "o/clean"}}}, nil, nil, "1.2.3")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, buf.Bytes())
	run := d.Runs[0]
	if !strings.Contains(buf.String(), `"results": []`) {
		t.Error(`a clean run must carry "results": [] so that code scanning closes fixed alerts`)
	}
	if run.AutomationDetails.ID != SARIFCategoryLocal {
		t.Errorf("category %q, want %q", run.AutomationDetails.ID, SARIFCategoryLocal)
	}
	all := rules.All()
	if len(run.Tool.Driver.Rules) != len(all) {
		t.Fatalf("%d rules in the driver, want all %d", len(run.Tool.Driver.Rules), len(all))
	}
	for i, rd := range run.Tool.Driver.Rules {
		if rd.ID != all[i].ID || rd.Name != all[i].Name {
			t.Errorf("rule %d is %s %s, want %s %s", i, rd.ID, rd.Name, all[i].ID, all[i].Name)
		}
		for what, s := range map[string]string{"shortDescription": rd.ShortDescription.Text, "fullDescription": rd.FullDescription.Text,
			"help.text": rd.Help.Text, "help.markdown": rd.Help.Markdown, "helpUri": rd.HelpURI} {
			if s == "" {
				t.Errorf("%s has no %s", rd.ID, what)
			}
		}
		if len([]rune(rd.FullDescription.Text)) > 1024 || len([]rune(rd.ShortDescription.Text)) > 1024 {
			t.Errorf("%s: descriptions over code scanning's 1,024 characters", rd.ID)
		}
		if !strings.Contains(rd.Help.Markdown, "**How to fix.**") {
			t.Errorf("%s help.markdown has no fix section:\n%s", rd.ID, rd.Help.Markdown)
		}
		// With no finding, the rule's base score sets its severity.
		if got, want := rd.Properties["security-severity"], securitySeverity(all[i].BaseScore); got != want {
			t.Errorf("%s security-severity %v, want %s", rd.ID, got, want)
		}
		if tags, _ := rd.Properties["tags"].([]any); len(tags) == 0 || len(tags) > 10 || tags[0] != "security" {
			t.Errorf("%s tags %v: want \"security\" first and at most 10 (code scanning keeps 10)", rd.ID, tags)
		}
	}
}

func TestSARIFSeverityAndLevel(t *testing.T) {
	tests := []struct {
		score    int
		severity string
		level    string
	}{
		{100, "10.0", "error"}, {95, "9.5", "error"}, {90, "9.0", "error"}, {89, "8.9", "error"}, {70, "7.0", "error"},
		{69, "6.9", "warning"}, {40, "4.0", "warning"}, {39, "3.9", "note"}, {1, "0.1", "note"}, {0, "0.1", "note"},
	}
	for _, tt := range tests {
		if got := securitySeverity(tt.score); got != tt.severity {
			t.Errorf("securitySeverity(%d) = %s, want %s", tt.score, got, tt.severity)
		}
		if got := levelOf(tt.score); got != tt.level {
			t.Errorf("levelOf(%d) = %s, want %s", tt.score, got, tt.level)
		}
	}
	// Code scanning reads over 9.0 as critical: tpscan's critical band
	// (90+) must land there, and its worst finding sets the rule's value.
	r := New(&model.Inventory{Repos: []*model.Repo{{Name: "o/a"}}}, []*rules.Finding{
		finding("TP001", 95, nil),
		finding("TP001", 45, func(f *rules.Finding) { f.Line, f.Fingerprint = 30, "other" }),
	}, nil, "1.0.0")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, buf.Bytes())
	if got := d.Runs[0].Tool.Driver.Rules[0].Properties["security-severity"]; got != "9.5" {
		t.Errorf("TP001 security-severity %v, want 9.5 (its worst result)", got)
	}
	levels := []string{d.Runs[0].Results[0].Level, d.Runs[0].Results[1].Level}
	if levels[0] != "error" || levels[1] != "warning" {
		t.Errorf("levels %v, want [error warning]: each result's level follows its own score", levels)
	}
	if msg := d.Runs[0].Results[1].Message.Text; !strings.HasPrefix(msg, "Risk 45/100 (high). Secret PYPI_API_TOKEN") || !strings.HasSuffix(msg, ".") {
		t.Errorf("message %q: want the score first and a full sentence", msg)
	}
}

func TestSARIFLocations(t *testing.T) {
	tests := []struct {
		name   string
		mut    func(*rules.Finding)
		uri    string
		region [4]int
	}{
		{"file", nil, ".github/workflows/release.yml", [4]int{12, 9, 12, 40}},
		{"file with no line", func(f *rules.Finding) { f.Path, f.Line, f.Column, f.EndLine, f.EndColumn = ".pypirc", 0, 0, 0, 0 },
			".pypirc", [4]int{1, 1, 1, 1}},
		{"escaped path", func(f *rules.Finding) { f.Path = "dir with space/x#1.yml" }, "dir%20with%20space/x%231.yml", [4]int{12, 9, 12, 40}},
		{"absolute path", func(f *rules.Finding) { f.Repo, f.Path = "", "/tmp/wf 1/release.yml" }, "file:///tmp/wf%201/release.yml", [4]int{12, 9, 12, 40}},
		{"windows drive", func(f *rules.Finding) { f.Repo, f.Path = "", `C:\ci\release.yml` }, "file:///C:/ci/release.yml", [4]int{12, 9, 12, 40}},
		{"repository secret", func(f *rules.Finding) { f.Path, f.SecretScope, f.SecretKind = "", "repository", "secret" },
			"settings/secrets/actions/PYPI_API_TOKEN", [4]int{1, 1, 1, 1}},
		{"environment secret", func(f *rules.Finding) {
			f.Path, f.SecretScope, f.Environment, f.SecretKind = "", "environment", "release/pypi", "secret"
		}, "settings/environments/release%2Fpypi/secrets/PYPI_API_TOKEN", [4]int{1, 1, 1, 1}},
		{"repository variable", func(f *rules.Finding) { f.Path, f.SecretScope, f.SecretKind = "", "repository", "variable" },
			"settings/variables/actions/PYPI_API_TOKEN", [4]int{1, 1, 1, 1}},
		{"organisation secret", func(f *rules.Finding) { f.Path, f.Repo, f.SecretScope, f.SecretKind = "", "", "organization", "secret" },
			"organization/settings/secrets/actions/PYPI_API_TOKEN", [4]int{1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := finding("TP001", 80, tt.mut)
			loc := findingLocation(f, false)
			if got := *loc.ArtifactLocation.URI; got != tt.uri {
				t.Errorf("uri %q, want %q", got, tt.uri)
			}
			reg := loc.Region
			if got := [4]int{*reg.StartLine, *reg.StartColumn, *reg.EndLine, *reg.EndColumn}; got != tt.region {
				t.Errorf("region %v, want %v", got, tt.region)
			}
			if loc.ArtifactLocation.URIBaseId != nil {
				t.Error("a run over one repository needs no uriBaseId: paths are relative to its root")
			}
		})
	}
}

func TestSARIFPerRepository(t *testing.T) {
	commit := strings.Repeat("ab", 20)
	inv := &model.Inventory{Repos: []*model.Repo{
		{Name: "o/a", DefaultBranch: "main", Commit: commit},
		{Name: "o/b", DefaultBranch: "trunk", Commit: strings.Repeat("cd", 20)},
		{Name: "o/clean", DefaultBranch: "main", Commit: strings.Repeat("ef", 20)},
	}, Coverage: []model.CoverageGap{{Repo: "o/b", Kind: "forbidden", Message: "repository secrets: 403 Resource not accessible"}}}
	fs := []*rules.Finding{
		finding("TP001", 90, nil),
		finding("TP001", 80, func(f *rules.Finding) { f.Repo, f.Fingerprint = "o/b", "b1" }),
		finding("TP007", 80, func(f *rules.Finding) {
			f.Repo, f.Path, f.Line, f.SecretScope, f.SecretKind, f.Fingerprint = "", "", 0, "organization", "secret", "org1"
		}),
		finding("TP004", 50, func(f *rules.Finding) { f.Repo, f.Suppressed, f.Fingerprint = "o/a", true, "sup" }),
	}
	r := New(inv, fs, nil, "1.0.0")
	files, err := SARIFPerRepository(r, SARIFOptions{Category: SARIFCategoryGitHub, WebURL: "https://github.com/"}, "o/.github")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]RepositorySARIF{}
	for _, f := range files {
		got[f.Repo] = f
	}
	if len(files) != 4 {
		t.Fatalf("%d files, want 4 (three repositories and the organisation's): %v", len(files), got)
	}
	a := decodeSARIF(t, got["o/a"].Data)
	vc := a.Runs[0].VersionControlProvenance
	if len(vc) != 1 || vc[0].RepositoryURI != "https://github.com/o/a" || vc[0].RevisionID != commit || vc[0].Branch != "refs/heads/main" {
		t.Errorf("provenance %+v", vc)
	}
	if a.Runs[0].AutomationDetails.ID != SARIFCategoryGitHub || len(a.Runs[0].Results) != 1 || a.Runs[0].Properties[PropSuppressed] != float64(1) {
		t.Errorf("o/a: category %q, %d results, suppressed %v; want tpscan/org/, 1 (the suppressed one left out), 1",
			a.Runs[0].AutomationDetails.ID, len(a.Runs[0].Results), a.Runs[0].Properties[PropSuppressed])
	}
	if got["o/a"].Partial || !got["o/b"].Partial {
		t.Errorf("partial: o/a %v, o/b %v; want false, true", got["o/a"].Partial, got["o/b"].Partial)
	}
	b := decodeSARIF(t, got["o/b"].Data)
	if b.Runs[0].Properties[PropPartial] != true || len(b.Runs[0].Invocations[0].ToolExecutionNotifications) != 1 {
		t.Errorf("o/b must say it is partial and list what was missing: %+v", b.Runs[0])
	}
	clean := decodeSARIF(t, got["o/clean"].Data)
	if len(clean.Runs[0].Results) != 0 || len(clean.Runs[0].Tool.Driver.Rules) != len(rules.All()) {
		t.Error("a clean repository still gets a run with every rule and no result, to close its alerts")
	}
	org := got["o/.github"]
	if !org.OrgFindings || org.Commit != "" || org.Results != 1 {
		t.Errorf("organisation file %+v: want the org finding, and no commit since o/.github was not scanned", org)
	}
	if uri := decodeSARIF(t, org.Data).Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "organization/settings/secrets/actions/PYPI_API_TOKEN" {
		t.Errorf("organisation finding at %q", uri)
	}
}

func TestSARIFManyRepositoriesInOneRun(t *testing.T) {
	inv := &model.Inventory{Repos: []*model.Repo{{Name: "o/a", Commit: strings.Repeat("1", 40)}, {Name: "o/b"}}}
	r := New(inv, []*rules.Finding{finding("TP001", 90, nil)}, nil, "1.0.0")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r, SARIFOptions{WebURL: "https://github.example.com/"}); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, buf.Bytes())
	loc := d.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	if loc.URI != ".github/workflows/release.yml" || loc.URIBaseID != "o/a" {
		t.Errorf("location %+v: want the path relative to its repository, named by uriBaseId", loc)
	}
	if len(d.Runs[0].VersionControlProvenance) != 0 {
		t.Error("a run over several repositories has no single provenance")
	}
	if !strings.Contains(buf.String(), `"uri": "https://github.example.com/o/a/blob/`+strings.Repeat("1", 40)+`/"`) {
		t.Errorf("the base id of a repository with a known commit resolves to its files:\n%s", buf.String())
	}
}

// TestSARIFRedactsTokens: the engine scrubs texts before they reach a
// report, but a token planted in a finding straight (as a buggy rule
// might) must still not reach a file that is uploaded.
func TestSARIFRedactsTokens(t *testing.T) {
	token := "pypi-AgEIcHlwaS5vcmcCJGE0ZGY5ZDRmLTg3NzItNDJjMy1iZjY3LTJiZDljZjBhZGE1ZgACKlszLCJmYzQ0ZGMyYi1hZGU0LTQ5ZGYtYmNhNy0xYTM3ZmM3YzlkNGIiXQAABiBPm7oqnZ1mCGdI8PkXW5wHmTDgXqW0Y9QwXGBZl4vJdA"
	f := finding("TP002", 100, func(f *rules.Finding) { f.Message = "token " + token + " in a file" })
	r := New(&model.Inventory{Repos: []*model.Repo{{Name: "o/a"}}, Coverage: []model.CoverageGap{{Repo: "o/a", Path: "x", Kind: "parse", Message: token}}},
		[]*rules.Finding{f}, nil, "1.0.0")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), token[:40]) || strings.Contains(buf.String(), token[len(token)-20:]) {
		t.Fatalf("the SARIF holds the token:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "pypi-…") {
		t.Error("the token should show as its fingerprint")
	}
}

// TestSARIFResultLimit: code scanning rejects a run of more than 25,000
// results, so the lowest-risk ones are left out, and the file says so.
func TestSARIFResultLimit(t *testing.T) {
	var fs []*rules.Finding
	for i := 0; i < MaxSARIFResults+3; i++ {
		fs = append(fs, finding("TP001", 90, func(f *rules.Finding) { f.Line, f.Fingerprint = i+1, fmt.Sprint(i) }))
	}
	r := New(&model.Inventory{Repos: []*model.Repo{{Name: "o/a"}}}, fs, nil, "1.0.0")
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r, SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	d := decodeSARIF(t, buf.Bytes())
	run := d.Runs[0]
	if len(run.Results) != MaxSARIFResults || run.Properties[PropDropped] != float64(3) {
		t.Fatalf("%d results, dropped %v; want %d and 3", len(run.Results), run.Properties[PropDropped], MaxSARIFResults)
	}
	notes := run.Invocations[0].ToolExecutionNotifications
	if len(notes) != 1 || !strings.Contains(notes[0].Message.Text, "3 lower-risk results were left out") {
		t.Errorf("notifications %+v", notes)
	}
}
