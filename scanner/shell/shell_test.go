package shell

import (
	"strings"
	"testing"

	"github.com/tpscan/tpscan/scanner/model"
)

func argv(c *model.Command) string {
	var out []string
	for _, a := range c.Args {
		out = append(out, a.Lit)
	}
	return strings.Join(out, " ")
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		expr      bool
		wantArgv  []string
		wantRefs  map[int][]string // command index -> ref names
		wantLines []int
	}{
		{
			name:      "simple with expression",
			text:      "python -m build\ntwine upload -p ${{ secrets.PYPI_TOKEN }} dist/*",
			expr:      true,
			wantArgv:  []string{"python -m build", "twine upload -p ${{…}} dist/*"},
			wantRefs:  map[int][]string{1: {"secrets.PYPI_TOKEN"}},
			wantLines: []int{10, 11},
		},
		{
			name:     "pipe into cargo login",
			text:     `echo "$CRATES_TOKEN" | cargo login`,
			wantArgv: []string{"echo ${CRATES_TOKEN}", "cargo login"},
		},
		{
			name:     "nested in if and for",
			text:     "if [ -n \"$X\" ]; then\n  for f in dist/*; do twine upload \"$f\"; done\nfi",
			wantArgv: []string{"[ -n ${X} ]", "twine upload ${f}"},
		},
		{
			name:     "export and assignment",
			text:     "export TWINE_PASSWORD=$TOKEN\nFOO=bar npm publish",
			wantArgv: []string{"export", "npm publish"},
			wantRefs: map[int][]string{0: {"var.TOKEN"}},
		},
		{
			name:     "indirect expansion",
			text:     "TWINE_PASSWORD=${!VARNAME}",
			wantArgv: []string{""},
			wantRefs: map[int][]string{0: {"var!VARNAME"}},
		},
		{
			name:     "broken script falls back to lines",
			text:     "echo ok\nif then fi ((\nnpm publish",
			wantArgv: []string{"echo ok", "npm publish"},
		},
		{
			name:     "command substitution runs",
			text:     "OUT=$(twine upload dist/*)",
			wantArgv: []string{"", "twine upload dist/*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := []model.Pos{{Line: 10, Col: 5}, {Line: 11, Col: 5}, {Line: 12, Col: 5}}
			sc := Parse(Input{Text: tt.text, Lines: lines, Expressions: tt.expr})
			var got []string
			for _, c := range sc.Commands {
				got = append(got, argv(c))
			}
			if strings.Join(got, "|") != strings.Join(tt.wantArgv, "|") {
				t.Fatalf("argv = %q, want %q", got, tt.wantArgv)
			}
			for i, want := range tt.wantRefs {
				var refs []string
				c := sc.Commands[i]
				for _, a := range c.Args {
					for _, r := range a.Refs {
						refs = append(refs, refName(r))
					}
				}
				for _, as := range c.Assigns {
					for _, r := range as.Value.Refs {
						refs = append(refs, refName(r))
					}
				}
				if strings.Join(refs, ",") != strings.Join(want, ",") {
					t.Errorf("command %d refs = %v, want %v", i, refs, want)
				}
			}
			for i, l := range tt.wantLines {
				if sc.Commands[i].Pos.Line != l {
					t.Errorf("command %d line = %d, want %d", i, sc.Commands[i].Pos.Line, l)
				}
			}
		})
	}
}

func refName(r model.Ref) string {
	if r.Indirect {
		return r.Kind + "!" + r.Name
	}
	return r.Kind + "." + r.Name
}

func TestStdinAndRedirects(t *testing.T) {
	sc := Parse(Input{Text: "echo \"$T\" | cargo login\ncat > ~/.pypirc <<EOF\n[pypi]\npassword = $PW\nEOF"})
	if len(sc.Commands) != 3 {
		t.Fatalf("got %d commands", len(sc.Commands))
	}
	if in := sc.Commands[1].Stdin; in == nil || len(in.Refs) != 1 || in.Refs[0].Name != "T" {
		t.Errorf("cargo login stdin = %+v", in)
	}
	cat := sc.Commands[2]
	if len(cat.Redirects) != 2 {
		t.Fatalf("redirects = %+v", cat.Redirects)
	}
	var body *model.Word
	for _, r := range cat.Redirects {
		if r.Body != nil {
			body = r.Body
		}
	}
	if body == nil || len(body.Refs) != 1 || body.Refs[0].Name != "PW" {
		t.Errorf("heredoc body = %+v", body)
	}
}

func TestCompoundRedirects(t *testing.T) {
	sc := Parse(Input{Text: "{\n  echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\"\n} > .npmrc\nfor k in a b; do echo \"$k=1\"; done >> $GITHUB_ENV"})
	if len(sc.Commands) != 2 {
		t.Fatalf("commands = %d", len(sc.Commands))
	}
	for i, want := range []string{".npmrc", "${GITHUB_ENV}"} {
		c := sc.Commands[i]
		if len(c.Redirects) != 1 || c.Redirects[0].Target.Lit != want {
			t.Errorf("command %d redirects = %+v, want %s", i, c.Redirects, want)
		}
	}
}

func TestParseErrorNeverQuotesSource(t *testing.T) {
	secret := "npm_abcdefghijklmnopqrstuvwxyz0123456789"
	sc := Parse(Input{Text: "echo \"" + secret + "\n(("})
	if sc.ParseError == "" {
		t.Fatal("want a parse error")
	}
	if strings.Contains(sc.ParseError, secret) {
		t.Errorf("parse error quotes the source: %q", sc.ParseError)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"twine upload -p ${{ secrets.X }} dist/*",
		"echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > ~/.npmrc",
		"cat <<EOF > x\n$A\nEOF",
		"${{ a }}${{ b }}}}${{",
		"if then ((",
		"echo ${!X} $((1+2)) $(ls) <(cat)",
		"a=(1 2 3); declare -x B=$a",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, expr bool) {
		if len(text) > 1<<16 {
			return
		}
		lines := []model.Pos{{Line: 3, Col: 9}}
		sc := Parse(Input{Text: text, Lines: lines, Expressions: expr})
		for _, c := range sc.Commands {
			if c.Pos.Line < 0 {
				t.Fatalf("negative line %d", c.Pos.Line)
			}
		}
	})
}
