package fixers

import "testing"

func TestJsrelSpecAtLeast(t *testing.T) {
	for _, c := range []struct {
		spec      string
		maj, min  int
		ok, known bool
	}{
		{"25", 25, 0, true, true},
		{"^25.0.2", 25, 0, true, true},
		{"24", 25, 0, false, true},
		{"^24.2.0", 25, 0, false, true},
		{"~24.1.0", 25, 0, false, true},
		{"latest", 25, 0, true, true},
		{">=19", 25, 0, true, true},
		{"next", 25, 0, false, false},
		{"${{ inputs.v }}", 25, 0, false, false},
		{"13", 13, 1, true, true},
		{"^13.0.0", 13, 1, true, true},
		{"~13.0.0", 13, 1, false, true},
		{"13.0.0", 13, 1, false, true},
		{"13.1.0", 13, 1, true, true},
		{"12.0.1", 13, 1, false, true},
	} {
		ok, known := jsrelSpecAtLeast(c.spec, c.maj, c.min)
		if ok != c.ok || known != c.known {
			t.Errorf("jsrelSpecAtLeast(%q, %d, %d) = %v, %v; want %v, %v", c.spec, c.maj, c.min, ok, known, c.ok, c.known)
		}
	}
}

func TestJsrelNodeForSemantic(t *testing.T) {
	for v, want := range map[string][2]bool{
		"20": {false, true}, "20.x": {false, true}, "22": {true, true}, "22.x": {true, true}, "22.12.0": {false, true},
		"22.14": {true, true}, "23": {false, true}, "24": {true, true}, "24.5.0": {false, true}, "24.10.0": {true, true},
		"lts/*": {true, true}, "lts/iron": {false, true}, "${{ matrix.node }}": {false, false}, "v24": {true, true},
	} {
		ok, known := jsrelNodeForSemantic(v)
		if ok != want[0] || known != want[1] {
			t.Errorf("jsrelNodeForSemantic(%q) = %v, %v; want %v", v, ok, known, want)
		}
	}
}

func TestJsrelSplit(t *testing.T) {
	for _, c := range []struct {
		line, redirect string
		words          int
		ok, balanced   bool
	}{
		{`echo "//registry.npmjs.org/:_authToken=${{ secrets.NPM_TOKEN }}" > ~/.npmrc`, "~/.npmrc", 2, true, true},
		{`echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN">>.npmrc`, ".npmrc", 2, true, true},
		{`npm config set //registry.npmjs.org/:_authToken "$NPM_TOKEN"`, "", 5, true, true},
		{`npm ci && npm test`, "", 0, false, true},
		{`echo "$(cat token)" > .npmrc`, ".npmrc", 0, false, true},
		{`echo "[pypi]`, "", 0, false, false},
		{`python setup.py sdist upload # comment`, "", 4, true, true},
	} {
		ws, red, ok, bal := jsrelSplit(c.line)
		if ok != c.ok || bal != c.balanced || ok && (red != c.redirect || len(ws) != c.words) {
			t.Errorf("jsrelSplit(%q) = %d words, %q, %v, %v", c.line, len(ws), red, ok, bal)
		}
	}
}

func TestJsrelTokenLine(t *testing.T) {
	for line, want := range map[string]bool{
		`echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc`: true,
		`echo "//npm.pkg.github.com/:_authToken=${GH_TOKEN}" >> .npmrc`: false,
		`echo "_authToken=${NPM_TOKEN}" > .npmrc`:                       true,
		`npm ci`:                        false,
		`echo "NODE_AUTH_TOKEN is set"`: false,
	} {
		if got := jsrelTokenLine(line); got != want {
			t.Errorf("jsrelTokenLine(%q) = %v", line, got)
		}
	}
}

func TestSetuppyParse(t *testing.T) {
	for _, c := range []struct {
		line, build, repo, dist, why string
		register                     bool
	}{
		{line: "python setup.py sdist bdist_wheel upload", build: "python setup.py sdist bdist_wheel"},
		{line: "python3 setup.py -q sdist upload -r testpypi", build: "python3 setup.py -q sdist", repo: "testpypi"},
		{line: "python setup.py register sdist bdist_wheel -d out upload --repository=https://test.pypi.org/legacy/", build: "python setup.py sdist bdist_wheel -d out", repo: "https://test.pypi.org/legacy/", register: true, why: "distributions built into different directories"},
		{line: "python setup.py sdist -d out bdist_wheel --dist-dir out upload", build: "python setup.py sdist -d out bdist_wheel --dist-dir out", dist: "out"},
		{line: "python setup.py bdist_wheel --plat-name manylinux2014_x86_64 upload", build: "python setup.py bdist_wheel --plat-name manylinux2014_x86_64"},
		{line: "python setup.py upload", why: "no build command before upload (distutils uploads only what the same command line built)"},
		{line: "python setup.py sdist upload --sign", why: "GPG signing (--sign), which PyPI has dropped"},
		{line: "python setup.py sdist upload bdist_wheel", why: "a distribution built after upload (bdist_wheel)"},
		{line: "python setup.py release upload", why: "the command release (an alias or a project command)"},
		{line: "python pkg/setup.py sdist upload", why: "a setup.py in another directory or Python options before it"},
	} {
		ws, _, _, _ := jsrelSplit(c.line)
		up, why := setuppyParse(ws)
		if why != c.why {
			t.Errorf("%q: why %q, want %q", c.line, why, c.why)
			continue
		}
		if why != "" {
			continue
		}
		if up.build != c.build || up.repo != c.repo || up.distDir != c.dist || up.register != c.register {
			t.Errorf("%q: got %+v", c.line, *up)
		}
	}
}

func TestSetuppyTarget(t *testing.T) {
	rc := &setuppyPypircText{lines: []string{"[distutils]", "index-servers =", "  pypi", "  testpypi", "[pypi]", "username = __token__",
		"[testpypi]", "repository = https://test.pypi.org/legacy/", "[internal]", "repository: https://pypi.example.com/", "[bare]"}}
	for repo, want := range map[string]string{"": "pypi", "pypi": "pypi", "testpypi": "testpypi", "bare": "pypi",
		"https://upload.pypi.org/legacy/": "pypi", "internal": "", "missing": "", "https://pypi.example.com/": ""} {
		got, err := setuppyTarget(repo, rc)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("setuppyTarget(%q) = %q, %v; want %q", repo, got, err, want)
		}
	}
}
