package tokens

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Test tokens are generated here, never copied from anywhere: random bodies
// from a fixed-seed PCG, and PyPI tokens serialised from scratch in the v2
// binary macaroon format.

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	lowerHex   = "0123456789abcdef"
	b64url     = alnum + "-_"
)

// gen produces deterministic random material.
type gen struct{ r *rand.Rand }

func newGen() *gen { return &gen{rand.New(rand.NewPCG(0x7470736361, 0x6e746f6b))} }

func (g *gen) str(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g *gen) uuid() string {
	h := g.str(lowerHex, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// pkt is one field of a binary macaroon under construction.
type pkt struct {
	typ  uint64
	data string
}

func appendPacket(b []byte, p pkt) []byte {
	b = binary.AppendUvarint(b, p.typ)
	b = binary.AppendUvarint(b, uint64(len(p.data)))
	return append(b, p.data...)
}

// macaroonBytes serialises a v2 binary macaroon: version, header section,
// one section per caveat, the empty section that ends the caveats, and a
// 32-byte signature.
func macaroonBytes(location, id string, sections [][]pkt, sig []byte) []byte {
	b := []byte{2}
	if location != "" {
		b = appendPacket(b, pkt{fieldLocation, location})
	}
	b = appendPacket(b, pkt{fieldIdentifier, id})
	b = append(b, fieldEOS)
	for _, sec := range sections {
		for _, p := range sec {
			b = appendPacket(b, p)
		}
		b = append(b, fieldEOS)
	}
	b = append(b, fieldEOS)
	return appendPacket(b, pkt{fieldSignature, string(sig)})
}

// firstParty wraps caveat predicates as first-party caveat sections.
func firstParty(caveats ...string) [][]pkt {
	secs := make([][]pkt, len(caveats))
	for i, c := range caveats {
		secs[i] = []pkt{{fieldIdentifier, c}}
	}
	return secs
}

func encodeToken(raw []byte) string {
	return "pypi-" + base64.RawURLEncoding.EncodeToString(raw)
}

// pypiToken builds a real-format token for location with the given
// first-party caveats.
func (g *gen) pypiToken(location string, caveats ...string) string {
	return encodeToken(macaroonBytes(location, g.uuid(), firstParty(caveats...), g.bytes(32)))
}

// fixture is one generated token and what the package should say about it.
type fixture struct {
	value    string
	registry Registry
	kind     string
}

// fixtures returns every generated token by name. Names are used as
// {name} markers in test inputs.
func fixtures() map[string]fixture {
	g := newGen()
	f := map[string]fixture{}
	add := func(name string, r Registry, kind, v string) { f[name] = fixture{v, r, kind} }
	pypi := func(name string, r Registry, v string) { add(name, r, KindPyPIMacaroon, v) }

	add("npm", NPM, KindNPMToken, "npm_"+g.str(alnum, 36))
	add("npm2", NPM, KindNPMToken, "npm_"+g.str(alnum, 36))
	add("npmuuid", NPM, KindNPMLegacyUUID, g.uuid())
	add("rubygems", RubyGems, KindRubyGemsAPIKey, "rubygems_"+g.str(lowerHex, 48))
	add("rglegacy", RubyGems, KindRubyGemsLegacyKey, g.str(lowerHex, 32))
	add("crates", Crates, KindCratesToken, "cio"+g.str(alnum, 32))
	add("nuget", NuGet, KindNuGetAPIKey, "oy2"+g.str(lowerAlnum, 43))
	add("pubrefresh", PubDev, KindPubRefreshToken, "1//0g"+g.str(b64url, 98))
	add("pubaccess", PubDev, KindPubAccessToken, "ya29.a0"+g.str(b64url, 160))

	user := fmt.Sprintf(`[3,%q]`, g.uuid())
	pypi("pypiuser", PyPI, g.pypiToken("pypi.org", user))
	pypi("pypiproject", PyPI, g.pypiToken("pypi.org", `[1,["sampleproject"]]`, fmt.Sprintf(`[2,[%q]]`, g.uuid())))
	pypi("pypiexpiry", PyPI, g.pypiToken("pypi.org", `[0,1900000000,1700000000]`, `[0, 1800000000, 1750000000]`, user))
	pypi("pypitp", PyPI, g.pypiToken("pypi.org", `[0,1800000900,1800000000]`,
		fmt.Sprintf(`[4,%q,"sha","ref"]`, g.uuid()), fmt.Sprintf(`[2,[%q]]`, g.uuid()), `[1,["demo"],"extra"]`))
	pypi("pypilegacyuser", PyPI, g.pypiToken("pypi.org", `{"permissions": "user", "version": 1}`))
	pypi("pypilegacyproject", PyPI, g.pypiToken("pypi.org",
		`{"permissions": {"projects": ["foo", "bar"]}, "version": 1}`, `{"exp": 1900000000, "nbf": 1600000000}`))
	pypi("pypilegacyids", PyPI, g.pypiToken("pypi.org", fmt.Sprintf(`{"project_ids": [%q]}`, g.uuid())))
	pypi("pypinone", PyPI, g.pypiToken("pypi.org"))
	pypi("pypiunknowntag", PyPI, g.pypiToken("pypi.org", user, `[99,"x"]`))
	pypi("pypigarbage", PyPI, g.pypiToken("pypi.org", user, `not json`))
	pypi("pypiunknownkey", PyPI, g.pypiToken("pypi.org", `{"permissions": "user", "scope": "all"}`))
	third := append(firstParty(user), []pkt{{fieldLocation, "https://auth.example"}, {fieldIdentifier, string(g.bytes(24))}, {fieldVID, string(g.bytes(56))}})
	pypi("pypithirdparty", PyPI, encodeToken(macaroonBytes("pypi.org", g.uuid(), third, g.bytes(32))))
	pypi("testpypiproject", TestPyPI, g.pypiToken("test.pypi.org", `[1,["demo"]]`))
	pypi("testpypiuser", TestPyPI, g.pypiToken("test.pypi.org", user))

	raw := macaroonBytes("pypi.org", g.uuid(), firstParty(user), g.bytes(32))
	pypi("pypicorrupt", PyPI, encodeToken(raw[:len(raw)-10]))
	raw = macaroonBytes("test.pypi.org", g.uuid(), firstParty(user), g.bytes(32))
	pypi("testpypicorrupt", TestPyPI, encodeToken(raw[:len(raw)-10]))
	raw = macaroonBytes("pypi.org", g.uuid(), firstParty(user), g.bytes(32))
	pypi("pypitrailing", PyPI, encodeToken(append(raw, 0, 0, 0)))
	// A PyPI-shaped random string with an npm-shaped run inside: one
	// undecodable PyPI match, the inner npm shape overlapping it.
	pypi("pypishaped", PyPI, "pypi-AgE"+g.str(b64url, 70)+"-"+f["npm2"].value+"-"+g.str(b64url, 10))
	return f
}

// expand replaces {name} markers in s with fixture values.
func expand(s string, f map[string]fixture) string {
	pairs := make([]string, 0, 2*len(f))
	for name, fx := range f {
		pairs = append(pairs, "{"+name+"}", fx.value)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// leaks reports whether out contains the secret or any 12-byte piece of it.
func leaks(out, secret string) bool {
	const piece = 12
	if secret == "" {
		return false
	}
	if len(secret) <= piece {
		return strings.Contains(out, secret)
	}
	for i := 0; i+piece <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+piece]) {
			return true
		}
	}
	return false
}
