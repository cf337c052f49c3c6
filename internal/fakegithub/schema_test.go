package fakegithub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"testing"

	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// The executor's hand-written type knowledge agrees with GitHub's schema.

func TestSupertypesMatchSchema(t *testing.T) {
	schema := LoadValidator(t).Schema()
	for typ, mine := range supertypes {
		def := schema.Types[typ]
		if def == nil || def.Kind != gqlast.Object {
			t.Errorf("%s is not an object type in the schema", typ)
			continue
		}
		var want []string
		want = append(want, def.Interfaces...)
		for name, d := range schema.Types {
			if d.Kind == gqlast.Union {
				for _, m := range d.Types {
					if m == typ {
						want = append(want, name)
					}
				}
			}
		}
		sort.Strings(want)
		got := append([]string(nil), mine...)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: supertypes %v, schema says %v", typ, got, want)
		}
	}
}

func TestNonNullTableMatchesSchema(t *testing.T) {
	schema := LoadValidator(t).Schema()
	for key := range nonNull {
		typ, field, _ := strings.Cut(key, ".")
		f := schema.Types[typ].Fields.ForName(field)
		if f == nil || !f.Type.NonNull {
			t.Errorf("%s is not a non-null field", key)
		}
	}
	for name := range connectionFields {
		found := false
		for _, d := range schema.Types {
			if f := d.Fields.ForName(name); f != nil && strings.HasSuffix(f.Type.Name(), "Connection") &&
				f.Arguments.ForName("first") != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s is not a connection field", name)
		}
	}
}

// Every field name a resolver answers (the string cases of its field
// method) exists on the GraphQL type it claims to be.
func TestResolverFieldsExistInSchema(t *testing.T) {
	schema := LoadValidator(t).Schema()
	fset := token.NewFileSet()
	typeNames := map[string][]string{} // Go receiver -> GraphQL type names
	fields := map[string][]string{}    // Go receiver -> served field names
	for _, file := range []string{"graphql_types.go", "graphql_exec.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			recv := receiverName(fd.Recv.List[0].Type)
			switch fd.Name.Name {
			case "typeName":
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						typeNames[recv] = append(typeNames[recv], s)
					}
					return true
				})
			case "field":
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if cc, ok := n.(*ast.CaseClause); ok {
						for _, e := range cc.List {
							if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
								s, _ := strconv.Unquote(lit.Value)
								fields[recv] = append(fields[recv], s)
							}
						}
					}
					return true
				})
			}
		}
	}
	// Receivers whose typeName is computed (connections, edges) serve the
	// fields of every type the fake builds them as.
	typeNames["connection"] = []string{"RepositoryConnection", "EnvironmentConnection", "DeploymentProtectionRuleConnection", "DeploymentReviewerConnection"}
	typeNames["edge"] = []string{"RepositoryEdge", "EnvironmentEdge", "DeploymentProtectionRuleEdge", "DeploymentReviewerEdge"}
	checked := 0
	for recv, fs := range fields {
		tns := typeNames[recv]
		if len(tns) == 0 {
			t.Errorf("%s: no GraphQL type name found", recv)
		}
		for _, tn := range tns {
			def := schema.Types[tn]
			if def == nil {
				t.Errorf("%s: type %s not in the schema", recv, tn)
				continue
			}
			for _, f := range fs {
				if def.Fields.ForName(f) == nil {
					t.Errorf("%s.%s is not in the schema", tn, f)
				}
				checked++
			}
		}
	}
	if checked < 80 {
		t.Errorf("only %d fields checked: the source walk is broken", checked)
	}
}

func receiverName(e ast.Expr) string {
	if st, ok := e.(*ast.StarExpr); ok {
		e = st.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
