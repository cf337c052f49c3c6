package gitlabci

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tpscan/tpscan/scanner/model"
)

// fakeToken looks like a PyPI token; it must never reach an error message.
const fakeToken = "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlszLCI"

// Line numbers in the expectations below are those of the fixtures as
// written (line 1 is the first line after the opening backquote).

const basicYAML = `workflow:
  name: release pipeline
stages: [build, publish]
variables:
  TWINE_USERNAME: __token__
  TWINE_PASSWORD: $PYPI_TOKEN
  DEPLOY_ENV:
    value: "prod-${CI_COMMIT_REF_SLUG}"
    description: where to deploy
  RAW:
    value: $NOT_EXPANDED
    expand: false
.hidden:
  script: echo hidden
publish:
  stage: publish
  image:
    name: python:3.12
  tags: [docker, self-hosted-linux]
  environment:
    name: pypi
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi
    SIGSTORE_ID_TOKEN:
      aud: [sigstore, other]
  variables:
    NPM_TOKEN: ${NPM_AUTH}
  rules:
    - if: $CI_COMMIT_TAG
    - when: never
  script:
    - twine upload -u __token__ -p $PYPI_TOKEN dist/*
pages:
  image: ruby
  environment: production
  only: [main, tags]
  except:
    refs: [schedules]
    variables: [$SKIP]
  tags: [docker]
  script: echo pages
not_a_job: [a, b]
`

const scriptsYAML = `build:
  before_script:
    - export A=1
  script:
    - |
      echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc
      npm publish
    - uv publish
        --token "$UV_TOKEN"
        dist/*
    - 'echo ''quoted'' $Q'
    - - nested one
      - nested two
  after_script: echo done
`

const defaultsYAML = `default:
  image: node:20
  before_script:
    - echo default-before
  after_script: [echo default-after]
  id_tokens:
    NPM_ID_TOKEN:
      aud: npm
  tags: [shell-runner]
inherits:
  script: npm publish
overrides:
  image: node:22
  before_script: [echo own-before]
  tags: [k8s]
  script: npm publish
none:
  inherit:
    default: false
  script: npm publish
some:
  inherit:
    default: [image, tags]
  script: npm publish
disabled:
  before_script: []
  script: npm publish
`

const legacyYAML = `image: ruby:3
before_script:
  - gem install bundler
rubygems:
  script:
    - gem push pkg/x.gem
`

const extendsYAML = `.base:
  image: python:3.12
  variables:
    TWINE_USERNAME: __token__
    SHARED: base
  before_script:
    - pip install twine
  script:
    - twine upload dist/*
.publish:
  extends: .base
  variables:
    TWINE_PASSWORD: $PYPI_TOKEN
.other:
  image: alpine
  variables:
    SHARED: other
release:
  extends: [.publish, .other]
  variables:
    EXTRA: "1"
own:
  extends: .publish
  script:
    - echo own script
loop-a:
  extends: loop-b
  script: echo a
loop-b:
  extends: loop-a
  script: echo b
missing:
  extends: .nope
  script: echo m
`

const referenceYAML = `.setup:
  script:
    - echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc
    - npm whoami
  variables:
    REGISTRY: https://registry.npmjs.org
.chain:
  script:
    - !reference [.setup, script]
    - echo chained
publish:
  variables: !reference [.setup, variables]
  before_script:
    - !reference [.chain, script]
    - echo own
  script:
    - !reference [.missing, script]
    - npm publish
`

const anchorsYAML = `.vars: &vars
  TWINE_USERNAME: __token__
  TWINE_PASSWORD: $PYPI_TOKEN
.defaults: &defaults
  image: python:3.12
  tags: [docker]
.more: &more
  image: python:3.11
  stage: publish
.login: &login |
  echo "login"
  twine upload -p "$PYPI_TOKEN" dist/*
publish:
  <<: [*defaults, *more]
  variables:
    <<: *vars
    TWINE_PASSWORD: $OVERRIDE
  script:
    - *login
    - echo after
`

const includeMainYAML = `include:
  - local: /ci/templates.yml
  - ci/missing.yml
  - project: group/other
    file: /x.yml
  - remote: https://example.com/x.yml
  - template: Auto-DevOps.gitlab-ci.yml
  - local: ci/*.yml
publish:
  extends: .twine
  script:
    - !reference [.twine, script]
    - !reference [.nested, script]
`

const includeTemplatesYAML = `include: ci/nested.yml
.twine:
  variables:
    TWINE_PASSWORD: $PYPI_TOKEN
  script:
    - twine upload dist/*
tpl-job:
  script: echo not mine
`

const includeNestedYAML = `include:
  - local: /ci/templates.yml
.nested:
  script:
    - uv publish --token $UV_TOKEN
`

const componentYAML = `spec:
  inputs:
    job_name:
      default: publish
---
$[[ inputs.job_name ]]:
  variables:
    REPO: $[[ inputs.repo ]]
  script:
    - uv publish --index "$[[ inputs.index ]]" $[[ inputs.opts | expand_vars ]] --token $UV_TOKEN
`

