package fakegithub

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// principal is who a request acts as.
type principal struct {
	tok    *Token
	app    *App // authenticated with an App JWT
	fp     string
	remote string // client IP, the key of the unauthenticated budget
}

func (p *principal) statsKey() string {
	switch {
	case p.app != nil:
		return fmt.Sprintf("app:%d", p.app.ID)
	case p.tok != nil:
		return p.fp
	}
	return "anonymous"
}

// etagKey makes ETags differ between tokens (never the token itself).
func (p *principal) etagKey() string {
	if p.tok == nil && p.app == nil {
		return "anonymous"
	}
	return p.statsKey()
}

func (p *principal) kind() string {
	if p.tok == nil {
		return ""
	}
	return p.tok.Kind
}

func (p *principal) login() string {
	if p.tok == nil {
		return ""
	}
	return p.tok.Login
}

func (p *principal) hasScope(scope string) bool {
	if p.tok == nil || p.tok.Kind != KindClassic {
		return false
	}
	for _, sc := range p.tok.Scopes {
		if sc == scope {
			return true
		}
		// admin:org includes write:org and read:org; repo includes its
		// sub-scopes (GitHub's scope hierarchy).
		if (sc == "admin:org" && (scope == "write:org" || scope == "read:org")) ||
			(sc == "write:org" && scope == "read:org") ||
			(sc == "repo" && (scope == "public_repo" || scope == "repo:status")) {
			return true
		}
	}
	return false
}

// permAliases maps accepted spellings of Permissions keys to the names
// GitHub's fine-grained permission data uses.
var permAliases = map[string]string{
	"variables":              "actions_variables",
	"organization_variables": "organization_actions_variables",
}

func canonicalPerm(k string) string {
	if c, ok := permAliases[k]; ok {
		return c
	}
	return k
}

// hasPerm: fine-grained/installation/actions permission at read level or
// above. Metadata read is implied for every such token, as on GitHub.
func (p *principal) hasPerm(name string) bool {
	if p.tok == nil || p.tok.Kind == KindClassic {
		return false
	}
	if name == "metadata" {
		return true
	}
	for k, v := range p.tok.Permissions {
		if canonicalPerm(k) == name && (v == "read" || v == "write" || v == "admin") {
			return true
		}
	}
	return false
}

// forbiddenMessage is GitHub's 403 text for a missing permission.
func (p *principal) forbiddenMessage() string {
	switch p.kind() {
	case KindFineGrained:
		return "Resource not accessible by personal access token"
	case KindClassic:
		return "Must have admin rights to Repository."
	}
	return "Resource not accessible by integration"
}

func (p *principal) setHeaders(h http.Header, rt *route, resp *response) {
	switch p.kind() {
	case KindClassic:
		h.Set("X-OAuth-Scopes", strings.Join(p.tok.Scopes, ", "))
		acc := ""
		if rt != nil {
			acc = strings.Join(rt.need.scopes, ", ")
		}
		h.Set("X-Accepted-OAuth-Scopes", acc)
	case KindFineGrained, KindInstallation, KindGitHubActions:
		acc := ""
		if rt != nil && rt.need.perm != "" {
			acc = rt.need.accepted()
		}
		if resp.acceptedPerms != nil {
			acc = *resp.acceptedPerms
		}
		if acc != "" {
			h.Set("X-Accepted-GitHub-Permissions", acc)
		}
	}
}

// authenticate resolves the Authorization header. A failure yields an
// anonymous principal (its budget is charged, as GitHub charges failed
// logins to the client IP) and the 401 to send.
func (s *Server) authenticate(c *rctx) (*principal, *response) {
	p := &principal{remote: remoteIP(c.r)}
	raw := c.r.Header.Get("Authorization")
	if raw == "" {
		return p, nil
	}
	scheme, cred, _ := strings.Cut(raw, " ")
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "token", "bearer":
	case "basic":
		// git-style basic auth: the token is the password.
		dec, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return p, badCredentials()
		}
		_, cred, _ = strings.Cut(string(dec), ":")
	default:
		return p, badCredentials()
	}
	if tok, ok := s.state.Tokens[cred]; ok {
		if !tok.ExpiresAt.IsZero() && !s.now().Before(tok.ExpiresAt) {
			return p, badCredentials()
		}
		if tok.Kind == "" {
			tok.Kind = KindClassic // the zero Kind is documented as classic
		}
		p.tok, p.fp = tok, Fingerprint(cred)
		return p, nil
	}
	if strings.Count(cred, ".") == 2 && strings.EqualFold(scheme, "bearer") {
		app, err := s.verifyJWT(cred)
		if err != nil {
			return p, errResponse(http.StatusUnauthorized, err.Error(), "https://docs.github.com/rest")
		}
		p.app, p.fp = app, fmt.Sprintf("app:%d", app.ID)
		return p, nil
	}
	return p, badCredentials()
}

