package fakegithub

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Git objects derived from Repo.Files. Oids are real git oids (sha1 over
// "<type> <len>\x00<payload>") so that a client comparing oids across scans
// sees exactly what it would on GitHub: a changed file changes its blob, every
// tree above it and the commit; untouched directories keep their tree oid.

const (
	modeFile = "100644"
	modeTree = "040000"
)

type gitObject struct {
	kind    string // blob | tree | commit
	oid     string
	data    []byte     // blob content
	entries []treeItem // tree entries in git order
	tree    string     // commit: root tree oid
}

type treeItem struct {
	name string
	mode string // 100644 | 040000
	kind string // blob | tree
	oid  string
	size int // blob size
}

// snapshot is the git view of a repository's default-branch head.
type snapshot struct {
	commit  string
	tree    string // root tree oid
	objects map[string]*gitObject
	paths   map[string]string // "" = root tree; "a/b" -> oid
}

// object resolves a path ("" or "." for the root) to its object.
func (sn *snapshot) object(path string) *gitObject {
	path = strings.Trim(path, "/")
	if path == "." {
		path = ""
	}
	oid, ok := sn.paths[path]
	if !ok {
		return nil
	}
	return sn.objects[oid]
}

func gitHash(kind string, payload []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(payload))
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// buildSnapshot computes blobs, trees and a commit for files. The commit
// message names the repository so that two repositories with equal content
// still have different head commits, as they would in practice.
func buildSnapshot(fullName string, files map[string]string) *snapshot {
	sn := &snapshot{objects: map[string]*gitObject{}, paths: map[string]string{}}
	type dir struct {
		files map[string]string
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]string{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, content := range files {
		p = strings.Trim(p, "/")
		if p == "" {
			continue
		}
		parts := strings.Split(p, "/")
		d := root
		for _, seg := range parts[:len(parts)-1] {
			if d.dirs[seg] == nil {
				d.dirs[seg] = newDir()
			}
			d = d.dirs[seg]
		}
		d.files[parts[len(parts)-1]] = content
	}
	var build func(d *dir, prefix string) string
	build = func(d *dir, prefix string) string {
		var items []treeItem
		for name, content := range d.files {
			if _, clash := d.dirs[name]; clash {
				continue // a path cannot be both file and directory
			}
			oid := gitHash("blob", []byte(content))
			sn.objects[oid] = &gitObject{kind: "blob", oid: oid, data: []byte(content)}
			sn.paths[join(prefix, name)] = oid
			items = append(items, treeItem{name: name, mode: modeFile, kind: "blob", oid: oid, size: len(content)})
		}
		for name, sub := range d.dirs {
			oid := build(sub, join(prefix, name))
			items = append(items, treeItem{name: name, mode: modeTree, kind: "tree", oid: oid})
		}
		// git sorts tree entries by name, directories as if they ended in "/".
		key := func(it treeItem) string {
			if it.kind == "tree" {
				return it.name + "/"
			}
			return it.name
		}
		sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
		var buf bytes.Buffer
		for _, it := range items {
			raw, _ := hex.DecodeString(it.oid)
			mode := it.mode
			if mode == modeTree {
				mode = "40000" // git writes tree modes without the leading zero
			}
			fmt.Fprintf(&buf, "%s %s\x00", mode, it.name)
			buf.Write(raw)
		}
		oid := gitHash("tree", buf.Bytes())
		sn.objects[oid] = &gitObject{kind: "tree", oid: oid, entries: items}
		sn.paths[prefix] = oid
		return oid
	}
	sn.tree = build(root, "")
	body := fmt.Sprintf("tree %s\nauthor Fake GitHub <fake@example.invalid> 1704164645 +0000\n"+
		"committer Fake GitHub <fake@example.invalid> 1704164645 +0000\n\nHead of %s\n", sn.tree, fullName)
	sn.commit = gitHash("commit", []byte(body))
	sn.objects[sn.commit] = &gitObject{kind: "commit", oid: sn.commit, tree: sn.tree}
	return sn
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// isBinary follows git's heuristic: a NUL byte in the first 8000 bytes. Text
// that is not valid UTF-8 is treated as binary too, since GraphQL Blob.text
// promises UTF-8.
func isBinary(b []byte) bool {
	head := b
	if len(head) > 8000 {
		head = head[:8000]
	}
	return bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(b)
}

// stableID derives a positive id from its parts, for objects whose id the
// State leaves zero.
func stableID(parts ...any) int64 {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return int64(binary.BigEndian.Uint32(h.Sum(nil)[:4])>>1) + 1
}