// billionLaughs is the classic alias bomb: 9 levels of 9 aliases, reached
// from a script so the walk would expand it.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(name + ": &" + name + " [")
		for k := 0; k < 9; k++ {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	b.WriteString("job:\n  script: *i\n")
	return b.String()
}

// mergeBomb nests `<<` merges 9 levels deep, 9 wide.
func mergeBomb() string {
	var b strings.Builder
	b.WriteString("m0: &m0 {k: v}\n")
	for lvl := 1; lvl <= 9; lvl++ {
		b.WriteString("m" + string(rune('0'+lvl)) + ": &m" + string(rune('0'+lvl)) + " {<<: [")
		for k := 0; k < 9; k++ {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString("*m" + string(rune('0'+lvl-1)))
		}
		b.WriteString("]}\n")
	}
	b.WriteString("job:\n  variables: *m9\n  script: echo hi\n")
	return b.String()
}

// ---- helpers ----

func parse(t *testing.T, src string, inc Include) (*model.Pipeline, []error) {
	t.Helper()
	return Parse(&model.File{Path: ".gitlab-ci.yml", Content: []byte(src)}, inc)
}

func mustParse(t *testing.T, src string) *model.Pipeline {
	t.Helper()
	p, errs := parse(t, src, nil)
	if p == nil {
		t.Fatalf("Parse returned nil pipeline: %v", errs)
	}
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	return p
}

func job(t *testing.T, p *model.Pipeline, id string) *model.Job {
	t.Helper()
	for _, j := range p.Jobs {
		if j.ID == id {
			return j
		}
	}
	t.Fatalf("no job %q", id)
	return nil
}

func step(t *testing.T, j *model.Job, name string) *model.Step {
	t.Helper()
	for _, s := range j.Steps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("job %s: no step %q", j.ID, name)
	return nil
}

func jobIDs(p *model.Pipeline) []string {
	var out []string
	for _, j := range p.Jobs {
		out = append(out, j.ID)
	}
	return out
}

func stepNames(j *model.Job) []string {
	var out []string
	for _, s := range j.Steps {
		out = append(out, s.Name)
	}
	return out
}

func lits(c *model.Command) []string {
	var out []string
	for _, w := range c.Args {
		out = append(out, w.Lit)
	}
	return out
}

// cmdLines lists each command as "LINE:COL name".
func cmdLines(sc *model.Script) []string {
	var out []string
	for _, c := range sc.Commands {
		out = append(out, posStr(c.Pos)+" "+c.Name())
	}
	return out
}

func posStr(p model.Pos) string {
	return itoa(p.Line) + ":" + itoa(p.Col)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	if neg {
		s = "-" + s
	}
	return s
}

type varWant struct {
	name, raw, path, level string
	line, col              int
	refs                   []string
}

func checkVars(t *testing.T, got []*model.Var, want []varWant) {
	t.Helper()
	if len(got) != len(want) {
		var names []string
		for _, v := range got {
			names = append(names, v.Name)
		}
		t.Fatalf("got %d vars %v, want %d", len(got), names, len(want))
	}
	for i, w := range want {
		v := got[i]
		var refs []string
		for _, r := range v.Value.Refs {
			refs = append(refs, r.Kind+":"+r.Name)
		}
		if v.Name != w.name || v.Value.Raw != w.raw || v.YAMLPath != w.path || v.Level != w.level ||
			v.Pos.Line != w.line || v.Pos.Col != w.col || !reflect.DeepEqual(refs, w.refs) {
			t.Errorf("var %d = {%s %q %s %s %d:%d %v}, want {%s %q %s %s %d:%d %v}", i,
				v.Name, v.Value.Raw, v.YAMLPath, v.Level, v.Pos.Line, v.Pos.Col, refs,
				w.name, w.raw, w.path, w.level, w.line, w.col, w.refs)
		}
	}
}

func errText(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "\n")
}

// ---- tests ----

