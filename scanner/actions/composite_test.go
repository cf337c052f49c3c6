package actions

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

const compositeFakeToken = "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlszLCI"

// Line numbers below are those of the fixtures as written.

const compositeYAML = `name: Publish to PyPI
description: builds and uploads
inputs:
  token:
    description: PyPI token
    required: true
  repository:
    default: pypi
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
      with:
        python-version: "3.12"
        cache: pip
    - id: build
      name: Build
      run: python -m build
      shell: bash
    - name: Upload
      if: ${{ inputs.token != '' }}
      env:
        TWINE_PASSWORD: ${{ inputs.token }}
        TWINE_USERNAME: __token__
      run: |
        twine upload --repository ${{ inputs.repository }} dist/*
        echo "${{ inputs.token }}" | docker login -u x --password-stdin
      shell: bash
    - uses: pypa/gh-action-pypi-publish@release/v1
      with:
        password: ${{ inputs.token }}
`

const compositeAnchorsYAML = `name: anchors
runs:
  using: "Composite"
  steps:
    - &login
      name: login
      env: &env
        NPM_TOKEN: ${{ inputs.npm-token }}
      run: &npmrc |
        echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc
      shell: bash
    - *login
    - name: publish
      env:
        <<: *env
        EXTRA: "1"
      run: npm publish
      shell: bash
`

func parseComposite(t *testing.T, src string) (*model.Pipeline, error) {
	t.Helper()
	return ParseComposite(&model.File{Path: "action.yml", Content: []byte(src)})
}

func compositeLits(c *model.Command) []string {
	var out []string
	for _, w := range c.Args {
		out = append(out, w.Lit)
	}
	return out
}

func refStrings(refs []model.Ref) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Kind+":"+r.Name)
	}
	return out
}

