package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tpscan/tpscan/reports"
)

// sarifManifest lists the files of a --sarif-dir, so that a later run can
// remove the files it wrote before (a repository deleted or filtered out
// must not leave a stale file that upload-sarif would send) without ever
// touching a file tpscan did not write.
const sarifManifest = "tpscan-sarif.json"

type sarifDirEntry struct {
	Repo        string `json:"repo"`
	Path        string `json:"path"`
	Commit      string `json:"commit,omitempty"`
	Results     int    `json:"results"`
	Partial     bool   `json:"partial"`
	OrgFindings bool   `json:"org_findings,omitempty"`
}

type sarifDirManifest struct {
	Files []sarifDirEntry `json:"files"`
}

// checkSARIFDir refuses a directory that holds files and is not one tpscan
// wrote.
func checkSARIFDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, sarifManifest)); err != nil {
		return errors.New("directory exists and was not written by tpscan --sarif-dir; refusing to write into it")
	}
	return nil
}

// writeSARIFDir writes one SARIF file per repository, and says on stderr
// which cannot be uploaded and where the organisation-level findings went.
func writeSARIFDir(errOut io.Writer, dir string, rep *reports.Report, opts reports.SARIFOptions, orgRepo string) error {
	files, err := reports.SARIFPerRepository(rep, opts, orgRepo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if old, err := os.ReadFile(filepath.Join(dir, sarifManifest)); err == nil {
		var m sarifDirManifest
		if err := json.Unmarshal(old, &m); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, sarifManifest), err)
		}
		for _, e := range m.Files {
			if !safeRelPath(e.Path) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(e.Path))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	var m sarifDirManifest
	partial, results := 0, 0
	for _, f := range files {
		if !safeRelPath(f.Path) {
			return fmt.Errorf("repository name %q is not a safe file name", f.Repo)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
		m.Files = append(m.Files, sarifDirEntry{Repo: f.Repo, Path: f.Path, Commit: f.Commit, Results: f.Results, Partial: f.Partial, OrgFindings: f.OrgFindings})
		results += f.Results
		if f.Partial {
			partial++
		}
		if f.OrgFindings {
			if f.Commit == "" {
				fmt.Fprintf(errOut, "tpscan: organisation-level findings are in %s, but %s was not scanned, so that file cannot be uploaded (create the repository or pass --org-findings-repo)\n", p, f.Repo)
			} else {
				fmt.Fprintf(errOut, "tpscan: organisation-level findings go with %s (%s)\n", f.Repo, p)
			}
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, sarifManifest), append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "tpscan: %d SARIF files (%d results) written to %s", len(files), results, dir)
	if partial > 0 {
		fmt.Fprintf(errOut, "; %d of them partly read, which upload-sarif will not upload", partial)
	}
	fmt.Fprintln(errOut)
	return nil
}

// safeRelPath keeps a repository-derived path inside the directory.
func safeRelPath(p string) bool {
	if p == "" || filepath.IsAbs(p) || strings.Contains(p, "\\") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "" {
			return false
		}
	}
	return true
}

// uploadableSARIF lists the files of a --sarif-dir to upload: all but an
// organisation-level file with no commit, which writeSARIFDir already
// explained and which no repository could take.
func uploadableSARIF(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, sarifManifest))
	if err != nil {
		return nil, err
	}
	var m sarifDirManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, sarifManifest), err)
	}
	var out []string
	for _, e := range m.Files {
		if e.OrgFindings && e.Commit == "" || !safeRelPath(e.Path) {
			continue
		}
		out = append(out, filepath.Join(dir, filepath.FromSlash(e.Path)))
	}
	return out, nil
}
