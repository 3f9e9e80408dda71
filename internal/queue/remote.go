package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	// LeaseNS is the lease in nanoseconds (claims).
	LeaseNS int64 `json:"lease_ns,omitempty"`
}

type renewRequest struct {
	CardID  string `json:"card_id"`
	Attempt int    `json:"attempt"`
	TTLNS   int64  `json:"ttl_ns"`
	Token   string `json:"token"`
}

// labelsRequest carries every label call (see store.LabelStore); unused fields stay empty.
type labelsRequest struct {
	Robot   string   `json:"robot,omitempty"`
	Sheet   string   `json:"sheet,omitempty"`
	CardIDs []string `json:"card_ids,omitempty"`
	Limit   int      `json:"limit,omitempty"`
}

type rpcReply struct {
	Card   *store.Card     `json:"card,omitempty"`
	Face   *store.Face     `json:"face,omitempty"` // "face": the version, without its samples
	Font   json.RawMessage `json:"font,omitempty"` // "face": the face file
	Until  time.Time       `json:"until,omitzero"` // a renewed lease's end
	Labels []store.Label   `json:"labels,omitempty"`
	Sheets []string        `json:"sheets,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
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
	for _, m := range []string{"get", "transition", "renew", "face", "labels.*"} {
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

// workerMoves are the status changes a robot makes: claim, written, released, spoiled, failed,
// and held for a changed proof (before any blank is asked for).
var workerMoves = map[store.Status][]store.Status{
	store.StatusQueued:   {store.StatusPlotting, store.StatusFailed},
	store.StatusPlotting: {store.StatusWritten, store.StatusQueued, store.StatusSpoiled, store.StatusFailed, store.StatusAccepted},
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
		card  *store.Card
		until time.Time
		reply rpcReply
		err   error
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
			// The robot making the change (the lease holder, the owner of the card's label) is the
			// one that asked, by its credentials; a robot never sets the reconciler's condition.
			card, err = s.Transition(ctx, store.Change{CardID: req.CardID, AccountID: req.AccountID, From: req.From,
				To: req.To, Then: req.Then, Attempt: req.Attempt, Cause: req.Cause, Detail: req.Detail,
				Worker: robot, Lease: time.Duration(req.LeaseNS)})
		}
	case "renew":
		var req renewRequest
		lr, isRenewer := s.(store.LeaseRenewer)
		switch err = json.Unmarshal(data, &req); {
		case err != nil:
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		case !q.validToken(store.Job{CardID: req.CardID, Attempt: req.Attempt}, req.Token):
			err = refuse(req.CardID, "no job of this card and attempt was given to it")
		case !isRenewer:
			err = errors.New("this server keeps no leases")
		default:
			until, err = lr.RenewLease(ctx, req.CardID, req.Attempt, time.Duration(req.TTLNS))
		}
	case "face":
		var req getRequest
		if err = json.Unmarshal(data, &req); err != nil {
			err = fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
		} else if !q.validToken(store.Job{CardID: req.ID, Attempt: req.Attempt}, req.Token) {
			err = refuse(req.ID, "no job of this card was given to it")
		} else {
			reply.Face, err = cardFace(ctx, s, req.AccountID, req.ID)
			if err == nil {
				reply.Font = reply.Face.Font
			}
		}
	case "labels.open", "labels.assign", "labels.sheet", "labels.unprinted", "labels.printed":
		reply, err = answerLabels(ctx, s, robot, strings.TrimPrefix(method, "labels."), data, refuse)
	default:
		return rpcReply{}, false
	}
	if err != nil {
		return rpcReply{Error: toRPCError(err)}, true
	}
	reply.Card, reply.Until = card, until
	return reply, true
}

// answerLabels answers a robot's label call: only about its own labels and sheets.
func answerLabels(ctx context.Context, s store.CardStore, robot, call string, data []byte,
	refuse func(id, why string) error) (rpcReply, error) {
	ls, ok := s.(store.LabelStore)
	if !ok {
		return rpcReply{}, errors.New("this server keeps no labels")
	}
	var req labelsRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return rpcReply{}, fmt.Errorf("%w: request: %v", store.ErrInvalid, err)
	}
	if req.Robot != "" && req.Robot != robot {
		return rpcReply{}, refuse(req.Sheet, "the labels are robot "+req.Robot+"'s")
	}
	// A sheet is the robot's when every label on it is: check before reading it out or marking it.
	ownSheet := func() ([]store.Label, error) {
		ls, err := ls.SheetLabels(ctx, req.Sheet)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if l.Robot != robot {
				return nil, refuse(req.Sheet, "the sheet holds labels of robot "+l.Robot)
			}
		}
		return ls, nil
	}
	var (
		r   rpcReply
		err error
	)
	switch call {
	case "open":
		r.Labels, err = ls.OpenLabels(ctx, robot, req.Limit)
	case "assign":
		err = ls.AssignSheet(ctx, robot, req.Sheet, req.CardIDs)
	case "sheet":
		r.Labels, err = ownSheet()
	case "unprinted":
		r.Sheets, err = ls.UnprintedSheets(ctx, robot)
	case "printed":
		if _, err = ownSheet(); err == nil {
			err = ls.MarkSheetPrinted(ctx, req.Sheet)
		}
	}
	return r, err
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

func (r *remoteCards) request(ctx context.Context, method string, req any) (*rpcReply, error) {
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
	h, _ := r.q.tokens.get(id)
	return r.call(ctx, "get", getRequest{AccountID: accountID, ID: id, Attempt: h.attempt, Token: h.token})
}

func (r *remoteCards) Transition(ctx context.Context, ch store.Change) (*store.Card, error) {
	h, _ := r.q.tokens.get(ch.CardID)
	return r.call(ctx, "transition", transitionRequest{CardID: ch.CardID, AccountID: ch.AccountID, From: ch.From,
		To: ch.To, Then: ch.Then, Attempt: ch.Attempt, Cause: ch.Cause, Detail: ch.Detail, Token: h.token,
		LeaseNS: int64(ch.Lease)})
}

// CardFace makes remoteCards a store.CardFaceReader: the face file of a card this robot holds
// a job for, when the card is written in its account's own handwriting.
func (r *remoteCards) CardFace(ctx context.Context, accountID, cardID string) (*store.Face, error) {
	h, _ := r.q.tokens.get(cardID)
	reply, err := r.request(ctx, "face", getRequest{AccountID: accountID, ID: cardID, Attempt: h.attempt, Token: h.token})
	if err != nil {
		return nil, err
	}
	if reply.Face == nil || len(reply.Font) == 0 {
		return nil, errors.New("remote card face: empty reply")
	}
	reply.Face.Font = reply.Font
	return reply.Face, nil
}

// cardFace reads the face of the card's own font name ("name@version"): the robot names the
// card, never the face, so it reaches no face but the one its job is written in.
func cardFace(ctx context.Context, s store.CardStore, accountID, cardID string) (*store.Face, error) {
	fs, ok := s.(store.FaceStore)
	if !ok {
		return nil, errors.New("this server keeps no handwriting faces")
	}
	card, err := s.GetCard(ctx, accountID, cardID)
	if err != nil {
		return nil, err
	}
	name, v, ok := strings.Cut(card.Font, "@")
	version, verr := strconv.Atoi(v)
	if !ok || verr != nil || version <= 0 {
		return nil, fmt.Errorf("%w: card %s is written in %q, not in an account's own face", store.ErrNotFound, cardID, card.Font)
	}
	f, err := fs.GetFace(ctx, card.AccountID, name, version)
	if err != nil {
		return nil, err
	}
	out := *f
	out.Sheet = nil // the samples stay with serve
	return &out, nil
}

// RenewLease makes remoteCards a store.LeaseRenewer.
func (r *remoteCards) RenewLease(ctx context.Context, cardID string, attempt int, ttl time.Duration) (time.Time, error) {
	h, _ := r.q.tokens.get(cardID)
	reply, err := r.request(ctx, "renew", renewRequest{CardID: cardID, Attempt: attempt, TTLNS: int64(ttl), Token: h.token})
	if err != nil {
		return time.Time{}, err
	}
	return reply.Until, nil
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