func TestParseBasic(t *testing.T) {
	p := mustParse(t, basicYAML)
	if p.Kind != model.GitLabCI || p.Name != "release pipeline" {
		t.Errorf("kind %q name %q", p.Kind, p.Name)
	}
	checkVars(t, p.Env, []varWant{
		{"TWINE_USERNAME", "__token__", "variables.TWINE_USERNAME", "global", 5, 3, nil},
		{"TWINE_PASSWORD", "$PYPI_TOKEN", "variables.TWINE_PASSWORD", "global", 6, 3, []string{"var:PYPI_TOKEN"}},
		{"DEPLOY_ENV", "prod-${CI_COMMIT_REF_SLUG}", "variables.DEPLOY_ENV", "global", 7, 3, []string{"var:CI_COMMIT_REF_SLUG"}},
		{"RAW", "$NOT_EXPANDED", "variables.RAW", "global", 10, 3, nil}, // expand: false
	})
	if got := p.Env[2].Value.Pos; got != (model.Pos{Line: 8, Col: 12}) {
		t.Errorf("DEPLOY_ENV value pos %v, want 8:12", got)
	}
	if got, want := jobIDs(p), []string{".hidden", "publish", "pages"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}

	tests := []struct {
		id         string
		hidden     bool
		line       int
		image      string
		env        string
		envLine    int
		runsOn     []string
		selfHosted bool
		rules      []string
	}{
		{".hidden", true, 13, "", "", 0, nil, false, nil},
		{"publish", false, 15, "python:3.12", "pypi", 21, []string{"docker", "self-hosted-linux"}, true, []string{"$CI_COMMIT_TAG"}},
		{"pages", false, 34, "ruby", "production", 36, []string{"docker"}, false,
			[]string{"only:main", "only:tags", "except:schedules", "except:variables:$SKIP"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			j := job(t, p, tt.id)
			if j.Hidden != tt.hidden || j.Pos.Line != tt.line || j.Pos.Col != 1 || j.YAMLPath != tt.id {
				t.Errorf("hidden=%v pos=%v path=%q", j.Hidden, j.Pos, j.YAMLPath)
			}
			if j.Image != tt.image || j.Environment != tt.env || j.EnvironmentPos.Line != tt.envLine {
				t.Errorf("image=%q env=%q envpos=%v", j.Image, j.Environment, j.EnvironmentPos)
			}
			if !reflect.DeepEqual(j.RunsOn, tt.runsOn) || j.SelfHosted != tt.selfHosted {
				t.Errorf("runsOn=%v selfHosted=%v", j.RunsOn, j.SelfHosted)
			}
			if !reflect.DeepEqual(j.Rules, tt.rules) {
				t.Errorf("rules=%q, want %q", j.Rules, tt.rules)
			}
		})
	}

	pub := job(t, p, "publish")
	wantTokens := []model.IDToken{
		{Name: "PYPI_ID_TOKEN", Audience: []string{"pypi"}, Pos: model.Pos{Line: 23, Col: 5}},
		{Name: "SIGSTORE_ID_TOKEN", Audience: []string{"sigstore", "other"}, Pos: model.Pos{Line: 25, Col: 5}},
	}
	if !reflect.DeepEqual(pub.IDTokens, wantTokens) {
		t.Errorf("id_tokens %+v, want %+v", pub.IDTokens, wantTokens)
	}
	checkVars(t, pub.Env, []varWant{
		{"NPM_TOKEN", "${NPM_AUTH}", "publish.variables.NPM_TOKEN", "job", 28, 5, []string{"var:NPM_AUTH"}},
	})

	// The twine command: argv, and the token word's reference and position.
	if len(pub.Steps) != 1 {
		t.Fatalf("steps %v", stepNames(pub))
	}
	st := pub.Steps[0]
	if st.Index != 0 || st.Name != "script" || st.YAMLPath != "publish.script" || st.Pos != (model.Pos{Line: 32, Col: 3}) {
		t.Errorf("step %+v", st)
	}
	if len(st.Run.Commands) != 1 {
		t.Fatalf("commands %v", cmdLines(st.Run))
	}
	c := st.Run.Commands[0]
	if got, want := lits(c), []string{"twine", "upload", "-u", "__token__", "-p", "${PYPI_TOKEN}", "dist/*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("argv %q, want %q", got, want)
	}
	tok := c.Args[5]
	if !reflect.DeepEqual(tok.Refs, []model.Ref{{Kind: "var", Name: "PYPI_TOKEN"}}) || tok.Pos != (model.Pos{Line: 33, Col: 36}) {
		t.Errorf("token word refs %+v pos %v, want var:PYPI_TOKEN at 33:36", tok.Refs, tok.Pos)
	}
	if c.Pos != (model.Pos{Line: 33, Col: 7}) {
		t.Errorf("command pos %v", c.Pos)
	}
}

