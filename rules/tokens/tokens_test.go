package tokens

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Failure messages in these tests name fixtures and print Matches (which
// redact themselves); they never print inputs or secrets.

// findCase is one Find input (with {name} fixture markers) and the fixtures
// expected to be found in it, in order.
type findCase struct {
	name  string
	input string
	want  []string
}

var findCases = []findCase{
	// One token of every registry in a realistic setting.
	{"npm env", "env:\n  NODE_AUTH_TOKEN: {npm}\n", []string{"npm"}},
	{"npmrc token", "//registry.npmjs.org/:_authToken={npm}\n", []string{"npm"}},
	{"npmrc token quoted", `_authToken="{npm}"`, []string{"npm"}},
	{"npmrc legacy uuid", "//registry.npmjs.org/:_authToken={npmuuid}\nalways-auth=true\n", []string{"npmuuid"}},
	{"npmrc legacy spaced quoted", `_authToken = "{npmuuid}"`, []string{"npmuuid"}},
	{"rubygems credentials", "---\n:rubygems_api_key: {rubygems}\n", []string{"rubygems"}},
	{"rubygems legacy", "---\n:rubygems_api_key: {rglegacy}\n", []string{"rglegacy"}},
	{"rubygems legacy quoted", ":rubygems_api_key: '{rglegacy}'", []string{"rglegacy"}},
	{"rubygems env", "GEM_HOST_API_KEY={rubygems}", []string{"rubygems"}},
	{"crates", "CARGO_REGISTRY_TOKEN: {crates}", []string{"crates"}},
	{"nuget", "dotnet nuget push *.nupkg --api-key {nuget} --source x", []string{"nuget"}},
	{"pub credentials json", `{"accessToken":"{pubaccess}","refreshToken":"{pubrefresh}","tokenEndpoint":"https://oauth2.googleapis.com/token","scopes":["openid"],"expiration":1700000000000}`, []string{"pubaccess", "pubrefresh"}},
	{"pub refresh yaml", "RefreshToken: '{pubrefresh}'\n", []string{"pubrefresh"}},
	{"pub refresh escaped json", `echo "{\"refreshToken\":\"{pubrefresh}\"}" > creds.json`, []string{"pubrefresh"}},
	{"pub access near refresh key", `{"token": "{pubaccess}", "refreshToken": null}`, []string{"pubaccess"}},
	{"pypi user", "password: {pypiuser}", []string{"pypiuser"}},
	{"pypi project", "TWINE_PASSWORD={pypiproject}", []string{"pypiproject"}},
	{"pypi expiry", "{pypiexpiry}", []string{"pypiexpiry"}},
	{"pypi trusted publishing", "token={pypitp}", []string{"pypitp"}},
	{"pypi legacy user", "{pypilegacyuser}", []string{"pypilegacyuser"}},
	{"pypi legacy project", "{pypilegacyproject}", []string{"pypilegacyproject"}},
	{"pypi legacy ids", "{pypilegacyids}", []string{"pypilegacyids"}},
	{"pypi no caveats", "{pypinone}", []string{"pypinone"}},
	{"pypi unknown tag", "{pypiunknowntag}", []string{"pypiunknowntag"}},
	{"pypi garbage caveat", "{pypigarbage}", []string{"pypigarbage"}},
	{"pypi unknown legacy key", "{pypiunknownkey}", []string{"pypiunknownkey"}},
	{"pypi third party", "{pypithirdparty}", []string{"pypithirdparty"}},
	{"testpypi project", "[testpypi]\npassword = {testpypiproject}\n", []string{"testpypiproject"}},
	{"testpypi user", "{testpypiuser}", []string{"testpypiuser"}},
	{"pypi corrupt", "{pypicorrupt}", []string{"pypicorrupt"}},
	{"testpypi corrupt", "{testpypicorrupt}", []string{"testpypicorrupt"}},
	{"pypi trailing bytes", "{pypitrailing}", []string{"pypitrailing"}},
	{"overlap keeps outer", "{pypishaped}", []string{"pypishaped"}},
	{"several in order", "a={nuget}\nb={npm} c={crates}\n{pypiuser}\n:rubygems_api_key: {rglegacy}\n", []string{"nuget", "npm", "crates", "pypiuser", "rglegacy"}},
	{"adjacent separated by dash", "{npm}-{npm2}", []string{"npm", "npm2"}},
	{"after closed expression", "x: ${{ secrets.A }} {npm}", []string{"npm"}},
	{"after closed reference", "x: ${A} {npm}", []string{"npm"}},

	// Word boundaries: a neighbouring byte of the token's own alphabet
	// makes it a longer word, not a token.
	{"npm preceded by letter", "x{npm}", nil},
	{"npm preceded by underscore", "_{npm}", nil},
	{"npm 37 chars", "{npm}a", nil},
	{"npm followed by underscore", "{npm}_", nil},
	{"rubygems 49 hex", "{rubygems}0", nil},
	{"rubygems uppercase tail", "{rubygems}A", nil},
	{"crates 33 chars", "{crates}Z", nil},
	{"crates preceded", "9{crates}", nil},
	{"crates trusted publishing", "CARGO_REGISTRY_TOKEN=cio_tp_{rglegacy}", nil},
	{"nuget 44 chars", "{nuget}q", nil},
	{"nuget uppercase tail", "{nuget}Q", nil},
	{"pypi preceded", "a{pypiuser}", nil},
	{"pypi short", "pypi-AgEIcHlwaS5vcmcCJGFiY2Rl", nil},
	{"legacy key after other yaml key", ":other_key: {rglegacy}", nil},
	{"legacy 33 hex", ":rubygems_api_key: {rglegacy}a", nil},
	{"uuid followed by dash", "_authToken={npmuuid}-x", nil},

	// Context-only shapes are nothing on their own.
	{"bare legacy hex", "sha: {rglegacy}", nil},
	{"bare uuid", "id: {npmuuid}", nil},
	{"uuid without equals", "_authToken {npmuuid}", nil},
	{"bare refresh", "{pubrefresh}", nil},
	{"refresh under other key", `"refresh_token": "{pubrefresh}"`, nil},
	{"refresh under longer key", `myRefreshToken: {pubrefresh}`, nil},
	{"bare access", "Authorization: Bearer {pubaccess}", nil},

	// Placeholders.
	{"npm x placeholder", "npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil},
	{"npm X placeholder", "NPM_TOKEN=npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", nil},
	{"npm digits placeholder", "npm_123456789012345678901234567890123456", nil},
	{"npm pattern placeholder", "npm_abc123abc123abc123abc123abc123abc123", nil},
	{"authToken dashed placeholder", "//registry.npmjs.org/:_authToken=XXXXX-XXXXX-XXXXX-XXXXX", nil},
	{"authToken zero uuid", "_authToken=00000000-0000-0000-0000-000000000000", nil},
	{"rubygems zeros", "rubygems_000000000000000000000000000000000000000000000000", nil},
	{"rubygems abcdef", "rubygems_abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdef", nil},
	{"legacy periodic", ":rubygems_api_key: 0123456789abcdef0123456789abcdef", nil},
	{"crates alphabet", "ciobcdefghijklmnopqrstuvwxyzABCDEFG", nil},
	{"nuget repeated", "oy2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil},
	{"pypi X placeholder", "pypi-AgEIcHlwaS5vcmcXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", nil},
	{"pypi dashed placeholder", "pypi-AgEXXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", nil},
	{"refresh placeholder", `"refreshToken": "1//xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`, nil},

	// References and expressions are not literals.
	{"inside expression", "password: ${{ '{pypiuser}' }}", nil},
	{"inside expression default", "token: ${{ secrets.NPM_TOKEN || '{npm}' }}", nil},
	{"inside multiline expression", "run: |\n  echo ${{\n    format('{0}', '{crates}')\n  }}\n", nil},
	{"inside reference default", "run: echo ${NPM_TOKEN:-{npm}}", nil},
	{"dollar reference", "echo ${npm}", nil},
	{"references only", "NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", nil},
}

func TestFind(t *testing.T) {
	fx := fixtures()
	for _, tc := range findCases {
		t.Run(tc.name, func(t *testing.T) {
			input := expand(tc.input, fx)
			got := Find([]byte(input))
			if len(got) != len(tc.want) {
				t.Fatalf("found %d tokens %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for i, m := range got {
				want := fx[tc.want[i]]
				if m.Secret() != want.value {
					t.Errorf("match %d = %v, want fixture %s", i, m, tc.want[i])
				}
				if m.Registry != want.registry || m.Kind != want.kind {
					t.Errorf("match %d = %v, want %s %s", i, m, want.registry, want.kind)
				}
				if input[m.Offset:m.End] != m.Secret() {
					t.Errorf("match %d (%v): Offset/End do not delimit the secret", i, m)
				}
			}
		})
	}
}

func TestPositions(t *testing.T) {
	fx := fixtures()
	input := expand("line one\n  key: {npm}\n\tx={crates} {nuget}\r\n\n{pypiuser}", fx)
	type pos struct{ line, col, endLine, endCol, off int }
	want := []pos{
		{2, 8, 2, 48, 16},
		{3, 4, 3, 39, 60},
		{3, 40, 3, 86, 96},
		{5, 1, 5, 1 + len(fx["pypiuser"].value), 145},
	}
	got := Find([]byte(input))
	if len(got) != len(want) {
		t.Fatalf("found %d tokens %v, want %d", len(got), got, len(want))
	}
	for i, m := range got {
		p := pos{m.Line, m.Col, m.EndLine, m.EndCol, m.Offset}
		if p != want[i] {
			t.Errorf("match %d (%v): position %+v, want %+v", i, m, p, want[i])
		}
		if m.End-m.Offset != len(m.Secret()) {
			t.Errorf("match %d (%v): End-Offset %d, secret length %d", i, m, m.End-m.Offset, len(m.Secret()))
		}
	}
}

func TestDecodePyPI(t *testing.T) {
	fx := fixtures()
	at := func(sec int64) *time.Time { v := time.Unix(sec, 0).UTC(); return &v }
	tests := []struct {
		fixture string
		want    Macaroon // Identifier is only checked for being non-empty
	}{
		{"pypiuser", Macaroon{Location: "pypi.org", Scope: ScopeUser}},
		{"pypiproject", Macaroon{Location: "pypi.org", Scope: ScopeProject, Projects: []string{"sampleproject"}, ProjectIDs: []string{"*"}}},
		{"pypiexpiry", Macaroon{Location: "pypi.org", Scope: ScopeUser, ExpiresAt: at(1800000000), NotBefore: at(1750000000)}},
		{"pypitp", Macaroon{Location: "pypi.org", Scope: ScopeTrustedPublishing, Projects: []string{"demo"}, ProjectIDs: []string{"*"}, ExpiresAt: at(1800000900), NotBefore: at(1800000000)}},
		{"pypilegacyuser", Macaroon{Location: "pypi.org", Scope: ScopeUser, Legacy: true}},
		{"pypilegacyproject", Macaroon{Location: "pypi.org", Scope: ScopeProject, Projects: []string{"foo", "bar"}, ExpiresAt: at(1900000000), NotBefore: at(1600000000), Legacy: true}},
		{"pypilegacyids", Macaroon{Location: "pypi.org", Scope: ScopeProject, ProjectIDs: []string{"*"}, Legacy: true}},
		{"pypinone", Macaroon{Location: "pypi.org", Scope: ScopeUnknown}},
		{"pypiunknowntag", Macaroon{Location: "pypi.org", Scope: ScopeUnknown, UnknownCaveats: 1}},
		{"pypigarbage", Macaroon{Location: "pypi.org", Scope: ScopeUnknown, UnknownCaveats: 1}},
		{"pypiunknownkey", Macaroon{Location: "pypi.org", Scope: ScopeUnknown, Legacy: true, UnknownCaveats: 1}},
		{"pypithirdparty", Macaroon{Location: "pypi.org", Scope: ScopeUnknown, UnknownCaveats: 1}},
		{"testpypiproject", Macaroon{Location: "test.pypi.org", Scope: ScopeProject, Projects: []string{"demo"}}},
		{"testpypiuser", Macaroon{Location: "test.pypi.org", Scope: ScopeUser}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := DecodePyPI(fx[tc.fixture].value)
			if err != nil {
				t.Fatalf("DecodePyPI: %v", err)
			}
			if got.Identifier == "" {
				t.Error("empty Identifier")
			}
			// Project IDs are random UUIDs; compare their count.
			if len(got.ProjectIDs) != len(tc.want.ProjectIDs) {
				t.Errorf("ProjectIDs: %d, want %d", len(got.ProjectIDs), len(tc.want.ProjectIDs))
			}
			got.Identifier, got.ProjectIDs = "", nil
			tc.want.ProjectIDs = nil
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tc.want)
			if string(gj) != string(wj) {
				t.Errorf("got  %s\nwant %s", gj, wj)
			}
		})
	}
}

func TestDecodePyPIErrors(t *testing.T) {
	fx := fixtures()
	tests := []struct{ name, token string }{
		{"truncated", fx["pypicorrupt"].value},
		{"truncated testpypi", fx["testpypicorrupt"].value},
		{"trailing bytes", fx["pypitrailing"].value},
		{"random body", fx["pypishaped"].value},
		{"no prefix", strings.TrimPrefix(fx["pypiuser"].value, "pypi-")},
		{"other prefix", "pypa-" + strings.TrimPrefix(fx["pypiuser"].value, "pypi-")},
		{"empty body", "pypi-"},
		{"bad base64", fx["pypiuser"].value[:40] + "!!" + fx["pypiuser"].value[40:]},
		{"newline", fx["pypiuser"].value[:40] + "\n" + fx["pypiuser"].value[40:]},
		{"version 1", encodeToken([]byte("\x01" + fx["pypiuser"].value))},
		{"no identifier", encodeToken(append([]byte{2, 1, 8}, "pypi.org\x00\x00\x06\x20aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"...))},
		{"short signature", encodeToken(macaroonBytes("pypi.org", "id-1234567890", nil, make([]byte, 31)))},
		{"huge length", encodeToken([]byte{2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x'})},
		{"signature in section", encodeToken(append([]byte{2, 2, 1, 'i', 0, 6, 1, 'x'}, make([]byte, 80)...))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodePyPI(tc.token)
			if err == nil {
				t.Fatalf("DecodePyPI succeeded with scope %q, want error", m.Scope)
			}
			if m != nil {
				t.Error("non-nil Macaroon with error")
			}
			if leaks(err.Error(), tc.token) || leaks(err.Error(), strings.TrimPrefix(tc.token, "pypi-")) {
				t.Error("error text contains part of the token")
			}
		})
	}
}

func TestClassify(t *testing.T) {
	fx := fixtures()
	for name, f := range fx {
		t.Run(name, func(t *testing.T) {
			m, ok := Classify(f.value)
			standalone := f.kind != KindNPMLegacyUUID && f.kind != KindRubyGemsLegacyKey &&
				f.kind != KindPubRefreshToken && f.kind != KindPubAccessToken
			if ok != standalone {
				t.Fatalf("Classify ok = %v, want %v", ok, standalone)
			}
			if !ok {
				return
			}
			if m.Secret() != f.value || m.Registry != f.registry || m.Kind != f.kind {
				t.Errorf("Classify = %v, want %s %s", m, f.registry, f.kind)
			}
			if m.Line != 0 || m.Col != 0 || m.Offset != 0 || m.End != len(f.value) {
				t.Errorf("Classify = %#v: want zero position spanning the value", m)
			}
			if m.Fingerprint != Fingerprint(f.value) {
				t.Errorf("Classify fingerprint %s, want %s", m.Fingerprint, Fingerprint(f.value))
			}
			wantMac := f.kind == KindPyPIMacaroon && !strings.Contains(name, "corrupt") &&
				name != "pypitrailing" && name != "pypishaped"
			if (m.Macaroon != nil) != wantMac {
				t.Errorf("Classify Macaroon = %v, want decoded %v", m.Macaroon != nil, wantMac)
			}
		})
	}

	rejects := []struct{ name, value string }{
		{"empty", ""},
		{"text after", fx["npm"].value + " x"},
		{"text before", "token=" + fx["npm"].value},
		{"longer", fx["crates"].value + "a"},
		{"two tokens", fx["npm"].value + fx["npm2"].value},
		{"placeholder", "npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"expression", "${{ secrets.NPM_TOKEN }}"},
		{"crates trusted publishing", "cio_tp_" + fx["rglegacy"].value},
		{"pypi placeholder", "pypi-AgEIcHlwaS5vcmc" + strings.Repeat("X", 80)},
		{"legacy uuid", fx["npmuuid"].value},
	}
	for _, tc := range rejects {
		if m, ok := Classify(tc.value); ok {
			t.Errorf("Classify(%s) = %v, want no match", tc.name, m)
		}
	}

	padded := " \n" + fx["nuget"].value + "\r\n"
	m, ok := Classify(padded)
	if !ok || m.Offset != 2 || padded[m.Offset:m.End] != fx["nuget"].value {
		t.Errorf("Classify(padded) = %v, %v: want the token at offset 2", m, ok)
	}
}

var fingerprintRE = regexp.MustCompile(`^(pypi-|rubygems_|npm_|cio|oy2|1//|ya29\.)?…[0-9a-f]{8}$`)

func TestFingerprint(t *testing.T) {
	fx := fixtures()
	seen := map[string]string{}
	for name, f := range fx {
		fp := Fingerprint(f.value)
		if !fingerprintRE.MatchString(fp) {
			t.Errorf("%s: fingerprint %q has the wrong form", name, fp)
		}
		if leaks(fp, f.value) {
			t.Errorf("%s: fingerprint reveals part of the value", name)
		}
		if Fingerprint(" "+f.value+"\n") != fp {
			t.Errorf("%s: fingerprint depends on surrounding whitespace", name)
		}
		if other, dup := seen[fp]; dup {
			t.Errorf("%s and %s share fingerprint %s", name, other, fp)
		}
		seen[fp] = name
	}
	if got := Fingerprint(fx["npm"].value); !strings.HasPrefix(got, "npm_…") {
		t.Errorf("npm fingerprint %q lacks the registry prefix", got)
	}
	if got := Fingerprint("npm_x"); strings.Contains(got, "npm_") {
		t.Errorf("fingerprint %q of a short value spells it out", got)
	}
}

// TestNoLeaks checks every way a Match or an error can be printed or
// encoded for any piece of its secret.
func TestNoLeaks(t *testing.T) {
	fx := fixtures()
	var all []Match
	for _, tc := range findCases {
		all = append(all, Find([]byte(expand(tc.input, fx)))...)
	}
	for _, f := range fx {
		if m, ok := Classify(f.value); ok {
			all = append(all, m)
		}
	}
	if len(all) < len(fx) {
		t.Fatalf("only %d matches collected", len(all))
	}
	type wrapper struct{ m Match }
	type Exported struct{ M Match }
	for i, m := range all {
		js, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("match %d (%v): json: %v", i, m, err)
		}
		outs := []string{
			m.String(), m.GoString(), m.Fingerprint, string(js),
			fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m), fmt.Sprintf("%d", m),
			fmt.Sprintf("%x", m), fmt.Sprintf("%q", m), fmt.Sprintf("%s", m), fmt.Sprintf("%v", &m),
			fmt.Sprint([]Match{m}), fmt.Sprintf("%+v", wrapper{m}), fmt.Sprintf("%#v", wrapper{m}),
			fmt.Sprintf("%+v", Exported{m}), fmt.Sprintf("%#v", Exported{m}), fmt.Sprintf("%+v", map[string]Match{"k": m}),
			fmt.Sprintf("%p", m), fmt.Sprintf("%T %10.3v %-8s", m, m, m), fmt.Sprintf("%v", []any{m, &m}),
		}
		if _, err := DecodePyPI(m.Secret()); err != nil {
			outs = append(outs, err.Error())
		}
		for j, out := range outs {
			if leaks(out, m.Secret()) {
				t.Errorf("match %d (%v): output %d reveals part of the secret", i, m, j)
			}
		}
	}
}

// TestFixturesAreRandomEnough guards the generator: a fixture mistaken for
// a placeholder would make the other tests meaningless.
func TestFixturesAreRandomEnough(t *testing.T) {
	fx := fixtures()
	names := make([]string, 0, len(fx))
	for name := range fx {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v := fx[name].value
		for _, p := range fingerprintPrefixes {
			v = strings.TrimPrefix(v, p)
		}
		if isPlaceholder([]byte(v), false) && !strings.HasPrefix(name, "pypi") && !strings.HasPrefix(name, "testpypi") {
			t.Errorf("fixture %s looks like a placeholder", name)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	tests := []struct {
		body string
		hex  bool
		want bool
	}{
		{"", false, true},
		{"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false, true},
		{"XXXXX-XXXXX-XXXXX-XXXXX", false, true},
		{"abcdefabcdefabcdefabcdefabcdef", true, true},
		{"12345678901234567890123456789012", false, true},
		{"Zq7abcdefgH2kLmN9pR4sT6vW8yB1cD3", false, true}, // ascending run
		{"Zq7fedcbaH2kLmN9pR4sT6vW8yB1cD3x", false, true}, // descending run
		{"Zq7aaaaaaH2kLmN9pR4sT6vW8yB1cD3x", false, true}, // repeated run
		{"Zq7xK0fH2kLmN9pR4sT6vW8yB1cD3eJ5", false, false},
		{"3f9a1c07e2b84d6f5a0c9e1b7d2f4a86", true, false},
	}
	for _, tc := range tests {
		if got := isPlaceholder([]byte(tc.body), tc.hex); got != tc.want {
			t.Errorf("isPlaceholder(%q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestFindEmpty(t *testing.T) {
	for _, in := range []string{"", "pypi-", "npm_", "cio", "oy2", "1//", "ya29.", ":rubygems_api_key:", "_authToken", "_authToken="} {
		if got := Find([]byte(in)); got != nil {
			t.Errorf("Find(%q) = %v, want nil", in, got)
		}
	}
}
