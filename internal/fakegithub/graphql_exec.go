package fakegithub

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// A small GraphQL executor over the schema subset the fake models. The
// query is parsed with gqlparser (no schema needed); execution follows the
// GraphQL spec: field collection with fragments and @skip/@include,
// aliases, merging of same-key fields, and null propagation from non-null
// fields to the nearest nullable parent.

// gqlObject is a value of a GraphQL object type.
type gqlObject interface {
	typeName() string
	// field resolves one field. It returns a scalar, a gqlObject, a
	// []gqlObject or nil; errors are reported at the field's path.
	field(e *executor, name string, args map[string]any) (any, error)
}

type executor struct {
	s      *Server
	c      *rctx
	doc    *ast.QueryDocument
	vars   map[string]any
	errors []*gqlError
	cost   int
	nodes  int
	dryRun bool
	// badFragments already reported.
	badFragments map[string]bool
}

// supertypes lists, for each concrete type the fake serves, every interface
// it implements and every union it belongs to in GitHub's schema (a test
// checks this table against schema.graphql).
var supertypes = map[string][]string{
	"Blob":         {"GitObject", "Node"},
	"Commit":       {"Closer", "GitObject", "IssueTimelineItem", "Node", "PullRequestTimelineItem", "Subscribable", "UniformResourceLocatable"},
	"Tree":         {"GitObject", "Node"},
	"Repository":   {"Node", "PackageOwner", "PermissionGranter", "PinnableItem", "ProjectOwner", "ProjectV2Recent", "RepositoryInfo", "RuleSource", "SearchResultItem", "SponsorsListingFeatureableItem", "Starrable", "Subscribable", "UniformResourceLocatable", "UserListItems"},
	"Organization": {"Actor", "AnnouncementBannerI", "Assignee", "AuditEntryActor", "IpAllowListOwner", "MemberStatusable", "Node", "OrganizationOrUser", "PackageOwner", "PermissionGranter", "ProfileOwner", "ProjectOwner", "ProjectV2Owner", "ProjectV2Recent", "Reactor", "RepositoryDiscussionAuthor", "RepositoryDiscussionCommentAuthor", "RepositoryOwner", "RuleSource", "SearchResultItem", "Sponsor", "Sponsorable", "SponsorableItem", "UniformResourceLocatable", "VerifiableDomainOwner"},
	"User":         {"Actor", "Assignee", "AuditEntryActor", "BranchActorAllowanceActor", "Claimable", "DeploymentReviewer", "EnterpriseMember", "Node", "OrganizationOrUser", "PackageOwner", "ProfileOwner", "ProjectOwner", "ProjectV2Actor", "ProjectV2Owner", "ProjectV2Recent", "PushAllowanceActor", "Reactor", "RepositoryDiscussionAuthor", "RepositoryDiscussionCommentAuthor", "RepositoryOwner", "RequestedReviewer", "ReviewDismissalAllowanceActor", "SearchResultItem", "Sponsor", "Sponsorable", "SponsorableItem", "SponsorsListingFeatureableItem", "UniformResourceLocatable"},
	"Team":         {"BranchActorAllowanceActor", "BypassActor", "DeploymentReviewer", "MemberStatusable", "Node", "PermissionGranter", "ProjectV2Actor", "PushAllowanceActor", "RequestedReviewer", "ReviewDismissalAllowanceActor", "Subscribable"},
	"Environment":  {"Node"},
	"Ref":          {"Node"},
}

func fits(typ, cond string) bool {
	if cond == "" || cond == typ {
		return true
	}
	for _, s := range supertypes[typ] {
		if s == cond {
			return true
		}
	}
	return false
}

// nonNull marks the fields of the subset whose schema type is non-null and
// whose resolution can fail: a failure nulls the parent instead.
var nonNull = map[string]bool{
	"Organization.repositories":          true,
	"Repository.environments":            true,
	"Environment.protectionRules":        true,
	"DeploymentProtectionRule.reviewers": true,
	"Query.viewer":                       true,
	"Commit.tree":                        true,
}

