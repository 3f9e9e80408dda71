package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows how far long work has got, on stderr: a bar redrawn in place when stderr is a
// terminal, otherwise a plain line every 10 % (a log file should not fill with carriage returns).
// It needs no library: a terminal check and a carriage return are all a one-line bar takes.
type progress struct {
	w     io.Writer
	tty   bool
	unit  string        // what count counts: "labels", "cards"
	quiet time.Duration // off a terminal, print nothing for work done sooner than this
	now   func() time.Time

	start, drawnAt time.Time
	step           string // of the last count; a new step starts its own clock for the ETA
	stepStart      time.Time
	lastTenth      int
	drawn          bool
}

// quietProgress is how long work of a batch command (sheets, render) runs before it says how far
// it has got in a log; a terminal sees the bar at once.
const quietProgress = 2 * time.Second

// redrawEvery keeps a bar over thousands of small steps from costing more than the steps.
const redrawEvery = 100 * time.Millisecond

func newProgress(w io.Writer, unit string) *progress {
	p := &progress{w: w, unit: unit, now: time.Now, lastTenth: -1, tty: isTerminal(w)}
	p.start = p.now()
	p.stepStart = p.start
	return p
}

// isTerminal reports whether w is a character device, such as the terminal a person watches.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// count shows done of total units; step says what is being done ("drawing"), if it matters.
// It is cheap when nothing is due to be drawn, so it can be called for every label.
func (p *progress) count(step string, done, total int) {
	if total <= 0 {
		return
	}
	now := p.now()
	if step != p.step {
		p.step, p.stepStart, p.lastTenth = step, now, -1
	}
	percent := 100 * float64(done) / float64(total)
	if !p.due(now, percent) {
		return
	}
	eta := "--"
	switch elapsed := now.Sub(p.stepStart); {
	case done >= total:
		eta = "0s"
	case done > 0 && elapsed >= time.Second:
		eta = (elapsed * time.Duration(total-done) / time.Duration(done)).Round(time.Second).String()
	}
	text := fmt.Sprintf("%d/%d %s  ETA %s", done, total, p.unit, eta)
	if step != "" {
		text = step + "  " + text
	}
	p.draw(now, percent, text)
}

// show shows a percentage with text after it.
func (p *progress) show(percent float64, text string) {
	if now := p.now(); p.due(now, percent) {
		p.draw(now, percent, text)
	}
}

// due says whether percent is worth drawing now: on a terminal at most every redrawEvery but
// always at the end, in a log once per tenth after the quiet time.
func (p *progress) due(now time.Time, percent float64) bool {
	if !p.tty {
		return (p.drawn || now.Sub(p.start) >= p.quiet) && int(percent/10) != p.lastTenth
	}
	return !p.drawn || percent >= 100 || now.Sub(p.drawnAt) >= redrawEvery
}

func (p *progress) draw(now time.Time, percent float64, text string) {
	p.drawn, p.drawnAt = true, now
	if !p.tty {
		p.lastTenth = int(percent / 10)
		fmt.Fprintf(p.w, "%5.1f%%  %s\n", percent, text)
		return
	}
	const width = 30
	full := min(width, max(0, int(percent/100*width)))
	// \x1b[K clears what a longer earlier line left on the right.
	fmt.Fprintf(p.w, "\r[%s%s] %5.1f%%  %s\x1b[K", strings.Repeat("#", full), strings.Repeat(".", width-full), percent, text)
}

// done ends the bar's line, so that what is printed next starts on its own.
func (p *progress) done() {
	if p.drawn && p.tty {
		fmt.Fprintln(p.w)
	}
}