func TestScripts(t *testing.T) {
	p := mustParse(t, scriptsYAML)
	j := job(t, p, "build")
	if got, want := stepNames(j), []string{"before_script", "script", "after_script"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("steps %v", got)
	}
	for i, s := range j.Steps {
		if s.Index != i || s.YAMLPath != "build."+s.Name {
			t.Errorf("step %d: index %d path %q", i, s.Index, s.YAMLPath)
		}
	}
	sc := step(t, j, "script").Run
	// `- |` block lines, a folded plain scalar over three lines, a quoted
	// item, and a nested sequence.
	want := []string{"6:7 echo", "7:7 npm", "8:7 uv", "11:8 echo", "12:9 nested", "13:9 nested"}
	if got := cmdLines(sc); !reflect.DeepEqual(got, want) {
		t.Errorf("commands %v, want %v", got, want)
	}
	echo := sc.Commands[0]
	if len(echo.Redirects) != 1 || echo.Redirects[0].Op != ">" || echo.Redirects[0].Target.Lit != "~/.npmrc" {
		t.Errorf("redirects %+v", echo.Redirects)
	}
	if w := echo.Args[1]; w.Lit != "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" || w.Pos != (model.Pos{Line: 6, Col: 12}) ||
		!reflect.DeepEqual(w.Refs, []model.Ref{{Kind: "var", Name: "NPM_TOKEN"}}) {
		t.Errorf("npmrc word %+v", w)
	}
	uv := sc.Commands[2]
	if got := lits(uv); !reflect.DeepEqual(got, []string{"uv", "publish", "--token", "${UV_TOKEN}", "dist/*"}) {
		t.Errorf("uv argv %q", got)
	}
	// The folded scalar keeps each word on its own file line.
	if uv.Args[2].Pos != (model.Pos{Line: 9, Col: 9}) || uv.Args[3].Pos != (model.Pos{Line: 9, Col: 17}) || uv.Args[4].Pos != (model.Pos{Line: 10, Col: 9}) {
		t.Errorf("uv word positions %v %v %v", uv.Args[2].Pos, uv.Args[3].Pos, uv.Args[4].Pos)
	}
	q := sc.Commands[3]
	if got := lits(q); !reflect.DeepEqual(got, []string{"echo", "quoted", "${Q}"}) || q.Args[2].Pos != (model.Pos{Line: 11, Col: 24}) {
		t.Errorf("quoted item %q at %v", got, q.Args[2].Pos)
	}
	wantText := "echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > ~/.npmrc\nnpm publish\n\n" +
		"uv publish --token \"$UV_TOKEN\" dist/*\necho 'quoted' $Q\nnested one\nnested two"
	if sc.Text != wantText {
		t.Errorf("text %q, want %q", sc.Text, wantText)
	}
	if sc.Pos.Line != 6 || sc.ParseError != "" {
		t.Errorf("script pos %v err %q", sc.Pos, sc.ParseError)
	}
	if got := cmdLines(step(t, j, "before_script").Run); !reflect.DeepEqual(got, []string{"3:7 export"}) {
		t.Errorf("before_script %v", got)
	}
	if got := cmdLines(step(t, j, "after_script").Run); !reflect.DeepEqual(got, []string{"14:17 echo"}) {
		t.Errorf("after_script %v", got)
	}
}

func TestScriptPositions(t *testing.T) {
	tests := []struct {
		name, src string
		cmds      []string // "LINE:COL name" of each command
		tokPos    string   // position of the word referencing $T, "" to skip
	}{
		{"crlf folded plain", "j:\r\n  script:\r\n    - uv publish\r\n      --token $T\r\n", []string{"3:7 uv"}, "4:15"},
		{"folded block", "j:\n  script:\n    - >\n      twine upload\n      -p $T\n", []string{"4:7 twine"}, "5:10"},
		{"escaped double quotes fall back to lines", "j:\n  script:\n    - \"echo \\\"$T\\\"\"\n", []string{"3:8 echo"}, ""},
		{"anchor and tag before the block", "j:\n  script:\n    - &x !!str |\n      echo $T\n    - *x\n", []string{"4:7 echo", "4:7 echo"}, "4:12"},
		{"anchor alone on its line", "j:\n  script:\n    - &x\n      echo $T\n", []string{"4:7 echo"}, "4:12"},
		{"trailing comment", "j:\n  script: twine upload $T # comment\n", []string{"2:11 twine"}, "2:24"},
		{"plain string section", "j:\n  script: |\n    export TOKEN=$T\n    cargo publish --token \"$TOKEN\"\n", []string{"3:5 export", "4:5 cargo"}, "3:18"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.src)
			sc := job(t, p, "j").Steps[0].Run
			if got := cmdLines(sc); !reflect.DeepEqual(got, tt.cmds) {
				t.Errorf("commands %v, want %v", got, tt.cmds)
			}
			if tt.tokPos == "" {
				if len(sc.Commands) > 0 && sc.Commands[0].Pos.Line != 3 {
					t.Errorf("fallback line %v", sc.Commands[0].Pos)
				}
				return
			}
			found := ""
			for _, c := range sc.Commands {
				words := append([]model.Word{}, c.Args...)
				for _, a := range c.Assigns {
					words = append(words, a.Value)
				}
				for _, w := range words {
					for _, r := range w.Refs {
						if r.Name == "T" && found == "" {
							found = posStr(w.Pos)
						}
					}
				}
			}
			if found != tt.tokPos {
				t.Errorf("$T word at %q, want %q", found, tt.tokPos)
			}
		})
	}
}

func TestScriptParseErrorKept(t *testing.T) {
	p := mustParse(t, "j:\n  script:\n    - echo ok\n    - 'if then fi ('\n    - twine upload -p $T\n")
	sc := job(t, p, "j").Steps[0].Run
	if sc.ParseError == "" {
		t.Errorf("want a shell parse error")
	}
	if got := cmdLines(sc); len(got) < 2 || got[0] != "3:7 echo" || got[len(got)-1] != "5:7 twine" {
		t.Errorf("commands %v", got)
	}
}