// connectionFields need first or last (GitHub: "You must provide a `first`
// or `last` value to properly paginate").
var connectionFields = map[string]bool{
	"repositories": true, "environments": true, "protectionRules": true, "reviewers": true,
}

// orderedMap keeps response keys in query order.
type orderedMap struct {
	keys []string
	vals map[string]any
}

func (m *orderedMap) set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *orderedMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

type fieldGroup struct {
	key    string
	fields []*ast.Field
}

func (e *executor) skipped(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		v, _ := d.Arguments.ForName("if").Value.Value(e.vars)
		b, _ := v.(bool)
		if (d.Name == "skip" && b) || (d.Name == "include" && !b) {
			return true
		}
	}
	return false
}

// collect implements CollectFields for an object of type typ.
func (e *executor) collect(typ string, ss ast.SelectionSet, groups []*fieldGroup, visited map[string]bool) []*fieldGroup {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			if e.skipped(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			found := false
			for _, g := range groups {
				if g.key == key {
					g.fields = append(g.fields, s)
					found = true
				}
			}
			if !found {
				groups = append(groups, &fieldGroup{key: key, fields: []*ast.Field{s}})
			}
		case *ast.InlineFragment:
			if e.skipped(s.Directives) || !fits(typ, s.TypeCondition) {
				continue
			}
			groups = e.collect(typ, s.SelectionSet, groups, visited)
		case *ast.FragmentSpread:
			if e.skipped(s.Directives) || visited[s.Name] {
				continue
			}
			fd := e.doc.Fragments.ForName(s.Name)
			if fd == nil {
				if !e.badFragments[s.Name] {
					if e.badFragments == nil {
						e.badFragments = map[string]bool{}
					}
					e.badFragments[s.Name] = true
					e.errors = append(e.errors, &gqlError{Message: fmt.Sprintf("Fragment %s was used, but not defined", s.Name), Locations: []gqlLocation{loc(s.Position)}})
				}
				continue
			}
			if !fits(typ, fd.TypeCondition) {
				continue
			}
			v2 := map[string]bool{s.Name: true}
			for k := range visited {
				v2[k] = true
			}
			groups = e.collect(typ, fd.SelectionSet, groups, v2)
		}
	}
	return groups
}

// selectionSet executes ss on obj. ok is false when a non-null field came
// out null, so the caller must null this object.
func (e *executor) selectionSet(obj gqlObject, ss ast.SelectionSet, path []any) (any, bool) {
	out := &orderedMap{vals: map[string]any{}}
	for _, g := range e.collect(obj.typeName(), ss, nil, nil) {
		f := g.fields[0]
		if e.dryRun && path == nil && f.Name != "rateLimit" {
			continue // dryRun: "calculate the cost for the query without evaluating it"
		}
		var sub ast.SelectionSet
		for _, gf := range g.fields {
			sub = append(sub, gf.SelectionSet...)
		}
		fpath := append(append([]any(nil), path...), g.key)
		v, ok := e.fieldValue(obj, f, sub, fpath)
		if !ok {
			return nil, false
		}
		out.set(g.key, v)
	}
	return out, true
}

func (e *executor) fieldValue(obj gqlObject, f *ast.Field, sub ast.SelectionSet, path []any) (any, bool) {
	if f.Name == "__typename" {
		return obj.typeName(), true
	}
	must := nonNull[obj.typeName()+"."+f.Name]
	args := map[string]any{}
	for _, a := range f.Arguments {
		v, err := a.Value.Value(e.vars)
		if err != nil {
			e.addErr(&gqlError{Message: err.Error()}, f, path)
			return nil, !must
		}
		args[a.Name] = normalizeJSON(v)
	}
	v, err := obj.field(e, f.Name, args)
	if err != nil {
		e.addErr(err, f, path)
		return nil, !must
	}
	switch x := v.(type) {
	case nil:
		return nil, !must
	case gqlObject:
		r, ok := e.selectionSet(x, sub, path)
		if !ok {
			return nil, !must
		}
		return r, true
	case []gqlObject:
		list := make([]any, len(x))
		for i, item := range x {
			r, _ := e.selectionSet(item, sub, append(append([]any(nil), path...), i))
			list[i] = r
		}
		return list, true
	}
	return v, true
}

