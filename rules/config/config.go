// Package config reads .tpscan.yml: suppressions (by fingerprint, or by rule
// and path, each with a reason and an optional expiry), extra secret-name
// patterns, and internal registry URLs that are not public registries.
package config

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// FileName is looked up in the scanned root.
const FileName = ".tpscan.yml"

// Config is the parsed file.
type Config struct {
	Version      int           `yaml:"version"`
	Suppressions []Suppression `yaml:"suppressions"`
	// SecretPatterns are extra regular expressions for registry-looking
	// secret names.
	SecretPatterns []string `yaml:"secret_patterns"`
	// InternalRegistries are URL prefixes of private registries.
	InternalRegistries []string `yaml:"internal_registries"`
	// Path is where the config was read from.
	Path string `yaml:"-"`
}

// Suppression hides findings. Either Fingerprint, or Rule with Path (a
// glob, matched with path.Match) and optionally Repo, must be set.
type Suppression struct {
	Fingerprint string `yaml:"fingerprint"`
	Rule        string `yaml:"rule"`
	Path        string `yaml:"path"`
	Repo        string `yaml:"repo"`
	Reason      string `yaml:"reason"`
	// Expires is a date (YYYY-MM-DD); after it the suppression no longer
	// applies and is reported.
	Expires string `yaml:"expires"`
	Line    int    `yaml:"-"`
}

// Load reads a config file.
func Load(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, b)
}

// Parse parses config bytes; errors name the file and line.
func Parse(file string, b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c := &Config{Path: file}
	if len(root.Content) == 0 {
		return c, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c.Path = file
	// Record each suppression's line for messages.
	if doc := root.Content[0]; doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if doc.Content[i].Value == "suppressions" && doc.Content[i+1].Kind == yaml.SequenceNode {
				for k, n := range doc.Content[i+1].Content {
					if k < len(c.Suppressions) {
						c.Suppressions[k].Line = n.Line
					}
				}
			}
		}
	}
	for i, s := range c.Suppressions {
		if s.Reason == "" {
			return nil, fmt.Errorf("%s:%d: suppression %d has no reason: say why it is safe", file, s.Line, i+1)
		}
		if s.Fingerprint == "" && (s.Rule == "" || s.Path == "") {
			return nil, fmt.Errorf("%s:%d: suppression %d needs a fingerprint, or a rule and a path", file, s.Line, i+1)
		}
		if s.Path != "" {
			if _, err := path.Match(s.Path, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: suppression path %q: %w", file, s.Line, s.Path, err)
			}
		}
		if s.Expires != "" {
			if _, err := time.Parse("2006-01-02", s.Expires); err != nil {
				return nil, fmt.Errorf("%s:%d: expires %q is not a YYYY-MM-DD date", file, s.Line, s.Expires)
			}
		}
	}
	for _, p := range c.SecretPatterns {
		if _, err := regexp.Compile(p); err != nil {
			return nil, fmt.Errorf("%s: secret_patterns %q: %w", file, p, err)
		}
	}
	return c, nil
}

// Expired reports whether the suppression has passed its expiry at now.
func (s Suppression) Expired(now time.Time) bool {
	if s.Expires == "" {
		return false
	}
	t, err := time.Parse("2006-01-02", s.Expires)
	if err != nil {
		return false
	}
	return !now.Before(t.AddDate(0, 0, 1))
}

// Matches reports whether the suppression covers a finding.
func (s Suppression) Matches(fingerprint, rule, ruleName, repo, file string) bool {
	if s.Fingerprint != "" {
		return s.Fingerprint == fingerprint
	}
	if s.Rule != rule && s.Rule != ruleName {
		return false
	}
	if s.Repo != "" && s.Repo != repo {
		return false
	}
	ok, _ := path.Match(s.Path, file)
	return ok
}
