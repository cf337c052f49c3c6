// Package tokens finds literal package-registry tokens (PyPI, TestPyPI,
// RubyGems, npm, crates.io, NuGet, pub.dev) in file bytes and decodes what
// can be decoded offline (PyPI macaroon caveats).
//
// The scanner that uses this package must never leak a secret, so the raw
// token value lives only in an unexported field and is reachable only
// through [Match.Secret]. Every other output - String, GoString, any fmt
// verb, JSON encoding, errors - carries at most the fixed registry prefix and
// a short hash ([Fingerprint]).
package tokens

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// Registry names the package registry a token authenticates against.
type Registry string

// Registries reported by this package.
const (
	PyPI     Registry = "pypi"
	TestPyPI Registry = "testpypi"
	RubyGems Registry = "rubygems"
	NPM      Registry = "npm"
	Crates   Registry = "crates"
	NuGet    Registry = "nuget"
	PubDev   Registry = "pubdev"
)

// Kinds of token, the short machine names used in [Match.Kind].
const (
	KindPyPIMacaroon      = "pypi-macaroon"
	KindRubyGemsAPIKey    = "rubygems-api-key"
	KindRubyGemsLegacyKey = "rubygems-legacy-key"
	KindNPMToken          = "npm-token"
	KindNPMLegacyUUID     = "npm-legacy-uuid"
	KindCratesToken       = "crates-token"
	KindNuGetAPIKey       = "nuget-api-key"
	KindPubRefreshToken   = "pub-refresh-token"
	KindPubAccessToken    = "pub-access-token"
)

// Match is one literal token found in the input.
//
// The raw value is deliberately held behind an unexported pointer: encoding
// packages skip it, and fmt prints a nested pointer as an address, so even a
// Match buried in an unexported field of some other struct and printed with
// %v cannot spill the token.
type Match struct {
	Registry Registry `json:"registry"`
	Kind     string   `json:"kind"`
	// Line and Col are the 1-based line and byte column of the token's
	// first byte; EndLine and EndCol the position just after its last byte.
	Line    int `json:"line,omitempty"`
	Col     int `json:"col,omitempty"`
	EndLine int `json:"end_line,omitempty"`
	EndCol  int `json:"end_col,omitempty"`
	// Offset and End delimit the token in the input: content[Offset:End].
	Offset int `json:"offset"`
	End    int `json:"end"`
	// Fingerprint is the redacted, printable identity of the value; see
	// [Fingerprint].
	Fingerprint string `json:"fingerprint"`
	// Macaroon is the decoded PyPI macaroon, nil for other registries and
	// for PyPI-shaped values that did not decode.
	Macaroon *Macaroon `json:"macaroon,omitempty"`

	value *string
}

// Secret returns the raw token. It is the only way to obtain the value;
// callers must not log or print it.
func (m Match) Secret() string {
	if m.value == nil {
		return ""
	}
	return *m.value
}

// String describes the match without the value, so a Match can be logged.
func (m Match) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", m.Registry, m.Kind, m.Fingerprint)
	if m.Line > 0 {
		fmt.Fprintf(&b, " at %d:%d", m.Line, m.Col)
	}
	if mac := m.Macaroon; mac != nil {
		fmt.Fprintf(&b, " scope=%s", mac.Scope)
		if len(mac.Projects) > 0 {
			// Quoted: the names come from the token, and must not
			// smuggle newlines or terminal escapes into logs.
			fmt.Fprintf(&b, " projects=%q", mac.Projects)
		}
		if mac.ExpiresAt != nil {
			fmt.Fprintf(&b, " expires=%s", mac.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	return b.String()
}

// GoString keeps %#v from dumping the struct, which would include the
// unexported value.
func (m Match) GoString() string {
	return fmt.Sprintf("tokens.Match{Registry:%q, Kind:%q, Fingerprint:%q, Line:%d, Col:%d, Offset:%d, End:%d}",
		m.Registry, m.Kind, m.Fingerprint, m.Line, m.Col, m.Offset, m.End)
}

// Format routes every fmt verb (%d, %x, %+v, ...) through String or
// GoString; without it, verbs that fmt does not send to String would print
// the fields one by one.
func (m Match) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, m.GoString())
		return
	}
	_, _ = io.WriteString(f, m.String())
}

// fingerprintPrefixes are the fixed, public token prefixes that a
// fingerprint may keep so a reader can tell the registry at a glance.
var fingerprintPrefixes = [...]string{"pypi-", "rubygems_", "npm_", "cio", "oy2", "1//", "ya29."}

// Fingerprint returns the redacted form of value used in [Match.Fingerprint]:
// the token's fixed prefix (if any), "…", and the first 8 hex digits of the
// SHA-256 of the value, e.g. "npm_…a1b2c3d4". Surrounding whitespace is
// ignored (no token contains any), so a secret stored with a trailing
// newline fingerprints like the same token found in a file.
func Fingerprint(value string) string {
	value = strings.TrimSpace(value)
	sum := sha256.Sum256([]byte(value))
	prefix := ""
	for _, p := range fingerprintPrefixes {
		// Keep the prefix only when enough follows it, so that the
		// fingerprint of a short value never spells the value out.
		if strings.HasPrefix(value, p) && len(value) >= len(p)+8 {
			prefix = p
			break
		}
	}
	return prefix + "…" + hex.EncodeToString(sum[:4])
}

// Classify classifies one whole value, such as a stored secret's value, as a
// token. Surrounding whitespace is ignored; anything else around the token
// makes it not match. Line and Col are zero; Offset and End locate the token
// in value.
//
// Only self-identifying shapes are classified: the legacy RubyGems key,
// npm UUID and pub.dev OAuth tokens are recognised by [Find] from the file
// context around them and, alone, do not say which registry they belong to,
// so Classify reports false for them.
func Classify(value string) (Match, bool) {
	trimmed := strings.TrimLeft(value, " \t\r\n")
	lead := len(value) - len(trimmed)
	trimmed = strings.TrimRight(trimmed, " \t\r\n")
	b := []byte(trimmed)
	for i := range detectors {
		d := &detectors[i]
		if !d.standalone || !strings.HasPrefix(trimmed, d.needle) {
			continue
		}
		c, ok := d.match(b, 0)
		if !ok || c.start != 0 || c.end != len(b) {
			continue
		}
		c.kind = d.kind
		m, ok := newMatch(b, c)
		if !ok {
			return Match{}, false
		}
		m.Offset += lead
		m.End += lead
		return m, true
	}
	return Match{}, false
}