func (e *executor) addErr(err error, f *ast.Field, path []any) {
	ge, ok := err.(*gqlError)
	if !ok {
		ge = &gqlError{Message: err.Error()}
	}
	ge.Path = path
	if ge.Locations == nil {
		ge.Locations = []gqlLocation{loc(f.Position)}
	}
	e.errors = append(e.errors, ge)
}

// unknownField is the error for a field outside the subset. When the
// validator accepted the query the field exists on GitHub, so the gap is
// the fake's: it is recorded as a violation too.
func (e *executor) unknownField(typ, name string) error {
	if e.s.opts.Validator != nil {
		e.s.configErrs = append(e.s.configErrs, fmt.Sprintf("graphql: fakegithub does not implement %s.%s", typ, name))
	}
	return &gqlError{
		Message:    fmt.Sprintf("Field '%s' doesn't exist on type '%s'", name, typ),
		Extensions: map[string]any{"code": "undefinedField", "typeName": typ, "fieldName": name},
	}
}

// analyse computes GitHub's point cost and node count, and refuses
// connections without first/last or beyond 100, before anything runs
// (GitHub: add up the requests each connection needs assuming full pages,
// divide by 100, round, minimum 1; at most 500,000 nodes).
func (e *executor) analyse(op *ast.OperationDefinition) (int, int, []*gqlError) {
	total, nodes := 0, 0
	var errs []*gqlError
	var walk func(ss ast.SelectionSet, mult int, path []any, visited map[string]bool)
	walk = func(ss ast.SelectionSet, mult int, path []any, visited map[string]bool) {
		for _, sel := range ss {
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				p := append(append([]any(nil), path...), key)
				m := mult
				var n int
				var has bool
				for _, argName := range []string{"first", "last"} {
					if a := s.Arguments.ForName(argName); a != nil {
						v, _ := a.Value.Value(e.vars)
						if x, ok := toInt(normalizeJSON(v)); ok {
							n, has = x, true
							if x < 0 || x > 100 {
								errs = append(errs, &gqlError{Type: "EXCESSIVE_PAGINATION", Path: p, Locations: []gqlLocation{loc(s.Position)},
									Message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `%s` limit of 100 records.", x, s.Name, argName)})
							}
						}
					}
				}
				if connectionFields[s.Name] && !has {
					errs = append(errs, &gqlError{Type: "MISSING_PAGINATION_BOUNDARIES", Path: p, Locations: []gqlLocation{loc(s.Position)},
						Message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", s.Name)})
					continue
				}
				if has {
					total += mult
					nodes += mult * n
					m = mult * max(n, 1)
				}
				walk(s.SelectionSet, m, p, visited)
			case *ast.InlineFragment:
				walk(s.SelectionSet, mult, path, visited)
			case *ast.FragmentSpread:
				if visited[s.Name] {
					continue
				}
				if fd := e.doc.Fragments.ForName(s.Name); fd != nil {
					v2 := map[string]bool{s.Name: true}
					for k := range visited {
						v2[k] = true
					}
					walk(fd.SelectionSet, mult, path, v2)
				}
			}
		}
	}
	walk(op.SelectionSet, 1, nil, nil)
	if nodes > 500000 {
		errs = append(errs, &gqlError{Type: "MAX_NODE_LIMIT_EXCEEDED",
			Message: fmt.Sprintf("This query requests up to %d possible nodes which exceeds the maximum limit of 500,000.", nodes)})
	}
	cost := int(math.Round(float64(total) / 100))
	if cost < 1 {
		cost = 1
	}
	return cost, nodes, errs
}

func (e *executor) isDryRun(op *ast.OperationDefinition) bool {
	for _, g := range e.collect("Query", op.SelectionSet, nil, nil) {
		for _, f := range g.fields {
			if f.Name != "rateLimit" {
				continue
			}
			if a := f.Arguments.ForName("dryRun"); a != nil {
				v, _ := a.Value.Value(e.vars)
				if b, _ := v.(bool); b {
					return true
				}
			}
		}
	}
	return false
}

// Connections.

type connection struct {
	typ      string // e.g. "RepositoryConnection"
	total    int
	nodes    []gqlObject
	cursors  []string
	hasNext  bool
	hasPrev  bool
	extra    map[string]any // type-specific scalar fields (totalDiskUsage)
	edgeType string
}

func (cn *connection) typeName() string { return cn.typ }

func (cn *connection) field(e *executor, name string, args map[string]any) (any, error) {
	switch name {
	case "totalCount":
		return cn.total, nil
	case "nodes":
		return cn.nodes, nil
	case "edges":
		edges := make([]gqlObject, len(cn.nodes))
		for i := range cn.nodes {
			edges[i] = &edge{typ: cn.edgeType, cursor: cn.cursors[i], node: cn.nodes[i]}
		}
		return edges, nil
	case "pageInfo":
		pi := &pageInfo{hasNext: cn.hasNext, hasPrev: cn.hasPrev}
		if len(cn.cursors) > 0 {
			pi.start, pi.end = cn.cursors[0], cn.cursors[len(cn.cursors)-1]
		}
		return pi, nil
	}
	if v, ok := cn.extra[name]; ok {
		return v, nil
	}
	return nil, e.unknownField(cn.typ, name)
}

type edge struct {
	typ    string
	cursor string
	node   gqlObject
}

func (ed *edge) typeName() string { return ed.typ }
func (ed *edge) field(e *executor, name string, _ map[string]any) (any, error) {
	switch name {
	case "cursor":
		return ed.cursor, nil
	case "node":
		return ed.node, nil
	}
	return nil, e.unknownField(ed.typ, name)
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (*pageInfo) typeName() string { return "PageInfo" }
func (pi *pageInfo) field(e *executor, name string, _ map[string]any) (any, error) {
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	switch name {
	case "hasNextPage":
		return pi.hasNext, nil
	case "hasPreviousPage":
		return pi.hasPrev, nil
	case "startCursor":
		return opt(pi.start), nil
	case "endCursor":
		return opt(pi.end), nil
	}
	return nil, e.unknownField("PageInfo", name)
}

func encodeCursor(key string) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + key))
}

func decodeCursor(c string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), "cursor:v2:")
}

