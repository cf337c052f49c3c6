// Package local is the source for files on disk: single CI files, a checkout,
// or an organisation snapshot (a directory per repository plus an optional
// secrets inventory). It fills the same model as the API sources.
package local

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/model"
)

// Limits keep one odd file from stalling a scan.
const (
	// MaxCIFile is the largest CI file parsed; bigger ones are listed as
	// not read.
	MaxCIFile = 4 << 20
	// MaxScannedFile is the largest other file scanned for literal tokens.
	MaxScannedFile = 1 << 20
)

// InventoryFile is the secrets inventory of an organisation snapshot.
const InventoryFile = "tpscan-inventory.json"

// Options configure a local scan.
type Options struct {
	// Workers bounds parallel parsing; 0 means GOMAXPROCS.
	Workers int
	// AllFiles scans every file of a checkout for literal tokens, not only
	// CI and credential files.
	AllFiles bool
}

// Load reads every path into one inventory. Problems with single files are
// recorded in Inventory.Coverage; an error is returned only when a path does
// not exist at all.
func Load(ctx context.Context, paths []string, opts Options) (*model.Inventory, error) {
	inv := &model.Inventory{}
	var jobs []*parseJob
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !st.IsDir() {
			// A file named on its own is its own unit: nothing else of
			// its repository is known.
			r := &model.Repo{Loose: true}
			inv.Repos = append(inv.Repos, r)
			jobs = append(jobs, &parseJob{repo: r, disk: p, rel: p, direct: true})
			continue
		}
		switch classifyDir(p) {
		case dirSnapshot:
			js, err := loadSnapshot(inv, p)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, js...)
		case dirCheckout:
			r := &model.Repo{Name: checkoutName(p), Root: p}
			if g, ok := readGit(p); ok {
				r.Commit, r.Ref, r.Forge, r.ForgeRepo = g.Commit, g.Ref, g.Host, g.Repo
			}
			inv.Repos = append(inv.Repos, r)
			jobs = append(jobs, checkoutJobs(inv, r, opts)...)
		default:
			// A plain directory of CI files: every YAML file in it, each
			// on its own.
			jobs = append(jobs, looseDirJobs(inv, p)...)
		}
	}
	if err := runJobs(ctx, inv, jobs, opts.Workers); err != nil {
		return inv, err
	}
	for _, r := range inv.Repos {
		sortRepo(r)
	}
	return inv, nil
}

type dirKind int

const (
	dirPlain dirKind = iota
	dirCheckout
	dirSnapshot
)

func classifyDir(p string) dirKind {
	if exists(filepath.Join(p, InventoryFile)) {
		return dirSnapshot
	}
	if exists(filepath.Join(p, ".github")) || exists(filepath.Join(p, ".gitlab-ci.yml")) || exists(filepath.Join(p, ".git")) || exists(filepath.Join(p, ".gitlab")) ||
		exists(filepath.Join(p, "action.yml")) || exists(filepath.Join(p, "action.yaml")) {
		return dirCheckout
	}
	// A directory whose subdirectories are checkouts is a snapshot without
	// an inventory.
	entries, err := os.ReadDir(p)
	if err != nil {
		return dirPlain
	}
	for _, e := range entries {
		if e.IsDir() && classifyDir2(filepath.Join(p, e.Name())) {
			return dirSnapshot
		}
	}
	return dirPlain
}

