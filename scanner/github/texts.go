package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/tpscan/tpscan/scanner/model"
)

// pendingBlob is a file whose text is not known yet: GraphQL cut it
// (isTruncated), the query asked for ids only (warm cache), or it was null.
type pendingBlob struct {
	rw   *repoWork
	path string
	oid  string
	size int
	ci   bool
}

// texts turns the tree entries of every repository into files: from the
// query's text, the cache (by blob id, so an unchanged file is never read
// twice), a batched GraphQL blob query, or REST for what GraphQL truncates.
func (s *state) texts(ctx context.Context) error {
	var pending []*pendingBlob
	for _, rw := range s.repos {
		g := rw.g
		if g == nil {
			continue
		}
		if g.Workflows != nil {
			for _, e := range g.Workflows.Entries {
				if e.Type == "blob" && isWorkflowPath(".github/workflows/"+e.Name) {
					pending = s.take(ctx, rw, ".github/workflows/"+e.Name, e.OID, e.Object, true, pending)
				}
			}
		}
		if g.Actions != nil {
			for _, dir := range g.Actions.Entries {
				if dir.Type != "tree" || dir.Object == nil {
					continue
				}
				for _, e := range dir.Object.Entries {
					if e.Type != "blob" {
						continue
					}
					p := ".github/actions/" + dir.Name + "/" + e.Name
					ci := isActionPath(p)
					if !ci && !scriptLike(e.Name) {
						continue
					}
					pending = s.take(ctx, rw, p, e.OID, e.Object, ci, pending)
				}
			}
		}
		for p, o := range map[string]*gqlObject{".npmrc": g.Npmrc, ".pypirc": g.Pypirc, "package.json": g.PackageJSON} {
			if o != nil && o.OID != "" {
				pending = s.take(ctx, rw, p, o.OID, o, false, pending)
			}
		}
		rw.g = nil // the query's texts are in Files now; let them go
	}
	if err := s.fetchBlobs(ctx, pending); err != nil {
		return err
	}
	for _, rw := range s.repos {
		parse(rw)
	}
	// Local composite actions outside .github/actions, and ones the first
	// query could not see: one more batched query for all repositories.
	var more []*pendingBlob
	var again []*repoWork
	for _, rw := range s.repos {
		dirs := missingActions(rw.repo)
		for _, dir := range dirs {
			for _, name := range []string{"action.yml", "action.yaml"} {
				more = append(more, &pendingBlob{rw: rw, path: path.Join(dir, name), ci: true})
			}
		}
		if len(dirs) > 0 {
			again = append(again, rw)
		}
	}
	if len(more) > 0 {
		if err := s.fetchBlobs(ctx, more); err != nil {
			return err
		}
		// Only the repositories that gained an action are parsed again.
		for _, rw := range again {
			parse(rw)
		}
	}
	return nil
}

// scriptLike keeps the scripts that sit beside a composite action: a publish
// hidden in one is followed like in a checkout.
func scriptLike(name string) bool {
	switch path.Ext(name) {
	case ".sh", ".bash", ".ps1", ".py", ".js", ".mjs", ".cjs", ".ts":
		return true
	}
	return false
}

// take uses an entry's text when the query returned it whole, else the
// cache, else queues it.
func (s *state) take(ctx context.Context, rw *repoWork, p, oid string, o *gqlObject, ci bool, pending []*pendingBlob) []*pendingBlob {
	if o != nil && o.IsBinary != nil && *o.IsBinary {
		if ci {
			s.gap(rw, "binary", p, "binary content: not a CI file")
		}
		return pending
	}
	size := 0
	if o != nil {
		size = o.ByteSize
	}
	if size > s.opts.MaxFile {
		s.gap(rw, "too-large", p, fmt.Sprintf("file is %d bytes, over the %d-byte limit: not read", size, s.opts.MaxFile))
		return pending
	}
	if o != nil && o.Text != nil && !o.IsTruncated {
		rw.repo.Files = append(rw.repo.Files, &model.File{Path: p, Content: []byte(*o.Text)})
		if s.c.cache != nil {
			_ = s.c.cache.Put("blob:"+oid, []byte(*o.Text))
		}
		return pending
	}
	if b, ok := s.c.cache.Get("blob:" + oid); ok {
		rw.repo.Files = append(rw.repo.Files, &model.File{Path: p, Content: b})
		return pending
	}
	if o != nil && o.IsTruncated {
		// GraphQL cuts text at about 500 kB and would cut it again:
		// straight to the REST blob API, which serves up to 100 MB.
		s.restBlob(ctx, rw, p, oid)
		return pending
	}
	return append(pending, &pendingBlob{rw: rw, path: p, oid: oid, size: size, ci: ci})
}

// blobBatch bounds one GraphQL blob query: by count, and by the bytes it
// may return, to stay far from GitHub's ten-second query timeout.
const (
	blobBatch      = 100
	blobBatchBytes = 4 << 20
)