func TestDefaultInheritance(t *testing.T) {
	p := mustParse(t, defaultsYAML)
	tests := []struct {
		id       string
		image    string
		steps    []string
		before   []string
		tags     []string
		self     bool
		idTokens []string
	}{
		{"inherits", "node:20", []string{"before_script", "script", "after_script"}, []string{"4:7 echo"}, []string{"shell-runner"}, true, []string{"NPM_ID_TOKEN"}},
		{"overrides", "node:22", []string{"before_script", "script", "after_script"}, []string{"14:19 echo"}, []string{"k8s"}, false, []string{"NPM_ID_TOKEN"}},
		{"none", "", []string{"script"}, nil, nil, false, nil},
		{"some", "node:20", []string{"script"}, nil, []string{"shell-runner"}, true, nil},
		{"disabled", "node:20", []string{"script", "after_script"}, nil, []string{"shell-runner"}, true, []string{"NPM_ID_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			j := job(t, p, tt.id)
			if j.Image != tt.image {
				t.Errorf("image %q, want %q", j.Image, tt.image)
			}
			if got := stepNames(j); !reflect.DeepEqual(got, tt.steps) {
				t.Errorf("steps %v, want %v", got, tt.steps)
			}
			for i, s := range j.Steps {
				if s.Index != i {
					t.Errorf("step %s index %d", s.Name, s.Index)
				}
			}
			if tt.before != nil {
				b := step(t, j, "before_script")
				if got := cmdLines(b.Run); !reflect.DeepEqual(got, tt.before) {
					t.Errorf("before_script %v, want %v", got, tt.before)
				}
			}
			if !reflect.DeepEqual(j.RunsOn, tt.tags) || j.SelfHosted != tt.self {
				t.Errorf("tags %v self %v", j.RunsOn, j.SelfHosted)
			}
			var ids []string
			for _, it := range j.IDTokens {
				ids = append(ids, it.Name)
				if it.Pos != (model.Pos{Line: 7, Col: 5}) || !reflect.DeepEqual(it.Audience, []string{"npm"}) {
					t.Errorf("id token %+v", it)
				}
			}
			if !reflect.DeepEqual(ids, tt.idTokens) {
				t.Errorf("id_tokens %v, want %v", ids, tt.idTokens)
			}
		})
	}
	inh := job(t, p, "inherits")
	if a := step(t, inh, "after_script"); a.Pos != (model.Pos{Line: 5, Col: 3}) || !reflect.DeepEqual(cmdLines(a.Run), []string{"5:18 echo"}) {
		t.Errorf("after_script %v %v", a.Pos, cmdLines(a.Run))
	}
	if b := step(t, inh, "before_script"); b.YAMLPath != "inherits.before_script" || b.Pos != (model.Pos{Line: 3, Col: 3}) {
		t.Errorf("inherited before_script path %q pos %v", b.YAMLPath, b.Pos)
	}
}

func TestLegacyGlobals(t *testing.T) {
	p := mustParse(t, legacyYAML)
	j := job(t, p, "rubygems")
	if j.Image != "ruby:3" {
		t.Errorf("image %q", j.Image)
	}
	if got := stepNames(j); !reflect.DeepEqual(got, []string{"before_script", "script"}) {
		t.Fatalf("steps %v", got)
	}
	if got := cmdLines(j.Steps[0].Run); !reflect.DeepEqual(got, []string{"3:5 gem"}) {
		t.Errorf("before_script %v", got)
	}
	if got := lits(j.Steps[1].Run.Commands[0]); !reflect.DeepEqual(got, []string{"gem", "push", "pkg/x.gem"}) {
		t.Errorf("gem push %q", got)
	}
}

func TestExtends(t *testing.T) {
	p, errs := parse(t, extendsYAML, nil)
	if p == nil {
		t.Fatalf("nil pipeline: %v", errs)
	}
	rel := job(t, p, "release")
	if rel.Image != "alpine" { // .other comes after .publish: later wins
		t.Errorf("image %q", rel.Image)
	}
	checkVars(t, rel.Env, []varWant{
		{"TWINE_USERNAME", "__token__", "release.variables.TWINE_USERNAME", "job", 4, 5, nil},
		{"TWINE_PASSWORD", "$PYPI_TOKEN", "release.variables.TWINE_PASSWORD", "job", 13, 5, []string{"var:PYPI_TOKEN"}},
		{"SHARED", "other", "release.variables.SHARED", "job", 17, 5, nil},
		{"EXTRA", "1", "release.variables.EXTRA", "job", 21, 5, nil},
	})
	if got := stepNames(rel); !reflect.DeepEqual(got, []string{"before_script", "script"}) {
		t.Fatalf("steps %v", got)
	}
	// The script comes from .base, two levels up, with its own positions.
	s := step(t, rel, "script")
	if s.Pos != (model.Pos{Line: 8, Col: 3}) || s.YAMLPath != "release.script" {
		t.Errorf("script step pos %v path %q", s.Pos, s.YAMLPath)
	}
	if got := cmdLines(s.Run); !reflect.DeepEqual(got, []string{"9:7 twine"}) {
		t.Errorf("script %v", got)
	}
	if got := cmdLines(step(t, rel, "before_script").Run); !reflect.DeepEqual(got, []string{"7:7 pip"}) {
		t.Errorf("before_script %v", got)
	}

	own := job(t, p, "own")
	if got := cmdLines(step(t, own, "script").Run); !reflect.DeepEqual(got, []string{"25:7 echo"}) {
		t.Errorf("own script %v (sequences are replaced, not merged)", got)
	}
	if own.Image != "python:3.12" {
		t.Errorf("own image %q", own.Image)
	}

	all := errText(errs)
	if !strings.Contains(all, "circular") {
		t.Errorf("want a circular-extends error, got:\n%s", all)
	}
	if !strings.Contains(all, ":33:12: extends: template not found") {
		t.Errorf("want a not-found error at 33:12, got:\n%s", all)
	}
	if m := job(t, p, "missing"); len(m.Steps) != 1 {
		t.Errorf("missing: steps %v", stepNames(m))
	}
	for _, e := range errs {
		var pe *ParseError
		if !errors.As(e, &pe) || pe.Path != ".gitlab-ci.yml" || pe.Line == 0 {
			t.Errorf("error %v is not a positioned ParseError", e)
		}
	}
}

func TestExtendsDepthLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString(".t0:\n  script: echo deep\n")
	for i := 1; i <= 12; i++ {
		b.WriteString(".t" + itoa(i) + ":\n  extends: .t" + itoa(i-1) + "\n")
	}
	b.WriteString("job:\n  extends: .t12\n")
	p, errs := parse(t, b.String(), nil)
	if p == nil || !strings.Contains(errText(errs), "deeper than 10") {
		t.Errorf("want a depth error, got %v", errs)
	}
}

func TestReference(t *testing.T) {
	p, errs := parse(t, referenceYAML, nil)
	if p == nil {
		t.Fatalf("nil pipeline: %v", errs)
	}
	j := job(t, p, "publish")
	checkVars(t, j.Env, []varWant{
		{"REGISTRY", "https://registry.npmjs.org", "publish.variables.REGISTRY", "job", 6, 5, nil},
	})
	before := step(t, j, "before_script").Run
	if got, want := cmdLines(before), []string{"3:7 echo", "4:7 npm", "10:7 echo", "15:7 echo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("before_script %v, want %v", got, want)
	}
	if w := before.Commands[0].Args[1]; !reflect.DeepEqual(w.Refs, []model.Ref{{Kind: "var", Name: "NPM_TOKEN"}}) || w.Pos.Line != 3 {
		t.Errorf("referenced word %+v", w)
	}
	if got := cmdLines(step(t, j, "script").Run); !reflect.DeepEqual(got, []string{"18:7 npm"}) {
		t.Errorf("script %v", got)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), ":17:7: unresolved !reference") {
		t.Errorf("errors:\n%s", errText(errs))
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	p := mustParse(t, anchorsYAML)
	if got := jobIDs(p); !reflect.DeepEqual(got, []string{".vars", ".defaults", ".more", "publish"}) {
		t.Errorf("jobs %v", got)
	}
	j := job(t, p, "publish")
	if j.Image != "python:3.12" { // in `<<: [*a, *b]` the first wins
		t.Errorf("image %q", j.Image)
	}
	if !reflect.DeepEqual(j.RunsOn, []string{"docker"}) {
		t.Errorf("tags %v", j.RunsOn)
	}
	checkVars(t, j.Env, []varWant{
		{"TWINE_USERNAME", "__token__", "publish.variables.TWINE_USERNAME", "job", 2, 3, nil},
		{"TWINE_PASSWORD", "$OVERRIDE", "publish.variables.TWINE_PASSWORD", "job", 17, 5, []string{"var:OVERRIDE"}},
	})
	sc := step(t, j, "script").Run
	// The aliased block scalar runs at its anchor's lines.
	if got, want := cmdLines(sc), []string{"11:3 echo", "12:3 twine", "20:7 echo"}; !reflect.DeepEqual(got, want) {
		t.Errorf("script %v, want %v", got, want)
	}
	tw := sc.Commands[1]
	if w := tw.Args[3]; w.Lit != "${PYPI_TOKEN}" || w.Pos != (model.Pos{Line: 12, Col: 19}) {
		t.Errorf("token word %q at %v", w.Lit, w.Pos)
	}
}

type fakeRepo map[string]string

func (r fakeRepo) include(calls *[]string) Include {
	return func(path string) (*model.File, bool) {
		*calls = append(*calls, path)
		src, ok := r[path]
		if !ok {
			return nil, false
		}
		return &model.File{Path: path, Content: []byte(src)}, true
	}
}

func TestIncludeLocal(t *testing.T) {
	repo := fakeRepo{
		"ci/templates.yml": includeTemplatesYAML,
		"ci/nested.yml":    includeNestedYAML,
	}
	var calls []string
	p, errs := parse(t, includeMainYAML, repo.include(&calls))
	if p == nil {
		t.Fatalf("nil pipeline: %v", errs)
	}
	// Each local file once (cycle-safe), globs and remote kinds never.
	if want := []string{"ci/templates.yml", "ci/nested.yml", "ci/missing.yml"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("include calls %v, want %v", calls, want)
	}
	// Jobs (and templates) of included files run in this pipeline, after
	// the main file's own jobs; the files merged are listed.
	if got := jobIDs(p); !reflect.DeepEqual(got, []string{"publish", ".twine", ".nested", "tpl-job"}) {
		t.Errorf("jobs %v", got)
	}
	if !reflect.DeepEqual(p.Included, []string{"ci/nested.yml", "ci/templates.yml"}) {
		t.Errorf("included %v", p.Included)
	}
	j := p.Jobs[0]
	// Positions of inherited nodes are those of the included file.
	checkVars(t, j.Env, []varWant{
		{"TWINE_PASSWORD", "$PYPI_TOKEN", "publish.variables.TWINE_PASSWORD", "job", 4, 5, []string{"var:PYPI_TOKEN"}},
	})
	sc := step(t, j, "script").Run
	if got, want := cmdLines(sc), []string{"6:7 twine", "5:7 uv"}; !reflect.DeepEqual(got, want) {
		t.Errorf("script %v, want %v", got, want)
	}
	if w := sc.Commands[1].Args[3]; w.Lit != "${UV_TOKEN}" || w.Pos != (model.Pos{Line: 5, Col: 26}) {
		t.Errorf("uv token word %q at %v", w.Lit, w.Pos)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), ".gitlab-ci.yml:3:5: include: local file not found") {
		t.Errorf("errors:\n%s", errText(errs))
	}
}

