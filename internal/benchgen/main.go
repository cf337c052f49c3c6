// Command benchgen writes N generated workflows into a directory, for timing
// `tpscan local` as a whole process, and with -parse times the floor: a
// process that only reads and parses the same files with yaml.v3 on every
// core (see the README, "Performance").
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/tpscan/tpscan/internal/gen"
)

func main() {
	n := flag.Int("n", 10000, "number of workflows")
	out := flag.String("o", "", "output directory (created)")
	parse := flag.String("parse", "", "only read and parse every YAML file of this directory with yaml.v3")
	flag.Parse()
	if *parse != "" {
		if err := parseAll(*parse); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: benchgen -n 10000 -o DIR | benchgen -parse DIR")
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

func parseAll(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	ch := make(chan string)
	errs := make(chan error, 1)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				b, err := os.ReadFile(p)
				if err == nil {
					var n yaml.Node
					err = yaml.Unmarshal(b, &n)
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("%s: %w", p, err):
					default:
					}
				}
			}
		}()
	}
	for _, e := range entries {
		ch <- filepath.Join(dir, e.Name())
	}
	close(ch)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
