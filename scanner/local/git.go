package local

import (
	"bufio"
	"bytes"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// gitInfo is what a checkout's .git says about what was scanned: the
// commit checked out, its ref (refs/heads/B; empty when detached) and,
// when origin is on a forge, its host and OWNER/NAME. Reports name them,
// so that the SARIF of `tpscan local .` can be uploaded as it is.
type gitInfo struct {
	Commit, Ref string
	Host, Repo  string
}

var hexCommit = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// readGit reads .git without running git: HEAD, the ref it names (loose or
// packed) and origin's URL. A .git file (a worktree or a submodule) points
// at the real directory; its config may live in the common directory.
func readGit(root string) (gitInfo, bool) {
	dir := filepath.Join(root, ".git")
	st, err := os.Stat(dir)
	if err != nil {
		return gitInfo{}, false
	}
	if !st.IsDir() {
		b, err := readSmall(dir)
		if err != nil {
			return gitInfo{}, false
		}
		p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
		if !ok {
			return gitInfo{}, false
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		dir = p
	}
	common := dir
	if b, err := readSmall(filepath.Join(dir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(dir, c)
		}
		common = c
	}
	head, err := readSmall(filepath.Join(dir, "HEAD"))
	if err != nil {
		return gitInfo{}, false
	}
	var g gitInfo
	h := strings.TrimSpace(string(head))
	if ref, ok := strings.CutPrefix(h, "ref: "); ok {
		g.Ref = ref
		g.Commit = resolveRef(dir, common, ref)
	} else if hexCommit.MatchString(h) {
		g.Commit = h
	}
	if !hexCommit.MatchString(g.Commit) {
		g.Commit = ""
	}
	if cfg, err := readSmall(filepath.Join(common, "config")); err == nil {
		g.Host, g.Repo = forgeRepo(originURL(cfg))
	}
	return g, g.Commit != ""
}

func resolveRef(dir, common, ref string) string {
	if !strings.HasPrefix(ref, "refs/") || strings.Contains(ref, "..") {
		return ""
	}
	for _, d := range []string{dir, common} {
		if b, err := readSmall(filepath.Join(d, filepath.FromSlash(ref))); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	packed, err := readSmall(filepath.Join(common, "packed-refs"))
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(packed))
	for sc.Scan() {
		if sha, name, ok := strings.Cut(sc.Text(), " "); ok && name == ref {
			return sha
		}
	}
	return ""
}

// originURL is remote "origin"'s url in a git config.
func originURL(cfg []byte) string {
	in := false
	sc := bufio.NewScanner(bytes.NewReader(cfg))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = strings.EqualFold(strings.Join(strings.Fields(line), " "), `[remote "origin"]`)
			continue
		}
		if !in {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.EqualFold(strings.TrimSpace(k), "url") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// forgeRepo splits a clone URL (https://HOST/OWNER/NAME(.git),
// git@HOST:OWNER/NAME.git, ssh://git@HOST/OWNER/NAME) into its host and
// OWNER/NAME; nothing for anything else (a local path, a deeper path).
func forgeRepo(raw string) (host, repo string) {
	if raw == "" {
		return "", ""
	}
	var p string
	if u, err := url.Parse(raw); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh" || u.Scheme == "git") {
		host, p = u.Hostname(), u.Path
	} else if at, rest, ok := strings.Cut(raw, "@"); ok && !strings.Contains(at, "/") {
		h, path, ok := strings.Cut(rest, ":")
		if !ok {
			return "", ""
		}
		host, p = h, path
	} else {
		return "", ""
	}
	if host == "" {
		return "", ""
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	parts := strings.Split(p, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", ""
	}
	return host, p
}

// readSmall reads a file of .git, at most 64 MiB (packed-refs of a large
// repository can be tens of megabytes; anything bigger is not git's).
func readSmall(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// checkoutName names a checkout by its directory ("." becomes the name of
// the working directory).
func checkoutName(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return filepath.Base(abs)
	}
	return filepath.Base(filepath.Clean(p))
}
