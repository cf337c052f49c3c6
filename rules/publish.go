package rules

import (
	"fmt"
	"path"
	"strings"

	"github.com/tpscan/tpscan/rules/catalog"
	"github.com/tpscan/tpscan/rules/flow"
	"github.com/tpscan/tpscan/rules/risk"
	"github.com/tpscan/tpscan/scanner/model"
)

// stepKey names a step for fingerprints: its id, else its name. A step
// with neither is named by what it does rather than by its index, so that
// adding a step above it does not change the fingerprint: an action step by
// the action and its rank among the job's steps using that action, a run
// step by the text of the line that publishes.
func stepKey(pub *flow.Publish) string {
	file := pub.Pipeline.File.Path
	s := pub.Step
	if s == nil {
		return file + "#job"
	}
	if s.ID != "" {
		return file + "#" + s.ID
	}
	if s.Name != "" {
		return file + "#" + s.Name
	}
	if s.Uses != "" && pub.Job != nil {
		name := catalog.ActionName(s.Uses)
		rank := 0
		for _, o := range pub.Job.Steps {
			if o == s {
				break
			}
			if o.ID == "" && o.Name == "" && catalog.ActionName(o.Uses) == name {
				rank++
			}
		}
		return fmt.Sprintf("%s#uses:%s:%d", file, name, rank)
	}
	if s.Run != nil && pub.Command != nil {
		if line := commandLine(s.Run, pub.Command); line != "" {
			return file + "#run:" + line
		}
	}
	return fmt.Sprintf("%s#%d", file, s.Index)
}

// commandLine is the trimmed script line a command starts on.
func commandLine(sc *model.Script, cmd *model.Command) string {
	if cmd.Pos.Line < sc.Pos.Line {
		return ""
	}
	lines := strings.Split(sc.Text, "\n")
	i := cmd.Pos.Line - sc.Pos.Line
	if i >= len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[i])
}

func stepLabel(s *model.Step) string {
	if s == nil {
		return ""
	}
	if l := s.Label(); l != "" {
		return l
	}
	return fmt.Sprintf("#%d", s.Index)
}

// methodName describes the method for messages.
func methodName(pub *flow.Publish) string {
	if pub.Method == nil {
		return "a publish"
	}
	if pub.Inferred {
		return aRegistry(pub.Registry) + " publish"
	}
	return pub.Method.Name
}

func methodID(pub *flow.Publish) string {
	if pub.Method == nil {
		return ""
	}
	if pub.Inferred {
		return "inferred"
	}
	return pub.Method.ID
}

// publishFindings builds one finding per stored credential (user names ride
// along with their password) of a publish.
func publishFindings(pass *Pass, pub *flow.Publish, base risk.Factor, message func(pub *flow.Publish, u flow.Use) string) {
	var users []string
	for _, u := range pub.Uses {
		if u.User && u.Cred.Stored() {
			users = append(users, u.Cred.Name)
		}
	}
	reported := 0
	for _, u := range pub.Uses {
		if u.User || !u.Cred.Stored() {
			continue
		}
		reported++
		pass.Report(publishFinding(pass, pub, u, users, base, message(pub, u)), stepKey(pub))
		for _, alt := range pub.AltRegistries {
			other := *pub
			other.Registry, other.AltRegistries = alt, nil
			f := publishFinding(pass, &other, u, users, base, message(&other, u)+" (the target is a caller's input: it may be "+RegistryName(alt)+")")
			f.Confidence = "medium"
			pass.Report(f, stepKey(pub))
		}
	}
	if reported == 0 && len(users) > 0 {
		// Only a user name secret is visible (the password comes from a
		// file tpscan cannot see): report it, it is still part of the login.
		for _, u := range pub.Uses {
			if u.User && u.Cred.Stored() {
				pass.Report(publishFinding(pass, pub, u, nil, base, message(pub, u)), stepKey(pub))
			}
		}
	}
}

