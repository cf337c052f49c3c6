package reports

import (
	"errors"
	"io"
)

// MarkdownOptions shape the Markdown report.
type MarkdownOptions struct {
	// ShowSuppressed lists suppressed findings too.
	ShowSuppressed bool
}

// WriteMarkdown writes the report for an issue or pull-request comment.
func WriteMarkdown(w io.Writer, r *Report, opts MarkdownOptions) error {
	return errors.New("markdown output is not written yet")
}
