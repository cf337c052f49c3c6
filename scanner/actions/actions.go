// Package actions parses GitHub Actions workflows (with rhysd/actionlint) and
// composite actions into the CI-neutral model.
package actions

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rhysd/actionlint"

	"github.com/tpscan/tpscan/scanner/expr"
	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
	"github.com/tpscan/tpscan/scanner/source"
)

// ParseError is a file that could not be read as a workflow. Its message
// never quotes file content.
type ParseError struct {
	Path    string
	Line    int
	Column  int
	Message string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Message)
}

// ParseWorkflow parses one workflow file. A YAML error gives a nil pipeline
// and an error; schema problems that actionlint reports are tolerated, since a
// workflow GitHub runs may use keys newer than the linter.
func ParseWorkflow(file *model.File) (p *model.Pipeline, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "workflow parser failed on this file"}
		}
	}()
	wf, errs := actionlint.Parse(file.Content)
	if wf == nil {
		e := &ParseError{Path: file.Path, Line: 1, Column: 1, Message: "not valid YAML"}
		if len(errs) > 0 {
			e.Line, e.Column = errs[0].Line, errs[0].Column
			e.Message = source.SafeMessage(errs[0].Message)
		}
		return nil, e
	}
	b := builder{lines: source.NewLines(file.Content)}
	return b.workflow(file, wf), nil
}

type builder struct {
	lines *source.Lines
}

func pos(p *actionlint.Pos) model.Pos {
	if p == nil {
		return model.Pos{}
	}
	return model.Pos{Line: p.Line, Col: p.Col}
}

func str(s *actionlint.String) string {
	if s == nil {
		return ""
	}
	return s.Value
}

func (b *builder) value(s *actionlint.String) model.Value {
	if s == nil {
		return model.Value{}
	}
	return model.Value{Raw: s.Value, Pos: pos(s.Pos), Refs: expr.TemplateRefs(s.Value)}
}

func (b *builder) workflow(file *model.File, wf *actionlint.Workflow) *model.Pipeline {
	p := &model.Pipeline{Kind: model.GitHubWorkflow, File: file, Name: str(wf.Name)}
	for _, ev := range wf.On {
		t := model.Trigger{Event: ev.EventName()}
		switch e := ev.(type) {
		case *actionlint.WebhookEvent:
			t.Pos = pos(e.Pos)
			for _, ty := range e.Types {
				t.Types = append(t.Types, ty.Value)
			}
			if e.Branches != nil {
				for _, v := range e.Branches.Values {
					t.Branches = append(t.Branches, v.Value)
				}
			}
			if e.Tags != nil {
				for _, v := range e.Tags.Values {
					t.Tags = append(t.Tags, v.Value)
				}
			}
		case *actionlint.WorkflowCallEvent:
			t.Pos = pos(e.Pos)
			p.Reusable = true
			p.CallSecrets = []string{}
			for _, s := range e.Secrets {
				p.CallSecrets = append(p.CallSecrets, str(s.Name))
			}
			sort.Strings(p.CallSecrets)
		case *actionlint.WorkflowDispatchEvent:
			t.Pos = pos(e.Pos)
		case *actionlint.ScheduledEvent:
			t.Pos = pos(e.Pos)
		case *actionlint.RepositoryDispatchEvent:
			t.Pos = pos(e.Pos)
		}
		p.Triggers = append(p.Triggers, t)
	}
	p.Permissions = permissions(wf.Permissions)
	p.Env = b.env(wf.Env, "workflow", "env")
	// Jobs in file order: actionlint keeps a map.
	jobs := make([]*actionlint.Job, 0, len(wf.Jobs))
	for _, j := range wf.Jobs {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(i, k int) bool { return less(jobs[i].Pos, jobs[k].Pos) })
	for _, j := range jobs {
		p.Jobs = append(p.Jobs, b.job(j))
	}
	return p
}

