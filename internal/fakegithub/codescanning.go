package fakegithub

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Code scanning SARIF uploads (reference §3.4; OA code-scanning/upload-sarif
// and code-scanning/get-sarif):
//
//	POST /repos/{owner}/{repo}/code-scanning/sarifs      202 {id, url}
//	GET  /repos/{owner}/{repo}/code-scanning/sarifs/{id} {processing_status, analyses_url, errors}
//
// The upload is charged to its own budget, code_scanning_upload, of
// Options.SARIFUploadsPerHour (GitHub: 1,000 per hour per user or App
// installation), with x-ratelimit-resource saying so. It needs the
// security_events scope (classic; repo, which includes it, or public_repo
// for a public repository do too, per GitHub's scope documentation) or
// "Code scanning alerts" (security_events) write (fine-grained, App); the
// status needs read. Checks, in order: visibility (404), permission (403),
// archived (403), code scanning not enabled (403), the request's fields
// (422, as observed on GHES), the size (413), base64/gzip/JSON (400), the
// commit (400). An accepted upload is recorded in State.SARIFUploads and
// answers "pending" Options.SARIFPendingPolls times, then "complete" — or
// "failed" with errors[] when GitHub's processing would reject it (no runs,
// a result without a location, a run over the limits).

const uploadResource = "code_scanning_upload"

// Error texts. Where each comes from:
const (
	// The 403 every write to an archived repository gets (observed on
	// issues, refs and repository updates; recorded in several clients'
	// error tables). That the upload uses the same text is inferred: OA
	// only says "Response if the repository is archived".
	msgArchived = "Repository was archived so is read-only."
	// GitHub Enterprise Server: quoted by GitHub's documentation
	// ("If you see the error Advanced Security must be enabled for this
	// repository to use code scanning", cited in github/codeql-action#943)
	// and seen in upload logs against GHES (jfrog/frogbot#178, #201).
	msgGHASDisabled = "Advanced Security must be enabled for this repository to use code scanning."
	// github.com since GitHub Code Security replaced Advanced Security
	// (reported in 2026, GSA-TTS/agentic-coding-playbook#31).
	msgCodeSecurityDisabled = "Code Security must be enabled for this repository to use code scanning."
	// Processing errors, as code scanning reports them in errors[] (seen in
	// many SARIF producers' changelogs; github/codeql-action matches the
	// second one).
	msgNoLocation       = "locationFromSarifResult: expected at least one location"
	msgNoArtifact       = "locationFromSarifResult: expected artifact location"
	msgNoRuns           = "runs: 1 item required; only 0 were supplied"
	defaultSARIFMaxSize = 10_000_000
	maxRunsPerFile      = 20
	maxResultsPerRun    = 25_000
)

// SARIFUpload is one upload GitHub accepted.
type SARIFUpload struct {
	ID string
	// Repo is "owner/name".
	Repo      string
	CommitSHA string
	Ref       string
	ToolName  string // the request's tool_name ("" = GitHub's "API")
	// Category is run 0's automationDetails.id up to its last "/", the
	// category code scanning files the analysis under.
	Category string
	// Tool is run 0's tool.driver.name.
	Tool    string
	Runs    int
	Results int // over all runs
	// ProcessingStatus is pending until read SARIFPendingPolls times,
	// then complete or failed.
	ProcessingStatus string
	Errors           []string

	polls  int
	result string   // complete | failed, once processed
	errs   []string // processing errors, served once failed
}

func (s *Server) addCodeScanningRoutes() {
	const doc = docBase + "code-scanning/code-scanning"
	s.add(&route{method: "POST", template: "/repos/{owner}/{repo}/code-scanning/sarifs", oaPath: "/repos/{owner}/{repo}/code-scanning/sarifs",
		resource: uploadResource, need: need{perm: "security_events", write: true, scopes: []string{"security_events"}},
		doc: doc + "#upload-an-analysis-as-sarif-data", h: s.uploadSARIF})
	s.add(&route{template: "/repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}", oaPath: "/repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}",
		need: need{perm: "security_events", scopes: []string{"security_events"}},
		doc:  doc + "#get-information-about-a-sarif-upload", h: s.getSARIF})
}

// SARIFUploads returns copies of the accepted uploads, in order.
func (s *Server) SARIFUploads() []SARIFUpload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SARIFUpload, 0, len(s.state.SARIFUploads))
	for _, u := range s.state.SARIFUploads {
		c := *u
		c.Errors = append([]string(nil), u.Errors...)
		out = append(out, c)
	}
	return out
}

