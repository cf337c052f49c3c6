package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
)

// NewCmdRepo builds `tpscan repo`.
func NewCmdRepo(io *IOStreams, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "repo OWNER/NAME",
		Short: "Audit one GitHub repository: its workflows and stored secrets",
		Long: `Audit one repository over the GitHub API, as ` + "`tpscan org`" + ` does for each repository of
an organisation: workflows, composite actions, repository and environment secrets and
variables, and the organisation secrets shared with it. Archived repositories and forks are
scanned when named. Credentials and exit status as for ` + "`tpscan org`" + `.`,
		Example: `  tpscan repo myorg/api
  tpscan repo --format json myorg/api`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("repo needs exactly one OWNER/NAME")
			}
			owner, name, ok := strings.Cut(args[0], "/")
			if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
				return usageError("repo needs OWNER/NAME, not %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Repo = args[0]
			return startAudit(cmd.Context(), opts, runF)
		},
	}
	addAuditFlags(cmd, opts)
	return cmd
}
