// Package fakegithub is an in-process, stateful fake of GitHub's REST and
// GraphQL APIs for the tests of tpscan's GitHub client. It exists to prove the
// client frugal and robust, so it behaves like GitHub — status codes, headers,
// body shapes, budgets — rather than like what a client hopes for. The facts
// it follows are in /work/shared/reference/github-gitlab-api.md (§1 REST, §2
// GraphQL, §3.1 limits, §3.2 auth, §3.6 test data, §3.8 checklist); where that
// file marks something unverified, the choice made here is said below.
//
// # Use
//
//	s := fakegithub.New(state, fakegithub.Options{Validator: fakegithub.LoadValidator(t)})
//	s.Start(t)                       // httptest server, closed by t.Cleanup
//	client.BaseURL = s.URL()          // ".../" or ".../api/v3/" with Options.GHES
//	post(s.GraphQLURL(), query)      // ".../graphql" or ".../api/graphql"
//	s.Update(func(st *fakegithub.State) { ... })   // change state between scans
//	s.Stats(), s.Violations()
//
// State is plain data: organisations with repositories (files at the head of
// the default branch, secrets, variables, environments), organisation secrets
// and variables, tokens and GitHub Apps. Git oids are real git hashes of the
// files, so blob, tree and commit oids change exactly when content does.
// Zero timestamps are served as DefaultTime; the same State always yields the
// same bytes and ETags.
//
// # Authentication and permissions
//
// "Authorization: token X", "Bearer X" or git-style Basic. Unknown or
// expired tokens get 401 "Bad credentials"; no header gets the 60-per-hour
// unauthenticated budget and public data only. An RS256 App JWT (iss = app
// id or client id, exp at most 10 minutes ahead) is accepted by
// /orgs/{org}/installation and POST /app/installations/{id}/access_tokens
// only; those refuse anything else with 401 "A JSON web token could not be
// decoded". Minted installation tokens live one hour.
//
// Private and internal repositories a token cannot see answer 404 (never 403)
// and are left out of lists: classic tokens need the repo scope; fine-grained,
// installation and github-actions tokens need the repository in Token.Repos
// (nil = all) of Token.Org. Beyond visibility each endpoint needs:
//
//	endpoint                                   classic scope     fine-grained / App permission
//	/orgs/{org}/repos, /repos/{o}/{r}           repo (private)    metadata (implied)
//	contents, git trees/blobs, commits          repo (private)    contents
//	environments, one environment, branch       repo (private)    actions
//	  policies (public repos: anyone)
//	repo secrets, repo organization-secrets     repo              secrets
//	repo variables, organization-variables      repo              actions_variables
//	environment secrets and variables           repo              environments
//	/orgs/{org}/actions/secrets (+repos)        admin:org, owner  organization_secrets
//	/orgs/{org}/actions/variables (+repos)      admin:org, owner  organization_actions_variables
//	code scanning SARIF upload (status: read)   security_events   security_events write
//
// SARIF uploads (codescanning.go) have their own budget, 1,000 per hour, and
// follow GitHub's refusals: archived (403), code scanning not enabled
// (403), 413 over 10 MB compressed, 400 for an unknown commit or invalid
// SARIF; accepted ones are recorded in State.SARIFUploads.
//
// "owner" means Token.Login is in Org.Admins. Permission keys follow GitHub's
// fine-grained permission data; "variables" and "organization_variables" are
// accepted as aliases (the reference leaves the API spelling of the variables
// permissions unverified). A missing right answers 403 with GitHub's text:
// "Must have admin rights to Repository." for classic tokens (observed for
// org secrets), "Resource not accessible by personal access token" or "... by
// integration" for the others, with X-Accepted-GitHub-Permissions naming the
// permission ("secrets=read"). Anonymous requests for authenticated-only
// data get 401 "Requires authentication". Installation tokens get 403 on
// GET /user; an App JWT gets 403 outside the App endpoints (unverified).
//
// # Headers, budgets, conditional requests
//
// Every response carries x-ratelimit-limit/remaining/used/reset/resource,
// x-github-request-id, x-github-api-version-selected (the request's
// X-GitHub-Api-Version, default 2022-11-28; other values than 2022-11-28 and
// 2026-03-10 get 400), x-github-media-type and GitHub's security headers;
// X-OAuth-Scopes and X-Accepted-OAuth-Scopes for classic tokens;
// X-Accepted-GitHub-Permissions for the others. 2xx and 304 add Cache-Control
// (private for authenticated requests), Vary and, for single resources,
// Last-Modified; 200 GETs add an ETag (weak for lists, strong otherwise) that
// hashes the token's fingerprint with the body, so ETags are token-specific
// as on GitHub. If-None-Match with the current ETag, or If-Modified-Since not
// before Last-Modified (which works across tokens), gives 304 without body,
// not charged. Error responses carry no ETag or Cache-Control, as recorded.
//
// Budgets are per identity and resource (core, graphql), refilled an hour
// after the window's first charged request: classic and fine-grained tokens
// of one Login share the user's budget (GitHub: "all share the user's
// bucket"), installations and github-actions tokens (default 1000) have their
// own, anonymous clients 60 per IP. Every answered request is charged,
// including 4xx (GitHub counts them), except 304s, GET /rate_limit, injected
// 5xx and rate-limit refusals. An exhausted REST budget gets 403 (or 429, see
// Faults.PrimaryLimitStatus) with x-ratelimit-remaining: 0 and "API rate
// limit exceeded for user ID n." — even for a conditional request (whether
// GitHub would still answer 304 there is not known; the stricter choice is
// made).
//
// # REST
//
// Lists take per_page (default 30, max 100; variables default 10, max 30)
// and page. When there is more than one page a single comma-separated Link
// header gives prev, next, last, first in GitHub's order; the organisation
// repository list links to the id-based /organizations/{id}/repos, which is
// served too. Where GitHub's description declares no Link header (list
// environments, deployment branch policies, the selected repositories of an
// organisation secret or variable) none is sent: clients page by
// total_count. Environment names are one escaped path segment ("prod%2Feu");
// the unescaped form and go-github v62's old
// /repositories/{id}/environments/{env}/secrets path answer 404.
// Selected-repositories of a secret or variable whose visibility is not
// "selected" answer 409 (declared for variables; assumed for secrets).
// Contents serve base64 files up to 1 MB (beyond: 403 too_large, use blobs),
// directories as arrays and raw bytes for Accept: application/vnd.github.raw;
// git trees recurse for any value of recursive, as GitHub documents; commits
// answer the bare sha for Accept: application/vnd.github.sha.
//
// # GraphQL
//
// Queries are parsed with gqlparser and executed over the subset the
// inventory needs: Query{rateLimit, organization, repository, viewer},
// Organization{repositories(first, after, orderBy, isArchived, isFork,
// privacy, visibility), repository}, Repository{name, nameWithOwner,
// databaseId, visibility, is*, pushedAt, defaultBranchRef{target}, object
// (expression "HEAD:path", "<branch>:path", "<oid>:path" or oid), environments,
// environment}, Commit, Tree{entries}, TreeEntry, Blob{byteSize, isBinary,
// isTruncated, text}, Environment{protectionRules}, DeploymentProtectionRule
// {type, timeout, preventSelfReview, reviewers}, User, Team, connections with
// totalCount, pageInfo, nodes and edges. Aliases, variables with defaults,
// named and inline fragments on object, interface and union types,
// __typename, @skip and @include work; nulls propagate from non-null fields.
// Blob.text is null for binary blobs and cut at Options.BlobTextLimit bytes
// (default 512000) with isTruncated. Every connection needs first or last
// (1-100) or the query is refused before execution, as is one asking more
// than 500,000 nodes. Cost follows GitHub's formula (requests per connection
// assuming full pages, /100, rounded, at least 1) and is charged to the
// graphql budget; rateLimit reports it consistently with the headers, and
// rateLimit(dryRun: true) charges nothing. Errors are HTTP 200 with errors[]
// (NOT_FOUND with path and locations and a null field, FORBIDDEN for private
// data without the permission, RATE_LIMITED for an exhausted budget).
//
// # Faults and validation
//
// See Faults for injected denials, 5xx bursts, secondary limits (403 or 429,
// with or without Retry-After), truncated lists and GraphQL failures. With
// Options.Validator every REST response is checked against GitHub's OpenAPI
// description and every GraphQL query against the schema (see Validator);
// Server.Violations also reports the fake's own gaps (bad fault patterns,
// GraphQL fields a valid query uses that the fake does not implement).
//
// Tokens never appear in Stats, errors or logs: Fingerprint gives the short
// sha256 used instead.
package fakegithub
