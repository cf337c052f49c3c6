package rules_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/scanner/model"
)

// canaryNpm is an npm-token-shaped value planted in Secret.Value: no finding
// may quote it, nor a fragment of it.
const canaryNpm = "npm_Zq7XbT2kLm9PwR4sVn6YcH1dGf8JaE3uKo5i"

func publishWith(secret string) map[string]string {
	return map[string]string{".github/workflows/release.yml": `on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.` + secret + ` }}
`}
}

var testOnly = map[string]string{".github/workflows/ci.yml": `on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
`}

var inheritOut = map[string]string{".github/workflows/ci.yml": `on: push
jobs:
  call:
    uses: other-org/workflows/.github/workflows/release.yml@v1
    secrets: inherit
`}

// orgRepo is a repository of organisation o with its secrets listed.
func orgRepo(t *testing.T, name, visibility string, files map[string]string) *model.Repo {
	t.Helper()
	r := repoOf(t, files)
	r.Name, r.Visibility, r.SecretsKnown = "o/"+name, visibility, true
	return r
}

func runInv(t *testing.T, inv *model.Inventory, extra ...string) []*rules.Finding {
	t.Helper()
	opts := &rules.Options{Now: func() time.Time { return fixedNow }, ExtraSecretPatterns: extra}
	return rules.Run(inv, rules.All(), cat, opts)
}

// byRuleSecret indexes findings as "RULE SECRET".
func byRuleSecret(fs []*rules.Finding) map[string]*rules.Finding {
	m := map[string]*rules.Finding{}
	for _, f := range fs {
		m[f.Rule+" "+f.Secret] = f
	}
	return m
}

func factorNames(f *rules.Finding) []string {
	var out []string
	for _, fa := range f.Factors {
		out = append(out, fa.Name)
	}
	return out
}

func hasFactors(t *testing.T, f *rules.Finding, names ...string) {
	t.Helper()
	got := map[string]bool{}
	sum := 0
	for _, fa := range f.Factors {
		got[fa.Name] = true
		sum += fa.Points
	}
	for _, n := range names {
		if !got[n] {
			t.Errorf("%s %s: no factor %s in %v", f.Rule, f.Secret, n, factorNames(f))
		}
	}
	if f.Score != min(max(sum, 0), 100) {
		t.Errorf("%s %s: score %d is not the sum %d of its factors", f.Rule, f.Secret, f.Score, sum)
	}
}

func lacksFactors(t *testing.T, f *rules.Finding, names ...string) {
	t.Helper()
	for _, fa := range f.Factors {
		for _, n := range names {
			if fa.Name == n {
				t.Errorf("%s %s: unexpected factor %s (%s)", f.Rule, f.Secret, n, fa.Reason)
			}
		}
	}
}

// noCanary checks that no finding quotes the planted value or a 16-character
// fragment of it.
func noCanary(t *testing.T, fs []*rules.Finding) {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for i := 0; i+16 <= len(canaryNpm); i++ {
		if strings.Contains(out, canaryNpm[i:i+16]) {
			t.Fatalf("a finding quotes the secret value (fragment %q)", canaryNpm[i:i+16])
		}
	}
}

