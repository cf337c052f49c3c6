package cli

import (
	"fmt"
	"sync"
	"time"
)

// progress draws a one-line progress bar on stderr when it is a terminal,
// and stays quiet otherwise (CI logs, pipes).
type progress struct {
	io   *IOStreams
	mu   sync.Mutex
	last time.Time
	drew bool
}

func newProgress(io *IOStreams) *progress { return &progress{io: io} }

func (p *progress) update(done, total int) {
	if !p.io.IsTerminal || total == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := width * done / total
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < fill {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.io.ErrOut, "\r[%s] %d/%d repositories", bar, done, total)
	p.drew = true
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprint(p.io.ErrOut, "\r\033[K")
	}
}
