package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

// Group commit for CreateCard. Committing is the largest part of creating a card (SQLite writes
// the transaction's pages to the WAL; PostgreSQL flushes its log), and HTTP handlers create cards
// concurrently. So concurrent CreateCard calls go to one goroutine that takes every request already
// waiting and commits them together. Nobody waits for a batch to fill: a lone request commits at
// once. If a batch fails (one card's idempotency key is taken, its account is gone...), each of
// its requests is retried in its own transaction, so one bad card never fails another.

// maxBatch bounds a group commit.
const maxBatch = 128

// errClosed is returned by CreateCard after Close.
var errClosed = errors.New("the store is closed")

type createReq struct {
	nc   store.NewCard
	card *store.Card
	err  error
	done chan struct{}
}

// startBatcher starts the group-commit goroutine; Close stops it.
func (s *Store) startBatcher() {
	s.createCh = make(chan *createReq)
	s.stop = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.batcher()
}

func (s *Store) stopBatcher() {
	if s.stop == nil {
		return
	}
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.stopped
}

// createBatched hands a validated card to the batcher and waits for its outcome. Once handed over
// the request is committed or refused regardless of ctx, so the caller never mistakes a stored card
// for a failure.
func (s *Store) createBatched(ctx context.Context, nc store.NewCard) (*store.Card, error) {
	r := &createReq{nc: nc, done: make(chan struct{})}
	select {
	case s.createCh <- r:
	case <-ctx.Done():
		return nil, fmt.Errorf("create card: %w", ctx.Err())
	case <-s.stop:
		return nil, fmt.Errorf("create card: %w", errClosed)
	}
	<-r.done
	return r.card, r.err
}

func (s *Store) batcher() {
	defer close(s.stopped)
	for {
		var batch []*createReq
		select {
		case r := <-s.createCh:
			batch = append(batch, r)
		case <-s.stop:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.createCh:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) commitBatch(batch []*createReq) {
	ctx := context.Background() // the batch serves several callers; none of their contexts rules it
	ncs := make([]store.NewCard, len(batch))
	for i, r := range batch {
		ncs[i] = r.nc
	}
	var cards []*store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		cards, err = s.insertCards(ctx, tx, ncs)
		return err
	})
	if err == nil {
		for i, r := range batch {
			r.card = cards[i]
			close(r.done)
		}
		return
	}
	if len(batch) == 1 {
		batch[0].err = err
		close(batch[0].done)
		return
	}
	for _, r := range batch {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			cs, err := s.insertCards(ctx, tx, []store.NewCard{r.nc})
			if err == nil {
				r.card = cs[0]
			}
			return err
		})
		r.err = err
		close(r.done)
	}
}
