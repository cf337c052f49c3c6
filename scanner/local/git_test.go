package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	shaA = "0123456789abcdef0123456789abcdef01234567"
	shaB = "89abcdef0123456789abcdef0123456789abcdef"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadGit(t *testing.T) {
	origin := "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://github.com/acme/widget.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
	tests := []struct {
		name  string
		files map[string]string
		want  gitInfo
		ok    bool
	}{
		{"loose ref", map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": shaA + "\n", ".git/config": origin},
			gitInfo{Commit: shaA, Ref: "refs/heads/main", Host: "github.com", Repo: "acme/widget"}, true},
		{"packed ref", map[string]string{".git/HEAD": "ref: refs/heads/release/1.x\n",
			".git/packed-refs": "# pack-refs with: peeled fully-peeled sorted\n" + shaB + " refs/heads/main\n" + shaA + " refs/heads/release/1.x\n",
			".git/config":      "[remote \"origin\"]\n\turl = git@github.example.com:acme/widget.git\n"},
			gitInfo{Commit: shaA, Ref: "refs/heads/release/1.x", Host: "github.example.com", Repo: "acme/widget"}, true},
		{"detached", map[string]string{".git/HEAD": shaB + "\n"}, gitInfo{Commit: shaB}, true},
		{"worktree", map[string]string{".git": "gitdir: ../main/.git/worktrees/wt\n",
			"../main/.git/worktrees/wt/HEAD": "ref: refs/heads/fix\n", "../main/.git/worktrees/wt/commondir": "../..\n",
			"../main/.git/refs/heads/fix": shaB + "\n", "../main/.git/config": "[remote \"origin\"]\n\turl = ssh://git@github.com/acme/widget\n"},
			gitInfo{Commit: shaB, Ref: "refs/heads/fix", Host: "github.com", Repo: "acme/widget"}, true},
		{"unborn branch", map[string]string{".git/HEAD": "ref: refs/heads/main\n"}, gitInfo{Ref: "refs/heads/main"}, false},
		{"not a commit", map[string]string{".git/HEAD": "garbage\n"}, gitInfo{}, false},
		{"no .git", map[string]string{"README": "x"}, gitInfo{}, false},
		{"another remote only", map[string]string{".git/HEAD": shaA + "\n", ".git/config": "[remote \"upstream\"]\n\turl = https://github.com/other/widget\n"},
			gitInfo{Commit: shaA}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "repo")
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFiles(t, root, tt.files)
			got, ok := readGit(root)
			if ok != tt.ok || got != tt.want {
				t.Errorf("readGit = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestForgeRepo(t *testing.T) {
	for _, tt := range []struct{ url, host, repo string }{
		{"https://github.com/acme/widget.git", "github.com", "acme/widget"},
		{"https://github.com/acme/widget", "github.com", "acme/widget"},
		{"https://token@github.com/acme/widget.git", "github.com", "acme/widget"},
		{"git@github.com:acme/widget.git", "github.com", "acme/widget"},
		{"ssh://git@github.example.com:2222/acme/widget.git", "github.example.com", "acme/widget"},
		{"https://gitlab.com/group/sub/widget.git", "", ""},
		{"/srv/git/widget.git", "", ""},
		{"file:///srv/git/widget.git", "", ""},
		{"", "", ""},
	} {
		if host, repo := forgeRepo(tt.url); host != tt.host || repo != tt.repo {
			t.Errorf("forgeRepo(%q) = %q, %q; want %q, %q", tt.url, host, repo, tt.host, tt.repo)
		}
	}
}

// FuzzGitConfig: origin's URL comes from a file of the scanned checkout.
// Parsing never panics, and a repository it names is OWNER/NAME on a host.
func FuzzGitConfig(f *testing.F) {
	f.Add([]byte("[remote \"origin\"]\n\turl = git@github.com:acme/widget.git\n"))
	f.Add([]byte("[remote \"origin\"]\nurl=https://github.com/a/b\n[remote \"x\"]\nurl=y\n"))
	f.Add([]byte("[remote \"origin\"]\n\turl = ssh://git@h:22/a/b.git\n"))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		host, repo := forgeRepo(originURL(cfg))
		if repo == "" {
			return
		}
		owner, name, ok := strings.Cut(repo, "/")
		if host == "" || !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			t.Fatalf("forgeRepo gave %q, %q", host, repo)
		}
	})
}
