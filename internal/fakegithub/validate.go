package fakegithub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Validator checks responses against GitHub's REST description
// (@octokit/openapi generated/api.github.com.json) and queries against its
// GraphQL schema (@octokit/graphql-schema schema.graphql). It records every
// violation; tests fail on a non-empty Violations(). It is safe for
// concurrent use and reusable by other packages' tests (e.g. to validate
// the requests a client sends).
type Validator struct {
	spec *specs

	mu         sync.Mutex
	violations []string
}

// specs are loaded once per process (the OpenAPI file takes ~2 s) and only
// read afterwards.
type specs struct {
	doc    *openapi3.T
	router routers.Router
	schema *ast.Schema
}

var (
	specsOnce sync.Once
	specsVal  *specs
	specsErr  error
)

// LoadValidator returns a Validator with its own violation list over the
// process-wide loaded descriptions. Missing npm data skips the test (fails
// it with CI=true), see NPMDir.
func LoadValidator(t testing.TB) *Validator {
	t.Helper()
	dir := NPMDir(t)
	specsOnce.Do(func() { specsVal, specsErr = loadSpecs(dir) })
	if specsErr != nil {
		t.Fatalf("fakegithub: loading GitHub descriptions: %v", specsErr)
	}
	return &Validator{spec: specsVal}
}

func loadSpecs(dir string) (*specs, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "@octokit", "openapi", "generated", "api.github.com.json"))
	if err != nil {
		return nil, err
	}
	slim, err := slimSpec(raw)
	if err != nil {
		return nil, err
	}
	// doc.Validate is skipped on purpose: GitHub's description fails it (a
	// bad example, conflicting attestation paths) yet routes and validates
	// responses fine.
	doc, err := openapi3.NewLoader().LoadFromData(slim)
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	schema, err := loadGraphQLSchema(filepath.Join(dir, "@octokit", "graphql-schema", "schema.graphql"))
	if err != nil {
		return nil, err
	}
	return &specs{doc: doc, router: router, schema: schema}, nil
}

// namedMaps are keys whose value maps user-chosen names (property names,
// schema names, status codes, media types, ...) to definitions: their keys
// are never stripped.
var namedMaps = map[string]bool{
	"properties": true, "patternProperties": true, "schemas": true, "responses": true, "parameters": true,
	"headers": true, "requestBodies": true, "securitySchemes": true, "links": true, "callbacks": true,
	"paths": true, "content": true, "mapping": true, "variables": true, "encoding": true, "examples": true,
}

// slimSpec drops what validation never reads (descriptions, examples,
// x-github/x-octokit extensions): the 13 MB description shrinks to a
// quarter, which makes loading several times faster under -race.
func slimSpec(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if c, ok := doc["components"].(map[string]any); ok {
		delete(c, "examples") // referenced only from the examples stripped below
	}
	var walk func(v any, named bool)
	walk = func(v any, named bool) {
		switch x := v.(type) {
		case map[string]any:
			if !named {
				for _, k := range []string{"description", "summary"} {
					if _, isString := x[k].(string); isString {
						delete(x, k)
					}
				}
				for _, k := range []string{"example", "examples", "x-github", "x-octokit", "externalDocs"} {
					delete(x, k)
				}
			}
			for k, e := range x {
				walk(e, !named && namedMaps[k])
			}
		case []any:
			for _, e := range x {
				walk(e, false)
			}
		}
	}
	walk(doc, false)
	return json.Marshal(doc)
}