func (s *state) fetchBlobs(ctx context.Context, pending []*pendingBlob) error {
	for len(pending) > 0 {
		n, bytes := 0, 0
		for n < len(pending) && n < blobBatch && (n == 0 || bytes+pending[n].size <= blobBatchBytes) {
			bytes += pending[n].size
			n++
		}
		batch := pending[:n]
		pending = pending[n:]
		if err := s.blobQuery(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

func (s *state) blobQuery(ctx context.Context, batch []*pendingBlob) error {
	reqs := make([]blobRequest, len(batch))
	for i, b := range batch {
		reqs[i] = blobRequest{repo: b.rw.repo.Name, path: b.path, oid: b.oid}
	}
	var raw map[string]json.RawMessage
	err := s.c.graphql(ctx, "graphql blobs", BlobsQuery(reqs), nil, &raw)
	data := map[string]map[string]*gqlObject{}
	for k, v := range raw {
		if k == "rateLimit" {
			continue
		}
		var m map[string]*gqlObject
		if json.Unmarshal(v, &m) == nil {
			data[k] = m
		}
	}
	if err != nil {
		if _, ok := err.(*GraphQLError); !ok {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for _, b := range batch {
				if b.oid != "" {
					s.gap(b.rw, "unreadable", b.path, "could not read the file: "+err.Error())
				}
			}
			return nil
		}
	}
	// Aliases: r<i> per repository in order of first appearance, b<k> per
	// request index.
	repoAlias := map[string]string{}
	for _, r := range reqs {
		if _, ok := repoAlias[r.repo]; !ok {
			repoAlias[r.repo] = fmt.Sprintf("r%d", len(repoAlias))
		}
	}
	for i, b := range batch {
		o := data[repoAlias[b.rw.repo.Name]][fmt.Sprintf("b%d", i)]
		switch {
		case o == nil:
			// By path: the file does not exist (an action.yaml where
			// the action has action.yml). By id: it vanished.
			if b.oid != "" {
				s.gap(b.rw, "unreadable", b.path, "GitHub returned no content for this file")
			}
		case o.IsBinary != nil && *o.IsBinary:
			if b.ci {
				s.gap(b.rw, "binary", b.path, "binary content: not a CI file")
			}
		case o.ByteSize > s.opts.MaxFile:
			s.gap(b.rw, "too-large", b.path, fmt.Sprintf("file is %d bytes, over the %d-byte limit: not read", o.ByteSize, s.opts.MaxFile))
		case o.Text != nil && !o.IsTruncated:
			b.rw.repo.Files = append(b.rw.repo.Files, &model.File{Path: b.path, Content: []byte(*o.Text)})
			if s.c.cache != nil {
				_ = s.c.cache.Put("blob:"+o.OID, []byte(*o.Text))
			}
		default:
			// GraphQL cuts text at about 500 kB: the REST blob API
			// serves up to 100 MB.
			s.restBlob(ctx, b.rw, b.path, o.OID)
		}
	}
	return ctx.Err()
}

// restBlob reads one blob raw over REST.
func (s *state) restBlob(ctx context.Context, rw *repoWork, p, oid string) {
	owner, name, _ := strings.Cut(rw.repo.Name, "/")
	u := fmt.Sprintf("repos/%s/%s/git/blobs/%s", url.PathEscape(owner), url.PathEscape(name), url.PathEscape(oid))
	req, err := s.c.rest.NewRequest("GET", u, nil)
	if err != nil {
		s.gap(rw, "unreadable", p, err.Error())
		return
	}
	req.Header.Set("Accept", "application/vnd.github.raw+json")
	var buf strings.Builder
	_, err = s.c.rest.Do(withKind(ctx, "rest blob"), req, &buf)
	if err != nil {
		s.gap(rw, "truncated", p, "GitHub truncated the text and the full blob could not be read: "+s.c.safe(err).Error())
		return
	}
	if buf.Len() > s.opts.MaxFile {
		s.gap(rw, "too-large", p, fmt.Sprintf("file is %d bytes, over the %d-byte limit: not read", buf.Len(), s.opts.MaxFile))
		return
	}
	rw.repo.Files = append(rw.repo.Files, &model.File{Path: p, Content: []byte(buf.String())})
	if s.c.cache != nil {
		_ = s.c.cache.Put("blob:"+oid, []byte(buf.String()))
	}
}

// missingActions lists directories of local composite actions that steps
// use ("uses: ./tools/release") but that are not among the files read.
func missingActions(r *model.Repo) []string {
	have := map[string]bool{}
	for _, f := range r.Files {
		if isActionPath(f.Path) {
			have[path.Dir(f.Path)] = true
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range r.Pipelines {
		for _, j := range p.Jobs {
			for _, st := range j.Steps {
				if !strings.HasPrefix(st.Uses, "./") {
					continue
				}
				dir := path.Clean(strings.TrimPrefix(st.Uses, "./"))
				if dir == "." || strings.HasPrefix(dir, "..") || have[dir] || seen[dir] {
					continue
				}
				seen[dir] = true
				out = append(out, dir)
			}
		}
	}
	return out
}

// FetchFiles reads further files of a repository at the scanned head (a
// script a workflow runs, say) and adds them to its Files. It is how the
// rules' requests for files outside CI are answered without a checkout, in
// one batched query for all repositories.
func (c *Client) FetchFiles(ctx context.Context, inv *model.Inventory, want map[*model.Repo][]string) error {
	s := &state{c: c, inv: inv, opts: Options{MaxFile: 4 << 20}}
	var pending []*pendingBlob
	for r, paths := range want {
		rw := &repoWork{repo: r, meta: RepoMeta{Complete: true}}
		for _, p := range paths {
			pending = append(pending, &pendingBlob{rw: rw, path: p})
		}
	}
	err := s.fetchBlobs(ctx, pending)
	for _, p := range pending {
		inv.Coverage = append(inv.Coverage, p.rw.gaps...)
		p.rw.gaps = nil
	}
	return err
}
