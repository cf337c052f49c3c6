package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The GraphQL queries. One query reads 50 repositories with their default
// branch head, the text of every workflow file, the composite actions under
// .github/actions, root credential files and environments with their
// protection rules: what a naive REST crawl needs five or more requests per
// repository for. Tree entries and objects are not connections, so they add
// no point cost; environments and protection rules are kept small because
// nested connections multiply the cost.
//
// Every query here is validated against GitHub's published schema in the
// tests (npm @octokit/graphql-schema).

const blobFields = `oid byteSize isBinary isTruncated text`

// repoFields is the fragment for one repository. %s is the blob selection:
// the full one with text, or oids only when cached texts may be reused.
const repoFieldsTmpl = `fragment RepoFields on Repository {
  name nameWithOwner databaseId isArchived isFork isEmpty isDisabled visibility pushedAt
  defaultBranchRef { name target { oid ... on Commit { tree { oid } } } }
  workflows: object(expression: "HEAD:.github/workflows") {
    ... on Tree { oid entries { name path type mode oid object { ... on Blob { %[1]s } } } }
  }
  actions: object(expression: "HEAD:.github/actions") {
    ... on Tree { oid entries { name path type oid object {
      ... on Tree { entries { name path type oid object { ... on Blob { %[1]s } } } } } } }
  }
  npmrc: object(expression: "HEAD:.npmrc") { ... on Blob { %[1]s } }
  pypirc: object(expression: "HEAD:.pypirc") { ... on Blob { %[1]s } }
  packageJSON: object(expression: "HEAD:package.json") { ... on Blob { %[1]s } }
%[2]s}`

// environmentsField reads a repository's environments. A credential that
// may not read them gets an error on this non-null field, which nulls the
// whole repository node; the collector then asks again without it.
const environmentsField = `  environments(first: 25) { totalCount nodes { name protectionRules(first: 5) { nodes { type timeout } } } }
`

const orgQueryTmpl = `query OrgInventory($org: String!, $first: Int!, $after: String) {
  rateLimit { cost limit remaining used resetAt }
  organization(login: $org) {
    repositories(first: $first, after: $after, orderBy: {field: NAME, direction: ASC}%s) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...RepoFields }
    }
  }
}
`

const repoQueryTmpl = `query RepoInventory($owner: String!, $name: String!) {
  rateLimit { cost limit remaining used resetAt }
  repository(owner: $owner, name: $name) { ...RepoFields }
}
`

// withText and withoutText are the two blob selections.
const (
	withText    = blobFields
	withoutText = `oid byteSize isBinary`
)

// OrgQuery builds the organisation inventory query. filters are extra
// arguments of repositories (isArchived: false, isFork: false) so that
// skipped repositories cost nothing.
func OrgQuery(text bool, filters string) string {
	return orgQuery(text, filters, true)
}

func orgQuery(text bool, filters string, environments bool) string {
	return fmt.Sprintf(orgQueryTmpl, filters) + repoFields(text, environments)
}

// RepoQuery builds the single-repository inventory query.
func RepoQuery(text bool) string {
	return repoQuery(text, true)
}

func repoQuery(text, environments bool) string {
	return repoQueryTmpl + repoFields(text, environments)
}

// repoFields is the RepoFields fragment: blob texts or oids only, with or
// without environments.
func repoFields(text, environments bool) string {
	sel := withoutText
	if text {
		sel = withText
	}
	env := ""
	if environments {
		env = environmentsField
	}
	return fmt.Sprintf(repoFieldsTmpl, sel, env)
}