// TestOrganisationSecretRules checks the split between TP004 (an
// organisation registry secret nothing uses) and TP007 (one every
// repository, or every private one, can read, used or possibly used).
func TestOrganisationSecretRules(t *testing.T) {
	old := fixedNow.AddDate(-2, 0, 0)
	tests := []struct {
		name       string
		secret     *model.Secret
		repos      func(t *testing.T) []*model.Repo
		coverage   []model.CoverageGap
		extra      []string
		tp004      bool
		tp007      bool
		factors    []string // TP007's (or TP004's when tp007 is false)
		notFactors []string
		usedBy     []string
		message    []string
	}{
		{
			name:   "visibility all, used by a public repository",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all", UpdatedAt: old, Value: canaryNpm},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", publishWith("NPM_TOKEN")), orgRepo(t, "b", "private", testOnly)}
			},
			tp007:   true,
			factors: []string{"broadly-shared-token", "org-secret-all", "public-readers", "secret-age"},
			usedBy:  []string{"o/a"},
			message: []string{"Organisation secret NPM_TOKEN (an npm token, by its name) is readable by every repository", "2 scanned; used by 1: o/a"},
		},
		{
			name:   "visibility private, used by a private repository",
			secret: &model.Secret{Name: "PYPI_API_TOKEN", Visibility: "private", UpdatedAt: fixedNow.AddDate(0, -7, 0)},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "private", publishWith("PYPI_API_TOKEN")), orgRepo(t, "pub", "public", publishWith("PYPI_API_TOKEN"))}
			},
			tp007:      true,
			factors:    []string{"broadly-shared-token", "org-secret-private", "secret-age"},
			notFactors: []string{"public-readers", "org-secret-all", "many-readers"},
			usedBy:     []string{"o/a"}, // the public repository cannot read it
			message:    []string{"every private and internal repository", "1 scanned; used by 1: o/a"},
		},
		{
			name:   "visibility all, ten private readers, four users",
			secret: &model.Secret{Name: "CARGO_REGISTRY_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				var rs []*model.Repo
				for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
					rs = append(rs, orgRepo(t, n, "private", testOnly))
				}
				rs = append(rs, orgRepo(t, "g", "internal", publishWith("CARGO_REGISTRY_TOKEN")), orgRepo(t, "h", "private", publishWith("CARGO_REGISTRY_TOKEN")),
					orgRepo(t, "i", "private", publishWith("CARGO_REGISTRY_TOKEN")), orgRepo(t, "j", "private", publishWith("CARGO_REGISTRY_TOKEN")))
				return rs
			},
			tp007:      true,
			factors:    []string{"broadly-shared-token", "org-secret-all", "many-readers"},
			notFactors: []string{"public-readers", "secret-age"},
			usedBy:     []string{"o/g", "o/h", "o/i", "o/j"},
			message:    []string{"10 scanned; used by 4: o/g, o/h, o/i…"},
		},
		{
			name:   "selected visibility, used: neither rule",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "selected", SelectedRepos: []string{"o/a"}},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", publishWith("NPM_TOKEN")), orgRepo(t, "b", "public", testOnly)}
			},
		},
		{
			name:   "visibility all, unused: TP004 only",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all", UpdatedAt: old, Value: canaryNpm},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly), orgRepo(t, "b", "private", testOnly)}
			},
			tp004:   true,
			factors: []string{"unused-token", "org-secret-all", "secret-age"},
		},
		{
			name:   "visibility all, a secrets: inherit out of sight: TP007 only, no user",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", inheritOut), orgRepo(t, "b", "private", testOnly)}
			},
			tp007:   true,
			factors: []string{"broadly-shared-token", "org-secret-all", "public-readers"},
			message: []string{"no pipeline seen using it, but 1 could use it out of sight: o/a"},
		},
		{
			name:   "not a registry name",
			secret: &model.Secret{Name: "SLACK_WEBHOOK", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", publishWith("SLACK_WEBHOOK"))}
			},
		},
		{
			name:   "a configured secret pattern",
			secret: &model.Secret{Name: "ACME_ARTIFACT_KEY", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", publishWith("ACME_ARTIFACT_KEY"))}
			},
			extra:   []string{`(?i)^ACME_ARTIFACT_KEY$`},
			tp007:   true,
			factors: []string{"broadly-shared-token", "org-secret-all"},
			usedBy:  []string{"o/a"},
		},
		{
			name:   "the only user has its own repository secret of that name: unused",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				a := orgRepo(t, "a", "public", publishWith("NPM_TOKEN"))
				a.Secrets = []*model.Secret{{Name: "NPM_TOKEN", Scope: model.ScopeRepository, Repo: "o/a"}}
				return []*model.Repo{a, orgRepo(t, "b", "private", testOnly)}
			},
			tp004: true,
		},
		{
			name:   "a repository missing from the snapshot may use it: TP007, not TP004",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly), {Name: "o/gone", SecretsKnown: true}}
			},
			coverage: []model.CoverageGap{{Repo: "o/gone", Kind: "missing", Message: "not in the snapshot"}},
			tp007:    true,
			message:  []string{"1 could use it out of sight: o/gone"},
		},
		{
			name:   "a workflow that does not parse may use it",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly)}
			},
			coverage: []model.CoverageGap{{Repo: "o/a", Path: ".github/workflows/broken.yml", Kind: "parse-error", Message: "bad"}},
			tp007:    true,
		},
		{
			name:   "repositories GitHub would not list may use it: TP007, not TP004",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly)}
			},
			coverage: []model.CoverageGap{{Kind: "incomplete-listing", Message: "organization.repositories.nodes[3]: Resource not accessible"}},
			tp007:    true,
			message:  []string{"repositories GitHub would not list may"},
		},
		{
			name:   "an incomplete listing says nothing of a secret shared with selected repositories",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "selected", SelectedRepos: []string{"o/a"}},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly)}
			},
			coverage: []model.CoverageGap{{Kind: "incomplete-listing", Message: "organization.repositories.nodes[3]: Resource not accessible"}},
			tp004:    true,
		},
		{
			name:   "a binary script does not hide a use",
			secret: &model.Secret{Name: "NPM_TOKEN", Visibility: "all"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "public", testOnly)}
			},
			coverage: []model.CoverageGap{{Repo: "o/a", Path: "scripts/tool.bin", Kind: "binary", Message: "binary"}},
			tp004:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.secret.Scope = model.ScopeOrganization
			inv := &model.Inventory{Org: "o", Repos: tt.repos(t), OrgSecrets: []*model.Secret{tt.secret}, Coverage: tt.coverage}
			fs := runInv(t, inv, tt.extra...)
			noCanary(t, fs)
			m := byRuleSecret(fs)
			f4, f7 := m["TP004 "+tt.secret.Name], m["TP007 "+tt.secret.Name]
			if (f4 != nil) != tt.tp004 || (f7 != nil) != tt.tp007 {
				t.Fatalf("TP004 %v, TP007 %v; want %v, %v (findings %v)", f4 != nil, f7 != nil, tt.tp004, tt.tp007, keys(m))
			}
			if f4 != nil && f7 != nil {
				t.Fatal("TP004 and TP007 both report one secret")
			}
			f := f7
			if f == nil {
				f = f4
			}
			if f == nil {
				return
			}
			hasFactors(t, f, tt.factors...)
			lacksFactors(t, f, tt.notFactors...)
			if f.Repo != "" || f.Path != "" {
				t.Errorf("an organisation finding has repo %q path %q", f.Repo, f.Path)
			}
			if f7 != nil {
				got := append([]string(nil), f7.UsedBy...)
				sort.Strings(got)
				if strings.Join(got, ",") != strings.Join(tt.usedBy, ",") {
					t.Errorf("used_by = %v, want %v", f7.UsedBy, tt.usedBy)
				}
				if len(f7.ManualSteps) < 3 {
					t.Errorf("manual steps: %q", f7.ManualSteps)
				}
			}
			for _, w := range tt.message {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q does not contain %q", f.Message, w)
				}
			}
		})
	}
}