func classifyDir2(p string) bool {
	return exists(filepath.Join(p, ".github")) || exists(filepath.Join(p, ".gitlab-ci.yml")) || exists(filepath.Join(p, ".git"))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// parseJob is one file to read.
type parseJob struct {
	repo *model.Repo
	disk string // path on disk
	rel  string // path as reported (relative to the repository root)
	// ci says how to parse: "workflow", "composite", "gitlab", "" (scan
	// only), or detect by content when direct.
	ci     string
	direct bool
	// results
	file     *model.File
	pipeline *model.Pipeline
	gaps     []model.CoverageGap
}

func checkoutJobs(inv *model.Inventory, r *model.Repo, opts Options) []*parseJob {
	var jobs []*parseJob
	root := r.Root
	wf := filepath.Join(root, ".github", "workflows")
	if entries, err := os.ReadDir(wf); err == nil {
		for _, e := range entries {
			if !e.IsDir() && isYAML(e.Name()) {
				jobs = append(jobs, &parseJob{repo: r, disk: filepath.Join(wf, e.Name()), rel: ".github/workflows/" + e.Name(), ci: "workflow"})
			}
		}
	}
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			rel, _ := filepath.Rel(root, p)
			inv.Coverage = append(inv.Coverage, model.CoverageGap{Repo: r.Name, Path: filepath.ToSlash(rel), Kind: "unreadable", Message: "could not read this directory"})
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == ".git" || name == "node_modules" || name == "vendor" || name == ".venv" || name == "target" || name == "dist") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, ".github/workflows/") && !strings.Contains(strings.TrimPrefix(rel, ".github/workflows/"), "/"):
			return nil // already queued
		case name == "action.yml" || name == "action.yaml":
			jobs = append(jobs, &parseJob{repo: r, disk: p, rel: rel, ci: "composite"})
		case rel == ".gitlab-ci.yml" || (strings.HasPrefix(rel, ".gitlab/") && isYAML(name)):
			jobs = append(jobs, &parseJob{repo: r, disk: p, rel: rel, ci: "gitlab"})
		case opts.AllFiles || credentialFile(rel):
			jobs = append(jobs, &parseJob{repo: r, disk: p, rel: rel})
		}
		return nil
	})
	if walkErr != nil {
		inv.Coverage = append(inv.Coverage, model.CoverageGap{Repo: r.Name, Kind: "unreadable", Message: "walking the checkout failed"})
	}
	return jobs
}

func looseDirJobs(inv *model.Inventory, root string) []*parseJob {
	var jobs []*parseJob
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			inv.Coverage = append(inv.Coverage, model.CoverageGap{Path: p, Kind: "unreadable", Message: "could not read"})
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if isYAML(d.Name()) {
			r := &model.Repo{Loose: true}
			inv.Repos = append(inv.Repos, r)
			jobs = append(jobs, &parseJob{repo: r, disk: p, rel: p, direct: true})
		}
		return nil
	})
	return jobs
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// credentialFile reports files that commonly hold registry credentials, which
// a checkout scan reads for literal tokens, and the package manifests the
// registry-side steps read the package name from.
func credentialFile(rel string) bool {
	base := filepath.Base(rel)
	switch base {
	case ".npmrc", ".pypirc", ".yarnrc.yml", ".yarnrc", "credentials.toml", "pub-credentials.json", ".gemrc",
		"nuget.config", "NuGet.Config", "NuGet.config", ".env", "Makefile", "tox.ini", "package.json", "pyproject.toml",
		"setup.cfg", "Rakefile", "noxfile.py", "justfile", "Justfile", ".travis.yml", "azure-pipelines.yml",
		"bitbucket-pipelines.yml", "Jenkinsfile", "cloudbuild.yaml", ".drone.yml",
		// Package manifests: the registry steps name the package from them.
		"setup.py", "Cargo.toml", "pubspec.yaml":
		return true
	}
	switch filepath.Ext(base) {
	case ".gemspec", ".csproj", ".fsproj":
		return true
	}
	if strings.HasPrefix(rel, ".circleci/") || strings.Contains(rel, ".gem/credentials") || strings.Contains(rel, "/.cargo/credentials") {
		return true
	}
	switch filepath.Ext(base) {
	case ".sh", ".bash", ".ps1", ".env":
		return true
	}
	return strings.HasPrefix(rel, "scripts/") || strings.HasPrefix(rel, "bin/") || strings.HasPrefix(rel, "ci/") || strings.HasPrefix(rel, "dev/") || strings.HasPrefix(rel, "tools/")
}

