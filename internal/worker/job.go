package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/hand"
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

// abortKeptDetail is the event detail of an attempt an operator aborted keeping the blank.
const abortKeptDetail = "aborted by an operator, who kept the blank"

// errUnplottable marks a job whose card cannot be written by this robot at all: retrying it
// elsewhere would fail the same way, so the card fails and waits for an operator.
var errUnplottable = errors.New("card cannot be plotted")

// errProofChanged marks a card whose approved proof this robot's renderer no longer draws (an
// upgrade changed the strokes): it is held for the new proof's approval, never written.
var errProofChanged = errors.New("the proof changed")

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
	// Until the outcome is recorded the worker keeps both the queue's delivery and the store's
	// lease alive; neither may block the robot. Losing the lease (an operator cancelled or retried
	// the card, or the worker was cut off longer than the lease) stops the pen.
	stopKeepAlive := d.KeepAlive(context.WithoutCancel(ctx))
	defer stopKeepAlive()
	fenced, stopLease := w.keepLease(ctx, d.Job, log)
	defer stopLease()
	w.keepBlank.Store(false)
	prog, err := w.write(ctx, fenced, card, log)
	o := outcome{Job: d.Job, At: time.Now().UTC()}
	switch {
	case err == nil:
		o.Kind, o.PenDownMM, o.prog = outcomeWritten, prog.Stats.PenDownMM, prog
	case errors.Is(err, errReleased):
		o.Kind = outcomeReleased
	case errors.Is(err, serialstream.ErrAborted) && w.keepBlank.Swap(false):
		// The operator aborted and says the blank is clean: it goes back to the stock and the
		// card to the queue, counted as no spoiled card.
		o.Kind, o.Detail = outcomeReleased, abortKeptDetail
		log.Info("card aborted by an operator; blank kept, job returned to the queue")
	case errors.Is(err, errUnplottable):
		o.Kind, o.Detail = outcomeUnplottable, err.Error()
		log.Error("card cannot be plotted", "err", err)
	case errors.Is(err, errProofChanged):
		o.Kind, o.Detail = outcomeProofChanged, err.Error()
		log.Warn("card held for re-approval: the renderer no longer draws its approved proof; no blank was used", "err", err)
	case !serialstream.Marked(err):
		// The pen never touched the card: the blank goes back to stock and the job to the queue.
		o.Kind, o.Detail = outcomeReleased, err.Error()+"; the card is still blank"
		log.Warn("card not started; returned to the queue, the blank is unused", "err", err)
		if !errors.Is(err, serialstream.ErrFirmware) {
			w.dropController() // the link or controller is in doubt: reconnect before the next job
		}
	default:
		o.Kind, o.Detail = outcomeSpoiled, err.Error()
		var se *serialstream.Error
		if errors.As(err, &se) && !errors.Is(err, serialstream.ErrFirmware) {
			w.dropController() // the link or controller is in doubt: reconnect before the next job
		}
	}
	// The outcome is recorded even when shutdown has begun: a written card must never be
	// written again, and a spoiled one must be queued again.
	if !w.settle(ctx, o, log) {
		// Still in the journal: the next start records it, if that comes before the lease runs
		// out (then the reconciler has spoiled and requeued the card, and the record is refused).
		// Unacked, the job comes back after its ack wait and is dropped as stale.
		return
	}
	w.ack(d, log)
}

// settle keeps an outcome in the journal and records it in the store, retrying through outages
// for as long as the worker runs (and a while into shutdown). It reports whether the store has it
// now, or refused it for good (a stale attempt): then the journal entry is gone.
func (w *Worker) settle(ctx context.Context, o outcome, log *slog.Logger) bool {
	if err := w.journal.put(o); err != nil {
		log.Error("outcome not kept on disk; recording it now", "outcome", o.Kind, "err", err)
	}
	base := context.WithoutCancel(ctx)
	var graceEnd time.Time // set when shutdown begins
	backoff := time.Second
	for {
		rctx, cancel := context.WithTimeout(base, 15*time.Second)
		card, err := w.record(rctx, o)
		cancel()
		switch {
		case err == nil:
			w.recorded(base, o, card, log)
		case isFenced(err):
			if o.Kind == outcomeWritten {
				log.Error("card written, but the attempt was taken away meanwhile (cancelled, retried, or its lease ran out): set this card aside, it will not be posted", "err", err)
			} else {
				log.Warn("outcome no longer applies; dropped", "outcome", o.Kind, "err", err)
			}
		default:
			if ctx.Err() != nil {
				if graceEnd.IsZero() {
					graceEnd = time.Now().Add(recordGrace)
				}
				if time.Now().After(graceEnd) {
					log.Error("outcome not recorded; it stays in the journal for the next start", "outcome", o.Kind, "err", err)
					return false
				}
			}
			log.Warn("outcome not recorded yet; retrying", "outcome", o.Kind, "err", err, "retry_in", backoff)
			sleep(base, backoff)
			backoff = min(backoff*2, 15*time.Second)
			continue
		}
		if err := w.journal.remove(o.Job); err != nil {
			log.Error("outcome recorded but still in the journal; recording it again at the next start is harmless", "err", err)
		}
		return true
	}
}