// paginate cuts a connection page from items whose keys are unique and
// ordered as listed (ascending when asc, else descending). Cursors carry the
// key, so a page boundary survives deletions between requests.
func paginate(typ, edgeType string, items []gqlObject, keys []string, asc bool, args map[string]any) (*connection, error) {
	start, end := 0, len(items)
	after := func(k string, i int) bool {
		if asc {
			return keys[i] > k
		}
		return keys[i] < k
	}
	if a := toStr(args["after"]); a != "" {
		k, ok := decodeCursor(a)
		if !ok {
			return nil, &gqlError{Type: "INVALID_CURSOR_ARGUMENTS", Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", a)}
		}
		start = len(items)
		for i := range items {
			if after(k, i) {
				start = i
				break
			}
		}
	}
	if b := toStr(args["before"]); b != "" {
		k, ok := decodeCursor(b)
		if !ok {
			return nil, &gqlError{Type: "INVALID_CURSOR_ARGUMENTS", Message: fmt.Sprintf("`%s` does not appear to be a valid cursor.", b)}
		}
		for i := start; i < len(items); i++ {
			if keys[i] == k || after(k, i) {
				end = i
				break
			}
		}
	}
	cn := &connection{typ: typ, edgeType: edgeType, total: len(items)}
	lo, hi := start, end
	if n, ok := toInt(args["first"]); ok && hi-lo > n {
		hi = lo + n
	}
	if n, ok := toInt(args["last"]); ok && hi-lo > n {
		lo = hi - n
	}
	cn.hasNext = hi < end
	cn.hasPrev = lo > start || start > 0
	cn.nodes = items[lo:hi]
	for i := lo; i < hi; i++ {
		cn.cursors = append(cn.cursors, encodeCursor(keys[i]))
	}
	return cn, nil
}
