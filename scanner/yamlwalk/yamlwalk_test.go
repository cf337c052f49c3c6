package yamlwalk

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPairsMergeOrder(t *testing.T) {
	var n yaml.Node
	src := "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n  x: 4\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	w := New(1000, 64)
	_, c := w.Get(&n, "c")
	var got []string
	for _, p := range w.Pairs(c) {
		got = append(got, p.Key.Value+"="+w.Resolve(p.Val).Value)
	}
	// Explicit keys win (the last duplicate), then the first merged mapping.
	if strings.Join(got, ",") != "x=4,y=1,z=2" {
		t.Errorf("pairs = %v", got)
	}
}

func TestBudget(t *testing.T) {
	var n yaml.Node
	src := "a: &a {k: 1}\nb: &b {<<: [*a, *a, *a, *a]}\nc: &c {<<: [*b, *b, *b, *b]}\nd: {<<: [*c, *c, *c, *c]}\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, ok := recover().(Budget); !ok {
			t.Error("a walk past its budget must panic with Budget")
		}
	}()
	w := New(3, 64)
	for _, p := range w.Pairs(&n) {
		w.Pairs(p.Val)
	}
}