// TestBroadSecretReadersAndJSON checks the reader-count bands and that
// used_by is in the JSON form only when there are users.
func TestBroadSecretReadersAndJSON(t *testing.T) {
	var repos []*model.Repo
	for i := 0; i < 25; i++ {
		files := testOnly
		if i == 0 {
			files = publishWith("NPM_TOKEN")
		}
		repos = append(repos, orgRepo(t, string(rune('a'+i)), "private", files))
	}
	inv := &model.Inventory{Repos: repos, OrgSecrets: []*model.Secret{{Name: "NPM_TOKEN", Scope: model.ScopeOrganization, Visibility: "all"}}}
	f := byRuleSecret(runInv(t, inv))["TP007 NPM_TOKEN"]
	if f == nil {
		t.Fatal("no TP007")
	}
	for _, fa := range f.Factors {
		if fa.Name == "many-readers" && fa.Points != 10 {
			t.Errorf("25 readers: many-readers %+d, want +10", fa.Points)
		}
	}
	b, _ := json.Marshal(f)
	if !strings.Contains(string(b), `"used_by":["o/a"]`) {
		t.Errorf("json: %s", b)
	}
	b, _ = json.Marshal(&rules.Finding{})
	if strings.Contains(string(b), "used_by") {
		t.Errorf("used_by is not omitted when empty: %s", b)
	}
}

