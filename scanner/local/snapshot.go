package local

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/snapshot"
)

// loadSnapshot reads an organisation snapshot: the inventory, and one
// checkout per repository directory.
func loadSnapshot(inv *model.Inventory, root string) ([]*parseJob, error) {
	var si *snapshot.Inventory
	if f, err := os.Open(filepath.Join(root, InventoryFile)); err == nil {
		si, err = snapshot.Read(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(root, InventoryFile), err)
		}
	}
	var jobs []*parseJob
	seen := map[string]bool{}
	if si != nil {
		inv.Org = si.Org
		for _, s := range si.Secrets {
			inv.OrgSecrets = append(inv.OrgSecrets, snapshot.ModelSecret(s, ""))
		}
		for _, v := range si.Variables {
			inv.OrgVariables = append(inv.OrgVariables, snapshot.ModelVariable(v, ""))
		}
		inv.Coverage = append(inv.Coverage, si.Coverage...)
		for _, sr := range si.Repositories {
			dir := sr.Path
			if dir == "" {
				dir = sr.Name[strings.LastIndexByte(sr.Name, '/')+1:]
			}
			full := filepath.Join(root, filepath.FromSlash(dir))
			if rel, err := filepath.Rel(root, full); err != nil || strings.HasPrefix(rel, "..") {
				return nil, fmt.Errorf("%s: repository %s: path %q leaves the snapshot", InventoryFile, sr.Name, sr.Path)
			}
			seen[filepath.Clean(full)] = true
			r := &model.Repo{Name: sr.Name, Root: full, Visibility: sr.Visibility, DefaultBranch: sr.DefaultBranch, Commit: sr.Commit, SecretsKnown: sr.SecretsListed}
			for _, s := range sr.Secrets {
				r.Secrets = append(r.Secrets, snapshot.ModelSecret(s, sr.Name))
			}
			for _, v := range sr.Variables {
				r.Variables = append(r.Variables, snapshot.ModelVariable(v, sr.Name))
			}
			for _, e := range sr.Environments {
				r.Environments = append(r.Environments, &model.Environment{Name: e.Name, RequiredReviewers: e.RequiredReviewers, BranchPolicy: e.BranchPolicy, WaitTimer: e.WaitTimer})
			}
			inv.Repos = append(inv.Repos, r)
			if !exists(full) {
				inv.Coverage = append(inv.Coverage, model.CoverageGap{Repo: sr.Name, Kind: "missing", Message: "listed in the inventory but its directory is not in the snapshot"})
				continue
			}
			jobs = append(jobs, checkoutJobs(inv, r, Options{})...)
		}
	}
	// Directories without an inventory entry are scanned too (no secrets known).
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	sort.Slice(entries, func(i, k int) bool { return entries[i].Name() < entries[k].Name() })
	for _, e := range entries {
		full := filepath.Clean(filepath.Join(root, e.Name()))
		if !e.IsDir() || seen[full] || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := e.Name()
		if inv.Org != "" {
			name = inv.Org + "/" + name
		}
		r := &model.Repo{Name: name, Root: full}
		inv.Repos = append(inv.Repos, r)
		jobs = append(jobs, checkoutJobs(inv, r, Options{})...)
	}
	return jobs, nil
}