// recordGrace is how long a worker that is shutting down keeps trying to record an outcome.
const recordGrace = 30 * time.Second

// isFenced reports a store refusal that retrying cannot change.
func isFenced(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalidTransition) ||
		errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrStale)
}

// record makes the store change for an outcome.
func (w *Worker) record(ctx context.Context, o outcome) (*store.Card, error) {
	ch := store.Change{CardID: o.Job.CardID, From: store.StatusPlotting, Attempt: o.Job.Attempt, Worker: w.cfg.Name}
	switch o.Kind {
	case outcomeWritten:
		ch.To, ch.Cause, ch.Detail = store.StatusWritten, CauseWritten, w.cfg.Name
	case outcomeReleased:
		ch.To, ch.Cause, ch.Detail = store.StatusQueued, CauseReleased, w.cfg.Name+" shut down before the pen touched the card"
		if o.Detail != "" {
			ch.Detail = w.cfg.Name + ": " + o.Detail
		}
	case outcomeUnplottable:
		ch.To, ch.Cause, ch.Detail = store.StatusFailed, CauseUnplottable, o.Detail
	case outcomeProofChanged:
		ch.To, ch.Cause, ch.Detail = store.StatusAccepted, store.CauseProofChanged, o.Detail
	default:
		return store.Spoil(ctx, w.cfg.Store, o.Job, w.jobOptions(), CauseFault, w.cfg.Name+": "+o.Detail)
	}
	c, err := w.cfg.Store.Transition(ctx, ch)
	if o.Kind == outcomeWritten && errors.Is(err, store.ErrConflict) {
		// Recorded already (the answer was lost in an outage, or the journal entry outlived its
		// recording): the same attempt written is success, not a card to set aside.
		if cur, gerr := w.cfg.Store.GetCard(ctx, store.AnyAccount, o.Job.CardID); gerr == nil &&
			cur.Attempts == o.Job.Attempt && (cur.Status == store.StatusWritten || cur.Status == store.StatusPosted) {
			return cur, nil
		}
	}
	return c, err
}

// recorded updates the heartbeat and the address sheet after the store took an outcome.
func (w *Worker) recorded(ctx context.Context, o outcome, card *store.Card, log *slog.Logger) {
	switch o.Kind {
	case outcomeWritten:
		w.beat(func(h *queue.Heartbeat) {
			h.State, h.CardID, h.Progress, h.Error = queue.StateIdle, "", 0, ""
			h.CardsWritten++
			h.PenDownMetres += o.PenDownMM / 1000
		})
		log.Info("card written", "pen_down_mm", int(o.PenDownMM))
		w.sheetAdd(ctx, card)
		if w.cfg.OnWritten != nil {
			w.cfg.OnWritten(ctx, w.cfg.Name, card, o.prog)
		}
	case outcomeReleased:
		log.Info("job returned to the queue unwritten")
		if o.Detail == abortKeptDetail {
			w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress, h.Error = queue.StateIdle, "", 0, "" })
		} else if o.Detail != "" {
			w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Error = queue.StateError, "", o.Detail })
		}
	case outcomeUnplottable, outcomeProofChanged:
		w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Error = queue.StateIdle, "", "" })
	default:
		log.Warn("card spoiled", "err", o.Detail, "now", card.Status)
		w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Error = queue.StateError, "", o.Detail })
	}
}

// replayJournal records the outcomes a previous run could not (an outage, or a crash between the
// robot finishing and the store recording it), before any new job is taken.
func (w *Worker) replayJournal(ctx context.Context) error {
	pending, torn, err := w.journal.pending()
	if err != nil {
		return err
	}
	for _, t := range torn {
		w.log.Warn("a journal file torn by a crash was set aside (its outcome was never recorded or acked)", "file", t)
	}
	for _, o := range pending {
		log := w.log.With("card", o.Job.CardID, "attempt", o.Job.Attempt, "from", "journal")
		log.Info("recording an outcome kept in the journal", "outcome", o.Kind)
		if !w.settle(ctx, o, log) {
			return fmt.Errorf("outcome of card %s not recorded", o.Job.CardID)
		}
	}
	return nil
}

