package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
)

// Causes this package writes into card events.
const (
	CauseWritten     = "worker.written"
	CauseFault       = "worker.fault"
	CauseUnplottable = "worker.unplottable"
	CauseReleased    = "worker.released"
)

// errUnplottable marks a job whose card cannot be written by this robot at all: retrying it
// elsewhere would fail the same way, so the card fails and waits for an operator.
var errUnplottable = errors.New("card cannot be plotted")

// handle works one delivery to its end: exactly one Ack, Nak or Term.
func (w *Worker) handle(ctx context.Context, d *queue.Delivery) {
	log := w.log.With("card", d.Job.CardID, "attempt", d.Job.Attempt, "delivery", d.Delivered)
	card, err := store.Claim(ctx, w.cfg.Store, d.Job, d.Redelivered(), w.jobOptions())
	switch {
	case errors.Is(err, store.ErrStale):
		log.Info("job no longer current; dropped", "reason", err)
		w.ack(d, log)
		return
	case err != nil:
		w.retryLater(ctx, d, log, err)
		return
	}
	stopKeepAlive := d.KeepAlive(context.WithoutCancel(ctx))
	prog, err := w.write(ctx, card, log)
	stopKeepAlive()
	// The outcome is recorded even when shutdown has begun: a written card must never be
	// written again, and a spoiled one must be queued again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	switch {
	case err == nil:
		written, terr := w.cfg.Store.Transition(rctx, store.Change{
			CardID: card.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: d.Job.Attempt,
			Cause: CauseWritten, Detail: w.cfg.Name,
		})
		if terr != nil {
			// The card is on paper but the record failed: do not ack, so the job comes back and
			// Claim sees the card still plotting; it is then spoiled and written again rather
			// than silently lost.
			log.Error("card written but not recorded", "err", terr)
			w.nak(d, log, 5*time.Second)
			return
		}
		w.beat(rctx, func(h *queue.Heartbeat) {
			h.State, h.CardID, h.Progress = queue.StateIdle, "", 0
			h.CardsWritten++
			h.PenDownMetres += prog.Stats.PenDownMM / 1000
		})
		log.Info("card written", "pen_down_mm", int(prog.Stats.PenDownMM), "lifts", prog.Stats.PenLifts)
		w.sheetAdd(rctx, written)
		if w.cfg.OnWritten != nil {
			w.cfg.OnWritten(rctx, w.cfg.Name, written, prog)
		}
		w.ack(d, log)
	case errors.Is(err, errReleased):
		if _, terr := w.cfg.Store.Transition(rctx, store.Change{
			CardID: card.ID, From: store.StatusPlotting, To: store.StatusQueued, Attempt: d.Job.Attempt,
			Cause: CauseReleased, Detail: w.cfg.Name + " shut down before the pen touched the card",
		}); terr != nil {
			log.Error("releasing the job failed; it comes back after its ack wait", "err", terr)
			return
		}
		log.Info("job returned to the queue unwritten")
		w.ack(d, log)
	case errors.Is(err, errUnplottable):
		if _, terr := w.cfg.Store.Transition(rctx, store.Change{
			CardID: card.ID, From: store.StatusPlotting, To: store.StatusFailed, Attempt: d.Job.Attempt,
			Cause: CauseUnplottable, Detail: err.Error(),
		}); terr != nil {
			log.Error("failing the card failed", "err", terr)
		}
		log.Error("card cannot be plotted", "err", err)
		w.beat(rctx, func(h *queue.Heartbeat) { h.State, h.CardID, h.Error = queue.StateIdle, "", "" })
		w.ack(d, log)
	default:
		c, serr := store.Spoil(rctx, w.cfg.Store, d.Job, w.jobOptions(), CauseFault, w.cfg.Name+": "+err.Error())
		if serr != nil {
			log.Error("recording the spoiled card failed", "err", serr)
			w.nak(d, log, 5*time.Second)
			return
		}
		log.Warn("card spoiled", "err", err, "now", c.Status)
		w.beat(rctx, func(h *queue.Heartbeat) { h.State, h.CardID, h.Error = queue.StateError, "", err.Error() })
		var se *serialstream.Error
		if errors.As(err, &se) && !errors.Is(err, serialstream.ErrFirmware) {
			w.dropController() // the link or controller is in doubt: reconnect before the next job
		}
		w.ack(d, log)
	}
}

