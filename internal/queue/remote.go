package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// rpcGroup is the queue group of ServeCards: with several servers, each request is answered once.
const rpcGroup = "quillpost-cards"

type getRequest struct {
	AccountID string `json:"account_id"`
	ID        string `json:"id"`
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
	Worker    string       `json:"worker,omitempty"`
	// LeaseNS is the lease in nanoseconds (claims); LeaseExpiredBy the reconciler's condition.
	LeaseNS        int64     `json:"lease_ns,omitempty"`
	LeaseExpiredBy time.Time `json:"lease_expired_by,omitzero"`
}

type renewRequest struct {
	CardID  string `json:"card_id"`
	Attempt int    `json:"attempt"`
	TTLNS   int64  `json:"ttl_ns"`
}

// labelsRequest carries every label call (see store.LabelStore); unused fields stay empty.
type labelsRequest struct {
	Robot   string   `json:"robot,omitempty"`
	Sheet   string   `json:"sheet,omitempty"`
	CardIDs []string `json:"card_ids,omitempty"`
	Limit   int      `json:"limit,omitempty"`
}

type rpcReply struct {
	Card   *store.Card   `json:"card,omitempty"`
	Until  time.Time     `json:"until,omitzero"` // a renewed lease's end
	Labels []store.Label `json:"labels,omitempty"`
	Sheets []string      `json:"sheets,omitempty"`
	Error  *rpcError     `json:"error,omitempty"`
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

func (q *Queue) rpcSubject(method string) string {
	if q.o.Namespace == "" {
		return "rpc.cards." + method
	}
	return q.o.Namespace + ".rpc.cards." + method
}

// ServeCards answers RemoteCards requests from s until ctx ends (then it returns nil). Lease
// renewals are answered when s is also a store.LeaseRenewer, label calls when it is a
// store.LabelStore.
func (q *Queue) ServeCards(ctx context.Context, s store.CardStore) error {
	ch := make(chan *nats.Msg, 256)
	var subs []*nats.Subscription
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()
	for _, m := range []string{"get", "transition", "renew", "labels.*"} {
		sub, err := q.nc.ChanQueueSubscribe(q.rpcSubject(m), rpcGroup, ch)
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

func (q *Queue) answer(ctx context.Context, s store.CardStore, m *nats.Msg) {
	var (
		card  *store.Card
		until time.Time
		reply rpcReply
		err   error
	)
	switch m.Subject {
	case q.rpcSubject("get"):
		var req getRequest
		if err = json.Unmarshal(m.Data, &req); err == nil {
			card, err = s.GetCard(ctx, req.AccountID, req.ID)
		} else {
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		}
	case q.rpcSubject("transition"):
		var req transitionRequest
		if err = json.Unmarshal(m.Data, &req); err == nil {
			card, err = s.Transition(ctx, store.Change{CardID: req.CardID, AccountID: req.AccountID, From: req.From,
				To: req.To, Then: req.Then, Attempt: req.Attempt, Cause: req.Cause, Detail: req.Detail,
				Worker: req.Worker, Lease: time.Duration(req.LeaseNS), LeaseExpiredBy: req.LeaseExpiredBy})
		} else {
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		}
	case q.rpcSubject("renew"):
		var req renewRequest
		lr, ok := s.(store.LeaseRenewer)
		switch err = json.Unmarshal(m.Data, &req); {
		case err != nil:
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		case !ok:
			err = errors.New("this server keeps no leases")
		default:
			until, err = lr.RenewLease(ctx, req.CardID, req.Attempt, time.Duration(req.TTLNS))
		}
	case q.rpcSubject("labels.open"), q.rpcSubject("labels.assign"), q.rpcSubject("labels.sheet"),
		q.rpcSubject("labels.unprinted"), q.rpcSubject("labels.printed"):
		reply, err = answerLabels(ctx, s, m)
	default:
		return
	}
	reply.Card, reply.Until = card, until
	if err != nil {
		reply = rpcReply{Error: toRPCError(err)}
	}
	b, merr := json.Marshal(reply)
	if merr != nil {
		b, _ = json.Marshal(rpcReply{Error: &rpcError{Code: "internal", Message: merr.Error()}})
	}
	if err := m.Respond(b); err != nil {
		q.log.Warn("card request: reply failed", "subject", m.Subject, "err", err)
	}
}

// RemoteCards returns a store.CardStore that sends each call to a ServeCards process, waiting at
// most timeout (default 10 s) for the answer. Store errors keep their kind (errors.Is works);
// "no responders" means no server is running: a transient error, Nak the job.
func (q *Queue) RemoteCards(timeout time.Duration) store.CardStore {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &remoteCards{q: q, timeout: timeout}
}

type remoteCards struct {
	q       *Queue
	timeout time.Duration
}

func (r *remoteCards) request(ctx context.Context, method string, req any) (*rpcReply, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	m, err := r.q.nc.RequestWithContext(ctx, r.q.rpcSubject(method), b)
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
	return &reply, nil
}

func (r *remoteCards) call(ctx context.Context, method string, req any) (*store.Card, error) {
	reply, err := r.request(ctx, method, req)
	if err != nil {
		return nil, err
	}
	if reply.Card == nil {
		return nil, fmt.Errorf("remote card %s: empty reply", method)
	}
	return reply.Card, nil
}

func (r *remoteCards) GetCard(ctx context.Context, accountID, id string) (*store.Card, error) {
	return r.call(ctx, "get", getRequest{AccountID: accountID, ID: id})
}

func (r *remoteCards) Transition(ctx context.Context, ch store.Change) (*store.Card, error) {
	return r.call(ctx, "transition", transitionRequest{CardID: ch.CardID, AccountID: ch.AccountID, From: ch.From,
		To: ch.To, Then: ch.Then, Attempt: ch.Attempt, Cause: ch.Cause, Detail: ch.Detail,
		Worker: ch.Worker, LeaseNS: int64(ch.Lease), LeaseExpiredBy: ch.LeaseExpiredBy})
}

// RenewLease makes remoteCards a store.LeaseRenewer.
func (r *remoteCards) RenewLease(ctx context.Context, cardID string, attempt int, ttl time.Duration) (time.Time, error) {
	reply, err := r.request(ctx, "renew", renewRequest{CardID: cardID, Attempt: attempt, TTLNS: int64(ttl)})
	if err != nil {
		return time.Time{}, err
	}
	return reply.Until, nil
}

func answerLabels(ctx context.Context, s store.CardStore, m *nats.Msg) (rpcReply, error) {
	ls, ok := s.(store.LabelStore)
	if !ok {
		return rpcReply{}, errors.New("this server keeps no labels")
	}
	var req labelsRequest
	if err := json.Unmarshal(m.Data, &req); err != nil {
		return rpcReply{}, fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
	}
	var (
		r   rpcReply
		err error
	)
	switch m.Subject[strings.LastIndexByte(m.Subject, '.')+1:] {
	case "open":
		r.Labels, err = ls.OpenLabels(ctx, req.Robot, req.Limit)
	case "assign":
		err = ls.AssignSheet(ctx, req.Robot, req.Sheet, req.CardIDs)
	case "sheet":
		r.Labels, err = ls.SheetLabels(ctx, req.Sheet)
	case "unprinted":
		r.Sheets, err = ls.UnprintedSheets(ctx, req.Robot)
	case "printed":
		err = ls.MarkSheetPrinted(ctx, req.Sheet)
	}
	return r, err
}

// The label calls make remoteCards a store.LabelStore, so a worker without database access keeps
// durable address sheets too.

func (r *remoteCards) OpenLabels(ctx context.Context, robot string, limit int) ([]store.Label, error) {
	reply, err := r.request(ctx, "labels.open", labelsRequest{Robot: robot, Limit: limit})
	if err != nil {
		return nil, err
	}
	return reply.Labels, nil
}

func (r *remoteCards) AssignSheet(ctx context.Context, robot, sheet string, cardIDs []string) error {
	_, err := r.request(ctx, "labels.assign", labelsRequest{Robot: robot, Sheet: sheet, CardIDs: cardIDs})
	return err
}

func (r *remoteCards) SheetLabels(ctx context.Context, sheet string) ([]store.Label, error) {
	reply, err := r.request(ctx, "labels.sheet", labelsRequest{Sheet: sheet})
	if err != nil {
		return nil, err
	}
	return reply.Labels, nil
}

func (r *remoteCards) UnprintedSheets(ctx context.Context, robot string) ([]string, error) {
	reply, err := r.request(ctx, "labels.unprinted", labelsRequest{Robot: robot})
	if err != nil {
		return nil, err
	}
	return reply.Sheets, nil
}

func (r *remoteCards) MarkSheetPrinted(ctx context.Context, sheet string) error {
	_, err := r.request(ctx, "labels.printed", labelsRequest{Sheet: sheet})
	return err
}
