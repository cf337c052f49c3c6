package rules

import (
	"fmt"
	"time"

	"github.com/tpscan/tpscan/rules/config"
)

// ExpiredSuppression is a suppression whose date has passed: it no longer
// hides anything, and the report says so.
type ExpiredSuppression struct {
	Path        string `json:"path"`
	Line        int    `json:"line"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Rule        string `json:"rule,omitempty"`
	Reason      string `json:"reason"`
	Expires     string `json:"expires"`
	Message     string `json:"message"`
}

// Suppress marks findings covered by the config's suppressions. Suppressed
// findings stay in the list, marked; expired suppressions are returned.
func Suppress(fs []*Finding, cfg *config.Config, now time.Time) []ExpiredSuppression {
	if cfg == nil {
		return nil
	}
	var expired []ExpiredSuppression
	for _, s := range cfg.Suppressions {
		if s.Expired(now) {
			expired = append(expired, ExpiredSuppression{Path: cfg.Path, Line: s.Line, Fingerprint: s.Fingerprint, Rule: s.Rule,
				Reason: s.Reason, Expires: s.Expires,
				Message: fmt.Sprintf("suppression expired on %s and no longer applies", s.Expires)})
			continue
		}
		for _, f := range fs {
			if !f.Suppressed && s.Matches(f.Fingerprint, f.Rule, f.RuleName, f.Repo, f.Path) {
				f.Suppressed = true
				f.SuppressionReason = s.Reason
			}
		}
	}
	return expired
}
