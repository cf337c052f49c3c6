package fakegithub

import (
	"strings"
	"testing"
)

func TestFindNPMDir(t *testing.T) {
	t.Setenv("TPSCAN_NPM_DIR", t.TempDir())
	if dir, why := findNPMDir(); dir != "" || !strings.Contains(why, "TPSCAN_NPM_DIR") {
		t.Errorf("an override without the packages: %q, %q", dir, why)
	}
	t.Setenv("TPSCAN_NPM_DIR", "")
	good := NPMDir(t) // skips (or fails with CI=true) when make npm-deps has not run
	t.Setenv("TPSCAN_NPM_DIR", good)
	if dir, _ := findNPMDir(); dir != good {
		t.Errorf("override ignored: %q", dir)
	}
}
