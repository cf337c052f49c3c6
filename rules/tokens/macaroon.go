package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// Macaroon is what can be learnt offline from a PyPI API token: where it is
// valid and which restrictions (caveats) it carries. The signature is not
// kept.
type Macaroon struct {
	Location   string `json:"location"`   // "pypi.org", "test.pypi.org", or another index
	Identifier string `json:"identifier"` // token UUID; not secret on its own
	// Scope is ScopeUser, ScopeProject, ScopeTrustedPublishing or
	// ScopeUnknown.
	Scope          string     `json:"scope"`
	Projects       []string   `json:"projects,omitempty"`    // from project-name caveats
	ProjectIDs     []string   `json:"project_ids,omitempty"` // from project-ID caveats
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`  // earliest expiry; nil = never expires
	NotBefore      *time.Time `json:"not_before,omitempty"`  // latest not-before
	Legacy         bool       `json:"legacy,omitempty"`      // legacy JSON-object caveats were seen
	UnknownCaveats int        `json:"unknown_caveats,omitempty"`
}

// Scopes of a PyPI token.
const (
	ScopeUser              = "user"
	ScopeProject           = "project"
	ScopeTrustedPublishing = "trusted-publishing"
	ScopeUnknown           = "unknown"
)

// Decoding errors. They are fixed texts on purpose: nothing derived from the
// token may reach an error message.
var (
	errNotPyPI    = errors.New("tokens: value lacks the PyPI token prefix")
	errBase64     = errors.New("tokens: PyPI token body is not valid base64")
	errVersion    = errors.New("tokens: PyPI token is not a version 2 binary macaroon")
	errTruncated  = errors.New("tokens: PyPI macaroon is truncated")
	errMalformed  = errors.New("tokens: PyPI macaroon is malformed")
	errNoIdent    = errors.New("tokens: PyPI macaroon has no identifier")
	errSignature  = errors.New("tokens: PyPI macaroon has no valid signature packet")
	errTrailing   = errors.New("tokens: PyPI macaroon has trailing bytes")
	errEmptyInput = errors.New("tokens: empty PyPI token")
)

// Field types of the libmacaroons/pymacaroons v2 binary format.
const (
	fieldEOS        = 0
	fieldLocation   = 1
	fieldIdentifier = 2
	fieldVID        = 4
	fieldSignature  = 6
	signatureLen    = 32
)

// DecodePyPI decodes a PyPI/TestPyPI API token ("pypi-" + unpadded
// base64url v2 binary macaroon) and classifies its caveats. Errors never
// contain any part of the token.
func DecodePyPI(token string) (*Macaroon, error) {
	body, ok := strings.CutPrefix(token, "pypi-")
	if !ok {
		return nil, errNotPyPI
	}
	if body == "" {
		return nil, errEmptyInput
	}
	raw, err := decodeBase64(body)
	if err != nil {
		return nil, err
	}
	return parseMacaroon(raw)
}

// decodeBase64 pads body and decodes it as base64url, falling back to
// standard base64 for tokens that were re-encoded along the way.
func decodeBase64(body string) ([]byte, error) {
	// Go's decoder silently drops CR and LF; a token never contains them.
	if strings.ContainsAny(body, "\r\n") {
		return nil, errBase64
	}
	if r := len(body) % 4; r != 0 {
		body += strings.Repeat("=", 4-r)
	}
	if raw, err := base64.URLEncoding.DecodeString(body); err == nil {
		return raw, nil
	}
	if raw, err := base64.StdEncoding.DecodeString(body); err == nil {
		return raw, nil
	}
	return nil, errBase64
}

// packet is one field of the binary format.
type packet struct {
	typ  uint64
	data []byte
}

// packetReader walks the packets of a binary macaroon.
type packetReader struct {
	b   []byte
	off int
}

// next reads one packet: uvarint(type), then, unless type is EOS,
// uvarint(length) and length bytes.
func (r *packetReader) next() (packet, error) {
	typ, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return packet{}, errTruncated
	}
	r.off += n
	if typ == fieldEOS {
		return packet{typ: typ}, nil
	}
	size, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return packet{}, errTruncated
	}
	r.off += n
	if size > uint64(len(r.b)-r.off) {
		return packet{}, errTruncated
	}
	p := packet{typ: typ, data: r.b[r.off : r.off+int(size)]}
	r.off += int(size)
	return p, nil
}

// section reads packets up to and including the next EOS and returns those
// before it.
func (r *packetReader) section() ([]packet, error) {
	var ps []packet
	for {
		p, err := r.next()
		if err != nil {
			return nil, err
		}
		if p.typ == fieldEOS {
			return ps, nil
		}
		if p.typ == fieldSignature {
			// A signature inside a section means the layout is not
			// the one we understand.
			return nil, errMalformed
		}
		ps = append(ps, p)
	}
}

// parseMacaroon parses a v2 binary macaroon: version byte, header section,
// caveat sections ended by an empty section, then the signature.
func parseMacaroon(raw []byte) (*Macaroon, error) {
	if len(raw) == 0 || raw[0] != 2 {
		return nil, errVersion
	}
	r := &packetReader{b: raw, off: 1}
	header, err := r.section()
	if err != nil {
		return nil, err
	}
	m := &Macaroon{}
	haveID := false
	for _, p := range header {
		switch p.typ {
		case fieldLocation:
			m.Location = string(p.data)
		case fieldIdentifier:
			m.Identifier, haveID = string(p.data), true
		}
	}
	if !haveID {
		return nil, errNoIdent
	}
	var caveats [][]byte
	for {
		sec, err := r.section()
		if err != nil {
			return nil, err
		}
		if len(sec) == 0 {
			break
		}
		caveats = append(caveats, caveatID(sec))
	}
	sig, err := r.next()
	if err != nil {
		return nil, err
	}
	if sig.typ != fieldSignature || len(sig.data) != signatureLen {
		return nil, errSignature
	}
	if r.off != len(raw) {
		return nil, errTrailing
	}
	classify(m, caveats)
	return m, nil
}

// caveatID returns the identifier of a caveat section, skipping other
// packet types (location and vid of third-party caveats). A section without
// one yields nil, which classifies as an unknown caveat.
func caveatID(sec []packet) []byte {
	for _, p := range sec {
		if p.typ == fieldIdentifier {
			return p.data
		}
	}
	return nil
}

// caveatState accumulates what the caveats say.
type caveatState struct {
	user, project, publisher bool
	exp, nbf                 *int64
}

// classify interprets the caveats and sets the scope and limits of m. It
// fails closed: a token whose restrictions are not all understood, or that
// has none, is ScopeUnknown, never ScopeUser.
func classify(m *Macaroon, caveats [][]byte) {
	var st caveatState
	for _, c := range caveats {
		if !applyCaveat(m, &st, c) {
			m.UnknownCaveats++
		}
	}
	switch {
	case m.UnknownCaveats > 0:
		m.Scope = ScopeUnknown
	case st.publisher:
		m.Scope = ScopeTrustedPublishing
	case st.project:
		m.Scope = ScopeProject
	case st.user:
		m.Scope = ScopeUser
	default:
		m.Scope = ScopeUnknown
	}
	m.ExpiresAt = unixTime(st.exp)
	m.NotBefore = unixTime(st.nbf)
}

// Bounds of the years time.Time can encode as JSON.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// unixTime converts caveat seconds, if any, to a UTC time.
func unixTime(sec *int64) *time.Time {
	if sec == nil {
		return nil
	}
	// Clamp to years 1..9999 so that a crafted caveat cannot make the
	// time unencodable (time.Time.MarshalJSON rejects other years).
	t := time.Unix(min(max(*sec, minUnix), maxUnix), 0).UTC()
	return &t
}

// applyCaveat records one caveat and reports whether it was understood.
func applyCaveat(m *Macaroon, st *caveatState, c []byte) bool {
	c = bytes.TrimSpace(c)
	if len(c) == 0 {
		return false
	}
	switch c[0] {
	case '[':
		return applyTagged(m, st, c)
	case '{':
		m.Legacy = true
		return applyLegacy(m, st, c)
	}
	return false
}

// Tags of the current (array) caveat form.
const (
	tagExpiration    = 0
	tagProjectName   = 1
	tagProjectID     = 2
	tagRequestUser   = 3
	tagOIDCPublisher = 4
)

// applyTagged handles `[tag, fields...]` caveats. Trailing extra elements
// are tolerated, as newer Warehouse versions may append fields.
func applyTagged(m *Macaroon, st *caveatState, c []byte) bool {
	var parts []json.RawMessage
	if json.Unmarshal(c, &parts) != nil || len(parts) < 2 {
		return false
	}
	var tag int
	if json.Unmarshal(parts[0], &tag) != nil {
		return false
	}
	switch tag {
	case tagExpiration:
		var exp, nbf int64
		if len(parts) < 3 || json.Unmarshal(parts[1], &exp) != nil || json.Unmarshal(parts[2], &nbf) != nil {
			return false
		}
		st.addExpiry(exp)
		st.addNotBefore(nbf)
	case tagProjectName, tagProjectID:
		var list []string
		if json.Unmarshal(parts[1], &list) != nil || list == nil {
			return false
		}
		st.project = true
		if tag == tagProjectName {
			m.Projects = append(m.Projects, list...)
		} else {
			m.ProjectIDs = append(m.ProjectIDs, list...)
		}
	case tagRequestUser, tagOIDCPublisher:
		var id string
		if json.Unmarshal(parts[1], &id) != nil {
			return false
		}
		if tag == tagRequestUser {
			st.user = true
		} else {
			st.publisher = true
		}
	default:
		return false
	}
	return true
}

// applyLegacy handles the JSON-object caveats of older Warehouse tokens.
// Every key must be understood, or the caveat counts as unknown.
func applyLegacy(m *Macaroon, st *caveatState, c []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(c, &obj) != nil {
		return false
	}
	understood := false
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch k {
		case "version":
			continue
		case "permissions":
			if !legacyPermissions(m, st, v) {
				return false
			}
		case "project_ids":
			var ids []string
			if json.Unmarshal(v, &ids) != nil || ids == nil {
				return false
			}
			st.project = true
			m.ProjectIDs = append(m.ProjectIDs, ids...)
		case "exp", "nbf":
			var sec int64
			if json.Unmarshal(v, &sec) != nil {
				return false
			}
			if k == "exp" {
				st.addExpiry(sec)
			} else {
				st.addNotBefore(sec)
			}
		default:
			return false
		}
		understood = true
	}
	return understood
}

// legacyPermissions handles `"permissions": "user"` and
// `"permissions": {"projects": [...]}`.
func legacyPermissions(m *Macaroon, st *caveatState, v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) == nil {
		if s != "user" {
			return false
		}
		st.user = true
		return true
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(v, &p) != nil || len(p) != 1 || p["projects"] == nil {
		return false
	}
	var names []string
	if json.Unmarshal(p["projects"], &names) != nil || names == nil {
		return false
	}
	st.project = true
	m.Projects = append(m.Projects, names...)
	return true
}

// sortedKeys makes caveat processing independent of map order.
func sortedKeys(obj map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// addExpiry keeps the earliest expiry: every caveat must hold.
func (st *caveatState) addExpiry(sec int64) {
	if st.exp == nil || sec < *st.exp {
		st.exp = &sec
	}
}

// addNotBefore keeps the latest not-before.
func (st *caveatState) addNotBefore(sec int64) {
	if st.nbf == nil || sec > *st.nbf {
		st.nbf = &sec
	}
}
