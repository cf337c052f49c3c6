package github

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/model"
)

// Options say what to collect.
type Options struct {
	// Org is the organisation for `tpscan org`; Repo ("owner/name") for
	// `tpscan repo`. Exactly one is set.
	Org  string
	Repo string
	// IncludeArchived and IncludeForks bring back what is skipped by
	// default (archived repositories cannot run workflows; forks' secrets
	// are their own, but their workflows are mostly upstream's).
	IncludeArchived bool
	IncludeForks    bool
	// RepoGlobs keep only repositories whose name matches one (path.Match).
	RepoGlobs []string
	// Workers bounds the repositories whose REST inventory is read at once.
	Workers int
	// Progress, when set, is told how many repositories are done.
	Progress func(done, total int)
	// PageSize is the number of repositories per GraphQL query (≤ 100).
	PageSize int
	// MaxFile is the largest workflow text read (4 MiB by default).
	MaxFile int
}

// Result is what a collection produced.
type Result struct {
	Inventory *model.Inventory
	// Identity describes the credential and what it could see.
	Identity Identity
	// Skipped lists repositories left out and why (archived, fork, glob).
	Skipped []Skipped
	// Meta holds per-repository facts the model does not carry.
	Meta map[string]RepoMeta
	// OrgAdmin is false when organisation secrets had to be read per
	// repository (their visibility is then unknown).
	OrgAdmin bool
	// Refused lists the permissions GitHub said were missing, by endpoint
	// kind.
	Refused map[string]string
}

// Skipped is one repository left out of the scan.
type Skipped struct {
	Repo   string `json:"repo"`
	Reason string `json:"reason"`
}

// RepoMeta are facts about a repository beyond the model.
type RepoMeta struct {
	Archived, Fork, Empty bool
	TreeOID               string
	// Complete is false when something of the repository could not be read.
	Complete bool
}

// Identity is who the credential is and what it may do.
type Identity struct {
	Login       string            `json:"login,omitempty"`
	Kind        string            `json:"kind"`
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Scopes      []string          `json:"scopes,omitempty"`
	Permissions map[string]string `json:"permissions,omitempty"`
	Note        string            `json:"note,omitempty"`
}

// state is one collection in progress.
type state struct {
	c    *Client
	opts Options
	res  *Result
	inv  *model.Inventory
	now  time.Time

	mu    sync.Mutex
	repos []*repoWork
	// total is the number of repositories GitHub announced, for progress.
	total atomic.Int64
}

// repoWork is one repository as it is filled in. Its texts are read by
// one goroutine while a worker reads its secrets: they touch different
// fields, and gaps go through mu.
type repoWork struct {
	mu      sync.Mutex
	repo    *model.Repo
	meta    RepoMeta
	g       *gqlRepo
	gaps    []model.CoverageGap
	envMore bool // more environments than the GraphQL query returns
	read    bool // its secrets were read
}

