//go:build chaos

package chaos

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// figures are one scenario's result, as the issue asks them to be reported.
type figures struct {
	scenario                                                    string
	cards, written, failed, lost, duplicated, stranded, spoiled int
	unlabelled                                                  int
	recovery                                                    []recoveryTime // per fault
}

func (f figures) String() string {
	return fmt.Sprintf("%d cards: written %d, failed %d, lost %d, duplicated %d, stranded %d, blanks spoiled %d, unlabelled %d; writing again after the fault: %s",
		f.cards, f.written, f.failed, f.lost, f.duplicated, f.stranded, f.spoiled, f.unlabelled, f.recoveryText())
}

func (f figures) recoveryText() string {
	if len(f.recovery) == 0 {
		return "n/a"
	}
	var rs []string
	for _, r := range f.recovery {
		rs = append(rs, r.String())
	}
	return strings.Join(rs, "; ")
}

// allFigures collects every scenario's figures for the table printed at the end of the run.
var allFigures struct {
	sync.Mutex
	rows []figures
}

// printReport writes the figures of every scenario that ran as one table (Markdown, so that it
// can be pasted into a note as is).
func printReport(w io.Writer) {
	allFigures.Lock()
	defer allFigures.Unlock()
	if len(allFigures.rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nchaos figures (written / lost / duplicated / stranded are cards; spoiled are blanks; time until the fleet wrote again, from the fault's start)")
	fmt.Fprintln(w, "| scenario | cards | written | failed | lost | duplicated | stranded | blanks spoiled | unlabelled | writing again |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, f := range allFigures.rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n", f.scenario, f.cards, f.written, f.failed,
			f.lost, f.duplicated, f.stranded, f.spoiled, f.unlabelled, f.recoveryText())
	}
}

// verdict checks what the customer and the operator see once the system settled, reports every
// broken promise as a test error and prints the scenario's figures. It ends the shift (stops
// every robot and serve gracefully, so that open address sheets are written) before reading the
// sheets.
func (h *harness) verdict(name string, cs map[string]*card) figures {
	t := h.t
	t.Helper()
	f := figures{scenario: name, cards: len(h.ids)}
	failedList, haveOp := h.operatorFailed()
	h.endShift()
	labels := h.labels()
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for _, id := range h.ids {
		c := cs[id]
		switch {
		case c == nil || c.missing:
			f.lost++
			report("card %s was accepted but the API no longer knows it (lost)", id)
			continue
		case c.Status == "cancelled" || c.Status == "rejected":
			f.lost++
			report("card %s ended %s although nobody cancelled it (lost)", id, c.Status)
			continue
		case !done(c.Status):
			f.stranded++
			report("card %s stranded in %s (attempt %d): %s", id, c.Status, c.Attempts, lastEvent(c))
		}
		writes := 0
		for _, e := range c.Events {
			if e.To == "written" {
				writes++
			}
		}
		if writes > 1 {
			f.duplicated++
			report("card %s written %d times", id, writes)
		}
		switch c.Status {
		case "written", "posted":
			f.written++
			switch n := len(labels[id]); {
			case n == 0:
				f.unlabelled++
				report("written card %s has no address label on any sheet", id)
			case n > 1:
				f.duplicated++
				report("card %s has %d labels: %v", id, n, labels[id])
			}
		case "failed":
			f.failed++
			reason := ""
			for _, e := range c.Events {
				if e.To == "failed" {
					reason = strings.TrimSpace(e.Cause + " " + e.Detail)
				}
			}
			if reason == "" {
				report("card %s failed without a reason in its history", id)
			}
			if haveOp && !failedList[id] {
				report("failed card %s is missing from the operator's list of failed cards", id)
			}
		}
		if c.Status != "written" && c.Status != "posted" && len(labels[id]) > 0 {
			report("card %s is %s but has a label on %v", id, c.Status, labels[id])
		}
		for _, e := range c.Events {
			if e.To != "spoiled" {
				continue
			}
			f.spoiled++
			if fl := h.hitBy(c, e.Attempt); fl == "" {
				report("card %s: blank spoiled at attempt %d by no fault that hit it (%s: %s)", id, e.Attempt, e.Cause, e.Detail)
			}
		}
	}
	f.recovery = h.recovery(cs)
	sort.Strings(problems)
	const show = 25
	for i, p := range problems {
		if i == show {
			t.Errorf("… and %d more", len(problems)-show)
			break
		}
		t.Error(p)
	}
	t.Logf("chaos figures: %s: %s", name, f)
	allFigures.Lock()
	allFigures.rows = append(allFigures.rows, f)
	allFigures.Unlock()
	return f
}

func lastEvent(c *card) string {
	if len(c.Events) == 0 {
		return "no events"
	}
	e := c.Events[len(c.Events)-1]
	return fmt.Sprintf("last %s→%s %s %q at %s", e.From, e.To, e.Cause, e.Detail, e.CreatedAt.Format(time.TimeOnly))
}

// hitBy names the fault that hit a card's attempt: one that can spoil a card in the robot that
// held that attempt, injected while the attempt was plotting (claimed before it, not yet
// finished). "" means none did.
func (h *harness) hitBy(c *card, attempt int) string {
	var claimed, finished time.Time
	var robots []string
	for _, e := range c.Events {
		if e.Attempt != attempt {
			continue
		}
		if e.To == "plotting" {
			if claimed.IsZero() {
				claimed = e.CreatedAt
			}
			robots = append(robots, e.Detail)
		}
		if e.To == "written" || e.To == "spoiled" {
			finished = e.CreatedAt
		}
	}
	if claimed.IsZero() {
		return ""
	}
	for _, fl := range h.faults {
		if fl.hits == nil || !slices.ContainsFunc(robots, fl.hits) {
			continue
		}
		if claimed.Before(fl.at) && (finished.IsZero() || !finished.Before(fl.at)) {
			return fl.what
		}
	}
	return ""
}

// recovery measures, per fault, the time until the fleet was writing again: until a robot
// started a card (its last claim before the card was written was made after the fault began)
// that it went on to write. For an outage it also says how long after the outage ended.
func (h *harness) recovery(cs map[string]*card) []recoveryTime {
	var out []recoveryTime
	for _, fl := range h.faults {
		var first time.Time
		for _, c := range cs {
			claims := map[int]time.Time{} // the latest claim of each attempt so far
			for _, e := range c.Events {
				if e.To == "plotting" {
					claims[e.Attempt] = e.CreatedAt
				}
				at, ok := claims[e.Attempt]
				if ok && e.To == "written" && at.After(fl.at) && (first.IsZero() || at.Before(first)) {
					first = at
				}
			}
		}
		r := recoveryTime{fault: fl.what, never: first.IsZero()}
		if !r.never {
			r.afterStart = first.Sub(fl.at)
			if !fl.cleared.IsZero() {
				r.afterClear, r.outage = first.Sub(fl.cleared), true
			}
		}
		out = append(out, r)
	}
	return out
}

// recoveryTime is the time until the fleet wrote again after one fault.
type recoveryTime struct {
	fault      string
	never      bool
	afterStart time.Duration
	outage     bool // afterClear is set
	afterClear time.Duration
}

func (r recoveryTime) String() string {
	switch {
	case r.never:
		return r.fault + ": never"
	case r.outage:
		return fmt.Sprintf("%s: %.1fs (%.1fs after it ended)", r.fault, r.afterStart.Seconds(), r.afterClear.Seconds())
	}
	return fmt.Sprintf("%s: %.1fs", r.fault, r.afterStart.Seconds())
}