// HeadCommit is the oid of the default branch's head of owner/repo, the one
// commit an upload may name; "" for an unknown or empty repository.
func (s *Server) HeadCommit(owner, repo string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.state.org(owner)
	if o == nil {
		return ""
	}
	r := o.repo(repo)
	if r == nil || r.Empty {
		return ""
	}
	return s.snap(o, r).commit
}

// codeScanningAccess resolves the repository and applies the endpoint's
// permission: GitHub's text for a missing one, 404 for what the token
// cannot see.
func (c *rctx) codeScanningAccess() (*Org, *Repo, *response) {
	o := c.s.state.org(c.params["owner"])
	if o == nil {
		return nil, nil, notFound()
	}
	r := o.repo(c.params["repo"])
	// security_events reaches private repositories' code scanning without
	// the repo scope (GitHub: "need the security_events scope to use this
	// endpoint with private or public repositories").
	if r == nil || !c.p.canSee(o, r) && !(c.p.kind() == KindClassic && c.p.hasScope("security_events")) {
		return nil, nil, notFound()
	}
	n := c.route.need
	forbidden := func(msg string) *response {
		resp := errResponse(http.StatusForbidden, msg, c.route.doc)
		if c.p.kind() != KindClassic {
			v := n.accepted()
			resp.acceptedPerms = &v
		}
		return resp
	}
	switch {
	case c.p.tok == nil:
		return nil, nil, requiresAuth()
	case c.p.tok.Kind == KindClassic:
		if c.p.hasScope("security_events") || c.p.hasScope("repo") || (!r.isPrivate() && c.p.hasScope("public_repo")) {
			return o, r, nil
		}
		// unverified: GitHub's text for a classic token without the
		// scope; this is its text for a token lacking a right.
		return nil, nil, forbidden("Resource not accessible by personal access token")
	case !c.p.selected(o, r):
		if r.isPrivate() {
			return nil, nil, notFound()
		}
		return nil, nil, forbidden(c.p.forbiddenMessage())
	}
	level := ""
	for k, v := range c.p.tok.Permissions {
		if canonicalPerm(k) == n.perm {
			level = v
		}
	}
	if level == "write" || level == "admin" || (!n.write && level == "read") {
		return o, r, nil
	}
	return nil, nil, forbidden(c.p.forbiddenMessage())
}

func (c *rctx) codeScanningDisabled() *response {
	msg := msgCodeSecurityDisabled
	if c.s.opts.GHES {
		msg = msgGHASDisabled
	}
	return errResponse(http.StatusForbidden, msg, c.route.doc)
}

var (
	commitSHARe = regexp.MustCompile(`^([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)$`)
	fullRefRe   = regexp.MustCompile(`^refs/(heads|tags|pull)/.*$`)
)

// invalidRequest is GitHub's answer to a body that fails the operation's
// schema, as recorded against GHES ("Invalid request.\n\nref/heads/main
// does not match /^refs\/(heads|pull|tags)\/.*$/.", in
// advanced-security/advanced-security-material's SARIF troubleshooting).
func (c *rctx) invalidRequest(detail string) *response {
	return errResponse(http.StatusUnprocessableEntity, "Invalid request.\n\n"+detail, c.route.doc)
}

