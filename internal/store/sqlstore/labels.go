package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

const labelCols = `l.seq, l.card_id, l.robot, l.attempt, l.written_at, l.sheet, l.printed, c.to_address`

func (s *Store) labels(ctx context.Context, where string, args ...any) ([]store.Label, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+labelCols+` FROM labels l JOIN cards c ON c.id = l.card_id
		WHERE `+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Label
	for rows.Next() {
		var (
			l       store.Label
			written int64
			sheet   sql.NullString
			to      string
		)
		if err := rows.Scan(&l.Seq, &l.CardID, &l.Robot, &l.Attempt, &written, &sheet, &l.Printed, &to); err != nil {
			return nil, err
		}
		l.WrittenAt, l.Sheet, l.To = fromMicros(written), sheet.String, json.RawMessage(to)
		out = append(out, l)
	}
	return out, rows.Err()
}

// OpenLabels lists a robot's labels not yet on a sheet; see store.LabelStore.
func (s *Store) OpenLabels(ctx context.Context, robot string, limit int) ([]store.Label, error) {
	out, err := s.labels(ctx, `l.robot = ? AND l.sheet IS NULL ORDER BY l.seq LIMIT ?`, robot, limit)
	if err != nil {
		return nil, fmt.Errorf("open labels of %s: %w", robot, err)
	}
	return out, nil
}

// AssignSheet puts open labels on a sheet; see store.LabelStore.
func (s *Store) AssignSheet(ctx context.Context, robot, sheet string, cardIDs []string) error {
	if sheet == "" || len(cardIDs) == 0 {
		return fmt.Errorf("assign sheet: %w: a sheet name and labels are required", store.ErrInvalid)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		args := []any{sheet, robot}
		for _, id := range cardIDs {
			args = append(args, id)
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE labels SET sheet = ? WHERE robot = ? AND sheet IS NULL
			AND card_id IN (`+placeholders(len(cardIDs))+`)`), args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) != len(cardIDs) {
			return fmt.Errorf("%d of %d labels are no longer open: %w", len(cardIDs)-int(n), len(cardIDs), store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("assign sheet %s: %w", sheet, err)
	}
	return nil
}

// SheetLabels lists a sheet's labels in writing order; see store.LabelStore.
func (s *Store) SheetLabels(ctx context.Context, sheet string) ([]store.Label, error) {
	out, err := s.labels(ctx, `l.sheet = ? ORDER BY l.seq`, sheet)
	if err != nil {
		return nil, fmt.Errorf("labels of sheet %s: %w", sheet, err)
	}
	return out, nil
}

// UnprintedSheets names a robot's sheets whose PDF is not recorded as written; see store.LabelStore.
func (s *Store) UnprintedSheets(ctx context.Context, robot string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT sheet FROM labels WHERE robot = ? AND sheet IS NOT NULL
		AND printed = ? GROUP BY sheet ORDER BY MIN(seq)`), robot, false)
	if err != nil {
		return nil, fmt.Errorf("unprinted sheets of %s: %w", robot, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("unprinted sheets of %s: %w", robot, err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unprinted sheets of %s: %w", robot, err)
	}
	return out, nil
}

// MarkSheetPrinted records that a sheet's PDF was written; see store.LabelStore.
func (s *Store) MarkSheetPrinted(ctx context.Context, sheet string) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE labels SET printed = ? WHERE sheet = ?`), true, sheet); err != nil {
		return fmt.Errorf("mark sheet %s printed: %w", sheet, err)
	}
	return nil
}

// sheetWindow is how many of the newest labels per sheet asked for Sheets looks through.
const sheetWindow = 100

// Sheets sums up the robots' open labels and the newest named sheets; see store.SheetStore.
func (s *Store) Sheets(ctx context.Context, limit int) ([]store.Sheet, error) {
	const sums = `COUNT(*), SUM(CASE WHEN c.status = 'posted' THEN 1 ELSE 0 END),
		MIN(CASE WHEN l.printed THEN 1 ELSE 0 END), MIN(l.seq), MIN(l.written_at), MAX(l.written_at),
		SUM(CASE WHEN c.test THEN 1 ELSE 0 END)`
	open, err := s.sheetSums(ctx, `SELECT '', l.robot, `+sums+` FROM labels l JOIN cards c ON c.id = l.card_id
		WHERE l.sheet IS NULL GROUP BY l.robot ORDER BY l.robot`)
	if err != nil {
		return nil, fmt.Errorf("open labels: %w", err)
	}
	// Only sheets among the newest labels are looked at, so that the dashboard's refresh costs the
	// same however long the history: sheets hold a page or a few of labels, so the newest
	// sheetWindow labels per sheet asked for reach back far enough.
	named, err := s.sheetSums(ctx, `SELECT l.sheet, MIN(l.robot), `+sums+` FROM labels l JOIN cards c ON c.id = l.card_id
		WHERE l.sheet IN (SELECT sheet FROM labels WHERE sheet IS NOT NULL
			AND seq > (SELECT COALESCE(MAX(seq), 0) FROM labels) - ?)
		GROUP BY l.sheet ORDER BY MIN(l.seq) DESC LIMIT ?`, sheetWindow*limit, limit)
	if err != nil {
		return nil, fmt.Errorf("label sheets: %w", err)
	}
	return append(open, named...), nil
}

func (s *Store) sheetSums(ctx context.Context, query string, args ...any) ([]store.Sheet, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Sheet
	for rows.Next() {
		var (
			sh            store.Sheet
			printed       int
			first, latest int64
		)
		if err := rows.Scan(&sh.Name, &sh.Robot, &sh.Labels, &sh.Posted, &printed, &sh.FirstSeq, &first, &latest, &sh.TestCards); err != nil {
			return nil, err
		}
		sh.Printed, sh.FirstAt, sh.LastAt = printed == 1, fromMicros(first), fromMicros(latest)
		out = append(out, sh)
	}
	return out, rows.Err()
}
