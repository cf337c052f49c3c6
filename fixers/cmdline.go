package fixers

import (
	"regexp"
	"strings"
)

// Credential flags of the clients that publish with trusted publishing once
// no credential is given (reference §2.8).
var credFlags = map[string]*regexp.Regexp{
	"twine":      regexp.MustCompile(`\s(?:-u|--username|-p|--password)(?:\s+|=)(\$\{\{[^}]*\}\}|"[^"]*"|'[^']*'|[^\s"';&|]+)`),
	"uv-publish": regexp.MustCompile(`\s(?:--token|-t|--username|-u|--password|-p)(?:\s+|=)(\$\{\{[^}]*\}\}|"[^"]*"|'[^']*'|[^\s"';&|]+)`),
}

var publishCmd = map[string]*regexp.Regexp{
	"twine":      regexp.MustCompile(`\btwine\s+upload\b`),
	"uv-publish": regexp.MustCompile(`\buv\s+publish\b`),
}

// stripCredentialFlags removes -u/-p style credentials from the publishing
// command on one line of a script. Only a line that is that one command is
// edited (no ;, &&, ||, | or backslash continuation): anything else is
// shell a line edit cannot be trusted with.
func (d *doc) stripCredentialFlags(line int, method string) ([]Edit, bool) {
	re, cmd := credFlags[method], publishCmd[method]
	if re == nil || line <= 0 || line > d.nLines() {
		return nil, false
	}
	text := strings.TrimRight(d.line(line), "\r\n")
	if !cmd.MatchString(text) || strings.ContainsAny(text, ";|`") || strings.Contains(text, "&&") || strings.HasSuffix(text, "\\") {
		return nil, false
	}
	locs := re.FindAllStringIndex(text, -1)
	if len(locs) == 0 {
		return nil, false
	}
	start := d.lineStart(line)
	var edits []Edit
	for _, l := range locs {
		edits = append(edits, Edit{Start: start + l[0], End: start + l[1]})
	}
	return edits, true
}
