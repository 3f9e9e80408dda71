//go:build chaos

package chaos

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// figures are one scenario's result, as the issue asks them to be reported.
type figures struct {
	cards, written, failed, lost, duplicated, stranded, spoiled int
	unlabelled                                                  int
	recovery                                                    []string // per fault: time until a robot started a new card that it then wrote
}

func (f figures) String() string {
	rec := "n/a"
	if len(f.recovery) > 0 {
		rec = strings.Join(f.recovery, ", ")
	}
	return fmt.Sprintf("%d cards: written %d, failed %d, lost %d, duplicated %d, stranded %d, blanks spoiled %d, unlabelled %d; writing again after the fault: %s",
		f.cards, f.written, f.failed, f.lost, f.duplicated, f.stranded, f.spoiled, f.unlabelled, rec)
}

// verdict checks what the customer and the operator see once the system settled, reports every
// broken promise as a test error and prints the scenario's figures. It ends the shift (stops
// every robot and serve gracefully, so that open address sheets are written) before reading the
// sheets.
func (h *harness) verdict(name string, cs map[string]*card) figures {
	t := h.t
	t.Helper()
	f := figures{cards: len(h.ids)}
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
	return f
}

func lastEvent(c *card) string {
	if len(c.Events) == 0 {
		return "no events"
	}
	e := c.Events[len(c.Events)-1]
	return fmt.Sprintf("last %s→%s %s %q at %s", e.From, e.To, e.Cause, e.Detail, e.CreatedAt.Format(time.TimeOnly))
}

// hitBy names the fault that hit a card's attempt: one that can spoil a card in a robot, injected
// while that attempt was plotting (claimed before it, not yet finished). "" means none did.
func (h *harness) hitBy(c *card, attempt int) string {
	var claimed, finished time.Time
	for _, e := range c.Events {
		if e.Attempt != attempt {
			continue
		}
		if e.To == "plotting" && claimed.IsZero() {
			claimed = e.CreatedAt
		}
		if e.To == "written" || e.To == "spoiled" {
			finished = e.CreatedAt
		}
	}
	if claimed.IsZero() {
		return ""
	}
	for _, fl := range h.faults {
		if fl.hits && claimed.Before(fl.at) && (finished.IsZero() || !finished.Before(fl.at)) {
			return fl.what
		}
	}
	return ""
}

// recovery measures, per fault, the time until a robot started a new card (claimed after the
// fault began) that it went on to write.
func (h *harness) recovery(cs map[string]*card) []string {
	var out []string
	for _, fl := range h.faults {
		var first time.Time
		for _, c := range cs {
			claims := map[int]time.Time{}
			for _, e := range c.Events {
				if e.To == "plotting" && e.CreatedAt.After(fl.at) {
					claims[e.Attempt] = e.CreatedAt
				}
				if at, ok := claims[e.Attempt]; ok && e.To == "written" && (first.IsZero() || at.Before(first)) {
					first = at
				}
			}
		}
		if first.IsZero() {
			out = append(out, fl.what+": never")
			continue
		}
		out = append(out, fmt.Sprintf("%s: %.1fs", fl.what, first.Sub(fl.at).Seconds()))
	}
	return out
}