func TestParseComposite(t *testing.T) {
	p, err := parseComposite(t, compositeYAML)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != model.GitHubComposite || p.Name != "Publish to PyPI" || !reflect.DeepEqual(p.Inputs, []string{"token", "repository"}) {
		t.Errorf("kind %q name %q inputs %v", p.Kind, p.Name, p.Inputs)
	}
	if len(p.Jobs) != 1 {
		t.Fatalf("jobs %d", len(p.Jobs))
	}
	j := p.Jobs[0]
	if j.ID != "(action)" || j.YAMLPath != "runs" || j.Pos != (model.Pos{Line: 9, Col: 1}) || len(j.Steps) != 4 {
		t.Fatalf("job %+v (%d steps)", j, len(j.Steps))
	}

	type varWant struct {
		name, raw, path, level string
		line, col              int
		refs                   []string
	}
	check := func(t *testing.T, got []*model.Var, want []varWant) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %d vars, want %d", len(got), len(want))
		}
		for i, w := range want {
			v := got[i]
			if v.Name != w.name || v.Value.Raw != w.raw || v.YAMLPath != w.path || v.Level != w.level ||
				v.Pos != (model.Pos{Line: w.line, Col: w.col}) || !reflect.DeepEqual(refStrings(v.Value.Refs), w.refs) {
				t.Errorf("var %d = %+v refs %v, want %+v", i, v, refStrings(v.Value.Refs), w)
			}
		}
	}

	tests := []struct {
		i             int
		id, name, ifs string
		uses          string
		usesPos, pos  model.Pos
		with, env     []varWant
		shell         string
		cmds          []string // "LINE:COL name"
		hasRun        bool
	}{
		{i: 0, uses: "actions/setup-python@v5", usesPos: model.Pos{Line: 12, Col: 13}, pos: model.Pos{Line: 12, Col: 7},
			with: []varWant{
				{"python-version", "3.12", "runs.steps[0].with.python-version", "input", 14, 9, nil},
				{"cache", "pip", "runs.steps[0].with.cache", "input", 15, 9, nil},
			}},
		{i: 1, id: "build", name: "Build", pos: model.Pos{Line: 16, Col: 7}, shell: "bash", hasRun: true,
			cmds: []string{"18:12 python"}},
		{i: 2, name: "Upload", ifs: "${{ inputs.token != '' }}", pos: model.Pos{Line: 20, Col: 7}, shell: "bash", hasRun: true,
			env: []varWant{
				{"TWINE_PASSWORD", "${{ inputs.token }}", "runs.steps[2].env.TWINE_PASSWORD", "step", 23, 9, []string{"inputs:token"}},
				{"TWINE_USERNAME", "__token__", "runs.steps[2].env.TWINE_USERNAME", "step", 24, 9, nil},
			},
			cmds: []string{"26:9 twine", "27:9 echo", "27:38 docker"}},
		{i: 3, uses: "pypa/gh-action-pypi-publish@release/v1", usesPos: model.Pos{Line: 29, Col: 13}, pos: model.Pos{Line: 29, Col: 7},
			with: []varWant{
				{"password", "${{ inputs.token }}", "runs.steps[3].with.password", "input", 31, 9, []string{"inputs:token"}},
			}},
	}
	for _, tt := range tests {
		s := j.Steps[tt.i]
		t.Run(s.YAMLPath, func(t *testing.T) {
			if s.Index != tt.i || s.YAMLPath != "runs.steps["+string(rune('0'+tt.i))+"]" || s.Pos != tt.pos {
				t.Errorf("index %d path %q pos %v", s.Index, s.YAMLPath, s.Pos)
			}
			if s.ID != tt.id || s.Name != tt.name || s.If != tt.ifs || s.Uses != tt.uses || s.UsesPos != tt.usesPos {
				t.Errorf("step %+v", s)
			}
			check(t, s.With, tt.with)
			check(t, s.Env, tt.env)
			if (s.Run != nil) != tt.hasRun {
				t.Fatalf("run %v", s.Run)
			}
			if s.Run == nil {
				return
			}
			if s.Run.Pending == nil || s.Run.Pos.Line == 0 {
				t.Errorf("run not deferred or without position: %+v", s.Run)
			}
			shell.Ensure(s.Run)
			if s.Run.Shell != tt.shell || s.Run.ParseError != "" {
				t.Errorf("shell %q err %q", s.Run.Shell, s.Run.ParseError)
			}
			var got []string
			for _, c := range s.Run.Commands {
				got = append(got, itoa(c.Pos.Line)+":"+itoa(c.Pos.Col)+" "+c.Name())
			}
			if !reflect.DeepEqual(got, tt.cmds) {
				t.Errorf("commands %v, want %v", got, tt.cmds)
			}
		})
	}

	up := j.Steps[2].Run
	tw := up.Commands[0]
	if got := compositeLits(tw); !reflect.DeepEqual(got, []string{"twine", "upload", "--repository", "${{…}}", "dist/*"}) {
		t.Errorf("twine argv %q", got)
	}
	if w := tw.Args[3]; w.Pos != (model.Pos{Line: 26, Col: 35}) || !reflect.DeepEqual(refStrings(w.Refs), []string{"inputs:repository"}) {
		t.Errorf("expression word %+v", w)
	}
	if d := up.Commands[2]; d.Stdin == nil || !reflect.DeepEqual(refStrings(d.Stdin.Refs), []string{"inputs:token"}) {
		t.Errorf("docker stdin %+v", d.Stdin)
	}
}

func itoa(n int) string {
	if n <= 0 {
		return "0"
	}
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func TestParseCompositeAnchors(t *testing.T) {
	p, err := parseComposite(t, compositeAnchorsYAML)
	if err != nil {
		t.Fatal(err)
	}
	steps := p.Jobs[0].Steps
	if len(steps) != 3 {
		t.Fatalf("steps %d", len(steps))
	}
	// An aliased step is the same step again, at the alias's position;
	// its script keeps the anchor's lines.
	for i, want := range []model.Pos{{Line: 5, Col: 7}, {Line: 12, Col: 7}} {
		s := steps[i]
		if s.Name != "login" || s.Pos != want || s.YAMLPath != "runs.steps["+itoa(i)+"]" {
			t.Errorf("step %d: %q at %v", i, s.Name, s.Pos)
		}
		shell.Ensure(s.Run)
		if s.Run == nil || len(s.Run.Commands) != 1 || s.Run.Commands[0].Pos != (model.Pos{Line: 10, Col: 9}) {
			t.Fatalf("step %d run %+v", i, s.Run)
		}
		if len(s.Env) != 1 || s.Env[0].Name != "NPM_TOKEN" || s.Env[0].Pos.Line != 8 ||
			!reflect.DeepEqual(refStrings(s.Env[0].Value.Refs), []string{"inputs:npm-token"}) {
			t.Errorf("step %d env %+v", i, s.Env)
		}
	}
	// `<<: *env` merges the anchored mapping.
	pub := steps[2]
	var names []string
	for _, v := range pub.Env {
		names = append(names, v.Name+"@"+itoa(v.Pos.Line))
	}
	if !reflect.DeepEqual(names, []string{"NPM_TOKEN@8", "EXTRA@16"}) {
		t.Errorf("merged env %v", names)
	}
	shell.Ensure(pub.Run)
	if got := compositeLits(pub.Run.Commands[0]); !reflect.DeepEqual(got, []string{"npm", "publish"}) {
		t.Errorf("publish %q", got)
	}
}

func TestParseCompositeOtherKinds(t *testing.T) {
	tests := []struct {
		name, src string
	}{
		{"node", "name: js\nruns:\n  using: node20\n  main: dist/index.js\n"},
		{"docker", "name: d\nruns:\n  using: docker\n  image: Dockerfile\n  env:\n    TOKEN: ${{ inputs.token }}\n  args: [a]\n"},
		{"no using", "name: d\nruns:\n  steps:\n    - run: echo\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseComposite(t, tt.src)
			if err != nil || p == nil {
				t.Fatalf("err %v", err)
			}
			if p.Kind != model.GitHubComposite || len(p.Jobs) != 0 {
				t.Errorf("kind %q jobs %d", p.Kind, len(p.Jobs))
			}
		})
	}
}

func TestParseCompositeErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"syntax", "name: x\nruns:\n  using: composite\n  steps:\n    - run: echo " + compositeFakeToken + "\n   bad: [\n", 2, "invalid YAML"}, // yaml.v3 reports the context line
		{"unknown anchor", "name: x\nruns: *" + compositeFakeToken + "\n", 1, "invalid YAML: unknown anchor"},
		{"not a mapping", "- " + compositeFakeToken + "\n", 1, "top level is not a mapping"},
		{"empty", "", 1, "empty file"},
		{"no runs", "name: " + compositeFakeToken + "\n", 1, "no runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseComposite(t, tt.src)
			if p != nil || err == nil {
				t.Fatalf("want an error, got %v %v", p, err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a ParseError: %T", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("got line %d %q, want line %d %q", pe.Line, pe.Message, tt.line, tt.msg)
			}
			if strings.Contains(err.Error(), "pypi-") || strings.Contains(err.Error(), "AgEI") {
				t.Errorf("error quotes content: %q", err)
			}
		})
	}
}

func TestParseCompositeAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 8) + "*" + prev + "]\n")
		prev = name
	}
	b.WriteString("m0: &m0 {k: v}\n")
	for lvl := 1; lvl <= 9; lvl++ {
		n, pr := "m"+itoa(lvl), "m"+itoa(lvl-1)
		b.WriteString(n + ": &" + n + " {<<: [" + strings.Repeat("*"+pr+",", 8) + "*" + pr + "]}\n")
	}
	b.WriteString("self: &self [*self]\n")
	b.WriteString("runs:\n  using: composite\n  steps:\n    - run: echo\n      with: *m9\n      env: *i\n    - *i\n    - *self\n")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = parseComposite(t, b.String())
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("ParseComposite hung on an alias bomb")
	}
}

func TestLooksLikeAction(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"composite", compositeYAML, true},
		{"docker", "name: d\nruns:\n  using: docker\n", true},
		{"quoted key", "\"runs\":\n  using: node20\n", true},
		{"crlf", "name: x\r\nruns:\r\n  using: node20\r\n", true},
		{"workflow", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n", false},
		{"gitlab", "stages: [x]\njob:\n  script: echo\n", false},
		{"nested runs", "a:\n  runs:\n    using: composite\n", false},
		{"runs-on only", "runs-on: x\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeAction([]byte(tt.src)); got != tt.want {
				t.Errorf("LooksLikeAction = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseComposite(f *testing.F) {
	for _, s := range []string{
		compositeYAML, compositeAnchorsYAML,
		"runs:\n  using: composite\n  steps:\n    - run: >\n        echo ${{ inputs.x }}\n      shell: bash\n",
		"runs:\n  using: composite\n  steps:\n    - run: &r !!str |\n        echo $T\n    - run: *r\n",
		"runs: &r\n  using: composite\n  steps: [*r]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := ParseComposite(&model.File{Path: "action.yml", Content: []byte(src)})
		if err != nil {
			if strings.Contains(err.Error(), "parser failed") {
				t.Fatalf("parser panicked: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil pipeline without an error")
		}
		if len(p.Jobs) > 1 {
			t.Fatalf("%d jobs", len(p.Jobs))
		}
		for _, j := range p.Jobs {
			for _, s := range j.Steps {
				shell.Ensure(s.Run)
			}
		}
	})
}
