// Package cli holds tpscan's commands, one file per command in the manner of
// the GitHub CLI: each has an options struct, takes its I/O injected, and
// can be run from a test.
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X .../cmd/cli.Version=...";
// the default is numeric because SARIF consumers compare tool versions.
var Version = "0.0.0-dev"

// Exit codes, documented in the README.
const (
	ExitOK         = 0
	ExitFindings   = 1
	ExitUsage      = 2
	ExitIncomplete = 3
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(io *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "tpscan <command>",
		Short: "Find long-lived registry tokens in CI and move pipelines to trusted publishing",
		Long: `tpscan finds every CI pipeline that publishes packages to PyPI, TestPyPI, RubyGems.org,
npm, crates.io, nuget.org or pub.dev with a stored, long-lived token, scores how dangerous each
one is (0–100, from named factors), and says how to move it to trusted publishing: a
short-lived token minted per run over OIDC, nothing stored.

It follows the credential, not keywords: from secrets through env, inputs, run: scripts
(parsed as shell), credential files, $GITHUB_ENV and reusable workflows to the publish.
Token values are never printed: literal tokens appear only as redacted fingerprints.`,
		Example: `  # Audit a GitHub organisation or one repository over the API
  tpscan org myorg
  tpscan repo myorg/api

  # Scan a checkout, a workflow file, or an organisation snapshot
  tpscan local .
  tpscan local .github/workflows/release.yml
  tpscan local testdata/demo-org

  # Machine-readable output for scripts and bots
  tpscan local --format json . > findings.json

  # What a rule checks and how to fix it
  tpscan rules TP001`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetIn(io.In)
	root.AddCommand(NewCmdLocal(io, nil))
	root.AddCommand(NewCmdOrg(io, nil))
	root.AddCommand(NewCmdRepo(io, nil))
	root.AddCommand(NewCmdFix(io, nil))
	root.AddCommand(NewCmdRules(io, nil))
	root.AddCommand(NewCmdUploadSARIF(io, nil))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	return root
}

// Main runs tpscan with args and returns the exit code.
func Main(ctx context.Context, args []string, io *IOStreams) int {
	root := NewCmdRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(io.ErrOut, "tpscan:", ee.err)
		}
		return ee.code
	}
	// Anything else is cobra's own (unknown command, bad arguments) or a
	// failure before scanning started: both are usage errors.
	fmt.Fprintln(io.ErrOut, "tpscan:", err)
	return ExitUsage
}
