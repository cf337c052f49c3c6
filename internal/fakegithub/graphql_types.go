package fakegithub

import (
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Resolvers of the GraphQL subset. Field names and types follow
// @octokit/graphql-schema's schema.graphql.

type queryObj struct{}

func (queryObj) typeName() string { return "Query" }

func (queryObj) field(e *executor, name string, args map[string]any) (any, error) {
	st := e.s.state
	switch name {
	case "rateLimit":
		return &rateLimitObj{}, nil
	case "viewer":
		t := e.c.p.tok
		return &userObj{login: t.Login, id: userID(t)}, nil
	case "organization":
		login := toStr(args["login"])
		o := st.org(login)
		if o == nil {
			return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to an Organization with the login of '%s'.", login)}
		}
		return &orgObj{o: o}, nil
	case "repository":
		owner, repo := toStr(args["owner"]), toStr(args["name"])
		if o := st.org(owner); o != nil {
			if r := o.repo(repo); r != nil && e.c.p.canSee(o, r) {
				return &repoObj{o: o, r: r}, nil
			}
		}
		return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, repo)}
	}
	return nil, e.unknownField("Query", name)
}

type rateLimitObj struct{}

func (*rateLimitObj) typeName() string { return "RateLimit" }

func (*rateLimitObj) field(e *executor, name string, _ map[string]any) (any, error) {
	b, now := e.c.bucket, e.s.now()
	switch name {
	case "cost":
		return e.cost, nil
	case "limit":
		return b.limit, nil
	case "remaining":
		return b.remaining(now), nil
	case "used":
		return b.used, nil
	case "resetAt":
		return b.resetAt(now).UTC().Format(time.RFC3339), nil
	case "nodeCount":
		return e.nodes, nil
	}
	return nil, e.unknownField("RateLimit", name)
}

type userObj struct {
	login string
	id    int64
}

func (*userObj) typeName() string { return "User" }

func (u *userObj) field(e *executor, name string, _ map[string]any) (any, error) {
	switch name {
	case "login":
		return u.login, nil
	case "databaseId":
		return u.id, nil
	case "id":
		return nodeID("User", u.id), nil
	case "name":
		return nil, nil
	case "url":
		return e.c.htmlBase() + u.login, nil
	}
	return nil, e.unknownField("User", name)
}

type teamObj struct {
	org  string
	slug string
	id   int64
}

func (*teamObj) typeName() string { return "Team" }

func (t *teamObj) field(e *executor, name string, _ map[string]any) (any, error) {
	switch name {
	case "slug", "name":
		return t.slug, nil
	case "combinedSlug":
		return t.org + "/" + t.slug, nil
	case "databaseId":
		return t.id, nil
	case "id":
		return nodeID("Team", t.id), nil
	}
	return nil, e.unknownField("Team", name)
}

type orgObj struct{ o *Org }

func (*orgObj) typeName() string { return "Organization" }

