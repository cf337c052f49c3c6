package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canaries are valid-looking tokens of every registry, generated per run:
// they must be found, and must never appear in any output.
type canaries struct {
	pypi, testpypi, rubygems, npm, crates, nuget, pubRefresh, pubAccess string
	inventorySecret, variable                                           string
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func packet(typ int, data []byte) []byte {
	var out []byte
	out = binary.AppendUvarint(out, uint64(typ))
	out = binary.AppendUvarint(out, uint64(len(data)))
	return append(out, data...)
}

// macaroon serialises a pymacaroons v2 binary macaroon, as PyPI mints them.
func macaroon(r *rand.Rand, location, caveat string) string {
	var b []byte
	b = append(b, 2)
	b = append(b, packet(1, []byte(location))...)
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
	b = append(b, packet(2, []byte(id))...)
	b = append(b, 0)
	b = append(b, packet(2, []byte(caveat))...)
	b = append(b, 0, 0)
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(r.UintN(256))
	}
	b = append(b, packet(6, sig)...)
	return "pypi-" + base64.RawURLEncoding.EncodeToString(b)
}

func newCanaries(seed uint64) canaries {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return canaries{
		pypi:            macaroon(r, "pypi.org", `[3,"0f7c2d4e-1111-4a2b-9c3d-5e6f7a8b9c0d"]`),
		testpypi:        macaroon(r, "test.pypi.org", `[1,["demo-project"]]`),
		rubygems:        "rubygems_" + randString(r, "0123456789abcdef", 48),
		npm:             "npm_" + randString(r, alnum, 36),
		crates:          "cio" + randString(r, alnum, 32),
		nuget:           "oy2" + randString(r, "abcdefghijklmnopqrstuvwxyz234567", 43),
		pubRefresh:      "1//" + randString(r, alnum+"-_", 60),
		pubAccess:       "ya29." + randString(r, alnum+"-_", 80),
		inventorySecret: macaroon(r, "pypi.org", `[1,["secret-project"]]`),
		variable:        "npm_" + randString(r, alnum, 36),
	}
}

