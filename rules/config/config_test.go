package config

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse(".tpscan.yml", []byte(`version: 1
suppressions:
  - fingerprint: abc
    reason: known
  - rule: TP006
    path: .github/workflows/*.yml
    repo: acme/api
    reason: release-pr job
    expires: 2027-01-31
secret_patterns: ['(?i)^ACME_']
internal_registries: [https://pypi.acme.internal/]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Suppressions) != 2 || c.Suppressions[1].Line != 5 || c.InternalRegistries[0] != "https://pypi.acme.internal/" {
		t.Fatalf("config = %+v", c)
	}
	s := c.Suppressions[1]
	if !s.Matches("", "TP006", "exposed-registry-token", "acme/api", ".github/workflows/ci.yml") ||
		s.Matches("", "TP006", "", "acme/other", ".github/workflows/ci.yml") ||
		s.Matches("", "TP001", "", "acme/api", ".github/workflows/ci.yml") {
		t.Error("rule+path matching")
	}
	if !c.Suppressions[0].Matches("abc", "TP001", "", "", "x") || c.Suppressions[0].Matches("abd", "TP001", "", "", "x") {
		t.Error("fingerprint matching")
	}
	if s.Expired(time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC)) || !s.Expired(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("an expiry date is valid through that day")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"suppressions:\n  - fingerprint: a\n", ".tpscan.yml:2: suppression 1 has no reason"},
		{"suppressions:\n  - rule: TP001\n    reason: x\n", "needs a fingerprint, or a rule and a path"},
		{"suppressions:\n  - fingerprint: a\n    reason: x\n    expires: soon\n", "not a YYYY-MM-DD date"},
		{"secret_patterns: ['(']\n", "secret_patterns"},
		{"supressions: []\n", "supressions"},
		{"a: [\n", ".tpscan.yml"},
	}
	for _, tt := range tests {
		_, err := Parse(".tpscan.yml", []byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}