func (x *orgObj) field(e *executor, name string, args map[string]any) (any, error) {
	o := x.o
	switch name {
	case "login":
		return o.Login, nil
	case "name":
		return o.Login, nil
	case "databaseId":
		return o.ID, nil
	case "id":
		return nodeID("Organization", o.ID), nil
	case "url":
		return e.c.htmlBase() + o.Login, nil
	case "repository":
		r := o.repo(toStr(args["name"]))
		if r == nil || !e.c.p.canSee(o, r) {
			return nil, &gqlError{Type: "NOT_FOUND", Message: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", o.Login, toStr(args["name"]))}
		}
		return &repoObj{o: o, r: r}, nil
	case "repositories":
		return e.orgRepositories(o, args)
	}
	return nil, e.unknownField("Organization", name)
}

// orgRepositories: the repositories the token can see, filtered and
// ordered as asked (default: by database id).
func (e *executor) orgRepositories(o *Org, args map[string]any) (any, error) {
	var repos []*Repo
	for _, r := range o.Repos {
		if !e.c.p.canSee(o, r) {
			continue
		}
		if v, ok := args["isArchived"].(bool); ok && r.Archived != v {
			continue
		}
		if v, ok := args["isFork"].(bool); ok && r.Fork != v {
			continue
		}
		if v := toStr(args["privacy"]); v != "" && (v == "PRIVATE") != r.isPrivate() {
			continue
		}
		if v := toStr(args["visibility"]); v != "" && !strings.EqualFold(v, r.visibility()) {
			continue
		}
		repos = append(repos, r)
	}
	field, dir := "", "ASC"
	if ob, ok := args["orderBy"].(map[string]any); ok {
		field, dir = toStr(ob["field"]), toStr(ob["direction"])
	}
	key := func(r *Repo) string {
		id := fmt.Sprintf("%020d", r.ID)
		switch field {
		case "NAME":
			return strings.ToLower(r.Name) + "\x00" + id
		case "CREATED_AT":
			return ts(r.CreatedAt) + "\x00" + id
		case "PUSHED_AT", "UPDATED_AT":
			return ts(r.PushedAt) + "\x00" + id
		}
		return id // STARGAZERS: all zero, so id order
	}
	asc := dir != "DESC"
	sort.SliceStable(repos, func(i, j int) bool {
		if asc {
			return key(repos[i]) < key(repos[j])
		}
		return key(repos[i]) > key(repos[j])
	})
	items := make([]gqlObject, len(repos))
	keys := make([]string, len(repos))
	for i, r := range repos {
		items[i], keys[i] = &repoObj{o: o, r: r}, key(r)
	}
	cn, err := paginate("RepositoryConnection", "RepositoryEdge", items, keys, asc, args)
	if err != nil {
		return nil, err
	}
	disk := 0
	for _, r := range repos {
		for _, c := range r.Files {
			disk += len(c)
		}
	}
	cn.extra = map[string]any{"totalDiskUsage": (disk + 1023) / 1024}
	return cn, nil
}

type repoObj struct {
	o *Org
	r *Repo
}

func (*repoObj) typeName() string { return "Repository" }

// needPerm: private repository data beyond metadata needs the permission
// for fine-grained and installation tokens, as in REST.
func (e *executor) needPerm(o *Org, r *Repo, perm string) error {
	p := e.c.p
	if !r.isPrivate() || p.kind() == KindClassic || p.hasPerm(perm) {
		return nil
	}
	return &gqlError{Type: "FORBIDDEN", Message: p.forbiddenMessage()}
}

func (x *repoObj) field(e *executor, name string, args map[string]any) (any, error) {
	o, r := x.o, x.r
	sn := e.s.snap(o, r)
	switch name {
	case "name":
		return r.Name, nil
	case "nameWithOwner":
		return o.Login + "/" + r.Name, nil
	case "databaseId":
		return r.ID, nil
	case "id":
		return nodeID("Repository", r.ID), nil
	case "isArchived":
		return r.Archived, nil
	case "isFork":
		return r.Fork, nil
	case "isEmpty":
		return r.Empty, nil
	case "isDisabled":
		return r.Disabled, nil
	case "isPrivate":
		return r.isPrivate(), nil
	case "isTemplate", "isLocked", "isMirror":
		return false, nil
	case "visibility":
		return strings.ToUpper(r.visibility()), nil
	case "pushedAt", "updatedAt":
		return ts(r.PushedAt), nil
	case "createdAt":
		return ts(r.CreatedAt), nil
	case "url":
		return e.c.htmlBase() + o.Login + "/" + r.Name, nil
	case "description", "homepageUrl":
		return nil, nil
	case "owner":
		return &orgObj{o: o}, nil
	case "defaultBranchRef":
		if r.Empty {
			return nil, nil
		}
		return &refObj{o: o, r: r, sn: sn}, nil
	case "object":
		if err := e.needPerm(o, r, "contents"); err != nil {
			return nil, err
		}
		return x.object(e, sn, args), nil
	case "environments":
		if err := e.needPerm(o, r, "actions"); err != nil {
			return nil, err
		}
		return e.environments(o, r, args)
	case "environment":
		if err := e.needPerm(o, r, "actions"); err != nil {
			return nil, err
		}
		if env := r.env(toStr(args["name"])); env != nil {
			return &envObj{o: o, r: r, e: env}, nil
		}
		return nil, nil
	}
	return nil, e.unknownField("Repository", name)
}

// object resolves a rev-parse expression "<rev>" or "<rev>:<path>" where rev
// is HEAD, the default branch (optionally refs/heads/...) or the head commit
// oid, or an oid argument. Anything else is null, as on GitHub.
func (x *repoObj) object(e *executor, sn *snapshot, args map[string]any) gqlObject {
	if x.r.Empty {
		return nil
	}
	if oid := toStr(args["oid"]); oid != "" {
		return gitObj(x, sn, sn.objects[strings.ToLower(oid)], "")
	}
	expr := toStr(args["expression"])
	rev, p, hasPath := strings.Cut(expr, ":")
	if !resolveRef(x.r, sn, rev) {
		return nil
	}
	if !hasPath {
		return gitObj(x, sn, sn.objects[sn.commit], "")
	}
	p = strings.Trim(p, "/")
	return gitObj(x, sn, sn.object(p), p)
}

func gitObj(x *repoObj, sn *snapshot, ob *gitObject, p string) gqlObject {
	if ob == nil {
		return nil
	}
	switch ob.kind {
	case "blob":
		return &blobObj{repo: x, ob: ob}
	case "tree":
		return &treeObj{repo: x, sn: sn, ob: ob, path: p}
	}
	return &commitObj{repo: x, sn: sn}
}

type refObj struct {
	o  *Org
	r  *Repo
	sn *snapshot
}

func (*refObj) typeName() string { return "Ref" }

func (x *refObj) field(e *executor, name string, _ map[string]any) (any, error) {
	switch name {
	case "name":
		return x.r.defaultBranch(), nil
	case "prefix":
		return "refs/heads/", nil
	case "id":
		return nodeID("Ref", stableID(x.r.ID, x.r.defaultBranch())), nil
	case "target":
		return &commitObj{repo: &repoObj{o: x.o, r: x.r}, sn: x.sn}, nil
	case "repository":
		return &repoObj{o: x.o, r: x.r}, nil
	}
	return nil, e.unknownField("Ref", name)
}

type commitObj struct {
	repo *repoObj
	sn   *snapshot
}

func (*commitObj) typeName() string { return "Commit" }

func (x *commitObj) field(e *executor, name string, _ map[string]any) (any, error) {
	full := x.repo.o.Login + "/" + x.repo.r.Name
	switch name {
	case "oid":
		return x.sn.commit, nil
	case "abbreviatedOid":
		return x.sn.commit[:7], nil
	case "id":
		return nodeID("Commit", stableID(x.sn.commit)), nil
	case "tree":
		return &treeObj{repo: x.repo, sn: x.sn, ob: x.sn.objects[x.sn.tree]}, nil
	case "committedDate", "authoredDate":
		return ts(x.repo.r.PushedAt), nil
	case "message":
		return "Head of " + full, nil
	case "url":
		return e.c.htmlBase() + full + "/commit/" + x.sn.commit, nil
	case "repository":
		return x.repo, nil
	}
	return nil, e.unknownField("Commit", name)
}

type treeObj struct {
	repo *repoObj
	sn   *snapshot
	ob   *gitObject
	path string
}

func (*treeObj) typeName() string { return "Tree" }

func (x *treeObj) field(e *executor, name string, _ map[string]any) (any, error) {
	switch name {
	case "oid":
		return x.ob.oid, nil
	case "abbreviatedOid":
		return x.ob.oid[:7], nil
	case "id":
		return nodeID("Tree", stableID(x.ob.oid)), nil
	case "repository":
		return x.repo, nil
	case "entries":
		out := make([]gqlObject, 0, len(x.ob.entries))
		for _, it := range x.ob.entries {
			out = append(out, &treeEntryObj{tree: x, it: it})
		}
		return out, nil
	}
	return nil, e.unknownField("Tree", name)
}

type treeEntryObj struct {
	tree *treeObj
	it   treeItem
}

func (*treeEntryObj) typeName() string { return "TreeEntry" }

func (x *treeEntryObj) field(e *executor, name string, _ map[string]any) (any, error) {
	it := x.it
	full := join(x.tree.path, it.name)
	ob := x.tree.sn.objects[it.oid]
	switch name {
	case "name":
		return it.name, nil
	case "path":
		return full, nil
	case "nameRaw":
		return base64.StdEncoding.EncodeToString([]byte(it.name)), nil
	case "pathRaw":
		return base64.StdEncoding.EncodeToString([]byte(full)), nil
	case "type":
		return it.kind, nil
	case "mode":
		m, _ := strconv.ParseInt(it.mode, 8, 64) // GraphQL gives the octal mode as a decimal Int: 100644 -> 33188
		return m, nil
	case "oid":
		return it.oid, nil
	case "size":
		return it.size, nil
	case "extension":
		if ext := path.Ext(it.name); it.kind == "blob" && ext != "" {
			return ext, nil
		}
		return nil, nil
	case "isGenerated":
		return false, nil
	case "lineCount":
		if it.kind != "blob" || isBinary(ob.data) {
			return nil, nil
		}
		return lineCount(ob.data), nil
	case "object":
		return gitObj(x.tree.repo, x.tree.sn, ob, full), nil
	case "repository":
		return x.tree.repo, nil
	}
	return nil, e.unknownField("TreeEntry", name)
}

func lineCount(b []byte) int {
	n := strings.Count(string(b), "\n")
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

type blobObj struct {
	repo *repoObj
	ob   *gitObject
}

func (*blobObj) typeName() string { return "Blob" }

func (x *blobObj) field(e *executor, name string, _ map[string]any) (any, error) {
	data := x.ob.data
	limit := e.s.opts.BlobTextLimit
	switch name {
	case "oid":
		return x.ob.oid, nil
	case "abbreviatedOid":
		return x.ob.oid[:7], nil
	case "id":
		return nodeID("Blob", stableID(x.ob.oid)), nil
	case "byteSize":
		return len(data), nil
	case "isBinary":
		return isBinary(data), nil
	case "isTruncated":
		return !isBinary(data) && len(data) > limit, nil
	case "text":
		if isBinary(data) {
			return nil, nil // "UTF8 text data or null if the Blob is binary"
		}
		if len(data) > limit {
			// GitHub cuts at a byte count; the fake backs off to a rune
			// boundary so the JSON stays valid UTF-8.
			cut := limit
			for cut > 0 && !utf8.RuneStart(data[cut]) {
				cut--
			}
			return string(data[:cut]), nil
		}
		return string(data), nil
	case "repository":
		return x.repo, nil
	}
	return nil, e.unknownField("Blob", name)
}

// Environments.

func (e *executor) environments(o *Org, r *Repo, args map[string]any) (any, error) {
	var envs []*Environment
	names, _ := args["names"].([]any)
	for _, env := range r.Environments {
		if len(names) > 0 {
			found := false
			for _, n := range names {
				if toStr(n) == env.Name {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		envs = append(envs, env)
	}
	asc := true
	if ob, ok := args["orderBy"].(map[string]any); ok && toStr(ob["direction"]) == "DESC" {
		asc = false
	}
	sort.SliceStable(envs, func(i, j int) bool {
		if asc {
			return envs[i].Name < envs[j].Name
		}
		return envs[i].Name > envs[j].Name
	})
	items := make([]gqlObject, len(envs))
	keys := make([]string, len(envs))
	for i, env := range envs {
		items[i], keys[i] = &envObj{o: o, r: r, e: env}, env.Name
	}
	return paginate("EnvironmentConnection", "EnvironmentEdge", items, keys, asc, args)
}

type envObj struct {
	o *Org
	r *Repo
	e *Environment
}

func (*envObj) typeName() string { return "Environment" }

func (x *envObj) field(e *executor, name string, args map[string]any) (any, error) {
	id := x.e.id(x.r.ID)
	switch name {
	case "name":
		return x.e.Name, nil
	case "databaseId":
		return id, nil
	case "id":
		return nodeID("Environment", id), nil
	case "isPinned":
		return false, nil
	case "pinnedPosition", "latestCompletedDeployment":
		return nil, nil
	case "protectionRules":
		rules := envRules(x.r.ID, x.e)
		items := make([]gqlObject, len(rules))
		keys := make([]string, len(rules))
		for i, rule := range rules {
			items[i], keys[i] = &ruleObj{env: x, rule: rule}, fmt.Sprintf("%06d", i)
		}
		return paginate("DeploymentProtectionRuleConnection", "DeploymentProtectionRuleEdge", items, keys, true, args)
	}
	return nil, e.unknownField("Environment", name)
}

type ruleObj struct {
	env  *envObj
	rule envRule
}

func (*ruleObj) typeName() string { return "DeploymentProtectionRule" }

func (x *ruleObj) field(e *executor, name string, args map[string]any) (any, error) {
	env := x.env.e
	switch name {
	case "databaseId":
		return x.rule.id, nil
	case "type":
		return strings.ToUpper(x.rule.kind), nil // WAIT_TIMER, REQUIRED_REVIEWERS, BRANCH_POLICY
	case "timeout":
		if x.rule.kind == "wait_timer" {
			return env.WaitTimer, nil
		}
		return 0, nil
	case "preventSelfReview":
		if x.rule.kind == "required_reviewers" {
			return env.PreventSelfReview, nil
		}
		return nil, nil
	case "reviewers":
		var items []gqlObject
		if x.rule.kind == "required_reviewers" {
			for _, rv := range env.Reviewers {
				if rv.Type == "Team" {
					items = append(items, &teamObj{org: x.env.o.Login, slug: rv.Slug, id: reviewerID(x.env.o, rv)})
				} else {
					items = append(items, &userObj{login: rv.Login, id: reviewerID(x.env.o, rv)})
				}
			}
		}
		keys := make([]string, len(items))
		for i := range items {
			keys[i] = fmt.Sprintf("%06d", i)
		}
		return paginate("DeploymentReviewerConnection", "DeploymentReviewerEdge", items, keys, true, args)
	}
	return nil, e.unknownField("DeploymentProtectionRule", name)
}
