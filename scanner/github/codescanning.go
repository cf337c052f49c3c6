package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Code scanning SARIF uploads (reference §3.4). go-github v62 covers both
// endpoints but not well enough: SarifAnalysis has no validate field,
// SARIFUpload has no errors[] (GitHub's reasons for a failed analysis), and
// its Do turns the 202 into an AcceptedError. So the requests are built
// here and sent through the client's transport chain (limiter, credential,
// user agent), which is what makes Retry-After, secondary limits and the
// separate code_scanning_upload budget apply.

// UploadResource is the rate-limit resource of SARIF uploads: GitHub allows
// 1,000 uploads per hour per user or App installation, apart from the core
// budget (x-ratelimit-resource on the upload's response).
const UploadResource = "code_scanning_upload"

// SARIFUpload is the body of POST /repos/{owner}/{repo}/code-scanning/sarifs.
type SARIFUpload struct {
	// CommitSHA is the analysed commit: 40 or 64 hex digits.
	CommitSHA string `json:"commit_sha"`
	// Ref is refs/heads/<b>, refs/tags/<t> or refs/pull/<n>/(merge|head).
	Ref string `json:"ref"`
	// SARIF is the file gzip-compressed, then base64-encoded.
	SARIF       string     `json:"sarif"`
	CheckoutURI string     `json:"checkout_uri,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	ToolName    string     `json:"tool_name,omitempty"`
	// Validate asks github.com to check the file against code scanning's
	// rules. GHES 3.17–3.19 do not describe it; nil leaves it out.
	Validate *bool `json:"validate,omitempty"`
}

// SARIFReceipt is GitHub's 202 answer to an upload.
type SARIFReceipt struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// SARIFStatus is GET /repos/{owner}/{repo}/code-scanning/sarifs/{id}.
type SARIFStatus struct {
	// ProcessingStatus is pending, complete or failed.
	ProcessingStatus string   `json:"processing_status"`
	AnalysesURL      string   `json:"analyses_url"`
	Errors           []string `json:"errors"`
}

// APIError is a REST refusal with what GitHub said about it. Message is
// GitHub's text with any credential or registry token redacted.
type APIError struct {
	// Op says what was asked ("upload SARIF to acme/web").
	Op               string
	Status           int
	Message          string
	DocumentationURL string
	// AcceptedScopes (X-Accepted-OAuth-Scopes) and TokenScopes
	// (X-OAuth-Scopes) are sent for classic tokens; AcceptedPermissions
	// (X-Accepted-GitHub-Permissions, e.g. "security_events=write") for
	// fine-grained tokens and Apps.
	AcceptedScopes      string
	TokenScopes         string
	AcceptedPermissions string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, msg)
}

// UploadSARIF uploads one analysis. A 202 gives the receipt; any other
// answer an *APIError (or the limiter's *RateLimitError when the upload
// budget is spent beyond what the limiter may wait for).
func (c *Client) UploadSARIF(ctx context.Context, owner, repo string, u *SARIFUpload) (*SARIFReceipt, error) {
	op := "upload SARIF to " + owner + "/" + repo
	var rec SARIFReceipt
	path := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/code-scanning/sarifs"
	if err := c.rawREST(withKind(ctx, "sarif-upload"), op, http.MethodPost, path, u, http.StatusAccepted, &rec); err != nil {
		return nil, err
	}
	if rec.ID == "" {
		return nil, fmt.Errorf("%s: GitHub accepted the upload but gave no id", op)
	}
	return &rec, nil
}

// SARIFStatus reads the processing status of an upload.
func (c *Client) SARIFStatus(ctx context.Context, owner, repo, id string) (*SARIFStatus, error) {
	op := "SARIF upload " + id + " of " + owner + "/" + repo
	var st SARIFStatus
	path := "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/code-scanning/sarifs/" + url.PathEscape(id)
	if err := c.rawREST(withKind(ctx, "sarif-status"), op, http.MethodGet, path, nil, http.StatusOK, &st); err != nil {
		return nil, err
	}
	for i, e := range st.Errors {
		st.Errors[i] = c.redact(e)
	}
	return &st, nil
}

// UploadBudget is what GitHub last said about the upload budget, if it
// said anything (GHES with rate limiting off sends nothing).
func (c *Client) UploadBudget() (BudgetUse, bool) {
	b, ok := c.lim.Budgets()[UploadResource]
	return b, ok && b.Limit > 0
}

// rawREST sends one request through the transport chain and decodes a
// response of status want into v.
func (c *Client) rawREST(ctx context.Context, op, method, path string, body any, want int, v any) error {
	req, err := c.rest.NewRequest(method, path, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := c.httpc.Do(req.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.safe(fmt.Errorf("%s: %w", op, err))
	}
	defer drain(resp)
	if resp.StatusCode != want {
		return c.apiError(op, resp)
	}
	if err := decodeJSON(resp.Body, v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: unexpected answer: %w", op, err)
	}
	return nil
}

func (c *Client) apiError(op string, resp *http.Response) *APIError {
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(raw, &body) != nil {
		// 413 and 5xx may come from a proxy in front of GitHub, as text.
		body.Message = strings.TrimSpace(string(raw))
		if len(body.Message) > 200 {
			body.Message = body.Message[:200] + "…"
		}
	}
	h := resp.Header
	return &APIError{Op: op, Status: resp.StatusCode, Message: c.redact(body.Message), DocumentationURL: stripQuery(body.DocumentationURL),
		AcceptedScopes: h.Get("X-Accepted-OAuth-Scopes"), TokenScopes: h.Get("X-OAuth-Scopes"),
		AcceptedPermissions: h.Get("X-Accepted-GitHub-Permissions")}
}
