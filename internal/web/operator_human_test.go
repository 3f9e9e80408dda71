package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/queue"
)

// TestPenWearThreshold: serve --pen-wear-m sets when the dashboard asks for a fresh pen; a pen
// past it is in "needs a human", one short of it is not.
func TestPenWearThreshold(t *testing.T) {
	s := startSystem(t, app.Config{PenWornMetres: 40})
	ctx := context.Background()
	for name, m := range map[string]float64{"pen-past": 41.5, "pen-short": 39} {
		if err := s.sys.Queue.PutHeartbeat(ctx, queue.Heartbeat{Worker: name, Lane: "a6-white", State: queue.StateIdle,
			PenDownMetres: m, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser()
	b.login(s.operatorKey())
	waitFor(t, patience, "both robots on the dashboard", func() bool {
		_, doc, _ := b.get("/operator")
		if len(find(doc, "article[data-robot=pen-past]")) != 1 || len(find(doc, "article[data-robot=pen-short]")) != 1 {
			return false
		}
		need := find(doc, "section[id=needhuman]")
		if len(need) != 1 {
			t.Fatal("no needs-a-human section")
		}
		if n := len(find(need[0], "li[data-penworn=pen-past]")); n != 1 {
			t.Errorf("the pen at 41.5 m of 40 m is not in needs-a-human (%d)", n)
		}
		if n := len(find(need[0], "li[data-penworn=pen-short]")); n != 0 {
			t.Errorf("the pen at 39 m of 40 m is in needs-a-human")
		}
		return true
	})
}