// errReleased: shutdown came before the pen touched the card.
var errReleased = errors.New("released before writing")

// write renders, checks, compiles and streams one card.
func (w *Worker) write(ctx context.Context, card *store.Card, log *slog.Logger) (*program.Program, error) {
	if card.Test && !w.cfg.Simulated {
		return nil, fmt.Errorf("%w: a test card is never written by a real robot (%s)", errUnplottable, w.cfg.Name)
	}
	if !card.Test && w.cfg.Simulated && !w.cfg.AlsoLive {
		return nil, fmt.Errorf("%w: a live card is never written by a simulated robot (%s)", errUnplottable, w.cfg.Name)
	}
	spec := cardspec.FromCard(card)
	hc, err := cardspec.Render(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: render: %v", errUnplottable, err)
	}
	if card.StrokeHash != "" && hc.Hash() != card.StrokeHash {
		return nil, fmt.Errorf("%w: the strokes differ from the proof taken at intake (font or hand changed since); refusing to write something the customer did not see", errUnplottable)
	}
	prog, err := program.Build(hc, w.cfg.Profile, w.cfg.Order, "card "+card.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnplottable, err)
	}
	if !w.cfg.AutoFeed {
		w.beat(ctx, func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress, h.Error = queue.StateWaiting, card.ID, 0, "" })
		select {
		case <-w.loaded:
		case <-ctx.Done():
			return nil, errReleased
		}
	}
	if ctx.Err() != nil {
		return nil, errReleased
	}
	ctrl := w.controller()
	if ctrl == nil {
		return nil, fmt.Errorf("robot not connected: %w", serialstream.ErrDisconnected)
	}
	// Once the pen may touch the card, shutdown waits for the card (up to the grace period).
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(w.cfg.ShutdownGrace, cancel)
		context.AfterFunc(sctx, func() { t.Stop() })
	})
	defer stop()
	w.beat(ctx, func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress, h.Error = queue.StatePlotting, card.ID, 0, "" })
	log.Info("writing card", "lines", len(prog.GCode.Lines), "estimate_s", int(prog.PlotSeconds))
	_, err = ctrl.Stream(sctx, prog.GCode.Lines, func(p serialstream.Progress) {
		w.beat(sctx, func(h *queue.Heartbeat) {
			h.Progress = p.Percent
			if p.Paused {
				h.State = queue.StatePaused
			} else {
				h.State = queue.StatePlotting
			}
		})
	})
	if err != nil {
		return nil, err
	}
	return prog, nil
}

func (w *Worker) ack(d *queue.Delivery, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Ack(ctx); err != nil {
		log.Error("ack failed; the job will come back and be dropped as stale", "err", err)
	}
}

func (w *Worker) nak(d *queue.Delivery, log *slog.Logger, delay time.Duration) {
	if err := d.Nak(delay); err != nil {
		log.Error("nak failed; the job comes back after its ack wait", "err", err)
	}
}

// retryLater handles a transient failure before the card was touched: the job comes back, unless
// this was its last delivery, when the card fails for an operator to look at.
func (w *Worker) retryLater(ctx context.Context, d *queue.Delivery, log *slog.Logger, err error) {
	if d.LastDelivery {
		if _, ferr := store.FailJob(ctx, w.cfg.Store, d.Job, store.CauseMaxDeliveries, err.Error()); ferr != nil && !errors.Is(ferr, store.ErrStale) {
			log.Error("failing the card failed", "err", ferr)
		}
		if terr := d.Term(); terr != nil {
			log.Error("term failed", "err", terr)
		}
		return
	}
	log.Warn("claiming the job failed; retrying later", "err", err)
	w.nak(d, log, 5*time.Second)
}

func (w *Worker) jobOptions() store.JobOptions {
	return store.JobOptions{Worker: w.cfg.Name, MaxAttempts: w.cfg.MaxAttempts}
}
