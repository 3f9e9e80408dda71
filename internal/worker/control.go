package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/serialstream"
)

// Command is an operator's instruction to a robot.
type Command string

// The commands a worker takes.
const (
	CmdCardLoaded Command = "card-loaded" // a blank card is in place: start writing
	CmdPause      Command = "pause"       // feed hold
	CmdResume     Command = "resume"      // cycle start
	CmdAbort      Command = "abort"       // stop, lift the pen; the card is spoiled and queued again
	CmdAbortKeep  Command = "abort-keep"  // stop, lift the pen; the operator keeps the blank (still clean): queued again, nothing spoiled
	CmdPenChanged Command = "pen-changed" // a fresh pen: the pen-distance counter starts again
	CmdFlushSheet Command = "flush-sheet" // write the open address sheet as a PDF now
	CmdCheckSetup Command = "check-setup" // the operator changed the controller's settings: run the handshake again
	CmdSetOrigin  Command = "set-origin"  // the pen is at work zero: make it the origin (G10 L20 P1 X0 Y0), then check again
)

// ControlSubject is the NATS subject a worker takes commands on: request/reply, so the operator
// learns at once whether the robot accepted the command. Workers in other processes are reached
// the same way as local ones.
func ControlSubject(q *queue.Queue, worker string) string {
	return q.Names().ControlSubject(worker)
}

type controlRequest struct {
	Command Command `json:"command"`
}

type controlReply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Send asks a worker (in any process) to carry out cmd.
func Send(ctx context.Context, q *queue.Queue, worker string, cmd Command) error {
	req, _ := json.Marshal(controlRequest{Command: cmd})
	msg, err := q.Conn().RequestWithContext(ctx, ControlSubject(q, worker), req)
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("robot %s is not running", worker)
	}
	if err != nil {
		return fmt.Errorf("command %s to robot %s: %w", cmd, worker, err)
	}
	var rep controlReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return fmt.Errorf("command %s to robot %s: bad reply: %w", cmd, worker, err)
	}
	if !rep.OK {
		return errors.New(rep.Error)
	}
	return nil
}

// Do carries out an operator command.
func (w *Worker) Do(cmd Command) error {
	switch cmd {
	case CmdCardLoaded:
		if w.Heartbeat().State != queue.StateWaiting {
			return fmt.Errorf("robot %s is not waiting for a card", w.cfg.Name)
		}
		select {
		case w.loaded <- struct{}{}:
		default: // already confirmed
		}
		return nil
	case CmdFlushSheet:
		_, err := w.FlushSheet()
		return err
	case CmdPenChanged:
		w.beat(func(h *queue.Heartbeat) { h.PenDownMetres = 0 })
		return nil
	case CmdCheckSetup, CmdSetOrigin:
		if cmd == CmdSetOrigin {
			c := w.controller()
			if c == nil {
				return fmt.Errorf("robot %s is not connected", w.cfg.Name)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := c.SetOrigin(ctx); err != nil {
				if errors.Is(err, serialstream.ErrBusy) {
					return fmt.Errorf("robot %s is busy; set the origin while it is not writing", w.cfg.Name)
				}
				return err
			}
		}
		w.recheckSetup()
		return nil
	case CmdPause, CmdResume, CmdAbort, CmdAbortKeep:
		c := w.controller()
		if c == nil {
			return fmt.Errorf("robot %s is not connected", w.cfg.Name)
		}
		var err error
		switch cmd {
		case CmdPause:
			err = c.Pause()
		case CmdResume:
			err = c.Resume()
		default:
			w.keepBlank.Store(cmd == CmdAbortKeep)
			err = c.Abort()
		}
		if errors.Is(err, serialstream.ErrIdle) {
			return fmt.Errorf("robot %s is not writing a card", w.cfg.Name)
		}
		return err
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// serveControl answers commands on the worker's control subject until stop is called.
func (w *Worker) serveControl() (stop func(), err error) {
	sub, err := w.cfg.Queue.Conn().Subscribe(ControlSubject(w.cfg.Queue, w.cfg.Name), func(m *nats.Msg) {
		var req controlRequest
		rep := controlReply{OK: true}
		if err := json.Unmarshal(m.Data, &req); err != nil {
			rep = controlReply{Error: "the command is not valid JSON"}
		} else if err := w.Do(req.Command); err != nil {
			rep = controlReply{Error: err.Error()}
		}
		out, _ := json.Marshal(rep)
		_ = m.Respond(out)
	})
	if err != nil {
		return nil, fmt.Errorf("worker %s: control subject: %w", w.cfg.Name, err)
	}
	// The first heartbeat tells operators the robot is there: it must already take commands then.
	if err := w.cfg.Queue.Conn().Flush(); err != nil {
		sub.Unsubscribe()
		return nil, fmt.Errorf("worker %s: control subject: %w", w.cfg.Name, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