const envJob = `on: [push, pull_request_target]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: release
    permissions:
      contents: read
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
`

// TestUnprotectedEnvironmentSecret checks TP008 and its split with TP004.
func TestUnprotectedEnvironmentSecret(t *testing.T) {
	tests := []struct {
		name       string
		workflow   string
		visibility string
		known      bool
		env        *model.Environment // nil: the environment is not listed
		secretName string
		tp004      bool
		tp008      bool
		factors    []string
		notFactors []string
	}{
		{
			name: "unprotected, used on pull_request_target, public", workflow: envJob, visibility: "public", known: true,
			env: &model.Environment{Name: "release"}, secretName: "PYPI_API_TOKEN", tp008: true,
			factors: []string{"ungated-environment", "trigger-pull_request_target", "public-repository", "secret-age"},
		},
		{
			name: "unprotected, used on a push, private", workflow: strings.Replace(envJob, "[push, pull_request_target]", "push", 1), visibility: "private", known: true,
			env: &model.Environment{Name: "release"}, secretName: "PYPI_API_TOKEN", tp008: true,
			factors: []string{"ungated-environment", "secret-age"}, notFactors: []string{"public-repository", "trigger-pull_request_target"},
		},
		{
			name: "used by a job outside the environment still counts as used", workflow: strings.Replace(envJob, "    environment: release\n", "", 1), visibility: "public", known: true,
			env: &model.Environment{Name: "release"}, secretName: "PYPI_API_TOKEN", tp008: true,
			factors: []string{"ungated-environment", "public-repository"}, notFactors: []string{"trigger-pull_request_target"},
		},
		{
			name: "required reviewers", workflow: envJob, visibility: "public", known: true,
			env: &model.Environment{Name: "release", RequiredReviewers: 2}, secretName: "PYPI_API_TOKEN",
		},
		{
			name: "branch policy", workflow: envJob, visibility: "public", known: true,
			env: &model.Environment{Name: "release", BranchPolicy: true}, secretName: "PYPI_API_TOKEN",
		},
		{
			name: "a wait timer alone protects nothing", workflow: envJob, visibility: "public", known: true,
			env: &model.Environment{Name: "release", WaitTimer: 10}, secretName: "PYPI_API_TOKEN", tp008: true,
			factors: []string{"ungated-environment"},
		},
		{
			name: "secrets not listed", workflow: envJob, visibility: "public", known: false,
			env: &model.Environment{Name: "release"}, secretName: "PYPI_API_TOKEN",
		},
		{
			name: "environment not listed", workflow: envJob, visibility: "public", known: true,
			env: nil, secretName: "PYPI_API_TOKEN",
		},
		{
			name: "not a registry name", workflow: strings.ReplaceAll(envJob, "PYPI_API_TOKEN", "DEPLOY_HOOK"), visibility: "public", known: true,
			env: &model.Environment{Name: "release"}, secretName: "DEPLOY_HOOK",
		},
		{
			name: "unused: TP004 only", workflow: testOnly[".github/workflows/ci.yml"], visibility: "public", known: true,
			env: &model.Environment{Name: "release"}, secretName: "PYPI_API_TOKEN", tp004: true,
			factors: []string{"unused-token", "unprotected-environment", "secret-age"},
		},
		{
			name: "unused, protected: TP004 only", workflow: testOnly[".github/workflows/ci.yml"], visibility: "public", known: true,
			env: &model.Environment{Name: "release", RequiredReviewers: 1}, secretName: "PYPI_API_TOKEN", tp004: true,
			factors: []string{"unused-token", "protected-environment"}, notFactors: []string{"unprotected-environment"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := orgRepo(t, "r", tt.visibility, map[string]string{".github/workflows/release.yml": tt.workflow})
			r.SecretsKnown = tt.known
			if tt.env != nil {
				r.Environments = []*model.Environment{tt.env}
			}
			r.Secrets = []*model.Secret{{Name: tt.secretName, Scope: model.ScopeEnvironment, Environment: "release", Repo: "o/r",
				UpdatedAt: fixedNow.AddDate(-1, -1, 0), Value: canaryNpm}}
			fs := runInv(t, &model.Inventory{Org: "o", Repos: []*model.Repo{r}})
			noCanary(t, fs)
			m := byRuleSecret(fs)
			f4, f8 := m["TP004 "+tt.secretName], m["TP008 "+tt.secretName]
			if (f4 != nil) != tt.tp004 || (f8 != nil) != tt.tp008 {
				t.Fatalf("TP004 %v, TP008 %v; want %v, %v (findings %v)", f4 != nil, f8 != nil, tt.tp004, tt.tp008, keys(m))
			}
			f := f8
			if f == nil {
				f = f4
			}
			if f == nil {
				return
			}
			hasFactors(t, f, tt.factors...)
			lacksFactors(t, f, tt.notFactors...)
			if f8 != nil {
				for _, w := range []string{"Environment release", "o/r", tt.secretName} {
					if !strings.Contains(f8.Message, w) {
						t.Errorf("message %q does not name %q", f8.Message, w)
					}
				}
				if f8.Repo != "o/r" || len(f8.ManualSteps) < 3 || !strings.Contains(strings.Join(f8.ManualSteps, " "), `environment "release"`) {
					t.Errorf("repo %q, manual steps %q", f8.Repo, f8.ManualSteps)
				}
			}
		})
	}
}

