package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quillpost/quillpost/internal/store"
)

// A worker on another machine has NATS but no database. ServeCards (run by every process that has
// the store, e.g. `quillpost serve`) answers its card reads and status changes over NATS
// request/reply, and RemoteCards is the worker's store.CardStore. The database stays the truth:
// every change still goes through Store.Transition's compare-and-set.

// The card service answers a robot only about a job it was given: every request carries the job's
// attempt and token (JobTokenHeader, signed by the deployment when it published the job), the
// robot's name is part of the subject its credentials allow (Names.RPCSubject), and only the
// status changes a worker makes are accepted.

// ErrForbidden: the card service refused a request that no job given to the robot allows.
var ErrForbidden = errors.New("not allowed for this robot")

// rpcGroup is the queue group of ServeCards: with several servers, each request is answered once.
const rpcGroup = "quillpost-cards"

type getRequest struct {
	AccountID string `json:"account_id"`
	ID        string `json:"id"`
	Attempt   int    `json:"attempt"`
	Token     string `json:"token"`
}

type transitionRequest struct {
	CardID    string       `json:"card_id"`
	AccountID string       `json:"account_id"`
	From      store.Status `json:"from"`
	To        store.Status `json:"to"`
	Then      store.Status `json:"then"`
	Attempt   int          `json:"attempt"`
	Cause     string       `json:"cause"`
	Detail    string       `json:"detail"`
	Token     string       `json:"token"`
}

type rpcReply struct {
	Card  *store.Card `json:"card,omitempty"`
	Error *rpcError   `json:"error,omitempty"`
}

// rpcError carries a store error's kind across the wire, so errors.Is works on the far side.
type rpcError struct {
	Code    string       `json:"code"` // not_found, conflict, invalid_transition, invalid, internal
	Message string       `json:"message"`
	CardID  string       `json:"card_id,omitempty"`
	From    store.Status `json:"from,omitempty"`
	To      store.Status `json:"to,omitempty"`
}

var rpcCodes = []struct {
	code string
	err  error
}{
	{"not_found", store.ErrNotFound},
	{"conflict", store.ErrConflict},
	{"invalid", store.ErrInvalid},
	{"forbidden", ErrForbidden},
}

func toRPCError(err error) *rpcError {
	var te *store.TransitionError
	if errors.As(err, &te) {
		return &rpcError{Code: "invalid_transition", Message: err.Error(), CardID: te.CardID, From: te.From, To: te.To}
	}
	for _, c := range rpcCodes {
		if errors.Is(err, c.err) {
			return &rpcError{Code: c.code, Message: err.Error()}
		}
	}
	return &rpcError{Code: "internal", Message: err.Error()}
}

func (e *rpcError) toError() error {
	if e.Code == "invalid_transition" {
		return fmt.Errorf("%s: %w", e.Message, &store.TransitionError{CardID: e.CardID, From: e.From, To: e.To})
	}
	for _, c := range rpcCodes {
		if e.Code == c.code {
			return fmt.Errorf("%s (remote): %w", e.Message, c.err)
		}
	}
	return fmt.Errorf("%s (remote)", e.Message)
}

// ServeCards answers RemoteCards requests from s until ctx ends (then it returns nil).
func (q *Queue) ServeCards(ctx context.Context, s store.CardStore) error {
	ch := make(chan *nats.Msg, 256)
	var subs []*nats.Subscription
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()
	for _, m := range []string{"get", "transition"} {
		sub, err := q.nc.ChanQueueSubscribe(q.names.RPCSubject("*", m), rpcGroup, ch)
		if err != nil {
			return fmt.Errorf("serve cards: %w", err)
		}
		subs = append(subs, sub)
	}
	if err := q.nc.FlushTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("serve cards: %w", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for range 4 { // a few at once: a transition waits for the database's single writer
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-ch:
					q.answer(ctx, s, m)
				}
			}
		}()
	}
	<-ctx.Done()
	return nil
}

// workerMoves are the status changes a robot makes: claim, written, released, spoiled, failed.
var workerMoves = map[store.Status][]store.Status{
	store.StatusQueued:   {store.StatusPlotting, store.StatusFailed},
	store.StatusPlotting: {store.StatusWritten, store.StatusQueued, store.StatusSpoiled, store.StatusFailed},
}

func (q *Queue) answer(ctx context.Context, s store.CardStore, m *nats.Msg) {
	reply, ok := q.reply(ctx, s, m.Subject, m.Data)
	if !ok {
		return
	}
	b, merr := json.Marshal(reply)
	if merr != nil {
		b, _ = json.Marshal(rpcReply{Error: &rpcError{Code: "internal", Message: merr.Error()}})
	}
	if err := m.Respond(b); err != nil {
		q.log.Warn("card request: reply failed", "subject", m.Subject, "err", err)
	}
}

