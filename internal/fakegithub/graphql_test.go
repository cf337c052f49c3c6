package fakegithub

import (
	"fmt"
	"strings"
	"testing"
)

const inventoryQuery = `query Inventory($org: String!, $after: String) {
  rateLimit { cost limit remaining used resetAt nodeCount }
  organization(login: $org) {
    repositories(first: 50, after: $after, orderBy: {field: NAME, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        name databaseId isArchived isFork isEmpty isDisabled visibility pushedAt
        defaultBranchRef { name target { oid ... on Commit { tree { oid } } } }
        workflows: object(expression: "HEAD:.github/workflows") {
          ... on Tree { oid entries { name path type mode oid
            object { ... on Blob { oid byteSize isBinary isTruncated text } } } }
        }
      }
    }
  }
}`

func TestGraphQLInventory(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) {
		o := st.Orgs["acme"]
		for i := 31; i <= 100; i++ {
			o.Repos = append(o.Repos, &Repo{Name: fmt.Sprintf("repo-%02d", i), ID: int64(3000 + i),
				Files: map[string]string{".github/workflows/ci.yml": "on: push\n"}})
		}
	})
	var names []string
	byName := map[string]any{}
	var after any
	pages := 0
	for {
		code, m, hdr := graphql(t, s, tokAdmin, inventoryQuery, map[string]any{"org": "acme", "after": after})
		if code != 200 || m["errors"] != nil {
			t.Fatalf("%d %v", code, m["errors"])
		}
		pages++
		rl := dig(m, "data", "rateLimit")
		if dig(rl, "cost") != 1.0 || dig(rl, "nodeCount") != 50.0 || dig(rl, "remaining") != float64(5000-pages) ||
			hdr.Get("X-RateLimit-Remaining") != fmt.Sprint(5000-pages) || hdr.Get("X-RateLimit-Resource") != "graphql" {
			t.Errorf("page %d: rateLimit %v, header remaining %s", pages, rl, hdr.Get("X-RateLimit-Remaining"))
		}
		conn := dig(m, "data", "organization", "repositories")
		if dig(conn, "totalCount") != 105.0 {
			t.Errorf("totalCount %v", dig(conn, "totalCount"))
		}
		for _, n := range dig(conn, "nodes").([]any) {
			name := dig(n, "name").(string)
			names = append(names, name)
			byName[name] = n
		}
		if dig(conn, "pageInfo", "hasNextPage") != true {
			break
		}
		after = dig(conn, "pageInfo", "endCursor")
	}
	if len(names) != 105 || pages != 3 || names[0] != "api" || names[104] != "web" {
		t.Fatalf("%d repos in %d pages: first %s last %s", len(names), pages, names[0], names[len(names)-1])
	}
	for i := 1; i < len(names); i++ {
		if strings.ToLower(names[i-1]) >= strings.ToLower(names[i]) {
			t.Errorf("not ordered by name: %s, %s", names[i-1], names[i])
		}
	}

	web := byName["web"]
	wf := dig(web, "workflows")
	if dig(wf, "entries", 0, "name") != "ci.yml" || dig(wf, "entries", 0, "mode") != 33188.0 || dig(wf, "entries", 0, "type") != "blob" ||
		!strings.Contains(dig(wf, "entries", 1, "object", "text").(string), "NODE_AUTH_TOKEN") {
		t.Errorf("web workflows: %v", wf)
	}
	if dig(web, "defaultBranchRef", "name") != "main" || len(dig(web, "defaultBranchRef", "target", "oid").(string)) != 40 ||
		dig(web, "visibility") != "PUBLIC" {
		t.Errorf("web: %v", web)
	}
	api := dig(byName["api"], "workflows", "entries")
	for _, e := range api.([]any) {
		b := dig(e, "object")
		switch dig(e, "name") {
		case "big.yml":
			if dig(b, "isTruncated") != true || len(dig(b, "text").(string)) != 512000 || dig(b, "byteSize").(float64) <= 512000 {
				t.Errorf("big blob: truncated %v, %d bytes of text", dig(b, "isTruncated"), len(dig(b, "text").(string)))
			}
		case "bin.dat":
			if dig(b, "isBinary") != true || dig(b, "text") != nil {
				t.Errorf("binary blob: %v", b)
			}
		}
	}
	if w, ok := byName["internal-tools"].(map[string]any)["workflows"]; !ok || w != nil {
		t.Errorf("missing .github/workflows must be null: %v", w)
	}
	if e := byName["empty"]; dig(e, "isEmpty") != true || dig(e, "defaultBranchRef") != nil || dig(e, "workflows") != nil {
		t.Errorf("empty repo: %v", e)
	}
	if st := s.Stats(); st.ByKind["graphql"] != 3 || st.GraphQLPoints != 3 {
		t.Errorf("stats %+v", st)
	}

	// The workflows tree oid moves only when a workflow changes.
	old := dig(wf, "oid")
	s.Update(func(st *State) { st.Orgs["acme"].repo("web").Files["README.md"] = "changed" })
	_, m, _ := graphql(t, s, tokAdmin, `{ repository(owner:"acme", name:"web") { object(expression:"HEAD:.github/workflows") { oid } } }`, nil)
	if dig(m, "data", "repository", "object", "oid") != old {
		t.Error("unrelated change moved the workflows tree oid")
	}
	s.Update(func(st *State) { st.Orgs["acme"].repo("web").Files[".github/workflows/ci.yml"] = "changed" })
	_, m, _ = graphql(t, s, tokAdmin, `{ repository(owner:"acme", name:"web") { object(expression:"HEAD:.github/workflows") { oid } } }`, nil)
	if dig(m, "data", "repository", "object", "oid") == old {
		t.Error("a workflow change must move the workflows tree oid")
	}
}