func TestIncludeForms(t *testing.T) {
	tests := []struct {
		name, src string
		calls     []string
	}{
		{"bare string", "include: ci/a.yml\nj:\n  script: echo\n", []string{"ci/a.yml"}},
		{"local map", "include:\n  local: ./ci/a.yml\nj:\n  script: echo\n", []string{"ci/a.yml"}},
		{"remote string", "include: https://example.com/a.yml\nj:\n  script: echo\n", nil},
		{"component", "include:\n  - component: gitlab.com/x/y@1\nj:\n  script: echo\n", nil},
		{"glob", "include: '/ci/**.yml'\nj:\n  script: echo\n", nil},
		{"outside repo", "include: ../../etc/x.yml\nj:\n  script: echo\n", []string{"etc/x.yml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			p, _ := parse(t, tt.src, fakeRepo{}.include(&calls))
			if p == nil || len(p.Jobs) != 1 {
				t.Fatalf("pipeline %v", p)
			}
			if !reflect.DeepEqual(calls, tt.calls) {
				t.Errorf("calls %v, want %v", calls, tt.calls)
			}
		})
	}
	// A broken included file is reported under its own path.
	var calls []string
	repo := fakeRepo{"ci/bad.yml": "a: [\n"}
	p, errs := parse(t, "include: ci/bad.yml\nj:\n  script: echo\n", repo.include(&calls))
	if p == nil || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "ci/bad.yml:") {
		t.Errorf("errors %v", errs)
	}
}

func TestComponentInputs(t *testing.T) {
	p := mustParse(t, componentYAML)
	j := job(t, p, "$[[ inputs.job_name ]]")
	checkVars(t, j.Env, []varWant{
		{"REPO", "$[[ inputs.repo ]]", "$[[ inputs.job_name ]].variables.REPO", "job", 8, 5, nil},
	})
	sc := j.Steps[0].Run
	if len(sc.Commands) != 1 || sc.ParseError != "" {
		t.Fatalf("commands %v err %q", cmdLines(sc), sc.ParseError)
	}
	c := sc.Commands[0]
	want := []string{"uv", "publish", "--index", "$[[ inputs.index ]]", "$[[ inputs.opts | expand_vars ]]", "--token", "${UV_TOKEN}"}
	if got := lits(c); !reflect.DeepEqual(got, want) {
		t.Errorf("argv %q, want %q", got, want)
	}
	for i, w := range c.Args {
		if (len(w.Refs) > 0) != (i == 6) {
			t.Errorf("word %q refs %v", w.Lit, w.Refs)
		}
	}
	if c.Args[3].Pos != (model.Pos{Line: 10, Col: 26}) || c.Args[6].Pos.Line != 10 {
		t.Errorf("positions %v %v", c.Args[3].Pos, c.Args[6].Pos)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		// yaml.v3 gives the line where the broken construct's context
		// starts, not always the line of the problem.
		{"syntax error", "publish:\n  script:\n    - twine upload -p " + fakeToken + "\n  variables: [unclosed\n", 3, "invalid YAML"},
		{"tab indent", "publish:\n\tscript: echo " + fakeToken + "\n", 2, "invalid YAML"},
		{"unknown anchor named like a token", "publish:\n  script: *" + fakeToken + "\n", 1, "invalid YAML: unknown anchor"},
		{"bad quote", "publish:\n  script: \"" + fakeToken + "\n", 2, "invalid YAML"},
		{"sequence at top", "- " + fakeToken + "\n", 1, "top level is not a mapping"},
		{"scalar at top", fakeToken + "\n", 1, "top level is not a mapping"},
		{"empty", "", 1, "empty file"},
		{"comments only", "# " + fakeToken + "\n", 1, "empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, errs := parse(t, tt.src, nil)
			if p != nil || len(errs) != 1 {
				t.Fatalf("want nil pipeline and one error, got %v %v", p, errs)
			}
			var pe *ParseError
			if !errors.As(errs[0], &pe) {
				t.Fatalf("not a ParseError: %T", errs[0])
			}
			if pe.Line != tt.line || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("got line %d %q, want line %d %q", pe.Line, pe.Message, tt.line, tt.msg)
			}
			if strings.Contains(pe.Error(), "pypi-") || strings.Contains(pe.Error(), "AgEI") {
				t.Errorf("error quotes content: %q", pe.Error())
			}
		})
	}
}

