package tokens

import (
	"bytes"
	"slices"
)

// candidate is a token span proposed by a detector, before it is turned
// into a Match.
type candidate struct {
	start, end int
	kind       string
	// needRefreshKey asks Find to accept the candidate only if a
	// refreshToken key is near it.
	needRefreshKey bool
}

// detector finds one kind of token. Find looks for needle with bytes.Index,
// which is cheap, and only calls match at the places needle occurs, so a
// file without any needle costs a handful of vectorised scans.
type detector struct {
	needle string
	kind   string
	// standalone is true for shapes that identify their registry on their
	// own and may therefore be classified without file context.
	standalone bool
	// match examines the needle found at b[at:] and returns the token
	// span, or false when the bytes around it do not form a token.
	match func(b []byte, at int) (candidate, bool)
}

// detectors is the constant table of token detectors.
var detectors = [...]detector{
	{needle: "pypi-AgE", kind: KindPyPIMacaroon, standalone: true, match: matchPyPI},
	{needle: "rubygems_", kind: KindRubyGemsAPIKey, standalone: true, match: matchRubyGems},
	{needle: "npm_", kind: KindNPMToken, standalone: true, match: matchNPM},
	{needle: "cio", kind: KindCratesToken, standalone: true, match: matchCrates},
	{needle: "oy2", kind: KindNuGetAPIKey, standalone: true, match: matchNuGet},
	{needle: "1//", kind: KindPubRefreshToken, match: matchPubRefresh},
	{needle: "ya29.", kind: KindPubAccessToken, match: matchPubAccess},
	{needle: rubygemsKey, kind: KindRubyGemsLegacyKey, match: matchRubyGemsLegacy},
	{needle: npmAuthKey, kind: KindNPMLegacyUUID, match: matchNPMLegacy},
}

const (
	rubygemsKey = ":rubygems_api_key:"
	npmAuthKey  = "_authToken"
	// nearWindow bounds how far Find looks around a candidate for context
	// (an enclosing ${{ or a refreshToken key); credential files and
	// expressions are far smaller.
	nearWindow = 4096
	// Length bounds of the Google OAuth tokens that pub.dev stores.
	pubMinRefresh, pubMinAccess, pubMaxLen = 28, 30, 255
)

// Find returns every literal token in content, in input order, without
// duplicates or overlaps. Values inside ${{ ... }} expressions or ${VAR} /
// $VAR references are references, not literals, and are skipped, as are
// low-entropy placeholders.
func Find(content []byte) []Match {
	var cands []candidate
	for i := range detectors {
		cands = scan(content, &detectors[i], cands)
	}
	if len(cands) == 0 {
		return nil
	}
	around := &surroundings{b: content}
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return (b.end - b.start) - (a.end - a.start) // longer first
	})
	matches := make([]Match, 0, len(cands))
	last := 0
	for _, c := range cands {
		if c.start < last {
			continue // overlaps a token already kept
		}
		if around.isReference(c.start) || c.needRefreshKey && !around.refreshKeyNear(c.start, c.end) {
			continue
		}
		m, ok := newMatch(content, c)
		if !ok {
			continue
		}
		matches = append(matches, m)
		last = c.end
	}
	if len(matches) == 0 {
		return nil
	}
	setPositions(content, matches)
	return matches
}

// scan appends the candidates of one detector found in b.
func scan(b []byte, d *detector, out []candidate) []candidate {
	needle := []byte(d.needle)
	for from := 0; from < len(b); {
		i := bytes.Index(b[from:], needle)
		if i < 0 {
			break
		}
		at := from + i
		from = at + 1
		c, ok := d.match(b, at)
		if !ok {
			continue
		}
		c.kind = d.kind
		out = append(out, c)
	}
	return out
}

