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

const cardCols = `c.id, c.account_id, c.campaign_id, c.idempotency_key, c.test, c.message, c.font, c.hand,
	c.stock, c.format, c.seed, c.stroke_hash, c.to_address, c.from_address, c.metadata, c.status,
	c.attempts, c.approval_required, c.send_date, c.created_at, c.updated_at, c.align, c.request_hash,
	c.lease_until, c.lease_holder, c.render_version, c.proof_changed`

// The statements every card takes, prepared once (see txExec); the inserts are in bulk.go.
const (
	updateStatusSQL = `UPDATE cards SET status = ?, attempts = ?, updated_at = ?, lease_until = ?, lease_holder = ?
			WHERE id = ? AND status = ? AND attempts = ?`
	insertLabelSQL = `INSERT INTO labels (card_id, robot, attempt, written_at) VALUES (?, ?, ?, ?)`
)

type scanner interface{ Scan(dest ...any) error }

func scanCard(sc scanner) (*store.Card, error) {
	var (
		c                store.Card
		campaign, idem   sql.NullString
		seed             int64
		to, from, meta   string
		status           string
		sendDate         sql.NullInt64
		created, updated int64
		lease            sql.NullInt64
	)
	err := sc.Scan(&c.ID, &c.AccountID, &campaign, &idem, &c.Test, &c.Message, &c.Font, &c.Hand,
		&c.Stock, &c.Format, &seed, &c.StrokeHash, &to, &from, &meta, &status,
		&c.Attempts, &c.ApprovalRequired, &sendDate, &created, &updated, &c.Align, &c.RequestHash,
		&lease, &c.LeaseHolder, &c.RenderVersion, &c.ProofChanged)
	if err != nil {
		return nil, err
	}
	c.CampaignID, c.IdempotencyKey = campaign.String, idem.String
	c.Seed = uint64(seed)
	c.To, c.From = json.RawMessage(to), json.RawMessage(from)
	if err := json.Unmarshal([]byte(meta), &c.Metadata); err != nil {
		return nil, fmt.Errorf("card %s: metadata: %w", c.ID, err)
	}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	c.Status = store.Status(status)
	c.SendDate = fromNullMicros(sendDate)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.LeaseUntil = fromNullMicros(lease)
	return &c, nil
}

