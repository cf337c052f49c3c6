package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tpscan/tpscan/rules"
)

// RulesOptions are the options of `tpscan rules`.
type RulesOptions struct {
	IO   *IOStreams
	Rule string
}

// NewCmdRules lists the rules or explains one.
func NewCmdRules(io *IOStreams, runF func(*RulesOptions) error) *cobra.Command {
	opts := &RulesOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "rules [RULE]",
		Short: "List the rules, or explain one: what it checks, why it matters, how to fix it",
		Example: `  tpscan rules
  tpscan rules TP003
  tpscan rules half-done-migration`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Rule = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return rulesRun(opts)
		},
	}
	return cmd
}

func rulesRun(opts *RulesOptions) error {
	if opts.Rule == "" {
		for _, r := range rules.All() {
			fmt.Fprintf(opts.IO.Out, "%s  %-30s %s\n", r.ID, r.Name, r.Short)
		}
		return nil
	}
	r := rules.Lookup(opts.Rule)
	if r == nil {
		return usageError("no rule %q: run 'tpscan rules' for the list", opts.Rule)
	}
	fmt.Fprintf(opts.IO.Out, "%s %s: %s\n\n%s\n", r.ID, r.Name, r.Short, r.Help)
	return nil
}
