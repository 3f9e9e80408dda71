package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Cards created together (a group commit, a campaign's batch of recipients) are written with one
// multi-row INSERT per table and up to maxRowsPerInsert rows, instead of one statement per row:
// on PostgreSQL every statement is a network round trip, and a card takes up to six rows.

// maxRowsPerInsert bounds the rows of one INSERT: 256 rows of the cards table's 24 columns are
// 6,144 parameters, well under SQLite's 32,766 and PostgreSQL's 65,535.
const maxRowsPerInsert = 256

const (
	cardInsertHead = `INSERT INTO cards (id, account_id, campaign_id, idempotency_key, test,
		message, font, hand, stock, format, seed, stroke_hash, to_address, from_address, metadata, status,
		attempts, approval_required, send_date, created_at, updated_at, align, request_hash, render_version) VALUES `
	cardInsertCols  = 24
	eventInsertHead = `INSERT INTO events (id, card_id, account_id, seq, from_status,
		to_status, attempt, cause, detail, created_at) VALUES `
	eventInsertCols  = 10
	outboxInsertHead = `INSERT INTO outbox (kind, key, msg_id, payload, created_at) VALUES `
	outboxInsertCols = 5
)

// The one-row statements are prepared in Open (prepareHot); the multi-row ones are built here.
var (
	insertCardSQL   = cardInsertHead + valuesList(1, cardInsertCols)
	insertEventSQL  = eventInsertHead + valuesList(1, eventInsertCols)
	insertOutboxSQL = outboxInsertHead + valuesList(1, outboxInsertCols)
)

// valuesList is "(?, ?), (?, ?)" for rows=2, cols=2.
func valuesList(rows, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// insertRows writes len(args)/cols rows with head (an INSERT … VALUES) in statements of at most
// maxRowsPerInsert rows.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head string, cols int, args []any) error {
	rows := len(args) / cols
	for start := 0; start < rows; start += maxRowsPerInsert {
		n := min(maxRowsPerInsert, rows-start)
		if _, err := s.txExec(ctx, tx, head+valuesList(n, cols), args[start*cols:(start+n)*cols]...); err != nil {
			return err
		}
	}
	return nil
}

// cardRows collects the rows that new cards take, table by table, in the order the one-by-one
// path wrote them (so outbox ids keep each card's event, event, job order).
type cardRows struct {
	cards, events, outbox []any
}

func (r *cardRows) event(e *store.Event) error {
	e.ID = store.NewID(store.PrefixEvent)
	r.events = append(r.events, e.ID, e.CardID, e.AccountID, e.Seq, string(e.From), string(e.To), e.Attempt, e.Cause, e.Detail,
		micros(e.CreatedAt))
	payload, err := json.Marshal(e)
	if err != nil {
		return err
	}
	key := e.AccountID + "." + e.CardID + "." + string(e.To)
	r.outbox = append(r.outbox, string(store.OutboxEvent), key, e.ID, payload, micros(e.CreatedAt))
	return nil
}

// newCard builds the card of nc and adds its rows: the card, its first events and, when it is
// queued at once, its first job.
func (r *cardRows) newCard(nc *store.NewCard, now time.Time) (*store.Card, error) {
	meta := nc.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	c := &store.Card{
		ID: store.NewID(store.PrefixCard), AccountID: nc.AccountID, CampaignID: nc.CampaignID,
		IdempotencyKey: nc.IdempotencyKey, RequestHash: nc.RequestHash, Test: nc.Test, Message: nc.Message, Font: nc.Font, Hand: nc.Hand,
		Stock: nc.Stock, Format: nc.Format, Align: nc.Align, Seed: nc.Seed, StrokeHash: nc.StrokeHash,
		RenderVersion: nc.RenderVersion,
		To:            json.RawMessage(rawOrNull(nc.To)), From: json.RawMessage(rawOrNull(nc.From)), Metadata: meta,
		Status: store.StatusAccepted, ApprovalRequired: nc.ApprovalRequired, SendDate: nc.SendDate.UTC().Truncate(time.Microsecond),
		CreatedAt: now, UpdatedAt: now,
	}
	if nc.SendDate.IsZero() {
		c.SendDate = time.Time{}
	}
	queue := !nc.ApprovalRequired && (c.SendDate.IsZero() || !c.SendDate.After(now))
	if queue {
		c.Status, c.Attempts = store.StatusQueued, 1
	}
	r.cards = append(r.cards, c.ID, c.AccountID, nullString(c.CampaignID), nullString(c.IdempotencyKey), c.Test,
		c.Message, c.Font, c.Hand, c.Stock, c.Format, int64(c.Seed), c.StrokeHash, string(c.To), string(c.From),
		string(metaJSON), string(c.Status), c.Attempts, c.ApprovalRequired, nullMicros(c.SendDate), micros(now), micros(now), c.Align, c.RequestHash, c.RenderVersion)
	if err := r.event(&store.Event{CardID: c.ID, AccountID: c.AccountID, Seq: 1, From: store.StatusReceived,
		To: store.StatusAccepted, Cause: "intake", Detail: nc.Note, CreatedAt: now}); err != nil {
		return nil, err
	}
	if queue {
		if err := r.event(&store.Event{CardID: c.ID, AccountID: c.AccountID, Seq: 2, From: store.StatusAccepted,
			To: store.StatusQueued, Attempt: 1, Cause: "intake", CreatedAt: now}); err != nil {
			return nil, err
		}
		job := store.Job{CardID: c.ID, Attempt: c.Attempts}
		payload, err := json.Marshal(job)
		if err != nil {
			return nil, err
		}
		r.outbox = append(r.outbox, string(store.OutboxJob), c.Lane(), job.MsgID(), payload, micros(now))
	}
	return c, nil
}

// write inserts the collected rows.
func (r *cardRows) write(ctx context.Context, s *Store, tx *sql.Tx) error {
	if err := s.insertRows(ctx, tx, cardInsertHead, cardInsertCols, r.cards); err != nil {
		if s.d.IsUnique(err) {
			return fmt.Errorf("%w: an idempotency key was already used for a card", store.ErrDuplicate)
		}
		return err
	}
	if err := s.insertRows(ctx, tx, eventInsertHead, eventInsertCols, r.events); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if err := s.insertRows(ctx, tx, outboxInsertHead, outboxInsertCols, r.outbox); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// CreateCardsOnce stores the cards whose idempotency keys are new in one transaction; see
// store.Store.
func (s *Store) CreateCardsOnce(ctx context.Context, ncs []store.NewCard) ([]*store.Card, error) {
	for i := range ncs {
		if err := validateNewCard(&ncs[i]); err != nil {
			return nil, fmt.Errorf("create card %d: %w", i, err)
		}
		if ncs[i].IdempotencyKey == "" {
			return nil, fmt.Errorf("create card %d: %w: it has no idempotency key", i, store.ErrInvalid)
		}
	}
	// Most batches are new: they are stored as they are, and the stored cards are looked for
	// only when a key turns out to be taken (a retried upload).
	var out []*store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.insertCards(ctx, tx, ncs)
		return err
	})
	if !errors.Is(err, store.ErrDuplicate) {
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	out = make([]*store.Card, len(ncs))
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		clear(out)
		existing := map[string]*store.Card{}
		for start := 0; start < len(ncs); start += maxRowsPerInsert {
			chunk := ncs[start:min(len(ncs), start+maxRowsPerInsert)]
			args := []any{chunk[0].AccountID}
			for _, nc := range chunk {
				args = append(args, nc.IdempotencyKey)
			}
			rows, err := tx.QueryContext(ctx, s.q(`SELECT `+cardCols+` FROM cards c WHERE c.account_id = ?
				AND c.idempotency_key IS NOT NULL AND c.idempotency_key IN (`+placeholders(len(chunk))+`)`), args...)
			if err != nil {
				return fmt.Errorf("existing cards: %w", err)
			}
			for rows.Next() {
				c, err := scanCard(rows)
				if err != nil {
					rows.Close()
					return fmt.Errorf("existing cards: %w", err)
				}
				existing[c.IdempotencyKey] = c
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("existing cards: %w", err)
			}
		}
		var fresh []store.NewCard
		var at []int
		for i, nc := range ncs {
			if nc.AccountID != ncs[0].AccountID {
				return fmt.Errorf("create card %d: %w: the cards belong to several accounts", i, store.ErrInvalid)
			}
			if c, ok := existing[nc.IdempotencyKey]; ok {
				if c.CampaignID != nc.CampaignID {
					return fmt.Errorf("create card %d: %w: idempotency key %q was already used for a card", i, store.ErrDuplicate, nc.IdempotencyKey)
				}
				out[i] = c
				continue
			}
			fresh, at = append(fresh, nc), append(at, i)
		}
		if len(fresh) == 0 {
			return nil
		}
		cards, err := s.insertCards(ctx, tx, fresh)
		if err != nil {
			return err
		}
		for j, c := range cards {
			out[at[j]] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