// setPositions fills the line and column fields of sorted matches in one
// pass over the input.
func setPositions(b []byte, ms []Match) {
	line, lineStart, pos := 1, 0, 0
	for i := range ms {
		seg := b[pos:ms[i].Offset]
		if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
			line += n
			lineStart = pos + bytes.LastIndexByte(seg, '\n') + 1
		}
		pos = ms[i].Offset
		ms[i].Line, ms[i].EndLine = line, line
		ms[i].Col = ms[i].Offset - lineStart + 1
		ms[i].EndCol = ms[i].Col + ms[i].End - ms[i].Offset
	}
}

// surroundings answers questions about the text around candidates. Its
// indexes are built on first use, once per Find call, so that the cost per
// candidate is a binary search plus a vectorised scan of at most
// nearWindow bytes, and inputs without candidates never pay for them.
type surroundings struct {
	b []byte

	opensBuilt bool
	exprOpens  []int // offsets of "${{"
	varOpens   []int // offsets of "${" not followed by '{'

	keysBuilt   bool
	refreshKeys []int // offsets of "refreshtoken", any case
}

// isReference reports whether the token starting at start is part of a
// variable reference ($VAR, ${VAR}) or a ${{ ... }} expression, which the
// workflow evaluates rather than stores.
func (s *surroundings) isReference(start int) bool {
	if start > 0 && s.b[start-1] == '$' {
		return true
	}
	s.buildOpens()
	lo := max(0, start-nearWindow)
	if o, ok := lastIn(s.varOpens, lo, start); ok {
		seg := s.b[o:start]
		if bytes.IndexByte(seg, '\n') < 0 && bytes.IndexByte(seg, '}') < 0 {
			return true
		}
	}
	// Expressions may span lines in YAML block scalars.
	if o, ok := lastIn(s.exprOpens, lo, start); ok && !bytes.Contains(s.b[min(o+3, start):start], []byte("}}")) {
		return true
	}
	return false
}

func (s *surroundings) buildOpens() {
	if s.opensBuilt {
		return
	}
	s.opensBuilt = true
	for from := 0; ; {
		i := bytes.Index(s.b[from:], []byte("${"))
		if i < 0 {
			return
		}
		o := from + i
		if o+2 < len(s.b) && s.b[o+2] == '{' {
			s.exprOpens = append(s.exprOpens, o)
		} else {
			s.varOpens = append(s.varOpens, o)
		}
		from = o + 2
	}
}

// refreshKeyNear reports whether "refreshToken" (any case) occurs within
// nearWindow bytes of the span [start, end).
func (s *surroundings) refreshKeyNear(start, end int) bool {
	const key = "refreshtoken"
	if !s.keysBuilt {
		s.keysBuilt = true
		folded := asciiLower(s.b)
		for from := 0; ; {
			i := bytes.Index(folded[from:], []byte(key))
			if i < 0 {
				break
			}
			s.refreshKeys = append(s.refreshKeys, from+i)
			from += i + len(key)
		}
	}
	lo, hi := max(0, start-nearWindow), min(len(s.b), end+nearWindow)
	i, _ := slices.BinarySearch(s.refreshKeys, lo)
	return i < len(s.refreshKeys) && s.refreshKeys[i]+len(key) <= hi
}

// lastIn returns the last offset in the sorted list that lies in [lo, hi).
func lastIn(list []int, lo, hi int) (int, bool) {
	i, _ := slices.BinarySearch(list, hi)
	if i == 0 || list[i-1] < lo {
		return 0, false
	}
	return list[i-1], true
}

// asciiLower returns a copy of b with ASCII letters lowered; unlike
// bytes.ToLower it never changes the length, so offsets carry over.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isWord is the identifier alphabet: a token touching one of these bytes is
// part of a longer word and therefore not the token.
func isWord(c byte) bool     { return isAlnum(c) || c == '_' }
func isB64URL(c byte) bool   { return isWord(c) || c == '-' }
func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
func isHex(c byte) bool      { return isLowerHex(c) || c >= 'A' && c <= 'F' }
func isLowerAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z'
}

// run returns the end of the run of bytes satisfying in starting at i.
func run(b []byte, i int, in func(byte) bool) int {
	for i < len(b) && in(b[i]) {
		i++
	}
	return i
}

