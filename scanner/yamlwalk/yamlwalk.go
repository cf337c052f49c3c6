// Package yamlwalk reads yaml.v3 node trees the way CI systems do: aliases
// followed and `<<` merge keys applied. It counts what it visits, so that an
// alias bomb ends in an error instead of a hang. The GitLab CI and composite
// action parsers share it.
package yamlwalk

import "gopkg.in/yaml.v3"

// Pair is one entry of a mapping.
type Pair struct{ Key, Val *yaml.Node }

// Budget is the panic value of a walk that went past its node budget; the
// parser that owns the walk recovers it and reports the file.
type Budget struct{}

// Walker walks one document.
type Walker struct {
	maxNodes, maxNesting int
	spent                int
	memo                 map[*yaml.Node][]Pair
	busy                 map[*yaml.Node]bool
}

// New returns a walker that gives up after maxNodes visits and follows at
// most maxNesting aliases in a chain.
func New(maxNodes, maxNesting int) *Walker {
	return &Walker{maxNodes: maxNodes, maxNesting: maxNesting, memo: map[*yaml.Node][]Pair{}, busy: map[*yaml.Node]bool{}}
}

// Spend counts n units of work against the budget; past it, it panics with
// Budget.
func (w *Walker) Spend(n int) {
	w.spent += n
	if w.spent > w.maxNodes {
		panic(Budget{})
	}
}

// Resolve follows aliases and unwraps a document node.
func (w *Walker) Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil; i++ {
		if i > w.maxNesting {
			return nil
		}
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// Pairs returns a mapping's entries with `<<` merges applied: explicit keys
// win over merged ones, the last of duplicate explicit keys wins, and among
// merged mappings the first to set a key wins (YAML merge order).
func (w *Walker) Pairs(n *yaml.Node) []Pair {
	n = w.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	if ps, ok := w.memo[n]; ok {
		return ps
	}
	if w.busy[n] {
		return nil // a mapping merged into itself
	}
	w.busy[n] = true
	defer delete(w.busy, n)
	w.Spend(len(n.Content)/2 + 1)
	var explicit, merged []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			src := w.Resolve(v)
			if src == nil {
				continue
			}
			switch src.Kind {
			case yaml.MappingNode:
				merged = append(merged, w.Pairs(src)...)
			case yaml.SequenceNode:
				for _, it := range src.Content {
					merged = append(merged, w.Pairs(it)...)
				}
			}
			continue
		}
		k = w.Resolve(k)
		if k == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		explicit = append(explicit, Pair{Key: k, Val: v})
	}
	out := make([]Pair, 0, len(explicit)+len(merged))
	seen := make(map[string]int, len(explicit)+len(merged))
	for _, kv := range explicit {
		if i, ok := seen[kv.Key.Value]; ok {
			out[i] = kv
			continue
		}
		seen[kv.Key.Value] = len(out)
		out = append(out, kv)
	}
	for _, kv := range merged {
		if _, ok := seen[kv.Key.Value]; ok {
			continue
		}
		seen[kv.Key.Value] = len(out)
		out = append(out, kv)
	}
	w.memo[n] = out
	return out
}

// Get returns the key and value nodes of one entry of a mapping.
func (w *Walker) Get(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for _, kv := range w.Pairs(n) {
		if kv.Key.Value == key {
			return kv.Key, kv.Val
		}
	}
	return nil, nil
}
