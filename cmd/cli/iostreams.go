package cli

import (
	"io"
	"os"
)

// IOStreams are a command's input and outputs, injected so every command
// can be tested without a terminal (as in the GitHub CLI).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal reports whether ErrOut is a terminal (progress output).
	IsTerminal bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	term := false
	if fi, err := os.Stderr.Stat(); err == nil {
		term = fi.Mode()&os.ModeCharDevice != 0
	}
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, IsTerminal: term}
}