// getCard reads one card, scoped to an account unless accountID is store.AnyAccount. lock adds the
// dialect's row lock for a transaction about to change the card.
func (s *Store) getCard(ctx context.Context, q querier, accountID, id string, lock bool) (*store.Card, error) {
	if !store.ValidID(store.PrefixCard, id) {
		return nil, fmt.Errorf("card %q: %w", id, store.ErrNotFound)
	}
	query := `SELECT ` + cardCols + ` FROM cards c WHERE c.id = ?`
	args := []any{id}
	if accountID != store.AnyAccount {
		query += ` AND c.account_id = ?`
		args = append(args, accountID)
	}
	if lock {
		query += s.d.ForUpdate
	}
	c, err := scanCard(q.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("card %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("card %s: %w", id, err)
	}
	return c, nil
}

// GetCard returns a card of the account (any account for store.AnyAccount).
func (s *Store) GetCard(ctx context.Context, accountID, id string) (*store.Card, error) {
	return s.getCard(ctx, s.r, accountID, id, false)
}

// CreateCard stores one card; see store.Store. Concurrent calls share transactions (see batch.go).
func (s *Store) CreateCard(ctx context.Context, nc store.NewCard) (*store.Card, error) {
	if err := validateNewCard(&nc); err != nil {
		return nil, fmt.Errorf("create card: %w", err)
	}
	c, err := s.createBatched(ctx, nc)
	if err == nil {
		return c, nil
	}
	if errors.Is(err, store.ErrDuplicate) && nc.IdempotencyKey != "" {
		var id string
		qerr := s.r.QueryRowContext(ctx, s.q(`SELECT id FROM cards WHERE account_id = ? AND idempotency_key = ?`),
			nc.AccountID, nc.IdempotencyKey).Scan(&id)
		if qerr == nil {
			if c, gerr := s.GetCard(ctx, nc.AccountID, id); gerr == nil {
				return c, err
			}
		}
	}
	return nil, err
}

// CreateCards stores cards in one transaction; see store.Store.
func (s *Store) CreateCards(ctx context.Context, ncs []store.NewCard) ([]*store.Card, error) {
	for i := range ncs {
		if err := validateNewCard(&ncs[i]); err != nil {
			return nil, fmt.Errorf("create card %d: %w", i, err)
		}
	}
	var out []*store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.insertCards(ctx, tx, ncs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertCards writes validated cards in tx, table by table (see bulk.go).
func (s *Store) insertCards(ctx context.Context, tx *sql.Tx, ncs []store.NewCard) ([]*store.Card, error) {
	out := make([]*store.Card, 0, len(ncs))
	now := s.now()
	checked := map[string]bool{}
	var rows cardRows
	for i := range ncs {
		nc := &ncs[i]
		if nc.CampaignID != "" && !checked[nc.CampaignID] {
			var n int
			err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM campaigns WHERE id = ? AND account_id = ?`),
				nc.CampaignID, nc.AccountID).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("create card: campaign: %w", err)
			}
			if n == 0 {
				return nil, fmt.Errorf("create card: campaign %s: %w", nc.CampaignID, store.ErrNotFound)
			}
			checked[nc.CampaignID] = true
		}
		c, err := rows.newCard(nc, now)
		if err != nil {
			return nil, fmt.Errorf("create card %d: %w", i, err)
		}
		out = append(out, c)
	}
	if err := rows.write(ctx, s, tx); err != nil {
		if len(ncs) == 1 && errors.Is(err, store.ErrDuplicate) {
			return nil, fmt.Errorf("create card: %w: idempotency key %q was already used for a card", store.ErrDuplicate, ncs[0].IdempotencyKey)
		}
		return nil, fmt.Errorf("create cards: %w", err)
	}
	return out, nil
}

func validateNewCard(nc *store.NewCard) error {
	if !store.ValidID(store.PrefixAccount, nc.AccountID) {
		return fmt.Errorf("%w: account id %q", store.ErrInvalid, nc.AccountID)
	}
	if nc.CampaignID != "" && !store.ValidID(store.PrefixCampaign, nc.CampaignID) {
		return fmt.Errorf("%w: campaign id %q", store.ErrInvalid, nc.CampaignID)
	}
	if err := store.ValidateStock(nc.Stock); err != nil {
		return err
	}
	for name, v := range map[string]string{"font": nc.Font, "hand": nc.Hand, "format": nc.Format} {
		if v == "" {
			return fmt.Errorf("%w: the card has no %s", store.ErrInvalid, name)
		}
	}
	switch nc.Align {
	case "":
		nc.Align = "left"
	case "left", "center":
	default:
		return fmt.Errorf("%w: alignment %q (left or center)", store.ErrInvalid, nc.Align)
	}
	for name, raw := range map[string]json.RawMessage{"to": nc.To, "from": nc.From} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("%w: the %q address is not valid JSON", store.ErrInvalid, name)
		}
	}
	return nil
}

func rawOrNull(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

// addEvent inserts the event (giving it an id) and its outbox message.
func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, e *store.Event) error {
	e.ID = store.NewID(store.PrefixEvent)
	if _, err := s.txExec(ctx, tx, insertEventSQL,
		e.ID, e.CardID, e.AccountID, e.Seq, string(e.From), string(e.To), e.Attempt, e.Cause, e.Detail,
		micros(e.CreatedAt)); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return err
	}
	key := e.AccountID + "." + e.CardID + "." + string(e.To)
	return s.addOutbox(ctx, tx, store.OutboxEvent, key, e.ID, payload, e.CreatedAt)
}

// addJob puts the card's current attempt on the outbox.
func (s *Store) addJob(ctx context.Context, tx *sql.Tx, c *store.Card, now time.Time) error {
	job := store.Job{CardID: c.ID, Attempt: c.Attempts}
	payload, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return s.addOutbox(ctx, tx, store.OutboxJob, c.Lane(), job.MsgID(), payload, now)
}

func (s *Store) addOutbox(ctx context.Context, tx *sql.Tx, kind store.OutboxKind, key, msgID string, payload []byte, now time.Time) error {
	if _, err := s.txExec(ctx, tx, insertOutboxSQL, string(kind), key, msgID, payload, micros(now)); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Transition changes a card's status; see store.Change.
func (s *Store) Transition(ctx context.Context, ch store.Change) (*store.Card, error) {
	var out *store.Card
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.TransitionTx(ctx, tx, ch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("transition %s to %s: %w", ch.CardID, ch.To, err)
	}
	return out, nil
}

// TransitionTx is Transition inside a transaction the caller already holds (from the writer pool,
// see DB), for operations that change a card's status together with other rows: the status still
// changes only here, through the transition table and compare-and-set, with its events and job.
func (s *Store) TransitionTx(ctx context.Context, tx *sql.Tx, ch store.Change) (*store.Card, error) {
	if !ch.To.Valid() {
		return nil, fmt.Errorf("transition %s: %w: unknown status %q", ch.CardID, store.ErrInvalid, ch.To)
	}
	if ch.From != "" && !ch.From.Valid() {
		return nil, fmt.Errorf("transition %s: %w: unknown status %q", ch.CardID, store.ErrInvalid, ch.From)
	}
	if ch.Then != "" && (!ch.Then.Valid() || ch.To == store.StatusQueued) {
		return nil, fmt.Errorf("transition %s: %w: a second step %q after %s", ch.CardID, store.ErrInvalid, ch.Then, ch.To)
	}
	if ch.Cause == "" {
		return nil, fmt.Errorf("transition %s: %w: a status change needs a cause", ch.CardID, store.ErrInvalid)
	}
	c, err := s.getCard(ctx, tx, ch.AccountID, ch.CardID, true)
	if err != nil {
		return nil, err
	}
	if ch.From != "" && c.Status != ch.From {
		return nil, fmt.Errorf("card %s is %s, not %s: %w", c.ID, c.Status, ch.From, store.ErrConflict)
	}
	if ch.Attempt != 0 && c.Attempts != ch.Attempt {
		return nil, fmt.Errorf("card %s is at attempt %d, not %d: %w", c.ID, c.Attempts, ch.Attempt, store.ErrConflict)
	}
	if !ch.LeaseExpiredBy.IsZero() && (c.Status != store.StatusPlotting || !c.LeaseUntil.Before(ch.LeaseExpiredBy)) {
		return nil, fmt.Errorf("card %s is %s with its lease until %s: %w", c.ID, c.Status, c.LeaseUntil.Format(time.RFC3339), store.ErrConflict)
	}
	steps := []store.Status{ch.To}
	if ch.Then != "" {
		steps = append(steps, ch.Then)
	}
	cur := c.Status
	for _, next := range steps {
		if !store.CanTransition(cur, next) {
			return nil, &store.TransitionError{CardID: c.ID, From: cur, To: next}
		}
		cur = next
	}
	now := s.now()
	attempts := c.Attempts
	if cur == store.StatusQueued {
		attempts++
	}
	worker := ch.Worker
	if worker == "" {
		worker = ch.Detail
	}
	var leaseUntil time.Time
	holder := ""
	if cur == store.StatusPlotting {
		ttl := ch.Lease
		if ttl <= 0 {
			ttl = store.DefaultLease
		}
		leaseUntil, holder = now.Add(ttl), worker
	}
	res, err := s.txExec(ctx, tx, updateStatusSQL,
		string(cur), attempts, micros(now), nullMicros(leaseUntil), holder, c.ID, string(c.Status), c.Attempts)
	if err != nil {
		return nil, fmt.Errorf("update card %s: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n != 1 {
		return nil, fmt.Errorf("card %s changed meanwhile: %w", c.ID, store.ErrConflict)
	}
	if cur == store.StatusAccepted && c.Status != store.StatusReceived {
		// Back into accepted only because the proof changed (see the transition table): held
		// until the new proof is approved.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE cards SET approval_required = ?, proof_changed = ? WHERE id = ?`), true, true, c.ID); err != nil {
			return nil, fmt.Errorf("hold card %s for its new proof: %w", c.ID, err)
		}
		c.ApprovalRequired, c.ProofChanged = true, true
	}
	var seq int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq), 0) FROM events WHERE card_id = ?`), c.ID).Scan(&seq); err != nil {
		return nil, fmt.Errorf("event seq: %w", err)
	}
	from := c.Status
	for _, next := range steps {
		seq++
		attempt := c.Attempts
		if next == store.StatusQueued {
			attempt = attempts
		}
		e := &store.Event{CardID: c.ID, AccountID: c.AccountID, Seq: seq, From: from, To: next,
			Attempt: attempt, Cause: ch.Cause, Detail: ch.Detail, CreatedAt: now}
		if err := s.addEvent(ctx, tx, e); err != nil {
			return nil, err
		}
		from = next
	}
	c.Status, c.Attempts, c.UpdatedAt, c.LeaseUntil, c.LeaseHolder = cur, attempts, now, leaseUntil.UTC(), holder
	if leaseUntil.IsZero() {
		c.LeaseUntil = time.Time{}
	}
	if cur == store.StatusWritten {
		// The label is part of being written: one transaction, so no written card lacks one.
		if _, err := s.txExec(ctx, tx, insertLabelSQL, c.ID, worker, c.Attempts, micros(now)); err != nil {
			return nil, fmt.Errorf("label of card %s: %w", c.ID, err)
		}
	}
	if cur == store.StatusQueued {
		if err := s.addJob(ctx, tx, c, now); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Events returns a card's history, oldest first.
func (s *Store) Events(ctx context.Context, accountID, cardID string) ([]store.Event, error) {
	if !store.ValidID(store.PrefixCard, cardID) {
		return nil, fmt.Errorf("events of card %q: %w", cardID, store.ErrNotFound)
	}
	query := `SELECT id, card_id, account_id, seq, from_status, to_status, attempt, cause, detail, created_at
		FROM events WHERE card_id = ?`
	args := []any{cardID}
	if accountID != store.AnyAccount {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` ORDER BY seq`), args...)
	if err != nil {
		return nil, fmt.Errorf("events of card %s: %w", cardID, err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var (
			e        store.Event
			from, to string
			created  int64
		)
		if err := rows.Scan(&e.ID, &e.CardID, &e.AccountID, &e.Seq, &from, &to, &e.Attempt, &e.Cause, &e.Detail, &created); err != nil {
			return nil, fmt.Errorf("events of card %s: %w", cardID, err)
		}
		e.From, e.To, e.CreatedAt = store.Status(from), store.Status(to), fromMicros(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of card %s: %w", cardID, err)
	}
	if len(out) == 0 {
		// Every card has at least its acceptance event: none means no such card for this account.
		return nil, fmt.Errorf("events of card %s: %w", cardID, store.ErrNotFound)
	}
	return out, nil
}

// ListCards returns one page of an account's cards, newest first.
func (s *Store) ListCards(ctx context.Context, accountID string, f store.CardFilter) (*store.CardPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 1000 {
		limit = 1000
	}
	var (
		where []string
		args  []any
	)
	if accountID != store.AnyAccount {
		where, args = append(where, "c.account_id = ?"), append(args, accountID)
	}
	if len(f.Statuses) > 0 {
		for _, st := range f.Statuses {
			if !st.Valid() {
				return nil, fmt.Errorf("list cards: %w: unknown status %q", store.ErrInvalid, st)
			}
			args = append(args, string(st))
		}
		where = append(where, "c.status IN ("+placeholders(len(f.Statuses))+")")
	}
	if f.CampaignID != "" {
		where, args = append(where, "c.campaign_id = ?"), append(args, f.CampaignID)
	}
	if f.Test != nil {
		where, args = append(where, "c.test = ?"), append(args, *f.Test)
	}
	if !f.DueBy.IsZero() {
		where, args = append(where, "c.send_date IS NOT NULL AND c.send_date <= ?"), append(args, micros(f.DueBy))
	}
	if f.ProofChanged {
		where, args = append(where, "c.proof_changed = ?"), append(args, true)
	}
	for k, v := range f.Metadata {
		where, args = append(where, s.d.MetadataMatch), append(args, k, v)
	}
	if f.After != "" {
		if !store.ValidID(store.PrefixCard, f.After) {
			return nil, fmt.Errorf("list cards: %w: cursor %q is not a card id", store.ErrInvalid, f.After)
		}
		where, args = append(where, "c.id < ?"), append(args, f.After)
	}
	query := `SELECT ` + cardCols + ` FROM cards c`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY c.id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	defer rows.Close()
	page := &store.CardPage{Cards: []*store.Card{}}
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, fmt.Errorf("list cards: %w", err)
		}
		page.Cards = append(page.Cards, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	if len(page.Cards) > limit {
		page.Cards = page.Cards[:limit]
		page.Next = page.Cards[limit-1].ID
	}
	return page, nil
}