// before and after report whether the byte just before i / at i is in the
// alphabet in (out-of-range counts as not in it).
func before(b []byte, i int, in func(byte) bool) bool { return i > 0 && in(b[i-1]) }
func after(b []byte, i int, in func(byte) bool) bool  { return i < len(b) && in(b[i]) }

// fixed matches prefix + exactly n bytes of body alphabet at b[at:], with
// word boundaries on both sides and a placeholder check on the body.
func fixed(b []byte, at, prefix, n int, body func(byte) bool, hexAlphabet bool) (candidate, bool) {
	if before(b, at, isWord) {
		return candidate{}, false
	}
	s := at + prefix
	end := run(b, s, body)
	if end-s != n || after(b, end, isWord) || isPlaceholder(b[s:end], hexAlphabet) {
		return candidate{}, false
	}
	return candidate{start: at, end: end}, true
}

// matchPyPI accepts "pypi-AgE" plus at least 70 base64url bytes. Whether it
// decodes, and whether an undecodable one is a placeholder, is settled in
// newMatch.
func matchPyPI(b []byte, at int) (candidate, bool) {
	if before(b, at, isB64URL) {
		return candidate{}, false
	}
	end := run(b, at+len("pypi-AgE"), isB64URL)
	if end-at < len("pypi-AgE")+70 {
		return candidate{}, false
	}
	return candidate{start: at, end: end}, true
}

func matchRubyGems(b []byte, at int) (candidate, bool) {
	return fixed(b, at, len("rubygems_"), 48, isLowerHex, true)
}

func matchNPM(b []byte, at int) (candidate, bool) {
	return fixed(b, at, len("npm_"), 36, isAlnum, false)
}

// matchCrates accepts "cio" + 32 alphanumerics. The short-lived
// trusted-publishing tokens ("cio_tp_...") fail because '_' is not
// alphanumeric.
func matchCrates(b []byte, at int) (candidate, bool) {
	return fixed(b, at, len("cio"), 32, isAlnum, false)
}

func matchNuGet(b []byte, at int) (candidate, bool) {
	return fixed(b, at, len("oy2"), 43, isLowerAlnum, false)
}

// oauth matches a Google OAuth token (prefix + base64url body of bounded
// length) at b[at:].
func oauth(b []byte, at, prefix, minLen int) (candidate, bool) {
	if before(b, at, isB64URL) || before(b, at, func(c byte) bool { return c == '.' || c == '/' }) {
		return candidate{}, false
	}
	s := at + prefix
	end := run(b, s, isB64URL)
	if n := end - s; n < minLen || n > pubMaxLen || isPlaceholder(b[s:end], false) {
		return candidate{}, false
	}
	return candidate{start: at, end: end}, true
}

// matchPubRefresh accepts a refresh token only as the value of a
// refreshToken key: "1//" alone is far too common to mean anything.
func matchPubRefresh(b []byte, at int) (candidate, bool) {
	if !keyBefore(b, at, "refreshtoken") {
		return candidate{}, false
	}
	return oauth(b, at, len("1//"), pubMinRefresh)
}

// matchPubAccess accepts an access token as the value of an accessToken
// key, or anywhere near a refreshToken key (i.e. inside a pub credentials
// file).
func matchPubAccess(b []byte, at int) (candidate, bool) {
	c, ok := oauth(b, at, len("ya29."), pubMinAccess)
	if !ok {
		return c, false
	}
	c.needRefreshKey = !keyBefore(b, at, "accesstoken")
	return c, true
}

// matchRubyGemsLegacy accepts the unprefixed 32-hex key that follows the
// :rubygems_api_key: key of a gem credentials file.
func matchRubyGemsLegacy(b []byte, at int) (candidate, bool) {
	s := skip(b, at+len(rubygemsKey), " \t\"'")
	end := run(b, s, isLowerHex)
	if end-s != 32 || after(b, end, isWord) || isPlaceholder(b[s:end], true) {
		return candidate{}, false
	}
	return candidate{start: s, end: end}, true
}

