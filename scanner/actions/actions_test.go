package actions

import (
	"strings"
	"testing"

	"github.com/tpscan/tpscan/scanner/model"
	"github.com/tpscan/tpscan/scanner/shell"
)

const workflow = `name: release
on:
  release:
    types: [published]
  pull_request_target:
permissions:
  contents: read
env:
  GLOBAL: ${{ secrets.ORG_TOKEN }}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: python -m build
  publish:
    needs: build
    runs-on: [self-hosted, linux]
    environment: pypi
    permissions:
      id-token: write
    env:
      TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }}
    steps:
      - id: up
        name: Upload
        run: |
          echo start
          twine upload dist/*
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_TOKEN }}
  call:
    uses: ./.github/workflows/reusable.yml
    secrets: inherit
`

func TestParseWorkflow(t *testing.T) {
	p, err := ParseWorkflow(&model.File{Path: ".github/workflows/release.yml", Content: []byte(workflow)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Triggers) != 2 || !p.HasTrigger("pull_request_target") {
		t.Errorf("triggers = %+v", p.Triggers)
	}
	if p.Permissions.Scope("contents") != "read" || len(p.Env) != 1 || p.Env[0].Pos.Line != 9 {
		t.Errorf("workflow permissions/env = %+v %+v", p.Permissions, p.Env)
	}
	if len(p.Jobs) != 3 || p.Jobs[0].ID != "build" || p.Jobs[1].ID != "publish" || p.Jobs[2].ID != "call" {
		t.Fatalf("jobs in file order: %v", p.Jobs)
	}
	pub := p.Jobs[1]
	if !pub.SelfHosted || pub.Environment != "pypi" || pub.Permissions.Scope("id-token") != "write" || pub.Permissions.Scope("contents") != "none" {
		t.Errorf("publish job = %+v", pub)
	}
	if len(pub.Env) != 1 || pub.Env[0].Pos.Line != 22 || pub.Env[0].YAMLPath != "jobs.publish.env.TWINE_PASSWORD" || pub.Env[0].Value.Refs[0].Name != "PYPI_TOKEN" {
		t.Errorf("job env = %+v", pub.Env[0])
	}
	run := pub.Steps[0].Run
	shell.Ensure(run)
	if run == nil || len(run.Commands) != 2 || run.Commands[1].Pos.Line != 28 || run.Commands[1].Pos.Col != 11 {
		t.Fatalf("run commands = %+v", run)
	}
	act := pub.Steps[1]
	if act.Uses != "pypa/gh-action-pypi-publish@release/v1" || act.Input("PASSWORD") == nil || act.Input("password").Pos.Line != 31 || act.YAMLPath != "jobs.publish.steps[1]" {
		t.Errorf("action step = %+v", act)
	}
	call := p.Jobs[2].Call
	if call == nil || !call.Local || !call.Inherit || call.InheritPos.Line != 34 {
		t.Errorf("call = %+v", call)
	}
}

func TestParseWorkflowError(t *testing.T) {
	secret := "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAAC"
	_, err := ParseWorkflow(&model.File{Path: "x.yml", Content: []byte("on: push\njobs:\n  a: [\n\"" + secret + "\n")})
	if err == nil {
		t.Fatal("want an error")
	}
	pe, ok := err.(*ParseError)
	if !ok || pe.Line == 0 || strings.Contains(err.Error(), secret) {
		t.Errorf("error = %v", err)
	}
}

func FuzzParseWorkflow(f *testing.F) {
	f.Add([]byte(workflow))
	f.Add([]byte("on: push\njobs:\n  a:\n    steps:\n      - run: |\n          twine upload\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		p, err := ParseWorkflow(&model.File{Path: "f.yml", Content: b})
		if err == nil && p == nil {
			t.Fatal("nil pipeline without an error")
		}
	})
}
