// Command benchgen writes N generated workflows into a directory, for timing
// `tpscan local` as a whole process (see the README, "Performance").
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tpscan/tpscan/internal/gen"
)

func main() {
	n := flag.Int("n", 10000, "number of workflows")
	out := flag.String("o", "", "output directory (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: benchgen -n 10000 -o DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := gen.New(1)
	for i := 0; i < *n; i++ {
		p := filepath.Join(*out, fmt.Sprintf("wf-%05d.yml", i))
		if err := os.WriteFile(p, []byte(gen.Workflow(r, i)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