// matchNPMLegacy accepts a UUID that is the value of an .npmrc _authToken
// setting.
func matchNPMLegacy(b []byte, at int) (candidate, bool) {
	i := skip(b, at+len(npmAuthKey), " \t")
	if i >= len(b) || b[i] != '=' {
		return candidate{}, false
	}
	s := skip(b, i+1, " \t\"'")
	if !isUUID(b, s) || after(b, s+36, isB64URL) {
		return candidate{}, false
	}
	var digits [32]byte
	n := 0
	for _, c := range b[s : s+36] {
		if c != '-' {
			digits[n] = c | 0x20 // fold case so "A" and "a" count as one symbol
			n++
		}
	}
	if isPlaceholder(digits[:], true) {
		return candidate{}, false
	}
	return candidate{start: s, end: s + 36}, true
}

// isUUID reports whether b[s:] starts with an 8-4-4-4-12 hex UUID.
func isUUID(b []byte, s int) bool {
	if s+36 > len(b) {
		return false
	}
	for i, c := range b[s : s+36] {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// skip returns the first index at or after i whose byte is not in set.
func skip(b []byte, i int, set string) int {
	for i < len(b) && bytes.IndexByte([]byte(set), b[i]) >= 0 {
		i++
	}
	return i
}

// skipBack returns the last index before i whose byte is not in set, plus
// one (so b[:result] ends with a byte not in set).
func skipBack(b []byte, i int, set string) int {
	for i > 0 && bytes.IndexByte([]byte(set), b[i-1]) >= 0 {
		i--
	}
	return i
}

// keyBefore reports whether the value starting at at is the value of a
// JSON or YAML key equal to key (lower case, matched case-insensitively):
// `"key": "value"`, `key: value`, and JSON escaped inside a string.
func keyBefore(b []byte, at int, key string) bool {
	const quotes = " \t\"'\\"
	i := skipBack(b, at, quotes)
	if i == 0 || b[i-1] != ':' {
		return false
	}
	i = skipBack(b, i-1, quotes)
	s := i - len(key)
	if s < 0 || !bytes.EqualFold(b[s:i], []byte(key)) {
		return false
	}
	return !before(b, s, isWord)
}

// kindRegistry maps the kinds with a fixed registry; PyPI tokens get theirs
// from the macaroon location.
var kindRegistry = map[string]Registry{
	KindRubyGemsAPIKey:    RubyGems,
	KindRubyGemsLegacyKey: RubyGems,
	KindNPMToken:          NPM,
	KindNPMLegacyUUID:     NPM,
	KindCratesToken:       Crates,
	KindNuGetAPIKey:       NuGet,
	KindPubRefreshToken:   PubDev,
	KindPubAccessToken:    PubDev,
}

// newMatch turns a candidate into a Match, decoding PyPI macaroons. It
// reports false for PyPI-shaped placeholders.
func newMatch(b []byte, c candidate) (Match, bool) {
	value := string(b[c.start:c.end])
	m := Match{
		Registry:    kindRegistry[c.kind],
		Kind:        c.kind,
		Offset:      c.start,
		End:         c.end,
		Fingerprint: Fingerprint(value),
		value:       &value,
	}
	if c.kind != KindPyPIMacaroon {
		return m, true
	}
	mac, err := DecodePyPI(value)
	if err != nil {
		if isPlaceholder(b[c.start+len("pypi-"):c.end], false) {
			return Match{}, false
		}
		m.Registry = PyPI
		if bytes.HasPrefix(b[c.start:], []byte("pypi-AgEN")) {
			m.Registry = TestPyPI // location length 13: test.pypi.org
		}
		return m, true
	}
	m.Macaroon = mac
	m.Registry = PyPI
	if mac.Location == "test.pypi.org" {
		m.Registry = TestPyPI
	}
	return m, true
}
