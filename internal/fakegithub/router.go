package fakegithub

import (
	"net/url"
	"strings"
)

// route is one REST operation. Paths are OpenAPI templates and are matched
// segment by segment on the *escaped* path: "{environment_name}" matches
// "prod%2Feu" (one segment, unescaped to "prod/eu") but never "prod/eu" (two
// segments), which is how GitHub treats environment names.
type route struct {
	method   string
	template string // as served, e.g. "/organizations/{organization_id}/repos"
	// oaPath is the OpenAPI path the response is validated against; ""
	// skips validation. It differs from template for aliases GitHub serves
	// but does not describe (id-based Link targets, root contents).
	oaPath string
	// oaParams renders oaPath's parameters for validation, when the
	// template's parameters differ.
	oaParams func(c *rctx) map[string]string
	segs     []string
	greedy   bool // the last parameter takes the rest of the path
	need     need
	free     bool   // not charged (GET /rate_limit)
	resource string // the rate-limit budget charged ("" = core)
	doc      string // documentation_url of errors
	h        func(c *rctx) *response
}

func (rt *route) kind() string { return rt.template }

// budget is the rate-limit resource a request to rt is charged to; unknown
// paths are charged to core.
func (rt *route) budget() string {
	if rt == nil || rt.resource == "" {
		return "core"
	}
	return rt.resource
}

// oaURLPath renders the OpenAPI path with the request's escaped parameters,
// for the validator's router.
func (rt *route) oaURLPath(c *rctx) string {
	if rt.oaParams != nil {
		return fill(rt.oaPath, rt.oaParams(c))
	}
	if rt.oaPath == rt.template {
		return c.path
	}
	return fill(rt.oaPath, c.params)
}

func fill(tmpl string, params map[string]string) string {
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = url.PathEscape(params[s[1:len(s)-1]])
		}
	}
	return strings.Join(segs, "/")
}

func (s *Server) add(rt *route) {
	rt.segs = strings.Split(strings.Trim(rt.template, "/"), "/")
	if rt.method == "" {
		rt.method = "GET"
	}
	s.routes = append(s.routes, rt)
}

// findRoute matches method and escaped path. Literal segments win over
// parameters, as in GitHub's router (/environments/{name}/secrets vs
// a parameter named "secrets").
func (s *Server) findRoute(method, path string) (*route, map[string]string) {
	trimmed := strings.Trim(path, "/")
	segs := strings.Split(trimmed, "/")
	var best *route
	var bestParams map[string]string
	bestScore := -1
	for _, rt := range s.routes {
		if rt.method != method {
			continue
		}
		params, score, ok := matchSegs(rt, segs)
		if ok && score > bestScore {
			best, bestParams, bestScore = rt, params, score
		}
	}
	return best, bestParams
}

func matchSegs(rt *route, segs []string) (map[string]string, int, bool) {
	n := len(rt.segs)
	if rt.greedy {
		if len(segs) < n-1 {
			return nil, 0, false
		}
	} else if len(segs) != n {
		return nil, 0, false
	}
	params := map[string]string{}
	score := 0
	for i, pat := range rt.segs {
		if strings.HasPrefix(pat, "{") {
			name := pat[1 : len(pat)-1]
			if rt.greedy && i == n-1 {
				var parts []string
				for _, seg := range segs[i:] {
					u, err := url.PathUnescape(seg)
					if err != nil {
						return nil, 0, false
					}
					parts = append(parts, u)
				}
				params[name] = strings.Join(parts, "/")
				continue
			}
			if segs[i] == "" {
				return nil, 0, false
			}
			u, err := url.PathUnescape(segs[i])
			if err != nil {
				return nil, 0, false
			}
			params[name] = u
			continue
		}
		if segs[i] != pat {
			return nil, 0, false
		}
		score++
	}
	return params, score, true
}
