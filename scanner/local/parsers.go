package local

import (
	"errors"

	"github.com/tpscan/tpscan/scanner/actions"
	"github.com/tpscan/tpscan/scanner/gitlabci"
	"github.com/tpscan/tpscan/scanner/model"
)

// The parsers a local scan uses, named here so local.go reads as one flow.

func parseGitLab(f *model.File, include func(string) (*model.File, bool)) (*model.Pipeline, []error) {
	return gitlabci.Parse(f, include)
}

func parseComposite(f *model.File) (*model.Pipeline, error) { return actions.ParseComposite(f) }

func gitLabErrorPos(err error) (int, int, string, bool) {
	var pe *gitlabci.ParseError
	if errors.As(err, &pe) {
		return pe.Line, pe.Column, pe.Message, true
	}
	return 0, 0, "", false
}

func looksLikeAction(b []byte) bool { return actions.LooksLikeAction(b) }
func looksGitLab(b []byte) bool     { return gitlabci.Looks(b) }
