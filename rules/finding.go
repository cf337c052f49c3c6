package rules

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/tpscan/tpscan/rules/risk"
)

// NoPatch says why a finding gets no automatic patch.
type NoPatch struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Finding is one problem, as every output reports it. Its JSON form is the
// documented contract (README, "JSON output"): fields are only ever added.
type Finding struct {
	Rule     string        `json:"rule"`
	RuleName string        `json:"rule_name"`
	Severity string        `json:"severity"`
	Score    int           `json:"score"`
	Factors  []risk.Factor `json:"factors"`
	// Confidence is "high", "medium" (through make, tox or a script) or
	// "low" (inferred from names).
	Confidence string `json:"confidence"`
	Registry   string `json:"registry,omitempty"`
	Method     string `json:"method,omitempty"`
	Repo       string `json:"repo,omitempty"`
	Path       string `json:"path"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	EndLine    int    `json:"end_line"`
	EndColumn  int    `json:"end_column"`
	YAMLPath   string `json:"yaml_path,omitempty"`
	Job        string `json:"job,omitempty"`
	Step       string `json:"step,omitempty"`
	// Secret is the stored secret's name ("*" for `secrets: inherit` when the
	// names are unknown); Secrets lists every name involved (a user name
	// secret next to the password, the candidates of `a || b`).
	Secret     string   `json:"secret,omitempty"`
	Secrets    []string `json:"secrets,omitempty"`
	SecretKind string   `json:"secret_kind,omitempty"`
	// SecretScope and Environment say where a stored secret or variable
	// that a finding is about lives ("organization", "repository" or
	// "environment", and the environment's name): findings about a stored
	// value have no file, and outputs locate them by these.
	SecretScope string `json:"secret_scope,omitempty"`
	Environment string `json:"environment,omitempty"`
	// UsedBy lists, for a finding about a stored secret that several
	// repositories can read (TP007), the repositories whose pipelines use it.
	UsedBy []string `json:"used_by,omitempty"`
	// Token is the redacted fingerprint of a literal token; never the value.
	Token   string `json:"token,omitempty"`
	Message string `json:"message"`
	// Via lists how the credential travels, e.g. "env TWINE_PASSWORD (job)".
	Via []string `json:"via,omitempty"`
	// Fix says what the trusted-publishing form is; ManualSteps are the
	// steps outside the repository (register the publisher, delete the
	// secret, revoke the token).
	Fix         string   `json:"fix,omitempty"`
	ManualSteps []string `json:"manual_steps,omitempty"`
	// Blocked explains why the registry would refuse trusted publishing here.
	Blocked string `json:"blocked,omitempty"`
	// Patch is the unified diff that fixes this finding (with every other
	// fix of the same file), set by the fixers; NoPatch says why there is
	// none, with a reason from a fixed list (README, "Fixes").
	Patch string `json:"patch,omitempty"`
	// PatchNotes are what the reviewer of the patch should know (a bumped
	// pin, an added environment the publisher must name).
	PatchNotes []string `json:"patch_notes,omitempty"`
	NoPatch    *NoPatch `json:"no_patch,omitempty"`
	// Fingerprint identifies the finding across runs.
	Fingerprint string `json:"fingerprint"`
	Suppressed  bool   `json:"suppressed"`
	// SuppressionReason is set when Suppressed is true.
	SuppressionReason string `json:"suppression_reason,omitempty"`

	// key is the key within the step that carries the credential; part of
	// the fingerprint.
	key string
}

// Severity bands: GitHub's security-severity cut-offs times ten.
func band(score int) string {
	switch {
	case score >= 90:
		return "critical"
	case score >= 70:
		return "high"
	case score >= 40:
		return "medium"
	}
	return "low"
}

// SeverityRank orders severities for --fail-on.
func SeverityRank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// fingerprint identifies a finding across unrelated edits: it is built from
// what the finding is about, never from line numbers.
func (f *Finding) fingerprint(stepKey string) string {
	h := sha256.New()
	for _, part := range []string{f.Rule, f.Repo, f.Path, f.Job, stepKey, f.key, f.Secret, f.Registry, f.Token} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Less orders findings: highest score first, then by place.
func Less(a, b *Finding) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Repo != b.Repo {
		return a.Repo < b.Repo
	}
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	if a.Rule != b.Rule {
		return a.Rule < b.Rule
	}
	if a.Registry != b.Registry {
		return a.Registry < b.Registry
	}
	if a.Secret != b.Secret {
		return a.Secret < b.Secret
	}
	return a.Fingerprint < b.Fingerprint
}
