package fakegithub

import (
	"os"
	"path/filepath"
	"testing"
)

// NPMDir returns the node_modules directory holding the pinned
// @octokit/{openapi,graphql-schema,fixtures} packages: $TPSCAN_NPM_DIR, or
// .ci/npm/node_modules in the module root found by walking up from the
// working directory. When the packages are missing the test is skipped —
// except with CI=true, where it fails: CI must never skip silently
// (`make npm-deps` installs them).
func NPMDir(t testing.TB) string {
	t.Helper()
	dir, why := findNPMDir()
	if dir != "" {
		return dir
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("npm test data missing (%s); run `make npm-deps`", why)
	}
	t.Skipf("npm test data missing (%s); run `make npm-deps`", why)
	return ""
}

func findNPMDir() (dir, why string) {
	probe := filepath.Join("@octokit", "openapi", "generated", "api.github.com.json")
	if d := os.Getenv("TPSCAN_NPM_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, probe)); err != nil {
			return "", "TPSCAN_NPM_DIR=" + d + ": " + err.Error()
		}
		return d, ""
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err.Error()
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			nm := filepath.Join(d, ".ci", "npm", "node_modules")
			if _, err := os.Stat(filepath.Join(nm, probe)); err != nil {
				return "", "no " + filepath.Join(nm, probe)
			}
			return nm, ""
		}
		if filepath.Dir(d) == d {
			return "", "no go.mod above " + wd
		}
	}
}