// reply answers one request of a robot; ok is false for a subject that is not a card request.
func (q *Queue) reply(ctx context.Context, s store.CardStore, subject string, data []byte) (_ rpcReply, ok bool) {
	var (
		card *store.Card
		err  error
	)
	prefix := q.names.Namespace + ".rpc.cards."
	robot, method, ok := strings.Cut(strings.TrimPrefix(subject, prefix), ".")
	if !ok || !strings.HasPrefix(subject, prefix) {
		return rpcReply{}, false
	}
	refuse := func(cardID, why string) error {
		q.log.Warn("card service: request refused", "robot", robot, "card", cardID, "reason", why)
		return fmt.Errorf("robot %s may not %s card %s: %s: %w", robot, method, cardID, why, ErrForbidden)
	}
	switch method {
	case "get":
		var req getRequest
		if err = json.Unmarshal(data, &req); err != nil {
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		} else if !q.validToken(store.Job{CardID: req.ID, Attempt: req.Attempt}, req.Token) {
			err = refuse(req.ID, "no job of this card was given to it")
		} else {
			card, err = s.GetCard(ctx, req.AccountID, req.ID)
		}
	case "transition":
		var req transitionRequest
		if err = json.Unmarshal(data, &req); err != nil {
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		} else if !q.validToken(store.Job{CardID: req.CardID, Attempt: req.Attempt}, req.Token) {
			err = refuse(req.CardID, "no job of this card and attempt was given to it")
		} else if !slices.Contains(workerMoves[req.From], req.To) || !(req.Then == "" || req.Then == store.StatusQueued || req.Then == store.StatusFailed) {
			err = refuse(req.CardID, fmt.Sprintf("a robot does not move a card from %s to %s", req.From, req.To))
		} else {
			if req.To == store.StatusPlotting {
				req.Detail = robot // the claim records who holds the card: the robot that asked, by its credentials
			}
			card, err = s.Transition(ctx, store.Change{CardID: req.CardID, AccountID: req.AccountID, From: req.From,
				To: req.To, Then: req.Then, Attempt: req.Attempt, Cause: req.Cause, Detail: req.Detail})
		}
	default:
		return rpcReply{}, false
	}
	if err != nil {
		return rpcReply{Error: toRPCError(err)}, true
	}
	return rpcReply{Card: card}, true
}

// RemoteCards returns robot's store.CardStore that sends each call to a ServeCards process,
// waiting at most timeout (default 10 s) for the answer. It can reach only cards of jobs this
// Queue's consumers delivered and that are not yet acknowledged. Store errors keep their kind
// (errors.Is works); "no responders" means no server is running: a transient error, Nak the job.
func (q *Queue) RemoteCards(robot string, timeout time.Duration) store.CardStore {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &remoteCards{q: q, robot: robot, timeout: timeout}
}

type remoteCards struct {
	q       *Queue
	robot   string
	timeout time.Duration
}

func (r *remoteCards) call(ctx context.Context, method string, req any) (*store.Card, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m, err := r.q.nc.RequestWithContext(ctx, r.q.names.RPCSubject(r.robot, method), b)
	if err != nil {
		return nil, fmt.Errorf("remote card %s: %w", method, err)
	}
	var reply rpcReply
	if err := json.Unmarshal(m.Data, &reply); err != nil {
		return nil, fmt.Errorf("remote card %s: reply: %w", method, err)
	}
	if reply.Error != nil {
		return nil, reply.Error.toError()
	}
	if reply.Card == nil {
		return nil, fmt.Errorf("remote card %s: empty reply", method)
	}
	return reply.Card, nil
}

func (r *remoteCards) GetCard(ctx context.Context, accountID, id string) (*store.Card, error) {
	h, _ := r.q.tokens.get(id)
	return r.call(ctx, "get", getRequest{AccountID: accountID, ID: id, Attempt: h.attempt, Token: h.token})
}

func (r *remoteCards) Transition(ctx context.Context, ch store.Change) (*store.Card, error) {
	h, _ := r.q.tokens.get(ch.CardID)
	return r.call(ctx, "transition", transitionRequest{CardID: ch.CardID, AccountID: ch.AccountID, From: ch.From,
		To: ch.To, Then: ch.Then, Attempt: ch.Attempt, Cause: ch.Cause, Detail: ch.Detail, Token: h.token})
}