// TestUnusedOrgSecretAcrossInventory checks TP004 over several repositories
// with selected visibility.
func TestUnusedOrgSecretAcrossInventory(t *testing.T) {
	tests := []struct {
		name     string
		selected []string
		repos    func(t *testing.T) []*model.Repo
		tp004    bool
		message  string
	}{
		{
			name: "selected for a repository that does not use it; one that cannot see it does", selected: []string{"o/a"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "private", testOnly), orgRepo(t, "b", "private", publishWith("NPM_TOKEN"))}
			},
			tp004: true, message: "visible to 1 scanned repositories, used by none",
		},
		{
			name: "selected by short name, used", selected: []string{"b"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "private", testOnly), orgRepo(t, "b", "private", publishWith("NPM_TOKEN"))}
			},
		},
		{
			name: "selected in another case, unused", selected: []string{"O/A"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "private", testOnly), orgRepo(t, "b", "private", publishWith("NPM_TOKEN"))}
			},
			tp004: true, message: "visible to 1 scanned repositories, used by none",
		},
		{
			name: "a selected repository was not scanned", selected: []string{"o/a", "o/elsewhere"},
			repos: func(t *testing.T) []*model.Repo {
				return []*model.Repo{orgRepo(t, "a", "private", testOnly)}
			},
		},
		{
			name: "selected for a repository that uses its own repository secret of that name", selected: []string{"o/a"},
			repos: func(t *testing.T) []*model.Repo {
				a := orgRepo(t, "a", "private", publishWith("NPM_TOKEN"))
				a.Secrets = []*model.Secret{{Name: "NPM_TOKEN", Scope: model.ScopeRepository, Repo: "o/a"}}
				return []*model.Repo{a}
			},
			tp004: true,
		},
		{
			name: "the same, secrets not listed: the organisation secret may be the one used", selected: []string{"o/a"},
			repos: func(t *testing.T) []*model.Repo {
				a := orgRepo(t, "a", "private", publishWith("NPM_TOKEN"))
				a.SecretsKnown = false
				return []*model.Repo{a}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &model.Inventory{Org: "o", Repos: tt.repos(t), OrgSecrets: []*model.Secret{
				{Name: "NPM_TOKEN", Scope: model.ScopeOrganization, Visibility: "selected", SelectedRepos: tt.selected},
			}}
			m := byRuleSecret(runInv(t, inv))
			var f *rules.Finding
			for _, x := range m {
				if x.Rule == "TP004" && x.Repo == "" {
					f = x
				}
			}
			if (f != nil) != tt.tp004 {
				t.Fatalf("TP004 %v, want %v (findings %v)", f != nil, tt.tp004, keys(m))
			}
			if m["TP007 NPM_TOKEN"] != nil {
				t.Error("TP007 on a selected secret")
			}
			if f == nil {
				return
			}
			hasFactors(t, f, "unused-token", "org-secret-selected")
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q does not contain %q", f.Message, tt.message)
			}
		})
	}
}