func TestGraphQLShapes(t *testing.T) {
	s := newServer(t, Options{BlobTextLimit: 10}, true)
	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
		check              func(t *testing.T, m map[string]any)
	}{
		{"aliases with fragments", tokAdmin, `query {
  r0: repository(owner: "acme", name: "web") { ...W }
  r1: repository(owner: "acme", name: "nope") { ...W }
  r2: repository(owner: "acme", name: "api") { ...W }
}
fragment W on Repository {
  __typename nameWithOwner isPrivate
  ci: object(expression: "main:.github/workflows/ci.yml") { __typename ... on Blob { text isTruncated } }
  missing: object(expression: "HEAD:nope.yml") { oid }
  other: object(expression: "some-branch:.github") { oid }
}`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "data", "r0", "nameWithOwner") != "acme/web" || dig(m, "data", "r0", "__typename") != "Repository" ||
				dig(m, "data", "r0", "ci", "__typename") != "Blob" || dig(m, "data", "r0", "ci", "text") != "on: push\nj" ||
				dig(m, "data", "r0", "ci", "isTruncated") != true || dig(m, "data", "r2", "isPrivate") != true {
				t.Errorf("data %v", m["data"])
			}
			if r0 := dig(m, "data", "r0").(map[string]any); r0["missing"] != nil || r0["other"] != nil {
				t.Errorf("missing objects must be null: %v", r0)
			}
			if d := m["data"].(map[string]any); d["r1"] != nil {
				t.Errorf("r1: %v", d["r1"])
			}
			errs := m["errors"].([]any)
			if len(errs) != 1 || dig(errs, 0, "type") != "NOT_FOUND" || dig(errs, 0, "path", 0) != "r1" ||
				dig(errs, 0, "message") != "Could not resolve to a Repository with the name 'acme/nope'." || dig(errs, 0, "locations", 0, "line") == nil {
				t.Errorf("errors %v", errs)
			}
		}},
		{"private repository invisible without repo scope", tokNoRepo, `{ repository(owner:"acme", name:"api") { name } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "errors", 0, "type") != "NOT_FOUND" {
				t.Errorf("%v", m)
			}
		}},
		{"fine-grained without contents", tokFGNone, `{ repository(owner:"acme", name:"web") { object(expression:"HEAD:README.md") { oid } } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "data", "repository", "object", "oid") == nil {
				t.Errorf("public contents are readable: %v", m)
			}
		}},
		{"no first", tokAdmin, `{ organization(login:"acme") { repositories { totalCount } } }`, nil, func(t *testing.T, m map[string]any) {
			if _, has := m["data"]; has || dig(m, "errors", 0, "message") != "You must provide a `first` or `last` value to properly paginate the `repositories` connection." {
				t.Errorf("%v", m)
			}
		}},
		{"first over 100", tokAdmin, `{ organization(login:"acme") { repositories(first: 101) { totalCount } } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "errors", 0, "type") != "EXCESSIVE_PAGINATION" {
				t.Errorf("%v", m)
			}
		}},
		{"missing variable", tokAdmin, inventoryQuery, map[string]any{}, func(t *testing.T, m map[string]any) {
			if !strings.Contains(fmt.Sprint(dig(m, "errors", 0, "message")), "$org of type String! was provided invalid value") {
				t.Errorf("%v", m)
			}
		}},
		{"unknown organization", tokAdmin, `{ organization(login:"nope") { login } viewer { login } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "data", "viewer", "login") != "octo-admin" || dig(m, "errors", 0, "type") != "NOT_FOUND" {
				t.Errorf("%v", m)
			}
		}},
		{"environments and protection rules", tokAdmin, `query($o: String!, $n: String!) { repository(owner: $o, name: $n) {
  environments(first: 10) { totalCount pageInfo { hasNextPage endCursor } nodes { name databaseId
    protectionRules(first: 10) { nodes { type timeout preventSelfReview
      reviewers(first: 6) { nodes { __typename ... on User { login } ... on Team { slug } } } } } } } } }`,
			map[string]any{"o": "acme", "n": "web"}, func(t *testing.T, m map[string]any) {
				envs := dig(m, "data", "repository", "environments")
				prod := dig(envs, "nodes", 1)
				if dig(envs, "totalCount") != 3.0 || dig(prod, "name") != "production" ||
					dig(prod, "protectionRules", "nodes", 0, "type") != "WAIT_TIMER" || dig(prod, "protectionRules", "nodes", 0, "timeout") != 30.0 ||
					dig(prod, "protectionRules", "nodes", 1, "type") != "REQUIRED_REVIEWERS" || dig(prod, "protectionRules", "nodes", 1, "preventSelfReview") != true ||
					dig(prod, "protectionRules", "nodes", 1, "reviewers", "nodes", 0, "login") != "octocat" ||
					dig(prod, "protectionRules", "nodes", 1, "reviewers", "nodes", 1, "slug") != "release-team" ||
					dig(prod, "protectionRules", "nodes", 2, "type") != "BRANCH_POLICY" {
					t.Errorf("%v", m)
				}
			}},
		{"cost of nested connections", tokAdmin, `{ rateLimit { cost nodeCount } organization(login:"acme") { repositories(first: 100) { nodes {
  environments(first: 100) { nodes { protectionRules(first: 1) { totalCount } } } } } } }`, nil, func(t *testing.T, m map[string]any) {
			// requests 1 + 100 + 100*100 = 10101 -> 101 points; nodes 100 + 10000 + 10000.
			if dig(m, "data", "rateLimit", "cost") != 101.0 || dig(m, "data", "rateLimit", "nodeCount") != 20100.0 {
				t.Errorf("%v", dig(m, "data", "rateLimit"))
			}
		}},
		{"dry run", tokAdmin, `{ rateLimit(dryRun: true) { cost remaining } viewer { login } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "data", "rateLimit", "cost") != 1.0 {
				t.Errorf("%v", m)
			}
		}},
		{"skip and include", tokAdmin, `query($no: Boolean = false) { viewer { login @include(if: $no) id @skip(if: $no) } }`, nil, func(t *testing.T, m map[string]any) {
			if v := dig(m, "data", "viewer").(map[string]any); v["login"] != nil || v["id"] == nil {
				t.Errorf("%v", m)
			}
		}},
		{"tree entries via inline fragment on an interface", tokAdmin, `{ repository(owner:"acme", name:"web") { object(expression:"HEAD:") { ... on GitObject { oid } ... on Tree { entries { name type } } } } }`, nil, func(t *testing.T, m map[string]any) {
			if dig(m, "data", "repository", "object", "oid") == nil || dig(m, "data", "repository", "object", "entries", 0, "name") != ".github" {
				t.Errorf("%v", m)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m, _ := graphql(t, s, tc.token, tc.query, tc.vars)
			if code != 200 {
				t.Fatalf("status %d: %v", code, m)
			}
			tc.check(t, m)
		})
	}
}

func TestGraphQLFaultsAndLimits(t *testing.T) {
	s := newServer(t, Options{}, true)
	s.Update(func(st *State) {
		st.Faults.GraphQLErrors = map[int]string{2: GraphQLRateLimited, 3: GraphQLTimeout, 4: GraphQLSecondary}
	})
	q := `{ viewer { login } }`
	if code, m, _ := graphql(t, s, tokAdmin, q, nil); code != 200 || m["errors"] != nil {
		t.Fatalf("1: %d %v", code, m)
	}
	code, m, hdr := graphql(t, s, tokAdmin, q, nil)
	if code != 200 || dig(m, "errors", 0, "type") != "RATE_LIMITED" || hdr.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("2: %d %v remaining %s", code, m, hdr.Get("X-RateLimit-Remaining"))
	}
	if code, _, _ := graphql(t, s, tokAdmin, q, nil); code != 502 {
		t.Errorf("3: %d", code)
	}
	if code, m, _ := graphql(t, s, tokAdmin, q, nil); code != 403 || !strings.Contains(dig(m, "message").(string), "secondary rate limit") {
		t.Errorf("4: %d %v", code, m)
	}
	if code, m, _ := graphql(t, s, tokAdmin, q, nil); code != 200 || m["errors"] != nil {
		t.Errorf("5: %d %v", code, m)
	}
	// A budget of 3 points: the fourth query is refused with 200 + RATE_LIMITED.
	for i := 1; i <= 4; i++ {
		code, m, _ := graphql(t, s, tokSmall, q, nil)
		limited := dig(m, "errors", 0, "type") == "RATE_LIMITED"
		if code != 200 || limited != (i == 4) {
			t.Errorf("small budget, query %d: %d %v", i, code, m)
		}
	}
	if code, _, _ := graphql(t, s, "ghp_nope", q, nil); code != 401 {
		t.Errorf("bad credentials: %d", code)
	}
	if code, _, _ := graphql(t, s, "", q, nil); code != 401 {
		t.Errorf("anonymous: %d", code)
	}
}

// The validator accepts the client's query shapes and refuses a misspelt
// field, and the server answers such a query as GitHub does: 200, errors,
// no data.
func TestGraphQLValidator(t *testing.T) {
	v := LoadValidator(t)
	for _, q := range []string{inventoryQuery,
		`query { r0: repository(owner: "a", name: "b") { ...W } } fragment W on Repository { name object(expression: "HEAD:.github/workflows") { ... on Tree { oid } } }`,
		`query { repository(owner: "a", name: "b") { environments(first: 10) { nodes { name databaseId protectionRules(first: 10) { nodes { type timeout preventSelfReview reviewers(first: 6) { nodes { __typename ... on User { login } ... on Team { slug } } } } } } } } }`,
	} {
		if err := v.ValidateQuery(q); err != nil {
			t.Errorf("valid query refused: %v", err)
		}
	}
	if err := v.ValidateQuery(`{ viewer { logn } }`); err == nil || !strings.Contains(err.Error(), `Cannot query field "logn" on type "User"`) {
		t.Errorf("misspelt field: %v", err)
	}
	if n := len(v.Violations()); n != 1 {
		t.Errorf("%d violations recorded, want 1", n)
	}

	s := newServer(t, Options{}, true)
	code, m, _ := graphql(t, s, tokAdmin, `{ viewer { logn } }`, nil)
	if _, has := m["data"]; code != 200 || has || !strings.Contains(fmt.Sprint(m["errors"]), "logn") {
		t.Errorf("%d %v", code, m)
	}
	if vs := s.Violations(); len(vs) != 1 || !strings.HasPrefix(vs[0], "graphql:") {
		t.Errorf("violations %v", vs)
	}
	s.opts.Validator.Reset() // expected
	// Without a validator the executor itself refuses unknown fields.
	bare := newServer(t, Options{}, false)
	_, m, _ = graphql(t, bare, tokAdmin, `{ viewer { logn } }`, nil)
	if dig(m, "errors", 0, "message") != "Field 'logn' doesn't exist on type 'User'" {
		t.Errorf("%v", m)
	}
}

// A field that exists on GitHub but not in the fake is the fake's gap: the
// client gets GitHub's error for an unknown field and the test a violation.
func TestGraphQLUnimplementedFieldIsReported(t *testing.T) {
	s := newServer(t, Options{}, true)
	_, m, _ := graphql(t, s, tokAdmin, `{ viewer { login bio } }`, nil)
	if dig(m, "data", "viewer", "login") != "octo-admin" || dig(m, "errors", 0, "extensions", "code") != "undefinedField" {
		t.Errorf("%v", m)
	}
	s.mu.Lock()
	got := append([]string(nil), s.configErrs...)
	s.configErrs = nil // expected here
	s.mu.Unlock()
	if len(got) != 1 || got[0] != "graphql: fakegithub does not implement User.bio" {
		t.Errorf("violations %v", got)
	}
}
