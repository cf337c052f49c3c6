package fakegithub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// GraphQL transport: POST /graphql (GHES /api/graphql). Errors are HTTP 200
// with errors[], as on GitHub, except authentication (401), malformed JSON
// (400), timeouts (502) and secondary limits (403).

const graphqlDoc = "https://docs.github.com/graphql"

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// gqlError is one entry of errors[]. Type is GitHub's error class
// (NOT_FOUND, FORBIDDEN, RATE_LIMITED, MISSING_PAGINATION_BOUNDARIES, ...).
type gqlError struct {
	Type       string         `json:"type,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Locations  []gqlLocation  `json:"locations,omitempty"`
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (e *gqlError) Error() string { return e.Message }

func gqlResp(status int, data any, hasData bool, errs []*gqlError) *response {
	body := map[string]any{}
	if hasData {
		body["data"] = data
	}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	return jsonResponse(status, body)
}

func (s *Server) serveGraphQL(c *rctx, authErr *response) *response {
	s.stats.ByKind["graphql"]++
	c.bucket = s.bucketFor(c.p, "graphql")
	if c.r.Method != http.MethodPost {
		s.charge(c)
		return notFound()
	}
	if authErr != nil {
		s.charge(c)
		return errResponse(http.StatusUnauthorized, "Bad credentials", graphqlDoc)
	}
	if c.p.tok == nil {
		return errResponse(http.StatusUnauthorized, "This endpoint requires you to be authenticated.",
			"https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql")
	}
	raw, err := io.ReadAll(io.LimitReader(c.r.Body, 8<<20))
	if err != nil {
		return errResponse(http.StatusBadRequest, "Problems parsing JSON", graphqlDoc)
	}
	var req gqlRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return errResponse(http.StatusBadRequest, "Problems parsing JSON", graphqlDoc)
	}
	s.graphqlSeq++
	switch s.state.Faults.GraphQLErrors[s.graphqlSeq] {
	case GraphQLRateLimited:
		s.stats.RateLimited++
		resp := gqlResp(http.StatusOK, nil, false, []*gqlError{{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for " + c.bucket.who + "."}})
		resp.zeroRemaining = true
		return resp
	case GraphQLTimeout:
		s.stats.ServerErrors++
		return jsonResponse(http.StatusBadGateway, obj{"data": nil, "errors": []obj{{"message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `" + c.requestID + "` when reporting this issue."}}})
	case GraphQLSecondary:
		s.stats.RateLimited++
		return jsonResponse(http.StatusForbidden, obj{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID " + c.requestID + ".", "documentation_url": secondaryDocURL})
	}
	if c.bucket.exhausted(s.now()) {
		s.stats.RateLimited++
		return gqlResp(http.StatusOK, nil, false, []*gqlError{{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for " + c.bucket.who + "."}})
	}
	if resp := s.secondaryFault(c); resp != nil {
		s.stats.RateLimited++
		return resp
	}
	if resp := s.serverErrorFault("/graphql"); resp != nil {
		s.stats.ServerErrors++
		return resp
	}
	if v := s.opts.Validator; v != nil {
		if err := v.ValidateQuery(req.Query); err != nil {
			// GitHub refuses invalid documents before executing them.
			return gqlResp(http.StatusOK, nil, false, gqlErrors(err))
		}
	}
	doc, perr := parser.ParseQuery(&ast.Source{Name: "query", Input: req.Query})
	if perr != nil {
		return gqlResp(http.StatusOK, nil, false, gqlErrors(perr))
	}
	op, gerr := pickOperation(doc, req.OperationName)
	if gerr != nil {
		return gqlResp(http.StatusOK, nil, false, []*gqlError{gerr})
	}
	vars, gerr := coerceVariables(op, req.Variables)
	if gerr != nil {
		return gqlResp(http.StatusOK, nil, false, []*gqlError{gerr})
	}
	e := &executor{s: s, c: c, doc: doc, vars: vars}
	cost, nodes, errs := e.analyse(op)
	if len(errs) > 0 {
		return gqlResp(http.StatusOK, nil, false, errs)
	}
	e.cost, e.nodes = cost, nodes
	e.dryRun = e.isDryRun(op)
	if !e.dryRun {
		if c.bucket.remaining(s.now()) < cost {
			s.stats.RateLimited++
			return gqlResp(http.StatusOK, nil, false, []*gqlError{{Type: "RATE_LIMITED", Message: "API rate limit already exceeded for " + c.bucket.who + "."}})
		}
		c.bucket.charge(s.now(), cost)
		s.stats.Charged++
		s.stats.GraphQLPoints += cost
		s.stats.PerToken[c.p.statsKey()]++
		s.sinceSecondary++
	}
	data, _ := e.selectionSet(queryObj{}, op.SelectionSet, nil)
	return gqlResp(http.StatusOK, data, true, e.errors)
}

// gqlErrors converts gqlparser errors (parse or validation) to GitHub's
// errors[] entries.
func gqlErrors(err error) []*gqlError {
	var list gqlerror.List
	var one *gqlerror.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = gqlerror.List{one}
	default:
		return []*gqlError{{Message: err.Error()}}
	}
	out := make([]*gqlError, 0, len(list))
	for _, g := range list {
		ge := &gqlError{Message: g.Message}
		for _, l := range g.Locations {
			ge.Locations = append(ge.Locations, gqlLocation{Line: l.Line, Column: l.Column})
		}
		out = append(out, ge)
	}
	return out
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, *gqlError) {
	var op *ast.OperationDefinition
	switch {
	case name != "":
		op = doc.Operations.ForName(name)
		if op == nil {
			return nil, &gqlError{Message: fmt.Sprintf("No operation named \"%s\"", name)}
		}
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	case len(doc.Operations) == 0:
		return nil, &gqlError{Message: "No operations in query document"}
	default:
		return nil, &gqlError{Message: "An operation name is required"}
	}
	if op.Operation != ast.Query {
		return nil, &gqlError{Message: fmt.Sprintf("fakegithub serves queries only, not %s", op.Operation)}
	}
	return op, nil
}

// coerceVariables applies defaults and refuses missing non-null values.
func coerceVariables(op *ast.OperationDefinition, in map[string]any) (map[string]any, *gqlError) {
	vars := map[string]any{}
	for k, v := range in {
		vars[k] = normalizeJSON(v)
	}
	for _, vd := range op.VariableDefinitions {
		if _, ok := vars[vd.Variable]; ok && vars[vd.Variable] != nil {
			continue
		}
		if vd.DefaultValue != nil {
			v, err := vd.DefaultValue.Value(vars)
			if err != nil {
				return nil, &gqlError{Message: err.Error()}
			}
			vars[vd.Variable] = v
			continue
		}
		if vd.Type != nil && vd.Type.NonNull {
			return nil, &gqlError{
				Message:    fmt.Sprintf("Variable $%s of type %s was provided invalid value", vd.Variable, vd.Type.String()),
				Locations:  []gqlLocation{loc(vd.Position)},
				Extensions: map[string]any{"value": nil, "problems": []obj{{"path": []any{}, "explanation": "Expected value to not be null"}}},
			}
		}
	}
	return vars, nil
}

// normalizeJSON turns json.Number into int64 or float64.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
	}
	return v
}

func loc(p *ast.Position) gqlLocation {
	if p == nil {
		return gqlLocation{}
	}
	return gqlLocation{Line: p.Line, Column: p.Column}
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return int(x), true
	case int:
		return x, true
	case float64:
		if x == math.Trunc(x) {
			return int(x), true
		}
	}
	return 0, false
}

func toStr(v any) string {
	s, _ := v.(string)
	return s
}