func (s *state) gap(rw *repoWork, kind, p, msg string) {
	g := model.CoverageGap{Kind: kind, Path: p, Message: msg}
	if rw != nil {
		g.Repo = rw.repo.Name
		rw.mu.Lock()
		rw.gaps = append(rw.gaps, g)
		rw.meta.Complete = false
		rw.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.inv.Coverage = append(s.inv.Coverage, g)
	s.mu.Unlock()
}

// Collect reads an organisation (or one repository) into the model. On
// cancellation it returns what it has, with the context's error, so that
// Ctrl-C still reports.
func (c *Client) Collect(ctx context.Context, opts Options) (*Result, error) {
	if (opts.Org == "") == (opts.Repo == "") {
		return nil, errors.New("collect: give an organisation or one owner/name repository")
	}
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 50
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.MaxFile <= 0 {
		opts.MaxFile = 4 << 20
	}
	inv := &model.Inventory{Org: opts.Org}
	if opts.Repo != "" {
		inv.Org, _, _ = strings.Cut(opts.Repo, "/")
	}
	s := &state{c: c, opts: opts, inv: inv, now: time.Now(),
		res: &Result{Inventory: inv, Meta: map[string]RepoMeta{}, Refused: map[string]string{}}}
	s.res.Identity = c.identify(ctx)

	err := s.run(ctx)
	s.finish()
	if err != nil {
		return s.res, err
	}
	return s.res, nil
}

func (s *state) run(ctx context.Context) error {
	text := !s.warm()
	if s.opts.Org != "" && s.filters() != "" {
		// Filtered by GitHub, so they cost nothing and are not named.
		var what []string
		if !s.opts.IncludeArchived {
			what = append(what, "archived repositories (--include-archived)")
		}
		if !s.opts.IncludeForks {
			what = append(what, "forks (--include-forks)")
		}
		s.res.Skipped = append(s.res.Skipped, Skipped{Repo: "*", Reason: "not listed: " + strings.Join(what, " and ")})
	}
	if s.opts.Org != "" {
		// First: whether organisation secrets are readable decides how
		// many requests each repository needs.
		if err := s.orgSecrets(ctx); err != nil {
			return err
		}
	}
	// Repositories go to the REST workers as each GraphQL page arrives,
	// so that listing, texts and secrets overlap.
	work := make(chan *repoWork, 4*s.opts.PageSize)
	wait := s.perRepo(ctx, work)
	var err error
	if s.opts.Org != "" {
		err = s.listOrg(ctx, text, work)
	} else {
		err = s.listRepo(ctx, text, work)
	}
	close(work)
	if err == nil {
		err = s.texts(ctx)
	}
	if werr := wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	s.markWarm()
	return nil
}

// warm reports whether an earlier scan filled the cache for this target:
// then the inventory query asks for object ids only and texts come from the
// cache, with only changed blobs fetched.
func (s *state) warm() bool {
	if s.c.cache == nil {
		return false
	}
	_, ok := s.c.cache.Get(s.warmKey())
	return ok
}

func (s *state) warmKey() string {
	return "warm:" + s.c.graphqlURL + ":" + s.opts.Org + ":" + s.opts.Repo
}

func (s *state) markWarm() {
	if s.c.cache != nil {
		_ = s.c.cache.Put(s.warmKey(), []byte("1"))
	}
}

// skip says why a repository is left out, or "".
func (s *state) skip(g *gqlRepo) string {
	switch {
	case g.IsArchived && !s.opts.IncludeArchived:
		return "archived (use --include-archived)"
	case g.IsFork && !s.opts.IncludeForks:
		return "fork (use --include-forks)"
	}
	if len(s.opts.RepoGlobs) > 0 {
		for _, pat := range s.opts.RepoGlobs {
			if ok, _ := path.Match(pat, g.Name); ok {
				return ""
			}
			if ok, _ := path.Match(pat, g.NameWithOwner); ok {
				return ""
			}
		}
		return "not matched by --repos"
	}
	return ""
}

// nodeErrors sorts GraphQL errors by the repository node their path falls
// under (prefix, then the node's index; index -1 when the prefix names one
// repository): each becomes a gap of that repository. Errors outside any
// node come back as unplaced.
func (s *state) nodeErrors(ge *GraphQLError, prefix []any, nodes int) (map[int][]string, []string) {
	byNode := map[int][]string{}
	var unplaced []string
	if ge == nil {
		return byNode, nil
	}
	for _, e := range ge.Errors {
		msg := e.Message
		if len(e.Path) > 0 {
			msg = pathString(e.Path) + ": " + msg
		}
		i, ok := nodeIndex(e.Path, prefix, nodes)
		if !ok {
			unplaced = append(unplaced, msg)
			continue
		}
		byNode[i] = append(byNode[i], msg)
	}
	return byNode, unplaced
}

func nodeIndex(path, prefix []any, nodes int) (int, bool) {
	if len(path) < len(prefix) {
		return 0, false
	}
	for i, p := range prefix {
		if fmt.Sprint(path[i]) != fmt.Sprint(p) {
			return 0, false
		}
	}
	if nodes < 0 {
		return -1, true
	}
	if len(path) <= len(prefix) {
		return 0, false
	}
	f, ok := path[len(prefix)].(float64)
	if !ok || f < 0 || int(f) >= nodes {
		return 0, false
	}
	return int(f), true
}

// pathString renders a GraphQL error path as the fields it names.
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch v := p.(type) {
		case float64:
			fmt.Fprintf(&b, "[%d]", int(v))
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// refusedGap is the gap kind of a GraphQL error on a repository's field:
// environments carry no pipeline, anything else (the default branch, the
// workflow tree, a file) may.
func refusedGap(msg string) string {
	if strings.Contains(msg, ".environments") {
		return "forbidden"
	}
	return "unreadable"
}

func (s *state) add(g *gqlRepo, work chan<- *repoWork, errs []string) {
	full := g.NameWithOwner
	if full == "" {
		full = s.inv.Org + "/" + g.Name
	}
	if why := s.skip(g); why != "" {
		s.res.Skipped = append(s.res.Skipped, Skipped{Repo: full, Reason: why})
		return
	}
	r := &model.Repo{Name: full, Visibility: strings.ToLower(g.Visibility), SecretsKnown: false}
	rw := &repoWork{repo: r, g: g, meta: RepoMeta{Archived: g.IsArchived, Fork: g.IsFork, Empty: g.IsEmpty, Complete: true}}
	if b := g.DefaultBranchRef; b != nil {
		r.DefaultBranch = b.Name
		if b.Target != nil {
			r.Commit = b.Target.OID
		}
	}
	if g.Workflows != nil {
		rw.meta.TreeOID = g.Workflows.OID
	}
	if e := g.Environments; e != nil {
		for _, n := range e.Nodes {
			env := &model.Environment{Name: n.Name}
			for _, pr := range n.ProtectionRules.Nodes {
				switch pr.Type {
				case "REQUIRED_REVIEWERS":
					env.RequiredReviewers++
				case "BRANCH_POLICY":
					env.BranchPolicy = true
				case "WAIT_TIMER":
					env.WaitTimer = pr.Timeout
				}
			}
			r.Environments = append(r.Environments, env)
		}
		rw.envMore = e.TotalCount > len(e.Nodes)
	}
	for _, e := range errs {
		s.gap(rw, refusedGap(e), "", "GitHub refused "+s.c.redact(e))
	}
	s.repos = append(s.repos, rw)
	work <- rw
}

func (s *state) filters() string {
	var f []string
	if !s.opts.IncludeArchived {
		f = append(f, "isArchived: false")
	}
	if !s.opts.IncludeForks {
		f = append(f, "isFork: false")
	}
	if len(f) == 0 {
		return ""
	}
	return ", " + strings.Join(f, ", ")
}

// orgPage is one page of the organisation inventory query.
type orgPage struct {
	Organization *struct {
		Repositories struct {
			TotalCount int `json:"totalCount"`
			PageInfo   struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
			Nodes []*gqlRepo `json:"nodes"`
		} `json:"repositories"`
	} `json:"organization"`
}

// envRefused lists the nodes GitHub nulled because their environments
// were refused (every error of the node is on that field).
func envRefused(nodes []*gqlRepo, byNode map[int][]string) []int {
	var out []int
	for i, g := range nodes {
		if g != nil || len(byNode[i]) == 0 {
			continue
		}
		all := true
		for _, e := range byNode[i] {
			if refusedGap(e) != "forbidden" {
				all = false
			}
		}
		if all {
			out = append(out, i)
		}
	}
	return out
}

// listOrg pages through the organisation's repositories.
func (s *state) listOrg(ctx context.Context, text bool, work chan<- *repoWork) error {
	q := OrgQuery(text, s.filters())
	var after any
	for page := 0; ; page++ {
		var data orgPage
		err := s.c.graphql(ctx, "graphql inventory", q, map[string]any{"org": s.opts.Org, "first": s.opts.PageSize, "after": after}, &data)
		var ge *GraphQLError
		if err != nil && !errors.As(err, &ge) {
			if page == 0 {
				return fmt.Errorf("listing the repositories of %s: %w", s.opts.Org, err)
			}
			s.gap(nil, "truncated", "", fmt.Sprintf("listing repositories stopped after %d pages: %v", page, err))
			return ctxErr(ctx)
		}
		if data.Organization == nil {
			if ge != nil {
				return fmt.Errorf("organisation %s: %s", s.opts.Org, s.c.redact(ge.Error()))
			}
			return fmt.Errorf("organisation %s not found or not visible with this credential", s.opts.Org)
		}
		rs := data.Organization.Repositories
		prefix := []any{"organization", "repositories", "nodes"}
		byNode, unplaced := s.nodeErrors(ge, prefix, len(rs.Nodes))
		if retry := envRefused(rs.Nodes, byNode); len(retry) > 0 {
			// The environments of these repositories were refused, which
			// nulled the whole node: read the page again without them, so
			// that a token without that permission still gets the
			// workflows and secrets.
			var again orgPage
			err := s.c.graphql(ctx, "graphql inventory", orgQuery(text, s.filters(), false),
				map[string]any{"org": s.opts.Org, "first": s.opts.PageSize, "after": after}, &again)
			var ge2 *GraphQLError
			if (err == nil || errors.As(err, &ge2)) && again.Organization != nil && len(again.Organization.Repositories.Nodes) == len(rs.Nodes) {
				byNode2, _ := s.nodeErrors(ge2, prefix, len(rs.Nodes))
				for _, i := range retry {
					if g := again.Organization.Repositories.Nodes[i]; g != nil {
						rs.Nodes[i] = g
						byNode[i] = append(byNode2[i], "environments not read: "+strings.Join(byNode[i], "; "))
					}
				}
			}
		}
		for i, g := range rs.Nodes {
			if g != nil {
				s.add(g, work, byNode[i])
			} else if len(byNode[i]) > 0 {
				unplaced = append(unplaced, byNode[i]...)
			}
		}
		if len(unplaced) > 0 {
			// A repository GitHub would not describe at all is missing
			// from the inventory: say so, and let no rule call an
			// organisation secret unused on the strength of the others.
			s.gap(nil, "incomplete-listing", "", "GitHub answered the repository list with errors; what they concern was not read: "+
				s.c.redact(strings.Join(unplaced, "; ")))
		}
		s.total.Store(int64(rs.TotalCount))
		if !rs.PageInfo.HasNextPage || rs.PageInfo.EndCursor == "" {
			break
		}
		after = rs.PageInfo.EndCursor
	}
	return nil
}

func (s *state) listRepo(ctx context.Context, text bool, work chan<- *repoWork) error {
	owner, name, ok := strings.Cut(s.opts.Repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%q is not owner/name", s.opts.Repo)
	}
	var data struct {
		Repository *gqlRepo `json:"repository"`
	}
	err := s.c.graphql(ctx, "graphql inventory", RepoQuery(text), map[string]any{"owner": owner, "name": name}, &data)
	var ge *GraphQLError
	if err != nil && !errors.As(err, &ge) {
		return fmt.Errorf("reading %s: %w", s.opts.Repo, err)
	}
	byNode, unplaced := s.nodeErrors(ge, []any{"repository"}, -1)
	if data.Repository == nil && len(envRefused([]*gqlRepo{nil}, map[int][]string{0: byNode[-1]})) == 1 {
		// Environments refused null the repository: ask without them.
		var again struct {
			Repository *gqlRepo `json:"repository"`
		}
		err := s.c.graphql(ctx, "graphql inventory", repoQuery(text, false), map[string]any{"owner": owner, "name": name}, &again)
		var ge2 *GraphQLError
		if err == nil || errors.As(err, &ge2) {
			data.Repository = again.Repository
			b2, u2 := s.nodeErrors(ge2, []any{"repository"}, -1)
			byNode[-1] = append(b2[-1], "environments not read: "+strings.Join(byNode[-1], "; "))
			unplaced = append(unplaced, u2...)
		}
	}
	if data.Repository == nil {
		return fmt.Errorf("repository %s not found or not visible with this credential", s.opts.Repo)
	}
	// One repository asked for by name is scanned even if archived or a
	// fork: the user chose it.
	s.opts.IncludeArchived, s.opts.IncludeForks, s.opts.RepoGlobs = true, true, nil
	s.add(data.Repository, work, append(byNode[-1], unplaced...))
	return nil
}

func ctxErr(ctx context.Context) error { return ctx.Err() }

// finish moves per-repository gaps into the inventory in repository order
// and records metadata.
func (s *state) finish() {
	sort.SliceStable(s.repos, func(i, k int) bool { return s.repos[i].repo.Name < s.repos[k].repo.Name })
	for _, rw := range s.repos {
		r := rw.repo
		sort.SliceStable(r.Files, func(i, k int) bool { return r.Files[i].Path < r.Files[k].Path })
		sort.SliceStable(r.Pipelines, func(i, k int) bool { return r.Pipelines[i].File.Path < r.Pipelines[k].File.Path })
		s.inv.Repos = append(s.inv.Repos, r)
		s.inv.Coverage = append(s.inv.Coverage, rw.gaps...)
		s.res.Meta[r.Name] = rw.meta
	}
}

// parse turns the repository's files into pipelines.
func parse(rw *repoWork) {
	r := rw.repo
	r.Pipelines = r.Pipelines[:0]
	// A second parse (after more actions were fetched) replaces the first
	// one's errors rather than listing them twice.
	rw.mu.Lock()
	kept := rw.gaps[:0]
	for _, g := range rw.gaps {
		if g.Kind != "parse-error" {
			kept = append(kept, g)
		}
	}
	rw.gaps = kept
	rw.mu.Unlock()
	for _, f := range r.Files {
		var (
			p   *model.Pipeline
			err error
		)
		switch {
		case isWorkflowPath(f.Path):
			p, err = actions.ParseWorkflow(f)
		case isActionPath(f.Path):
			p, err = actions.ParseComposite(f)
		default:
			continue
		}
		if err != nil {
			g := model.CoverageGap{Repo: r.Name, Path: f.Path, Kind: "parse-error", Message: err.Error()}
			var pe *actions.ParseError
			if errors.As(err, &pe) {
				g.Line, g.Column, g.Message = pe.Line, pe.Column, pe.Message
			}
			rw.mu.Lock()
			rw.gaps = append(rw.gaps, g)
			rw.mu.Unlock()
			continue
		}
		r.Pipelines = append(r.Pipelines, p)
	}
}

func isWorkflowPath(p string) bool {
	rest, ok := strings.CutPrefix(p, ".github/workflows/")
	return ok && !strings.Contains(rest, "/") && (strings.HasSuffix(rest, ".yml") || strings.HasSuffix(rest, ".yaml"))
}

func isActionPath(p string) bool {
	base := path.Base(p)
	return base == "action.yml" || base == "action.yaml"
}