func less(a, b *actionlint.Pos) bool {
	if a == nil || b == nil {
		return a != nil
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

func permissions(p *actionlint.Permissions) *model.Permissions {
	if p == nil {
		return nil
	}
	out := &model.Permissions{All: str(p.All), Pos: pos(p.Pos), Scopes: map[string]string{}}
	for _, s := range p.Scopes {
		out.Scopes[strings.ToLower(str(s.Name))] = str(s.Value)
	}
	return out
}

// env converts an `env:` mapping, sorted by position so that findings come out
// in file order.
func (b *builder) env(e *actionlint.Env, level, path string) []*model.Var {
	if e == nil {
		return nil
	}
	out := make([]*model.Var, 0, len(e.Vars))
	for _, v := range e.Vars {
		name := str(v.Name)
		out = append(out, &model.Var{
			Name: name, Value: b.value(v.Value), Pos: pos(v.Name.Pos), Level: level,
			YAMLPath: path + "." + name,
		})
	}
	if e.Expression != nil {
		// `env: ${{ fromJSON(...) }}`: the names are unknown, the references are not.
		out = append(out, &model.Var{Name: "", Value: b.value(e.Expression), Pos: pos(e.Expression.Pos), Level: level, YAMLPath: path})
	}
	sortVars(out)
	return out
}

func sortVars(vs []*model.Var) {
	sort.SliceStable(vs, func(i, k int) bool {
		a, c := vs[i].Pos, vs[k].Pos
		if a.Line != c.Line {
			return a.Line < c.Line
		}
		return a.Col < c.Col
	})
}

func (b *builder) job(j *actionlint.Job) *model.Job {
	id := str(j.ID)
	path := "jobs." + id
	out := &model.Job{ID: id, Name: str(j.Name), Pos: pos(j.Pos), YAMLPath: path, If: str(j.If)}
	if j.RunsOn != nil {
		for _, l := range j.RunsOn.Labels {
			out.RunsOn = append(out.RunsOn, l.Value)
		}
		if j.RunsOn.Group != nil {
			out.RunsOn = append(out.RunsOn, "group:"+j.RunsOn.Group.Value)
		}
		out.SelfHosted = selfHosted(out.RunsOn)
	}
	out.Permissions = permissions(j.Permissions)
	if j.Environment != nil && j.Environment.Name != nil {
		out.Environment = j.Environment.Name.Value
		out.EnvironmentPos = pos(j.Environment.Name.Pos)
	}
	out.Env = b.env(j.Env, "job", path+".env")
	if j.Container != nil {
		out.Image = str(j.Container.Image)
	}
	if wc := j.WorkflowCall; wc != nil {
		call := &model.Call{Uses: str(wc.Uses), Pos: pos(wc.Uses.Pos), Inherit: wc.InheritSecrets}
		call.Local = strings.HasPrefix(call.Uses, "./")
		for _, s := range wc.Secrets {
			call.Secrets = append(call.Secrets, &model.Var{
				Name: str(s.Name), Value: b.value(s.Value), Pos: pos(s.Name.Pos), Level: "call-secret",
				YAMLPath: path + ".secrets." + str(s.Name),
			})
		}
		sortVars(call.Secrets)
		for _, in := range wc.Inputs {
			call.Inputs = append(call.Inputs, &model.Var{
				Name: str(in.Name), Value: b.value(in.Value), Pos: pos(in.Name.Pos), Level: "input",
				YAMLPath: path + ".with." + str(in.Name),
			})
		}
		sortVars(call.Inputs)
		if call.Inherit {
			call.InheritPos = b.keyLine(out.Pos, "secrets:", "inherit")
		}
		out.Call = call
	}
	for i, s := range j.Steps {
		out.Steps = append(out.Steps, b.step(s, i, path))
	}
	return out
}

// keyLine finds the line of `secrets: inherit` inside a job: actionlint keeps
// only a boolean for it.
func (b *builder) keyLine(jobPos model.Pos, key, value string) model.Pos {
	for k := jobPos.Line; k <= b.lines.Count(); k++ {
		line := b.lines.Line(k)
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, key) && strings.Contains(t, value) {
			return model.Pos{Line: k, Col: strings.Index(line, key) + 1}
		}
		if k > jobPos.Line && len(t) > 0 && !strings.HasPrefix(t, "#") && indentOf(line) < jobPos.Col {
			break // left the job
		}
	}
	return jobPos
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) + 1 }

func selfHosted(labels []string) bool {
	for _, l := range labels {
		l = strings.ToLower(l)
		if l == "self-hosted" || strings.HasPrefix(l, "group:") {
			return true
		}
	}
	return false
}

func (b *builder) step(s *actionlint.Step, i int, jobPath string) *model.Step {
	path := fmt.Sprintf("%s.steps[%d]", jobPath, i)
	out := &model.Step{Index: i, ID: str(s.ID), Name: str(s.Name), Pos: pos(s.Pos), YAMLPath: path, If: str(s.If)}
	out.Env = b.env(s.Env, "step", path+".env")
	switch e := s.Exec.(type) {
	case *actionlint.ExecAction:
		out.Uses = str(e.Uses)
		out.UsesPos = pos(e.Uses.Pos)
		for _, in := range e.Inputs {
			out.With = append(out.With, &model.Var{
				Name: str(in.Name), Value: b.value(in.Value), Pos: pos(in.Name.Pos), Level: "input",
				YAMLPath: path + ".with." + str(in.Name),
			})
		}
		sortVars(out.With)
	case *actionlint.ExecRun:
		if e.Run != nil {
			out.Run = b.script(e.Run, str(e.Shell))
		}
	}
	return out
}

func (b *builder) script(run *actionlint.String, shellName string) *model.Script {
	text := run.Value
	sc := shell.Deferred(shell.Input{Text: text, Lines: b.lines.ScriptLines(pos(run.Pos), text), Expressions: true})
	sc.Shell = shellName
	return sc
}
