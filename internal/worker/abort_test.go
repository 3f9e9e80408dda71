package worker_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/plan"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/storetest"
	"github.com/quillpost/quillpost/internal/worker"
)

// tapPort records every byte the worker sends to the robot.
type tapPort struct {
	serialstream.Port
	mu   sync.Mutex
	sent bytes.Buffer
}

func (p *tapPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.sent.Write(b)
	p.mu.Unlock()
	return p.Port.Write(b)
}

func (p *tapPort) since(mark int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.sent.Bytes()[mark:])
}

func (p *tapPort) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent.Len()
}

// TestAbortParksPenAtRest: an operator aborts a card mid-stroke on a servo robot whose profile
// names a rest position ([pen.rest], M5 on grbl-servo). After the soft reset the worker must park
// the pen at rest, as the end of a card does, not hold the servo at the travel angle ([pen.up],
// M3 S79), where it keeps straining and hovers just above the card.
func TestAbortParksPenAtRest(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	srv, err := queue.StartEmbedded(t.TempDir(), "", testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	q, err := srv.Queue(ctx, queue.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	a := storetest.NewAccount(t, st)
	card, err := st.CreateCard(ctx, shortCard(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.NewRelay(st).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sim, p := simPlotter(t, 2)
	if len(p.PenRest.Commands) == 0 || strings.Join(p.PenRest.Commands, "") == strings.Join(p.PenUp.Commands, "") {
		t.Fatalf("profile %s has no rest position distinct from pen up; the test needs one", p.Name)
	}
	var tap *tapPort
	var tapMu sync.Mutex
	w, err := worker.New(worker.Config{
		Name: "robot-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true, Order: plan.OrderOptimal,
		Store: st, Queue: q, MaxAttempts: 1,
		OpenPort: func(context.Context) (serialstream.Port, error) {
			port, err := serialstream.Open(sim.Path(), p.Baud)
			if err != nil {
				return nil, err
			}
			tapMu.Lock()
			defer tapMu.Unlock()
			tap = &tapPort{Port: port}
			return tap, nil
		},
		Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()

	waitFor(t, "the robot writes with the pen down", 2*time.Minute, func() bool {
		hb := w.Heartbeat()
		return hb.State == queue.StatePlotting && hb.CardID == card.ID && sim.PenDown()
	})
	tapMu.Lock()
	port := tap
	tapMu.Unlock()
	mark := port.len()
	if err := w.Do(worker.CmdAbort); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the aborted card is spoiled", 2*time.Minute, func() bool {
		evs, _ := st.Events(ctx, store.AnyAccount, card.ID)
		for _, e := range evs {
			if e.To == store.StatusSpoiled {
				return true
			}
		}
		return false
	})
	if sim.PenDown() {
		t.Error("the pen is still down after the abort")
	}
	// What went to the robot between the soft reset and the next card's start ($H).
	sent := port.since(mark)
	reset := bytes.IndexByte(sent, 0x18)
	if reset < 0 {
		t.Fatalf("no soft reset sent after the abort: %q", sent)
	}
	var after []string
	for _, l := range strings.Split(string(sent[reset+1:]), "\n") {
		l = strings.TrimSpace(strings.ReplaceAll(l, "?", ""))
		if l == "$H" {
			break
		}
		if l != "" {
			after = append(after, l)
		}
	}
	rest, up := p.PenRest.Commands[0], p.PenUp.Commands[0]
	var parked bool
	for _, l := range after {
		parked = parked || l == rest
		if l == up {
			t.Errorf("after the abort the worker sent %q ([pen.up], the travel angle): %q", up, after)
		}
	}
	if !parked {
		t.Errorf("after the abort the worker never sent %q ([pen.rest]): %q", rest, after)
	}
}
