// Command tpscan finds long-lived package-registry tokens in CI, scores how
// dangerous each one is, and moves pipelines to trusted publishing.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/tpscan/tpscan/cmd/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
