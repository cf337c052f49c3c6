package expr

import (
	"reflect"
	"testing"

	"github.com/tpscan/tpscan/scanner/model"
)

func TestRefs(t *testing.T) {
	tests := []struct {
		in   string
		want []model.Ref
	}{
		{"secrets.PYPI_TOKEN", []model.Ref{{Kind: "secrets", Name: "PYPI_TOKEN"}}},
		{" secrets . X ", []model.Ref{{Kind: "secrets", Name: "X"}}},
		{"secrets['MY-KEY']", []model.Ref{{Kind: "secrets", Name: "MY-KEY"}}},
		{"secrets.A || secrets.B", []model.Ref{{Kind: "secrets", Name: "A"}, {Kind: "secrets", Name: "B", Fallback: true}}},
		{"github.token", []model.Ref{{Kind: "github", Name: "token"}}},
		{"steps.auth.outputs.token", []model.Ref{{Kind: "steps", Name: "auth.outputs.token"}}},
		{"format('{0}', 'secrets.X')", nil},
		{"env.NODE_AUTH_TOKEN", []model.Ref{{Kind: "env", Name: "NODE_AUTH_TOKEN"}}},
		{"mysecrets.X", nil},
		{"vars.USE_TEST == 'true' && secrets.T || secrets.P", []model.Ref{{Kind: "secrets", Name: "T"}, {Kind: "secrets", Name: "P", Fallback: true}}},
		{"!vars.SKIP && secrets.T", []model.Ref{{Kind: "secrets", Name: "T"}}},
		{"'x' != vars.MODE", nil},
	}
	for _, tt := range tests {
		if got := Refs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Refs(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestTemplates(t *testing.T) {
	s := "a ${{ secrets.X }} b ${{ '}}' }} c ${{ unterminated"
	sp := Templates(s)
	if len(sp) != 2 || s[sp[0].Start:sp[0].End] != "${{ secrets.X }}" || s[sp[1].Start:sp[1].End] != "${{ '}}' }}" {
		t.Fatalf("Templates = %+v", sp)
	}
}

func TestVarRefs(t *testing.T) {
	got := VarRefs("$A ${B} $$C ${D:-x} $1")
	want := []model.Ref{{Kind: "var", Name: "A"}, {Kind: "var", Name: "B"}, {Kind: "var", Name: "D"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VarRefs = %+v", got)
	}
}

func FuzzTemplates(f *testing.F) {
	for _, s := range []string{"${{ secrets.X }}", "${{ a['b'] || c.d }}", "${{", "}}${{'", "$A${B}$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sp := range Templates(s) {
			if sp.Start < 0 || sp.End > len(s) || sp.Start >= sp.End {
				t.Fatalf("bad span %+v for %q", sp, s)
			}
		}
		VarRefs(s)
	})
}