// runJobs reads and parses files in parallel, then attaches the results to
// their repositories in a deterministic order.
func runJobs(ctx context.Context, inv *model.Inventory, jobs []*parseJob, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Index repository files for GitLab includes, after reading.
	var wg sync.WaitGroup
	ch := make(chan *parseJob)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if ctx.Err() != nil {
					continue
				}
				read(j)
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		unread := 0
		for _, j := range jobs {
			if j.file == nil && len(j.gaps) == 0 {
				unread++
			}
		}
		inv.Coverage = append(inv.Coverage, model.CoverageGap{Kind: "interrupted",
			Message: fmt.Sprintf("scan interrupted: %d of %d files not read", unread, len(jobs))})
		attach(inv, jobs)
		return err
	}
	// GitLab files need the other files of their repository for includes:
	// parse them after every file has been read.
	files := map[*model.Repo]map[string]*model.File{}
	for _, j := range jobs {
		if j.file == nil {
			continue
		}
		m := files[j.repo]
		if m == nil {
			m = map[string]*model.File{}
			files[j.repo] = m
		}
		m[j.rel] = j.file
	}
	var gl []*parseJob
	for _, j := range jobs {
		if j.file != nil && j.ci == "gitlab" {
			gl = append(gl, j)
		}
	}
	parallel(gl, workers, func(j *parseJob) {
		repoFiles := files[j.repo]
		root := j.repo.Root
		include := func(p string) (*model.File, bool) {
			p = strings.TrimPrefix(p, "/")
			if f, ok := repoFiles[p]; ok {
				return f, true
			}
			if root == "" {
				return nil, false
			}
			full := filepath.Join(root, filepath.FromSlash(p))
			if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") {
				return nil, false
			}
			b, err := os.ReadFile(full)
			if err != nil || len(b) > MaxCIFile {
				return nil, false
			}
			return &model.File{Path: p, Content: b}, true
		}
		p, errs := parseGitLab(j.file, include)
		j.pipeline = p
		for _, e := range errs {
			j.gaps = append(j.gaps, gapOf(j, e))
		}
	})
	// A file another GitLab file includes is part of that pipeline: its jobs
	// were analysed there, with the templates of the whole include tree, so
	// it is not a pipeline of its own (whose extends would look broken).
	includedBy := map[*model.Repo]map[string]bool{}
	for _, j := range gl {
		if j.pipeline == nil {
			continue
		}
		for _, inc := range j.pipeline.Included {
			if inc == j.rel {
				continue
			}
			if includedBy[j.repo] == nil {
				includedBy[j.repo] = map[string]bool{}
			}
			includedBy[j.repo][inc] = true
		}
	}
	for _, j := range gl {
		if includedBy[j.repo][j.rel] {
			j.pipeline, j.gaps = nil, nil
		}
	}
	attach(inv, jobs)
	return nil
}

// attach adds each job's file, pipeline and coverage gaps to its repository.
func attach(inv *model.Inventory, jobs []*parseJob) {
	for _, j := range jobs {
		r := j.repo
		if j.file != nil {
			r.Files = append(r.Files, j.file)
		}
		if j.pipeline != nil {
			r.Pipelines = append(r.Pipelines, j.pipeline)
		}
		for _, g := range j.gaps {
			g.Repo = r.Name
			inv.Coverage = append(inv.Coverage, g)
		}
	}
}