// sarifLog is the part of a SARIF log code scanning's checks read.
type sarifLog struct {
	Version string      `json:"version"`
	Runs    *[]sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool *struct {
		Driver *struct {
			Name string `json:"name"`
		} `json:"driver"`
	} `json:"tool"`
	AutomationDetails *struct {
		ID string `json:"id"`
	} `json:"automationDetails"`
	Results []struct {
		Locations []struct {
			PhysicalLocation *struct {
				ArtifactLocation *struct {
					URI string `json:"uri"`
				} `json:"artifactLocation"`
			} `json:"physicalLocation"`
		} `json:"locations"`
	} `json:"results"`
}

func (s *Server) uploadSARIF(c *rctx) *response {
	o, r, denied := c.codeScanningAccess()
	if denied != nil {
		return denied
	}
	if r.Archived {
		return errResponse(http.StatusForbidden, msgArchived, c.route.doc)
	}
	if r.CodeScanningDisabled {
		return c.codeScanningDisabled()
	}
	var req struct {
		CommitSHA *string `json:"commit_sha"`
		Ref       *string `json:"ref"`
		SARIF     *string `json:"sarif"`
		ToolName  string  `json:"tool_name"`
		StartedAt string  `json:"started_at"`
	}
	body, err := io.ReadAll(io.LimitReader(c.r.Body, 64<<20))
	if err != nil || json.Unmarshal(body, &req) != nil {
		return errResponse(http.StatusBadRequest, "Problems parsing JSON", c.route.doc)
	}
	switch {
	case req.CommitSHA == nil:
		return c.invalidRequest(`"commit_sha" wasn't supplied.`)
	case req.Ref == nil:
		return c.invalidRequest(`"ref" wasn't supplied.`)
	case req.SARIF == nil:
		return c.invalidRequest(`"sarif" wasn't supplied.`)
	case !commitSHARe.MatchString(*req.CommitSHA):
		return c.invalidRequest(fmt.Sprintf("%s does not match /%s/.", *req.CommitSHA, `^([0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?)$`))
	case !fullRefRe.MatchString(*req.Ref):
		return c.invalidRequest(fmt.Sprintf("%s does not match /%s/.", *req.Ref, `^refs\/(heads|pull|tags)\/.*$`))
	}
	if req.StartedAt != "" {
		if _, err := time.Parse(time.RFC3339, req.StartedAt); err != nil {
			return c.invalidRequest(fmt.Sprintf("%s is not a valid date-time.", req.StartedAt))
		}
	}
	// The messages of the 400s below are the fake's own: GitHub's
	// description says only "Bad Request if the sarif field is invalid".
	gz, err := base64.StdEncoding.DecodeString(*req.SARIF)
	if err != nil {
		return errResponse(http.StatusBadRequest, "Invalid sarif: not base64: "+err.Error(), c.route.doc)
	}
	max := s.opts.SARIFMaxBytes
	if max <= 0 {
		max = defaultSARIFMaxSize
	}
	if len(gz) > max {
		// GitHub: "Payload Too Large if the sarif field is too large".
		return errResponse(http.StatusRequestEntityTooLarge, "Payload Too Large", c.route.doc)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return errResponse(http.StatusBadRequest, "Invalid sarif: not gzip: "+err.Error(), c.route.doc)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 1<<30))
	if err != nil {
		return errResponse(http.StatusBadRequest, "Invalid sarif: "+err.Error(), c.route.doc)
	}
	var log sarifLog
	if err := json.Unmarshal(raw, &log); err != nil {
		return errResponse(http.StatusBadRequest, "Invalid sarif: not a JSON document: "+err.Error(), c.route.doc)
	}
	if log.Version != "2.1.0" {
		return errResponse(http.StatusBadRequest, fmt.Sprintf("Invalid sarif: version %q is not supported, only 2.1.0", log.Version), c.route.doc)
	}
	if log.Runs == nil {
		return errResponse(http.StatusBadRequest, "Invalid sarif: runs is required", c.route.doc)
	}
	commit := strings.ToLower(*req.CommitSHA)
	if r.Empty || commit != s.snap(o, r).commit {
		// The fake models one commit per repository, the default
		// branch's head. The text is GitHub's for GET commits/{sha}.
		return errResponse(http.StatusBadRequest, "No commit found for SHA: "+*req.CommitSHA, c.route.doc)
	}

	u := &SARIFUpload{Repo: o.Login + "/" + r.Name, CommitSHA: commit, Ref: *req.Ref, ToolName: req.ToolName,
		Runs: len(*log.Runs), ProcessingStatus: "pending", result: "complete"}
	for i, run := range *log.Runs {
		if i == 0 {
			if run.AutomationDetails != nil {
				if j := strings.LastIndex(run.AutomationDetails.ID, "/"); j >= 0 {
					u.Category = run.AutomationDetails.ID[:j]
				}
			}
			if run.Tool != nil && run.Tool.Driver != nil {
				u.Tool = run.Tool.Driver.Name
			}
		}
		u.Results += len(run.Results)
		if len(run.Results) > maxResultsPerRun {
			// unverified wording; GitHub documents the rejection.
			u.errs = append(u.errs, fmt.Sprintf("rejecting SARIF, as there are more results per run than allowed (%d > %d)", len(run.Results), maxResultsPerRun))
		}
		for _, res := range run.Results {
			switch {
			case len(res.Locations) == 0:
				u.errs = append(u.errs, msgNoLocation)
			case res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.ArtifactLocation == nil ||
				res.Locations[0].PhysicalLocation.ArtifactLocation.URI == "":
				u.errs = append(u.errs, msgNoArtifact)
			}
		}
	}
	switch n := len(*log.Runs); {
	case n == 0:
		u.errs = append(u.errs, msgNoRuns)
	case n > maxRunsPerFile:
		u.errs = append(u.errs, fmt.Sprintf("rejecting SARIF, as there are more runs than allowed (%d > %d)", n, maxRunsPerFile))
	}
	if len(u.errs) > 0 {
		u.result = "failed"
	}
	s.sarifSeq++
	u.ID = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", stableID("sarif", u.Repo, s.sarifSeq)&0xffffffff, s.sarifSeq&0xffff, s.sarifSeq&0xfff, len(*log.Runs)&0xfff, s.sarifSeq)
	s.sarifs[u.ID] = u
	s.state.SARIFUploads = append(s.state.SARIFUploads, u)
	return jsonResponse(http.StatusAccepted, obj{"id": u.ID, "url": c.base() + "repos/" + u.Repo + "/code-scanning/sarifs/" + u.ID})
}

