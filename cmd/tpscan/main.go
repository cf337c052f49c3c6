// Command tpscan finds long-lived package-registry tokens in CI, scores how
// dangerous each one is, and moves pipelines to trusted publishing.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/tpscan/tpscan/cmd/cli"
)

// A scan allocates a lot of short-lived parser garbage around its live
// model. Collecting less often (GOGC 300) but never above a soft limit keeps
// a 10,000-workflow scan fast and under about 400 MB; a lower limit makes
// the collector run all the time once the model of a large scan nears it
// (a JSON scan that computes thousands of patches took four times as long
// at 260 MiB). GOGC and GOMEMLIMIT, when set, win.
const (
	gcPercent       = 300
	softMemoryLimit = 400 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