func parallel(jobs []*parseJob, workers int, fn func(*parseJob)) {
	var wg sync.WaitGroup
	ch := make(chan *parseJob)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				fn(j)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// read loads one file and parses it unless it is GitLab CI (parsed later).
func read(j *parseJob) {
	st, err := os.Stat(j.disk)
	if err != nil {
		j.gaps = append(j.gaps, model.CoverageGap{Path: j.rel, Kind: "unreadable", Message: "could not read the file"})
		return
	}
	limit := int64(MaxScannedFile)
	if j.ci != "" || j.direct {
		limit = MaxCIFile
	}
	if st.Size() > limit {
		j.gaps = append(j.gaps, model.CoverageGap{Path: j.rel, Kind: "too-large", Message: fmt.Sprintf("file is %d bytes, over the %d-byte limit: not read", st.Size(), limit)})
		return
	}
	b, err := os.ReadFile(j.disk)
	if err != nil {
		j.gaps = append(j.gaps, model.CoverageGap{Path: j.rel, Kind: "unreadable", Message: "could not read the file"})
		return
	}
	if isBinary(b) {
		if j.ci != "" || j.direct {
			j.gaps = append(j.gaps, model.CoverageGap{Path: j.rel, Kind: "binary", Message: "binary content: not a CI file"})
		}
		return
	}
	j.file = &model.File{Path: j.rel, Content: b}
	kind := j.ci
	if j.direct {
		kind = Detect(b)
		if kind == "" {
			// Not a CI file: still scanned for literal tokens.
			return
		}
		j.ci = kind
	}
	switch kind {
	case "workflow":
		p, err := actions.ParseWorkflow(j.file)
		if err != nil {
			j.gaps = append(j.gaps, gapOf(j, err))
			return
		}
		j.pipeline = p
	case "composite":
		p, err := parseComposite(j.file)
		if err != nil {
			j.gaps = append(j.gaps, gapOf(j, err))
			return
		}
		j.pipeline = p
	}
}

func gapOf(j *parseJob, err error) model.CoverageGap {
	g := model.CoverageGap{Path: j.rel, Kind: "parse-error", Message: err.Error()}
	switch e := err.(type) {
	case *actions.ParseError:
		g.Line, g.Column, g.Message = e.Line, e.Column, e.Message
	default:
		if l, c, m, ok := gitLabErrorPos(err); ok {
			g.Line, g.Column, g.Message = l, c, m
			// What stays unread because it lives elsewhere (an include, a
			// template from one) is incomplete, not broken.
			if strings.Contains(m, "not found") || strings.Contains(m, "unresolved") || strings.Contains(m, "does not read") {
				g.Kind = "unresolved"
				if j.direct {
					g.Message += " (the file was scanned on its own; scan its checkout to resolve includes)"
				}
			}
		}
	}
	return g
}

func isBinary(b []byte) bool {
	n := min(len(b), 8000)
	return bytes.IndexByte(b[:n], 0) >= 0
}

// Detect recognises a file named directly by its content: "workflow",
// "composite", "gitlab" or "" for anything else.
func Detect(b []byte) string {
	if looksLikeAction(b) && !hasTopKey(b, "jobs") {
		return "composite"
	}
	if hasTopKey(b, "jobs") && (hasTopKey(b, "on") || hasTopKey(b, "\"on\"") || hasTopKey(b, "'on'") || hasTopKey(b, "true")) {
		return "workflow"
	}
	if looksGitLab(b) {
		return "gitlab"
	}
	if hasTopKey(b, "jobs") {
		return "workflow"
	}
	return ""
}

// hasTopKey reports whether a line starts with "key:" at column 1.
func hasTopKey(b []byte, key string) bool {
	k := []byte(key + ":")
	for len(b) > 0 {
		if bytes.HasPrefix(b, k) {
			return true
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
	return false
}

func sortRepo(r *model.Repo) {
	sort.SliceStable(r.Files, func(i, k int) bool { return r.Files[i].Path < r.Files[k].Path })
	sort.SliceStable(r.Pipelines, func(i, k int) bool { return r.Pipelines[i].File.Path < r.Pipelines[k].File.Path })
}

// ReadFile reads a file of a repository's checkout, refusing paths that leave
// it, for following a publish into a script.
func ReadFile(repo *model.Repo, rel string) ([]byte, bool) {
	if repo.Root == "" {
		return nil, false
	}
	full := filepath.Join(repo.Root, filepath.FromSlash(rel))
	r, err := filepath.Rel(repo.Root, full)
	if err != nil || strings.HasPrefix(r, "..") {
		return nil, false
	}
	st, err := os.Stat(full)
	if err != nil || st.IsDir() || st.Size() > MaxScannedFile {
		return nil, false
	}
	b, err := os.ReadFile(full)
	if err != nil || isBinary(b) {
		return nil, false
	}
	return b, true
}
