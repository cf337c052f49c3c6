package fakegithub

import (
	"encoding/base64"
	"net/http"
	"path"
	"strings"
)

// Contents, git trees, blobs and commits of the default-branch head.

const maxContentsBytes = 1 << 20 // contents API serves files up to 1 MB

// encode64 wraps base64 at 60 columns with a trailing newline, as GitHub's
// contents and blob APIs do. Go's decoder skips the newlines.
func encode64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 60 {
		sb.WriteString(s[:60])
		sb.WriteByte('\n')
		s = s[60:]
	}
	sb.WriteString(s)
	sb.WriteByte('\n')
	return sb.String()
}

func wantsRaw(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/vnd.github.raw") || strings.Contains(a, "application/vnd.github.v3.raw")
}

func rawResponse(b []byte) *response {
	resp := &response{status: http.StatusOK, body: b, contentType: "application/vnd.github.raw; charset=utf-8", header: http.Header{}}
	resp.header.Set("X-GitHub-Media-Type", "github.v3; param=raw; format=json")
	return resp
}

// resolveRef accepts what GitHub would for the single branch the fake
// models: "", the default branch (also as heads/x or refs/heads/x), HEAD
// and the head commit oid.
func resolveRef(r *Repo, sn *snapshot, ref string) bool {
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/"), "heads/")
	return ref == "" || ref == "HEAD" || ref == r.defaultBranch() || ref == sn.commit
}

func (c *rctx) emptyRepo() *response {
	return errResponse(http.StatusNotFound, "This repository is empty.", c.route.doc)
}

func (s *Server) getContents(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	if r.Empty {
		return c.emptyRepo()
	}
	sn := s.snap(o, r)
	ref := c.r.URL.Query().Get("ref")
	if !resolveRef(r, sn, ref) {
		return errResponse(http.StatusNotFound, "No commit found for the ref "+ref, c.route.doc)
	}
	p := strings.Trim(c.params["path"], "/")
	ob := sn.object(p)
	if ob == nil {
		return notFound()
	}
	var resp *response
	switch ob.kind {
	case "blob":
		if wantsRaw(c.r) {
			resp = rawResponse(ob.data)
		} else if len(ob.data) > maxContentsBytes {
			return jsonResponse(http.StatusForbidden, obj{
				"message":           "This API returns blobs up to 1 MB in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size.",
				"errors":            []obj{{"resource": "Blob", "field": "data", "code": "too_large"}},
				"documentation_url": c.route.doc,
			})
		} else {
			j := c.contentEntry(o, r, p, treeItem{name: path.Base(p), kind: "blob", oid: ob.oid, size: len(ob.data)})
			j["content"] = encode64(ob.data)
			j["encoding"] = "base64"
			resp = ok(j)
		}
	default:
		entries := []obj{}
		for _, it := range ob.entries {
			entries = append(entries, c.contentEntry(o, r, join(p, it.name), it))
		}
		resp = ok(entries)
	}
	resp.lastModified = orTime(r.PushedAt)
	return resp
}

// contentEntry is a contents item (directory entry or file without content).
func (c *rctx) contentEntry(o *Org, r *Repo, p string, it treeItem) obj {
	full := o.Login + "/" + r.Name
	branch := r.defaultBranch()
	self := c.base() + "repos/" + full + "/contents/" + escapePath(p) + "?ref=" + branch
	typ, gitKind, htmlKind := "file", "blobs", "blob"
	var download any = "https://raw.githubusercontent.com/" + full + "/" + branch + "/" + escapePath(p)
	if it.kind == "tree" {
		typ, gitKind, htmlKind, download = "dir", "trees", "tree", nil
	}
	git := c.base() + "repos/" + full + "/git/" + gitKind + "/" + it.oid
	html := c.htmlBase() + full + "/" + htmlKind + "/" + branch + "/" + escapePath(p)
	return obj{
		"type": typ, "name": it.name, "path": p, "sha": it.oid, "size": it.size,
		"url": self, "git_url": git, "html_url": html, "download_url": download,
		"_links": obj{"self": self, "git": git, "html": html},
	}
}