// loadGraphQLSchema parses the SDL and drops repeated field definitions
// (EnterpriseOwnerInfo defines repositoryDeployKeySetting and
// repositoryDeployKeySettingOrganizations twice in 15.26.1), which
// gqlparser's validator would otherwise refuse.
func loadGraphQLSchema(path string) (*ast.Schema, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sd, perr := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: filepath.Base(path), Input: string(src)})
	if perr != nil {
		return nil, perr
	}
	dedupe := func(defs ast.DefinitionList) {
		for _, def := range defs {
			seen := map[string]bool{}
			kept := def.Fields[:0]
			for _, f := range def.Fields {
				if !seen[f.Name] {
					seen[f.Name] = true
					kept = append(kept, f)
				}
			}
			def.Fields = kept
		}
	}
	dedupe(sd.Definitions)
	dedupe(sd.Extensions)
	schema, verr := validator.ValidateSchemaDocument(sd)
	if verr != nil {
		return nil, verr
	}
	return schema, nil
}

// Schema is the loaded GraphQL schema (read only).
func (v *Validator) Schema() *ast.Schema { return v.spec.schema }

// Violations returns a copy of everything recorded so far.
func (v *Validator) Violations() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.violations...)
}

// Reset forgets recorded violations.
func (v *Validator) Reset() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.violations = nil
}

func (v *Validator) record(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.violations = append(v.violations, fmt.Sprintf(format, args...))
}

// ValidateQuery checks a GraphQL document against GitHub's schema; a
// failure is recorded and returned.
func (v *Validator) ValidateQuery(query string) error {
	_, errs := gqlparser.LoadQueryWithRules(v.spec.schema, query, nil) // nil: the default rules
	if len(errs) == 0 {
		return nil
	}
	v.record("graphql: %v", errs)
	return errs
}

// ValidateResponse checks one REST response. req is the request as the
// client sent it (any host; a GHES /api/v3 prefix is stripped). A failure
// is recorded and returned. Rules, chosen to catch what matters without
// flagging GitHub's ordinary behaviour:
//   - the path and method must be in the description;
//   - a 2xx status must be declared and a JSON body must match its schema;
//   - a declared error status must match its schema; an undeclared one
//     (GitHub answers 401/403/404 everywhere) must still be GitHub's error
//     shape, an object with a string "message";
//   - 304 and non-JSON media types (raw, sha) are not checked.
func (v *Validator) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	p := strings.TrimPrefix(req.URL.EscapedPath(), "/api/v3")
	return v.validateREST(req.Context(), req.Method, p, req.URL.RawQuery, req.Header, status, header, body)
}

func (v *Validator) validateREST(ctx context.Context, method, escapedPath, rawQuery string, reqHeader http.Header, status int, header http.Header, body []byte) error {
	if status == http.StatusNotModified {
		return nil
	}
	u := "https://api.github.com" + escapedPath
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(context.WithoutCancel(ctx), method, u, nil)
	if err != nil {
		v.record("%s %s: %v", method, escapedPath, err)
		return err
	}
	for k, vs := range reqHeader {
		req.Header[k] = vs
	}
	route, params, err := v.spec.router.FindRoute(req)
	if err != nil {
		err = fmt.Errorf("%s %s: not in GitHub's REST description: %w", method, escapedPath, err)
		v.record("%v", err)
		return err
	}
	where := fmt.Sprintf("%s %s %d", method, route.Path, status)
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	isJSON := mt == "application/json"
	declared := route.Operation.Responses.Status(status) != nil
	if !declared && status >= 400 {
		if !isJSON {
			return v.fail(where, errors.New("error response is not JSON"))
		}
		var e struct {
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Message == nil {
			return v.fail(where, errors.New("error body lacks a string \"message\""))
		}
		return nil
	}
	opts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	opts.WithCustomSchemaErrorFunc(func(se *openapi3.SchemaError) string {
		return "/" + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason
	})
	if !isJSON {
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return v.fail(where, err)
	}
	return nil
}

func (v *Validator) fail(where string, err error) error {
	var re *openapi3filter.ResponseError
	msg := err.Error()
	if errors.As(err, &re) {
		msg = re.Reason
		if re.Err != nil {
			msg += ": " + re.Err.Error()
		}
	}
	err = fmt.Errorf("%s: %s", where, msg)
	v.record("%v", err)
	return err
}