// TestUnusedRepoSecretNotWhenUnread: a repository whose pipelines were not
// all read never has its secrets called unused.
func TestUnusedRepoSecretNotWhenUnread(t *testing.T) {
	for _, tc := range []struct {
		gap   model.CoverageGap
		tp004 bool
	}{
		{model.CoverageGap{Repo: "o/a", Kind: "missing"}, false},
		{model.CoverageGap{Repo: "o/a", Path: ".github/workflows/x.yml", Kind: "parse-error"}, false},
		{model.CoverageGap{Repo: "o/a", Path: ".gitlab-ci.yml", Kind: "unresolved"}, false},
		{model.CoverageGap{Kind: "interrupted"}, false},
		{model.CoverageGap{Repo: "o/b", Kind: "missing"}, true},
		{model.CoverageGap{Repo: "o/a", Path: "scripts/big.sh", Kind: "too-large"}, true},
	} {
		a := orgRepo(t, "a", "private", testOnly)
		a.Secrets = []*model.Secret{{Name: "PYPI_TOKEN", Scope: model.ScopeRepository, Repo: "o/a"}}
		inv := &model.Inventory{Repos: []*model.Repo{a}, Coverage: []model.CoverageGap{tc.gap}}
		got := byRuleSecret(runInv(t, inv))["TP004 PYPI_TOKEN"] != nil
		if got != tc.tp004 {
			t.Errorf("gap %+v: TP004 %v, want %v", tc.gap, got, tc.tp004)
		}
	}
}

// TestRejectedTrustedPublishingAcrossInventory checks TP005 in every
// repository of an inventory, and that a secret the job names but that
// cannot exist for the repository (an organisation secret selected for
// others) does not hide it: it is empty at run time, so the publish relies
// on trusted publishing.
func TestRejectedTrustedPublishingAcrossInventory(t *testing.T) {
	oidcPRT := func(password bool) map[string]string {
		wf := `on: pull_request_target
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: pypa/gh-action-pypi-publish@release/v1
`
		if password {
			wf += "        with:\n          password: ${{ secrets.ORG_PYPI_TOKEN }}\n"
		}
		return map[string]string{".github/workflows/release.yml": wf}
	}
	tests := []struct {
		name       string
		visibility string
		selected   []string
		known      bool
		tp005      []string // repositories
	}{
		{name: "selected for another repository: empty here", visibility: "selected", selected: []string{"o/other"}, known: true, tp005: []string{"o/a", "o/b"}},
		{name: "selected for this repository: a token is passed", visibility: "selected", selected: []string{"o/b"}, known: true, tp005: []string{"o/a"}},
		{name: "private, the repository is public: empty here", visibility: "private", known: true, tp005: []string{"o/a", "o/b"}},
		{name: "secrets not listed: may exist", visibility: "selected", selected: []string{"o/other"}, known: false, tp005: []string{"o/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := orgRepo(t, "a", "public", oidcPRT(false))
			b := orgRepo(t, "b", "public", oidcPRT(true))
			other := orgRepo(t, "other", "private", testOnly)
			b.SecretsKnown = tt.known
			inv := &model.Inventory{Org: "o", Repos: []*model.Repo{a, b, other}, OrgSecrets: []*model.Secret{
				{Name: "ORG_PYPI_TOKEN", Scope: model.ScopeOrganization, Visibility: tt.visibility, SelectedRepos: tt.selected},
			}}
			var got []string
			for _, f := range runInv(t, inv) {
				if f.Rule == "TP005" {
					got = append(got, f.Repo)
				}
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(tt.tp005, ",") {
				t.Errorf("TP005 in %v, want %v", got, tt.tp005)
			}
		})
	}
}