// pendingPolls is Options.SARIFPendingPolls with its default.
func (s *Server) pendingPolls() int {
	switch n := s.opts.SARIFPendingPolls; {
	case n == 0:
		return 1
	case n < 0:
		return 0
	default:
		return n
	}
}

func (s *Server) getSARIF(c *rctx) *response {
	o, r, denied := c.codeScanningAccess()
	if denied != nil {
		return denied
	}
	if r.CodeScanningDisabled {
		return c.codeScanningDisabled()
	}
	u := s.sarifs[c.params["sarif_id"]]
	if u == nil || !strings.EqualFold(u.Repo, o.Login+"/"+r.Name) {
		return notFound()
	}
	if u.ProcessingStatus == "pending" {
		if u.polls < s.pendingPolls() {
			u.polls++
			return ok(obj{"processing_status": "pending", "analyses_url": nil, "errors": nil})
		}
		u.ProcessingStatus, u.Errors = u.result, u.errs
	}
	if u.ProcessingStatus == "failed" {
		return ok(obj{"processing_status": "failed", "analyses_url": nil, "errors": u.Errors})
	}
	return ok(obj{"processing_status": "complete", "analyses_url": c.base() + "repos/" + u.Repo + "/code-scanning/analyses?sarif_id=" + u.ID, "errors": nil})
}