func TestAliasBombs(t *testing.T) {
	tests := []struct {
		name, src string
		fatal     bool
	}{
		{"billion laughs", billionLaughs(), true},
		{"merge bomb", mergeBomb(), false}, // merges are memoised: linear
		{"self alias", "a: &a [*a, *a]\njob:\n  script: *a\n", false},
		{"self merge", "a: &a {<<: *a, k: v}\njob:\n  <<: *a\n  variables: *a\n  script: echo\n", false},
		{"extends bomb", strings.Replace(billionLaughs(), "script: *i", "extends: *i\n  script: echo", 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var p *model.Pipeline
			var errs []error
			start := time.Now()
			go func() {
				defer close(done)
				p, errs = parse(t, tt.src, nil)
			}()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Parse hung on an alias bomb")
			}
			t.Logf("took %v", time.Since(start))
			if tt.fatal {
				if p != nil || len(errs) != 1 || !strings.Contains(errs[0].Error(), "too many nodes") {
					t.Errorf("want a fatal too-many-nodes error, got %v %v", p, errs)
				}
			} else if p == nil {
				t.Errorf("want a pipeline, got %v", errs)
			}
		})
	}
}

func TestLooks(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"github workflow", "name: CI\non:\n  push:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/github-script@v7\n        with:\n          script: console.log(1)\n", false},
		{"github quoted on", "\"on\": push\njobs:\n  a:\n    steps: []\n", false},
		{"composite action", "name: x\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n", false},
		{"stages", "stages: [build]\nbuild:\n  stage: build\n", true},
		{"include only", "include:\n  - local: ci/a.yml\n", true},
		{"default", "default:\n  image: ruby\n", true},
		{"workflow", "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\n", true},
		{"jobs with script", "# comment\npublish:\n  image: python\n  script:\n    - twine upload dist/*\n", true},
		{"extends only", "publish:\n  extends: .tmpl\n", true},
		{"crlf", "publish:\r\n  script: echo\r\n", true},
		{"component", basicYAML[:0] + componentYAML, true},
		{"docker compose", "version: '3'\nservices:\n  web:\n    image: nginx\n", false},
		{"kubernetes", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: x\n      command: [sh]\n", false},
		{"azure pipelines", "trigger: [main]\npool:\n  vmImage: ubuntu-latest\nstages:\n  - stage: Build\n    jobs:\n      - job: b\n        steps:\n          - script: echo\n", false},
		{"nested script only", "a:\n  b:\n    script: echo\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Looks([]byte(tt.src)); got != tt.want {
				t.Errorf("Looks = %v, want %v", got, tt.want)
			}
		})
	}
	for _, src := range []string{basicYAML, scriptsYAML, defaultsYAML, extendsYAML, referenceYAML, anchorsYAML, includeMainYAML} {
		if !Looks([]byte(src)) {
			t.Errorf("Looks false for fixture:\n%s", src)
		}
	}
}

func TestPanicsBecomeErrors(t *testing.T) {
	// A nil include result with ok=true must not crash the parser.
	inc := func(string) (*model.File, bool) { return nil, true }
	p, errs := parse(t, "include: a.yml\nj:\n  script: echo\n", inc)
	if p == nil {
		t.Fatalf("errors %v", errs)
	}
}

var fuzzSeeds = []string{
	basicYAML, scriptsYAML, defaultsYAML, legacyYAML, extendsYAML, referenceYAML, anchorsYAML,
	includeMainYAML, includeTemplatesYAML, includeNestedYAML, componentYAML, billionLaughs(), mergeBomb(),
	"a: &a [*a]\nj:\n  script: *a\n",
	"j:\n  script:\n    - >\n      twine upload\n      -p $T\n",
	"j:\n  script: \"echo \\\"$T\\\"\"\n",
	"j:\n  script:\n    - &x !!str |\n      echo $T\n    - *x\n",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// Every include resolves to the input itself: exercises includes,
		// cycles and cross-file templates.
		inc := func(path string) (*model.File, bool) {
			return &model.File{Path: path, Content: []byte(src)}, true
		}
		p, errs := Parse(&model.File{Path: "f.yml", Content: []byte(src)}, inc)
		for _, e := range errs {
			if strings.Contains(e.Error(), "parser failed") {
				t.Fatalf("parser panicked: %v", e)
			}
		}
		if p == nil {
			if len(errs) == 0 {
				t.Fatal("nil pipeline without an error")
			}
			return
		}
		lines := strings.Count(src, "\n") + 1
		for _, j := range p.Jobs {
			for _, s := range j.Steps {
				if s.Run == nil {
					t.Fatal("step without script")
				}
				for _, c := range s.Run.Commands {
					if c.Pos.Line < 0 || c.Pos.Line > lines+1 {
						t.Fatalf("command line %d outside the file (%d lines)", c.Pos.Line, lines)
					}
				}
			}
		}
	})
}
