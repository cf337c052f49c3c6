package reports

import (
	"errors"
	"io"
)

// SARIFOptions shape the SARIF output.
type SARIFOptions struct {
	// Category is the run's automationDetails.id, ending in "/".
	Category string
}

// WriteSARIF writes the report as one SARIF 2.1.0 run.
func WriteSARIF(w io.Writer, r *Report, opts SARIFOptions) error {
	return errors.New("SARIF output is not written yet")
}
