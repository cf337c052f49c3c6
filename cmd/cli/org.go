package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// NewCmdOrg builds `tpscan org`.
func NewCmdOrg(io *IOStreams, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "org ORG",
		Short: "Audit a GitHub organisation: every repository's workflows and stored secrets",
		Long: `Audit every repository of a GitHub organisation over the API: the workflows, local
composite actions and reusable workflows at each default branch's head, the repository,
environment and organisation Actions secrets (names and dates: GitHub never returns values),
Actions variables (whose values GitHub does return: a token there is readable by everyone
with read access), and environments with their protection rules. The same rules as
` + "`tpscan local`" + ` rank the findings; organisation-level findings (a registry token shared with
every repository, a secret nothing uses, an unprotected environment holding one) come too.

Credentials, in gh's order: GH_TOKEN, GITHUB_TOKEN, then gh's login (hosts.yml, then
` + "`gh auth token`" + `); for --github-url, GH_ENTERPRISE_TOKEN and GITHUB_ENTERPRISE_TOKEN first. Or a
GitHub App with --app-id and --private-key. Organisation secrets need organisation-admin
rights (classic admin:org; fine-grained or App: organisation Secrets read); without them
they are read per repository and their visibility is unknown. Repository secrets need admin
rights on each repository (Secrets read); what is refused is listed under coverage.

The scan is frugal: 50 repositories with all their workflow texts per GraphQL query, REST only
for secrets and variables, conditional requests against an encrypted cache (--cache-dir), so
an unchanged organisation re-scans almost free. It slows down before the rate limit, waits out
secondary limits, retries server errors, and Ctrl-C still prints what was collected.

Exit status as for ` + "`tpscan local`" + `: 0, 1 (a finding at or above --fail-on), 2 (usage or
authentication error), 3 (interrupted, or --fail-on-incomplete and something was not read).`,
		Example: `  GH_TOKEN=$(gh auth token) tpscan org myorg
  tpscan org myorg --format json --save snapshot/ > findings.json
  tpscan org myorg --sarif-dir sarif/ --upload      # alerts in each repository's code scanning
  tpscan org myorg --format markdown > report.md    # for an issue or pull-request comment
  tpscan org myorg --repos 'api-*' --include-archived
  tpscan org myorg --app-id 123 --private-key app.pem`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("org needs exactly one organisation name")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Org = args[0]
			return startAudit(cmd.Context(), opts, runF)
		},
	}
	addAuditFlags(cmd, opts)
	f := cmd.Flags()
	f.BoolVar(&opts.IncludeArchived, "include-archived", false, "also scan archived repositories")
	f.BoolVar(&opts.IncludeForks, "include-forks", false, "also scan forks")
	f.StringSliceVar(&opts.Repos, "repos", nil, "only repositories whose name matches one of these globs (e.g. 'api-*')")
	return cmd
}