func (s *Server) getTree(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	if r.Empty {
		return errResponse(http.StatusConflict, "Git Repository is empty.", c.route.doc)
	}
	sn := s.snap(o, r)
	sha := c.params["tree_sha"]
	var tree *gitObject
	if ob := sn.objects[strings.ToLower(sha)]; ob != nil {
		switch ob.kind {
		case "tree":
			tree = ob
		case "commit":
			tree = sn.objects[ob.tree]
		}
	} else if resolveRef(r, sn, sha) {
		tree = sn.objects[sn.tree]
	}
	if tree == nil {
		return notFound()
	}
	// GitHub recurses for any value of recursive, even "false" or "0".
	recursive := c.r.URL.Query().Get("recursive") != ""
	full := c.base() + "repos/" + o.Login + "/" + r.Name + "/git/"
	entries := []obj{}
	var walk func(t *gitObject, prefix string)
	walk = func(t *gitObject, prefix string) {
		for _, it := range t.entries {
			j := obj{"path": join(prefix, it.name), "mode": it.mode, "type": it.kind, "sha": it.oid}
			if it.kind == "blob" {
				j["size"] = it.size
				j["url"] = full + "blobs/" + it.oid
			} else {
				j["url"] = full + "trees/" + it.oid
			}
			entries = append(entries, j)
			if recursive && it.kind == "tree" {
				walk(sn.objects[it.oid], join(prefix, it.name))
			}
		}
	}
	walk(tree, "")
	return ok(obj{"sha": tree.oid, "url": full + "trees/" + tree.oid, "tree": entries, "truncated": false})
}

func (s *Server) getBlob(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	if r.Empty {
		return errResponse(http.StatusConflict, "Git Repository is empty.", c.route.doc)
	}
	ob := s.snap(o, r).objects[strings.ToLower(c.params["file_sha"])]
	if ob == nil || ob.kind != "blob" {
		return notFound()
	}
	if wantsRaw(c.r) {
		return rawResponse(ob.data)
	}
	return ok(obj{
		"sha": ob.oid, "node_id": nodeID("Blob", stableID(ob.oid)), "size": len(ob.data),
		"url":     c.base() + "repos/" + o.Login + "/" + r.Name + "/git/blobs/" + ob.oid,
		"content": encode64(ob.data), "encoding": "base64",
	})
}

// GET /repos/{o}/{r}/commits/{ref}. With Accept: application/vnd.github.sha
// the body is the bare sha: the cheapest head check, and it supports ETags.
func (s *Server) getCommit(c *rctx) *response {
	o, r, denied := c.repoAccess()
	if denied != nil {
		return denied
	}
	if r.Empty {
		return errResponse(http.StatusConflict, "Git Repository is empty.", c.route.doc)
	}
	sn := s.snap(o, r)
	if !resolveRef(r, sn, c.params["ref"]) {
		return errResponse(http.StatusUnprocessableEntity, "No commit found for SHA: "+c.params["ref"], c.route.doc)
	}
	var resp *response
	if strings.Contains(c.r.Header.Get("Accept"), "application/vnd.github.sha") {
		resp = &response{status: http.StatusOK, body: []byte(sn.commit), contentType: "application/vnd.github.sha; charset=utf-8", header: http.Header{}}
		resp.header.Set("X-GitHub-Media-Type", "github.v3; param=sha; format=json")
	} else {
		full := o.Login + "/" + r.Name
		api := c.base() + "repos/" + full
		who := obj{"name": "Fake GitHub", "email": "fake@example.invalid", "date": ts(r.PushedAt)}
		resp = ok(obj{
			"sha": sn.commit, "node_id": nodeID("Commit", stableID(sn.commit)),
			"url": api + "/commits/" + sn.commit, "html_url": c.htmlBase() + full + "/commit/" + sn.commit,
			"comments_url": api + "/commits/" + sn.commit + "/comments",
			"commit": obj{
				"author": who, "committer": who, "message": "Head of " + full, "comment_count": 0,
				"url":  api + "/git/commits/" + sn.commit,
				"tree": obj{"sha": sn.tree, "url": api + "/git/trees/" + sn.tree},
			},
			"author": nil, "committer": nil, "parents": []obj{},
		})
	}
	resp.lastModified = orTime(r.PushedAt)
	return resp
}
