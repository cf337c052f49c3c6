package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tpscan/tpscan/fixers"
	"github.com/tpscan/tpscan/rules"
	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/scanner/local"
)

// FixOptions are the options of `tpscan fix`.
type FixOptions struct {
	IO    *IOStreams
	Paths []string
	// Write applies the patches instead of printing them.
	Write      bool
	ConfigPath string
	Now        func() time.Time
}

// NewCmdFix builds `tpscan fix`.
func NewCmdFix(io *IOStreams, runF func(context.Context, *FixOptions) error) *cobra.Command {
	opts := &FixOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "fix PATH...",
		Short: "Print (or --write) the patches that move pipelines to trusted publishing",
		Long: `Scan like ` + "`tpscan local`" + ` and print, as a unified diff that ` + "`git apply`" + ` accepts, the
smallest patch that moves each fixable publish to trusted publishing: the token removed
from every env and with: input that reaches the publish, id-token: write granted to the
publishing job only (with the permissions it had carried over), clients too old for trusted
publishing bumped. Every byte outside the changed lines is kept, and each patched file is
parsed again before it is offered.

A publish that cannot be fixed safely gets no patch; the reason (from a fixed list, see the
README) is printed on stderr, with the manual steps in ` + "`tpscan local -v`" + `. The registry-side
steps (register the trusted publisher, delete the secret, revoke the token) are printed
after each patch as comments on stderr.

Dry run by default; --write applies the patches in place.`,
		Example: `  tpscan fix . > trusted-publishing.patch && git apply trusted-publishing.patch
  tpscan fix --write .`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("fix needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return fixRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Write, "write", "w", false, "apply the patches to the files instead of printing them")
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "config file (default: .tpscan.yml in the scanned directory)")
	return cmd
}

func fixRun(ctx context.Context, opts *FixOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	lo := &LocalOptions{IO: opts.IO, Paths: opts.Paths, ConfigPath: opts.ConfigPath}
	cfg, err := loadConfig(lo)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	inv, err := local.Load(ctx, opts.Paths, local.Options{})
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	findings := rules.Run(inv, rules.All(), cat, ruleOptions(cfg, local.ReadFile, 0, now))
	rules.Suppress(findings, cfg, now())
	res := fixers.Attach(inv, findings)
	roots := map[string]string{}
	for _, r := range inv.Repos {
		roots[r.Name] = r.Root
	}
	cwd, _ := os.Getwd()
	byFP := map[string]*rules.Finding{}
	for _, f := range findings {
		byFP[f.Fingerprint] = f
	}
	for _, ff := range res.Files {
		disk := diskPath(roots[ff.Repo], ff.Path)
		if opts.Write {
			st, err := os.Stat(disk)
			if err != nil {
				return fmt.Errorf("%s: %w", disk, err)
			}
			if err := os.WriteFile(disk, ff.Fixed, st.Mode().Perm()); err != nil {
				return fmt.Errorf("%s: %w", disk, err)
			}
			fmt.Fprintf(opts.IO.ErrOut, "tpscan: patched %s\n", disk)
		} else {
			// Paths relative to the current directory, so that `git
			// apply` run here finds the files.
			// Outside it, relative to the repository root, to be applied
			// there (git -C ROOT apply).
			rel := ff.Path
			if abs, err := filepath.Abs(disk); err == nil {
				if r, err := filepath.Rel(cwd, abs); err == nil && !strings.HasPrefix(r, "..") {
					rel = r
				} else if root := roots[ff.Repo]; root != "" {
					fmt.Fprintf(opts.IO.ErrOut, "# %s: apply in %s (git -C %s apply)\n", ff.Path, root, root)
				}
			}
			fmt.Fprint(opts.IO.Out, fixers.Unified(filepath.ToSlash(rel), ff.Original, ff.Fixed))
		}
		for _, n := range ff.Notes {
			fmt.Fprintf(opts.IO.ErrOut, "# %s: %s\n", disk, n)
		}
		for _, fp := range ff.Findings {
			if f := byFP[fp]; f != nil {
				for _, m := range f.ManualSteps {
					fmt.Fprintf(opts.IO.ErrOut, "# then: %s\n", m)
				}
			}
		}
	}
	refused := 0
	for _, f := range findings {
		if f.NoPatch != nil && !f.Suppressed {
			refused++
			fmt.Fprintf(opts.IO.ErrOut, "tpscan: no patch for %s %s:%d (%s): %s\n", f.Rule, diskPath(roots[f.Repo], f.Path), f.Line, f.NoPatch.Reason, f.NoPatch.Detail)
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "tpscan: %d files patched, %d publishes without a safe automatic patch\n", len(res.Files), refused)
	return nil
}

func diskPath(root, rel string) string {
	if root == "" {
		return rel
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}