func publishFinding(pass *Pass, pub *flow.Publish, u flow.Use, users []string, base risk.Factor, msg string) *Finding {
	cr := u.Cred
	f := &Finding{
		Registry: pub.Registry, Method: methodID(pub), Repo: pass.Repo.Name,
		Path: cr.Path, Line: cr.Pos.Line, Column: cr.Pos.Col, YAMLPath: cr.YAMLPath,
		Secret: cr.Name, SecretKind: secretKind(cr), Message: msg, Confidence: pub.Confidence,
		Step: stepLabel(pub.Step), key: u.Key,
	}
	if f.Path == "" {
		f.Path = pub.Path
	}
	if f.Line == 0 {
		f.Line, f.Column = pub.Pos.Line, pub.Pos.Col
	}
	// A target chosen at run time (`MATURIN_REPOSITORY: ${{ ... }}`) with a
	// TestPyPI-named token most likely goes to TestPyPI.
	if pub.TargetDynamic && pub.Registry == "pypi" {
		if r, ok := pass.Catalog.InferRegistry(cr.Name); ok && r == "testpypi" {
			f.Registry = "testpypi"
		}
	}
	f.Job = jobID(pub.Job)
	if pub.CallJob != nil && cr.Path != pub.Pipeline.File.Path {
		f.Job = pub.CallJob.ID // the credential is handed over in the caller's job
	}
	f.Secrets = append([]string{cr.Name}, users...)
	if cr.Fallback || hasFallback(pub.Uses) {
		f.Secrets = fallbacks(pub.Uses, f.Secrets)
	}
	f.Via = cr.Via
	f.Factors = append([]risk.Factor{base}, exposureFactors(pass, pub, u)...)
	if why := rejection(pub); why != "" {
		f.Blocked = why
	}
	if pub.Method != nil {
		f.Fix = pub.Method.TrustedPublishing
		if pub.Pipeline.Kind == model.GitLabCI {
			if fam := pass.Catalog.Family(pub.Method.Family); fam != nil && fam.GitLabTrustedPublishing != "" {
				f.Fix = fam.GitLabTrustedPublishing
			}
		}
	}
	f.ManualSteps = manualSteps(pass, f.Registry, pub, f.Secrets, cr.Kind == "call-secret")
	setEnd(pass.Repo, f)
	return f
}

func jobID(j *model.Job) string {
	if j == nil {
		return ""
	}
	return j.ID
}

func hasFallback(uses []flow.Use) bool {
	for _, u := range uses {
		if u.Cred.Fallback {
			return true
		}
	}
	return false
}

// fallbacks lists every candidate of `secrets.A || secrets.B`.
func fallbacks(uses []flow.Use, names []string) []string {
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, u := range uses {
		if !seen[u.Cred.Name] && u.Cred.Stored() {
			seen[u.Cred.Name] = true
			names = append(names, u.Cred.Name)
		}
	}
	return names
}

func secretKind(cr flow.Cred) string {
	switch cr.Kind {
	case "secret":
		return "secret"
	case "variable":
		return "variable"
	case "ci-variable":
		return "ci-variable"
	case "indirect":
		return "indirect-variable"
	case "inherited":
		return "inherited-secrets"
	case "call-secret":
		return "workflow-call-secret"
	}
	return cr.Kind
}

// setEnd computes the end of the reported line from the file bytes: the
// end of its text, without trailing blanks or a comment.
func setEnd(repo *model.Repo, f *Finding) {
	f.EndLine = f.Line
	f.EndColumn = f.Column
	for _, file := range repo.Files {
		if file.Path != f.Path {
			continue
		}
		line := lineOf(file.Content, f.Line)
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, " \t\r")
		if len(line)+1 > f.Column {
			f.EndColumn = len(line) + 1
		}
		return
	}
}

func lineOf(src []byte, n int) string {
	line := 1
	start := 0
	for i, c := range src {
		if line == n {
			start = i
			break
		}
		if c == '\n' {
			line++
			if line == n {
				start = i + 1
				break
			}
		}
	}
	if line != n {
		return ""
	}
	end := start
	for end < len(src) && src[end] != '\n' {
		end++
	}
	return string(src[start:end])
}

// describeUse says in words how the credential reaches the publish.
func describeUse(pub *flow.Publish, u flow.Use) string {
	where := ""
	switch {
	case strings.HasPrefix(u.Key, "with."):
		where = "input " + strings.TrimPrefix(u.Key, "with.")
	case strings.HasPrefix(u.Key, "env."):
		where = "env " + strings.TrimPrefix(u.Key, "env.")
		if lvl := u.Cred.Level; lvl == "workflow" || lvl == "job" || lvl == "global" {
			where += " (" + lvl + " level)"
		}
	case strings.HasPrefix(u.Key, "file "):
		where = "credentials file " + strings.TrimPrefix(u.Key, "file ")
	case strings.HasPrefix(u.Key, "secrets"):
		where = u.Key
	default:
		where = u.Key
	}
	s := fmt.Sprintf("%s %s reaches %s to %s via %s", kindWord(u.Cred), u.Cred.Name, methodName(pub), RegistryName(pub.Registry), where)
	if pub.Callee != "" && pub.Caller != nil && u.Cred.Path != pub.Pipeline.File.Path {
		s += " in " + path.Base(pub.Callee)
	}
	if pub.Indirect != "" {
		s += " (through " + pub.Indirect + ")"
	}
	return s
}

func kindWord(cr flow.Cred) string {
	switch cr.Kind {
	case "variable":
		return "Stored variable"
	case "ci-variable":
		return "CI/CD variable"
	case "indirect":
		return "The variable named by"
	case "inherited":
		return "Inherited secrets"
	case "call-secret":
		return "Workflow secret"
	}
	return "Secret"
}
