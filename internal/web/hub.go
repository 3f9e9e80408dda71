package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// hub is the live view the pages stream from: every robot's latest heartbeat and what happened to
// cards today, read from the queue (heartbeat bucket, EVENTS stream), so it is the same in every
// process. Watchers are woken by closing the current channel.
type hub struct {
	q   *queue.Queue
	now func() time.Time
	log *slog.Logger

	mu        sync.Mutex
	running   bool
	beats     map[string]queue.Heartbeat
	plotStart map[string]plotStart // worker → when its current card started writing
	day       string               // the local date today's tallies are for
	today     map[string]int       // worker → cards written today
	written   []time.Time          // today's written events, for cards per hour
	spoiled   []spoiledCard        // today's spoiled cards, newest last
	cardSeq   map[string]int       // card → last event seq seen (wakes its status page)
	changed   chan struct{}
}

type plotStart struct {
	card string
	at   time.Time
}

// spoiledCard is one spoiled physical card, and what became of its job.
type spoiledCard struct {
	At     time.Time
	CardID string
	Cause  string
	Detail string
	Then   store.Status // queued again or failed; "" until the next event arrives
}

func newHub(q *queue.Queue, now func() time.Time, log *slog.Logger) *hub {
	return &hub{q: q, now: now, log: log, beats: map[string]queue.Heartbeat{},
		plotStart: map[string]plotStart{}, today: map[string]int{}, cardSeq: map[string]int{},
		changed: make(chan struct{})}
}

// wait returns a channel closed at the next change.
func (h *hub) wait() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// live reports whether run is receiving updates (else pages poll).
func (h *hub) live() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.running
}

func (h *hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *hub) run(ctx context.Context) error {
	beats, err := h.q.WatchHeartbeats(ctx)
	if err != nil {
		return err
	}
	events, stop, err := h.watchEvents(ctx)
	if err != nil {
		return err
	}
	defer stop()
	h.mu.Lock()
	h.running = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
	}()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case b, ok := <-beats:
			if !ok {
				return nil
			}
			h.heartbeat(b)
		case e, ok := <-events:
			if !ok {
				return nil
			}
			h.event(e)
		case <-tick.C:
			h.mu.Lock()
			h.rollDayLocked()
			h.mu.Unlock()
		}
	}
}

// watchEvents replays today's card events from the EVENTS stream and follows new ones.
func (h *hub) watchEvents(ctx context.Context) (<-chan store.Event, func(), error) {
	n := h.q.Names()
	now := h.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	cons, err := h.q.JetStream().OrderedConsumer(ctx, n.EventsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{n.EventsSubject + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &midnight,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("web: events: %w", err)
	}
	out := make(chan store.Event, 64)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var e store.Event
		if err := json.Unmarshal(msg.Data(), &e); err != nil {
			h.log.Warn("skipping a malformed event", "subject", msg.Subject(), "err", err)
			return
		}
		select {
		case out <- e:
		case <-ctx.Done():
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("web: events: %w", err)
	}
	return out, cc.Stop, nil
}

func (h *hub) heartbeat(b queue.Heartbeat) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.beats[b.Worker] = b
	switch {
	case (b.State == queue.StatePlotting || b.State == queue.StatePaused) && b.CardID != "":
		if ps, ok := h.plotStart[b.Worker]; !ok || ps.card != b.CardID {
			// Started now, less the progress already made at one beat a second: a good
			// enough origin for the ETA when the dashboard starts mid-card.
			h.plotStart[b.Worker] = plotStart{card: b.CardID, at: h.now()}
		}
	default:
		delete(h.plotStart, b.Worker)
	}
	h.notifyLocked()
}

func (h *hub) event(e store.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rollDayLocked()
	if e.CreatedAt.Local().Format(time.DateOnly) == h.day {
		switch e.To {
		case store.StatusWritten:
			h.today[workerOf(e.Detail)]++
			h.written = append(h.written, e.CreatedAt)
		case store.StatusSpoiled:
			h.spoiled = append(h.spoiled, spoiledCard{At: e.CreatedAt, CardID: e.CardID, Cause: e.Cause, Detail: e.Detail})
			if len(h.spoiled) > 50 {
				h.spoiled = h.spoiled[len(h.spoiled)-50:]
			}
		case store.StatusQueued, store.StatusFailed:
			if e.From == store.StatusSpoiled {
				for i := len(h.spoiled) - 1; i >= 0; i-- {
					if h.spoiled[i].CardID == e.CardID && h.spoiled[i].Then == "" {
						h.spoiled[i].Then = e.To
						break
					}
				}
			}
		}
	}
	if e.Seq > h.cardSeq[e.CardID] {
		h.cardSeq[e.CardID] = e.Seq
	}
	h.notifyLocked()
}

// rollDayLocked starts new tallies at midnight.
func (h *hub) rollDayLocked() {
	d := h.now().Format(time.DateOnly)
	if d == h.day {
		return
	}
	h.day = d
	h.today = map[string]int{}
	h.written = nil
	h.spoiled = nil
	h.cardSeq = map[string]int{}
}

// snapshot is the hub's state for one dashboard render.
type snapshot struct {
	Beats      []queue.Heartbeat
	PlotStart  map[string]time.Time
	Today      map[string]int
	PerHour    int
	TodayTotal int
	Spoiled    []spoiledCard // newest first
}

func (h *hub) snapshot() snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rollDayLocked()
	now := h.now()
	s := snapshot{PlotStart: map[string]time.Time{}, Today: map[string]int{}}
	for _, b := range h.beats {
		s.Beats = append(s.Beats, b)
	}
	sort.Slice(s.Beats, func(i, j int) bool { return s.Beats[i].Worker < s.Beats[j].Worker })
	for w, ps := range h.plotStart {
		s.PlotStart[w] = ps.at
	}
	for w, n := range h.today {
		s.Today[w] = n
		s.TodayTotal += n
	}
	for _, t := range h.written {
		if now.Sub(t) <= time.Hour {
			s.PerHour++
		}
	}
	for i := len(h.spoiled) - 1; i >= 0; i-- {
		s.Spoiled = append(s.Spoiled, h.spoiled[i])
	}
	return s
}

// workerOf takes the robot's name from an event detail: workers write "<name>" or "<name>: why".
func workerOf(detail string) string {
	for i, c := range detail {
		if c == ':' || c == ' ' {
			return detail[:i]
		}
	}
	return detail
}
