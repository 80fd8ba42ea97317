package catalog

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progress keeps one line on a terminal up to date with how far an import
// got. On anything but a terminal (a log, a pipe, CI) it writes nothing: a
// stream of carriage returns is noise there.
type progress struct {
	w               io.Writer // nil: stay silent
	name            string
	lines, products int
	last            time.Time
	shown           bool
}

// newProgress returns a progress line on w when w is a terminal.
func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{w: w, name: "reading"}
}

// phase starts counting afresh under a new name.
func (p *progress) phase(name string) {
	if p.w == nil {
		return
	}
	if p.shown {
		p.show()
		fmt.Fprintln(p.w) // keep the finished phase's totals on screen
	}
	p.name, p.lines, p.products = name, 0, 0
	p.show()
}

// add counts lines and products done, redrawing at most ten times a second.
func (p *progress) add(lines, products int) {
	if p.w == nil {
		return
	}
	p.lines += lines
	p.products += products
	if time.Since(p.last) >= 100*time.Millisecond {
		p.show()
	}
}

func (p *progress) show() {
	// \x1b[K clears what a longer previous line left behind.
	fmt.Fprintf(p.w, "\r%s: %d lines, %d products\x1b[K", p.name, p.lines, p.products)
	p.last = time.Now()
	p.shown = true
}

// finish shows the final counts and ends the line, so what is printed next
// starts on a line of its own.
func (p *progress) finish() {
	if p.w == nil || !p.shown {
		return
	}
	p.show()
	fmt.Fprintln(p.w)
}