func badCredentials() *response {
	return errResponse(http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest")
}

func requiresAuth() *response {
	return errResponse(http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest")
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type jwtError string

func (e jwtError) Error() string { return string(e) }

// verifyJWT checks an App JWT the way GitHub describes it: RS256, iss = app
// id or client id, exp no more than 10 minutes ahead, iat not in the future.
func (s *Server) verifyJWT(raw string) (*App, error) {
	now := s.now()
	var app *App
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if t.Method != jwt.SigningMethodRS256 {
			return nil, jwtError("A JSON web token could not be decoded")
		}
		iss := fmt.Sprint(claims["iss"])
		if f, ok := claims["iss"].(float64); ok {
			iss = strconv.FormatInt(int64(f), 10)
		}
		for id, a := range s.state.Apps {
			if strconv.FormatInt(id, 10) == iss || (a.ClientID != "" && a.ClientID == iss) {
				app = a
			}
		}
		if app == nil || app.PublicKey == nil {
			return nil, jwtError("Integration not found")
		}
		return app.PublicKey, nil
	}, jwt.WithoutClaimsValidation())
	if err != nil {
		if ve, ok := err.(*jwt.ValidationError); ok && ve.Inner != nil {
			if je, ok := ve.Inner.(jwtError); ok {
				return nil, je
			}
		}
		return nil, jwtError("A JSON web token could not be decoded")
	}
	exp, ok1 := claims["exp"].(float64)
	iat, ok2 := claims["iat"].(float64)
	if !ok2 {
		return nil, jwtError("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
	}
	if !ok1 || time.Unix(int64(exp), 0).Before(now) {
		return nil, jwtError("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires")
	}
	if time.Unix(int64(exp), 0).After(now.Add(10*time.Minute + 30*time.Second)) {
		return nil, jwtError("'Expiration time' claim ('exp') is too far in the future")
	}
	if time.Unix(int64(iat), 0).After(now.Add(60 * time.Second)) {
		return nil, jwtError("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued")
	}
	return app, nil
}

// need describes what a route requires.
type need struct {
	// perm is the fine-grained/App permission (read level), "" for none.
	perm string
	// scopes are the classic scopes the route accepts
	// (X-Accepted-OAuth-Scopes).
	scopes []string
	// public: readable on public repositories by anyone, including
	// anonymous clients and tokens without the permission.
	public bool
	// app: authenticate with an App JWT.
	app bool
	// write: perm is needed at write level (X-Accepted-GitHub-Permissions
	// says "perm=write").
	write bool
}

// accepted is the X-Accepted-GitHub-Permissions value of n.
func (n need) accepted() string {
	if n.write {
		return n.perm + "=write"
	}
	return n.perm + "=read"
}

// denied builds the response for a Deny fault or a failed check.
func (c *rctx) denied(status int, n need) *response {
	if status == http.StatusNotFound {
		return notFound()
	}
	resp := errResponse(http.StatusForbidden, c.p.forbiddenMessage(), c.route.doc)
	if n.perm != "" && c.p.kind() != KindClassic {
		v := n.accepted()
		resp.acceptedPerms = &v
	}
	return resp
}

// tokenSeesOrg: fine-grained and installation tokens belong to one
// resource owner.
func (p *principal) tokenSeesOrg(o *Org) bool {
	if p.tok == nil || p.tok.Kind == KindClassic || p.tok.Org == "" {
		return true
	}
	return strings.EqualFold(p.tok.Org, o.Login)
}

// selected: the repository is among those the token was granted.
func (p *principal) selected(o *Org, r *Repo) bool {
	if p.tok == nil || p.tok.Kind == KindClassic {
		return true
	}
	if !p.tokenSeesOrg(o) {
		return false
	}
	return p.tok.Repos == nil || containsFold(p.tok.Repos, r.Name)
}

// canSee: visibility of a repository's existence. Private and internal
// repositories need the repo scope (classic) or a grant (others); GitHub
// answers 404 rather than 403 so that their existence does not leak.
func (p *principal) canSee(o *Org, r *Repo) bool {
	if !r.isPrivate() {
		return true
	}
	if p.tok == nil {
		return false
	}
	if p.tok.Kind == KindClassic {
		return p.hasScope("repo")
	}
	return p.selected(o, r)
}

// repoAccess resolves {owner}/{repo} and applies the route's needs.
func (c *rctx) repoAccess() (*Org, *Repo, *response) {
	o := c.s.state.org(c.params["owner"])
	if o == nil {
		return nil, nil, notFound()
	}
	r := o.repo(c.params["repo"])
	if r == nil || !c.p.canSee(o, r) {
		return nil, nil, notFound()
	}
	if resp := c.checkRepo(o, r); resp != nil {
		return nil, nil, resp
	}
	return o, r, nil
}

// checkRepo applies the route's permission needs to a visible repository.
func (c *rctx) checkRepo(o *Org, r *Repo) *response {
	n := c.route.need
	if n.public && !r.isPrivate() {
		return nil
	}
	if c.p.tok == nil {
		if r.isPrivate() {
			return notFound()
		}
		return requiresAuth()
	}
	if c.p.tok.Kind == KindClassic {
		for _, sc := range n.scopes {
			if c.p.hasScope(sc) {
				return nil
			}
		}
		if len(n.scopes) == 0 {
			return nil
		}
		return c.denied(http.StatusForbidden, n)
	}
	if !c.p.selected(o, r) {
		if r.isPrivate() {
			return notFound()
		}
		return c.denied(http.StatusForbidden, n)
	}
	if n.perm == "" || c.p.hasPerm(n.perm) {
		return nil
	}
	return c.denied(http.StatusForbidden, n)
}

// orgAccess resolves {org} for organisation secrets and variables.
func (c *rctx) orgAccess() (*Org, *response) {
	o := c.s.state.org(c.params["org"])
	if o == nil {
		return nil, notFound()
	}
	n := c.route.need
	switch {
	case c.p.tok == nil:
		return nil, requiresAuth()
	case c.p.tok.Kind == KindClassic:
		if c.p.hasScope("admin:org") && o.isAdmin(c.p.login()) {
			return o, nil
		}
		return nil, c.denied(http.StatusForbidden, n)
	case !c.p.tokenSeesOrg(o):
		return nil, notFound()
	case c.p.hasPerm(n.perm):
		return o, nil
	}
	return nil, c.denied(http.StatusForbidden, n)
}