// BlobsQuery reads blobs by object id across repositories, one alias per
// repository and per blob: what a re-scan asks for the files that changed.
func BlobsQuery(reqs []blobRequest) string {
	var b strings.Builder
	b.WriteString("query Blobs {\n  rateLimit { cost limit remaining used resetAt }\n")
	byRepo := map[string][]int{}
	var order []string
	for i, r := range reqs {
		if _, ok := byRepo[r.repo]; !ok {
			order = append(order, r.repo)
		}
		byRepo[r.repo] = append(byRepo[r.repo], i)
	}
	for ri, repo := range order {
		owner, name, _ := strings.Cut(repo, "/")
		fmt.Fprintf(&b, "  r%d: repository(owner: %s, name: %s) {\n", ri, gqlString(owner), gqlString(name))
		for _, i := range byRepo[repo] {
			r := reqs[i]
			if r.oid != "" {
				fmt.Fprintf(&b, "    b%d: object(oid: %s) { ... on Blob { %s } }\n", i, gqlString(r.oid), blobFields)
			} else {
				fmt.Fprintf(&b, "    b%d: object(expression: %s) { ... on Blob { %s } }\n", i, gqlString("HEAD:"+r.path), blobFields)
			}
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// blobRequest names one blob to read, by object id or by path at HEAD.
type blobRequest struct {
	repo, path, oid string
}

func gqlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type gqlRepo struct {
	Name             string `json:"name"`
	NameWithOwner    string `json:"nameWithOwner"`
	DatabaseID       int64  `json:"databaseId"`
	IsArchived       bool   `json:"isArchived"`
	IsFork           bool   `json:"isFork"`
	IsEmpty          bool   `json:"isEmpty"`
	IsDisabled       bool   `json:"isDisabled"`
	Visibility       string `json:"visibility"`
	DefaultBranchRef *struct {
		Name   string `json:"name"`
		Target *struct {
			OID  string `json:"oid"`
			Tree *struct {
				OID string `json:"oid"`
			} `json:"tree"`
		} `json:"target"`
	} `json:"defaultBranchRef"`
	Workflows    *gqlObject `json:"workflows"`
	Actions      *gqlObject `json:"actions"`
	Npmrc        *gqlObject `json:"npmrc"`
	Pypirc       *gqlObject `json:"pypirc"`
	PackageJSON  *gqlObject `json:"packageJSON"`
	Environments *struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			Name            string `json:"name"`
			ProtectionRules struct {
				Nodes []struct {
					Type    string `json:"type"`
					Timeout int    `json:"timeout"`
				} `json:"nodes"`
			} `json:"protectionRules"`
		} `json:"nodes"`
	} `json:"environments"`
}

// gqlObject is a Tree or a Blob: the query selects fields of both through
// inline fragments, so one struct decodes either.
type gqlObject struct {
	OID         string     `json:"oid"`
	ByteSize    int        `json:"byteSize"`
	IsBinary    *bool      `json:"isBinary"`
	IsTruncated bool       `json:"isTruncated"`
	Text        *string    `json:"text"`
	Entries     []gqlEntry `json:"entries"`
}

type gqlEntry struct {
	Name   string     `json:"name"`
	Path   string     `json:"path"`
	Type   string     `json:"type"`
	Mode   int        `json:"mode"`
	OID    string     `json:"oid"`
	Object *gqlObject `json:"object"`
}

// gqlError is one entry of a GraphQL errors list.
type gqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// GraphQLError carries the errors of a response that also had data.
type GraphQLError struct{ Errors []gqlError }

func (e *GraphQLError) Error() string {
	msgs := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		msgs = append(msgs, x.Message)
	}
	return "GraphQL: " + strings.Join(msgs, "; ")
}

func (e *GraphQLError) rateLimited() bool {
	for _, x := range e.Errors {
		if strings.HasPrefix(x.Type, "RATE_LIMIT") || strings.Contains(strings.ToLower(x.Message), "rate limit") {
			return true
		}
	}
	return false
}

// graphql posts a query and decodes data into out. Errors that come with
// data (a repository that vanished, a field GitHub could not resolve) are
// returned as *GraphQLError next to the decoded data; a rate-limit error is
// retried after the reset the budget reports, within the limiter's patience.
func (c *Client) graphql(ctx context.Context, kind, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	ctx = withKind(ctx, kind)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.graphqlURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := c.httpc.Do(req)
		if err != nil {
			return c.safe(err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		resp.Body.Close()
		if err != nil {
			return c.safe(fmt.Errorf("reading GraphQL response: %w", err))
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GraphQL: HTTP %d: %s", resp.StatusCode, c.redact(snippet(raw)))
		}
		var gr gqlResponse
		if err := json.Unmarshal(raw, &gr); err != nil {
			return fmt.Errorf("GraphQL: response is not JSON (truncated?): %w", err)
		}
		if len(gr.Errors) > 0 {
			ge := &GraphQLError{Errors: gr.Errors}
			if ge.rateLimited() && attempt < 3 {
				wait := c.lim.cfg.SecondaryWait
				if b := c.lim.Budgets()["graphql"]; b.Remaining == 0 && !b.Reset.IsZero() {
					wait = time.Until(b.Reset) + time.Second
				}
				if wait > c.lim.cfg.MaxWait {
					return &RateLimitError{Resource: "graphql", Reset: time.Now().Add(wait)}
				}
				c.stats.limited(kind, false)
				if err := c.lim.cfg.Sleep(ctx, wait); err != nil {
					return err
				}
				continue
			}
			if len(gr.Data) == 0 || string(gr.Data) == "null" {
				return fmt.Errorf("%s", c.redact(ge.Error()))
			}
			if err := json.Unmarshal(gr.Data, out); err != nil {
				return fmt.Errorf("GraphQL: decoding data: %w", err)
			}
			return ge
		}
		if err := json.Unmarshal(gr.Data, out); err != nil {
			return fmt.Errorf("GraphQL: decoding data: %w", err)
		}
		return nil
	}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