// keepLease renews the claim's lease while the card is being written and its outcome recorded.
// The returned context ends when the lease is lost for good (the store refuses the renewal), so
// the pen stops on a card that is no longer this worker's. Renewals that fail for other reasons
// (an outage) are retried at the next tick and never block the robot.
func (w *Worker) keepLease(ctx context.Context, job store.Job, log *slog.Logger) (fenced context.Context, stop func()) {
	fenced, lose := context.WithCancel(context.WithoutCancel(ctx))
	lr := w.cfg.Store.(store.LeaseRenewer) // New checked it
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		every := max(w.cfg.Lease/5, 10*time.Millisecond)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(fenced, every)
			_, err := lr.RenewLease(rctx, job.CardID, job.Attempt, w.cfg.Lease)
			cancel()
			if isFenced(err) {
				log.Warn("lease lost: the card is no longer this robot's; stopping", "err", err)
				lose()
				return
			}
			if err != nil && fenced.Err() == nil {
				log.Warn("lease not renewed; retrying", "err", err)
			}
		}
	}()
	return fenced, func() { close(done); wg.Wait(); lose() }
}

// errReleased: shutdown came before the pen touched the card.
var errReleased = errors.New("released before writing")

// write renders, checks, compiles and streams one card. ctx is the worker's (its end asks for
// shutdown); fenced ends when the card is no longer this worker's, which stops the pen at once.
func (w *Worker) write(ctx, fenced context.Context, card *store.Card, log *slog.Logger) (*program.Program, error) {
	if card.Test && !w.cfg.Simulated {
		return nil, fmt.Errorf("%w: a test card is never written by a real robot (%s)", errUnplottable, w.cfg.Name)
	}
	if !card.Test && w.cfg.Simulated && !w.cfg.AlsoLive {
		return nil, fmt.Errorf("%w: a live card is never written by a simulated robot (%s)", errUnplottable, w.cfg.Name)
	}
	spec := cardspec.FromCard(card)
	hc, _, err := cardspec.RenderWith(spec, w.findFace(ctx, card))
	if err != nil {
		return nil, fmt.Errorf("%w: render: %v", errUnplottable, err)
	}
	// Checked before a blank is asked for: a proof that changed costs no card.
	if card.StrokeHash != "" && hc.Hash() != card.StrokeHash {
		switch {
		case card.RenderVersion > hand.RenderVersion:
			// A robot not yet upgraded meets a proof approved under the new renderer: holding the
			// card again would ask the customer to approve the old strokes.
			return nil, fmt.Errorf("%w: its proof was approved under render version %d and %s renders version %d; upgrade quillpost on this robot, then retry the card",
				errUnplottable, card.RenderVersion, w.cfg.Name, hand.RenderVersion)
		case card.RenderVersion == hand.RenderVersion:
			log.Error("strokes differ from the proof under the same render version: a renderer change without a version bump, or a face changed", "render_version", hand.RenderVersion)
		}
		return nil, fmt.Errorf("%w: the approved proof was drawn by render version %d and %s's renderer (version %d) draws other strokes; held for the new proof's approval, no blank used",
			errProofChanged, card.RenderVersion, w.cfg.Name, hand.RenderVersion)
	}
	prog, err := program.Build(hc, w.profile(), w.cfg.Order, "card "+card.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnplottable, err)
	}
	if !w.cfg.AutoFeed {
		w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress, h.Error = queue.StateWaiting, card.ID, 0, "" })
		select {
		case <-w.loaded:
		case <-ctx.Done():
			return nil, errReleased
		case <-fenced.Done():
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
	stopFenced := context.AfterFunc(fenced, cancel)
	defer stopFenced()
	w.beat(func(h *queue.Heartbeat) { h.State, h.CardID, h.Progress, h.Error = queue.StatePlotting, card.ID, 0, "" })
	log.Info("writing card", "lines", len(prog.GCode.Lines), "estimate_s", int(prog.PlotSeconds))
	_, err = ctrl.Stream(sctx, prog.GCode.Lines, func(p serialstream.Progress) {
		// Only memory here: the heartbeat publisher sends it on, so NATS never stalls the pen.
		w.beat(func(h *queue.Heartbeat) {
			h.Progress = p.Percent
			if p.Paused {
				h.State = queue.StatePaused
			} else {
				h.State = queue.StatePlotting
			}
			// A hold the robot did not ask for (its button, its door) or an alarm is the
			// operator's to see at once; the progress watchdog fails the card if it lasts.
			h.Error = ""
			if st, _, _ := strings.Cut(p.State, ":"); !p.Paused && (st == "Hold" || st == "Door" || st == "Alarm") {
				h.Error = "the controller reports " + p.State
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
	return store.JobOptions{Worker: w.cfg.Name, MaxAttempts: w.cfg.MaxAttempts, Lease: w.cfg.Lease}
}