func (c canaries) all() map[string]string {
	return map[string]string{
		"pypi": c.pypi, "testpypi": c.testpypi, "rubygems": c.rubygems, "npm": c.npm, "crates": c.crates,
		"nuget": c.nuget, "pub refresh": c.pubRefresh, "pub access": c.pubAccess,
		"inventory secret value": c.inventorySecret, "variable value": c.variable,
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// canarySnapshot plants the canaries in every place a token can hide.
func canarySnapshot(t *testing.T, c canaries) string {
	root := t.TempDir()
	repo := filepath.Join(root, "leaky")
	write(t, filepath.Join(repo, ".pypirc"), "[distutils]\nindex-servers =\n    pypi\n    testpypi\n[pypi]\nusername = __token__\npassword = "+c.pypi+"\n[testpypi]\nrepository = https://test.pypi.org/legacy/\nusername = __token__\npassword = "+c.testpypi+"\n")
	write(t, filepath.Join(repo, ".npmrc"), "//registry.npmjs.org/:_authToken="+c.npm+"\n")
	write(t, filepath.Join(repo, "pub-credentials.json"), `{"accessToken":"`+c.pubAccess+`","refreshToken":"`+c.pubRefresh+`","tokenEndpoint":"https://accounts.google.com/o/oauth2/token","scopes":["openid","https://www.googleapis.com/auth/userinfo.email"],"expiration":1577149838000}`+"\n")
	write(t, filepath.Join(repo, ".github", "workflows", "release.yml"), `name: release
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    env:
      GEM_HOST_API_KEY: `+c.rubygems+`
    steps:
      - uses: actions/checkout@v4
      - run: cargo publish --token `+c.crates+`
      - run: cargo login `+c.crates+`
      - run: make publish TOKEN=`+c.pypi+`
      - run: ./scripts/release.sh `+c.npm+`
      - run: dotnet nuget push pkg.nupkg -k `+c.nuget+` -s https://api.nuget.org/v3/index.json
      - uses: pypa/gh-action-pypi-publish@release/v1
        name: upload with `+c.rubygems+`
        with:
          password: ${{ secrets.PYPI_TOKEN }}
`)
	// A malformed workflow holding a token: its error must not quote it.
	write(t, filepath.Join(repo, ".github", "workflows", "broken.yml"), "on: push\njobs:\n  x:\n    steps: [\n      - run: echo \""+c.npm+"\n  bad: : :\n")
	write(t, filepath.Join(repo, ".gitlab-ci.yml"), "publish:\n  variables:\n    TWINE_PASSWORD: \""+c.pypi+"\"\n  script:\n    - twine upload dist/*\n")
	inv := map[string]any{
		"version": 1, "org": "canary",
		"variables": []any{map[string]any{"name": "NPM_PUBLISH", "value": c.variable}},
		"repositories": []any{map[string]any{
			"name": "canary/leaky", "secrets_listed": true,
			"secrets": []any{map[string]any{"name": "PYPI_TOKEN", "value": c.inventorySecret}, map[string]any{"name": "OLD_PYPI_TOKEN", "value": c.pypi}},
		}},
	}
	b, _ := json.Marshal(inv)
	write(t, filepath.Join(root, "tpscan-inventory.json"), string(b))
	return root
}

// TestCanariesNeverLeak plants tokens of every registry and checks that
// every output format reports them by fingerprint only.
func TestCanariesNeverLeak(t *testing.T) {
	c := newCanaries(42)
	root := canarySnapshot(t, c)
	for _, format := range []string{"table", "json", "sarif", "markdown"} {
		for _, verbose := range []bool{false, true} {
			var out, errOut bytes.Buffer
			opts := &LocalOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{root}, Format: format,
				FailOn: "none", Verbose: verbose, ShowSuppressed: true, AllFiles: true}
			if err := localRun(context.Background(), opts); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			text := out.String() + errOut.String()
			for what, v := range c.all() {
				if strings.Contains(text, v) {
					t.Errorf("format %s (verbose %v): the %s canary leaked", format, verbose, what)
				}
				// Not even a long fragment of it.
				if len(v) > 24 && strings.Contains(text, v[len(v)-16:]) {
					t.Errorf("format %s (verbose %v): a fragment of the %s canary leaked", format, verbose, what)
				}
			}
			if format == "json" && !verbose {
				var rep struct {
					Findings []struct {
						Rule, Registry, Token, Path, Secret string
					}
					Errors []struct{ Path, Message string }
				}
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatal(err)
				}
				literal := map[string]bool{}
				for _, f := range rep.Findings {
					if f.Rule == "TP002" {
						literal[f.Registry] = true
						if f.Token == "" {
							t.Errorf("TP002 on %s has no fingerprint", f.Path)
						}
					}
				}
				for _, reg := range []string{"pypi", "testpypi", "rubygems", "npm", "crates", "nuget", "pubdev"} {
					if !literal[reg] {
						t.Errorf("no literal-token finding for the %s canary", reg)
					}
				}
				broken := false
				for _, e := range rep.Errors {
					if strings.HasSuffix(e.Path, "broken.yml") {
						broken = true
					}
				}
				if !broken {
					t.Errorf("the malformed workflow is not listed under errors: %+v", rep.Errors)
				}
			}
		}
	}
}

// TestCanariesNeverReachAPatch: tpscan fix on the canary snapshot prints
// no canary, and --write writes none that was not already in the file.
func TestCanariesNeverReachAPatch(t *testing.T) {
	c := newCanaries(7)
	root := canarySnapshot(t, c)
	// A fixable publish with a literal token further down the same file:
	// the patch is offered, and its context lines must stay clear of it.
	write(t, filepath.Join(root, "mixed", ".github", "workflows", "release.yml"), `on:
  push:
    tags: [v*]
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo one
      - run: echo two
      - run: echo three
      - run: echo four
      - run: npm whoami
        env:
          NPM_TOKEN: `+c.npm+`
`)
	var out, errOut bytes.Buffer
	if err := fixRun(context.Background(), &FixOptions{IO: &IOStreams{Out: &out, ErrOut: &errOut}, Paths: []string{root}}); err != nil {
		t.Fatal(err)
	}
	text := out.String() + errOut.String()
	for what, v := range c.all() {
		if strings.Contains(text, v) || len(v) > 24 && strings.Contains(text, v[len(v)-16:]) {
			t.Errorf("tpscan fix output holds the %s canary", what)
		}
	}
	if !strings.Contains(out.String(), "+++ b/") {
		t.Errorf("the canary snapshot produced no patch, so nothing was checked:\n%s", errOut.String())
	}
}
