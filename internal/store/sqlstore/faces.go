package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

var _ store.FaceStore = (*Store)(nil)

// CreateFace stores the face as the next version of its name; see store.FaceStore.
func (s *Store) CreateFace(ctx context.Context, nf store.NewFace) (*store.Face, error) {
	if nf.AccountID == "" || nf.Name == "" || len(nf.Sheet) == 0 || len(nf.Font) == 0 {
		return nil, fmt.Errorf("create face: %w: account, name, sheet and font are required", store.ErrInvalid)
	}
	f := &store.Face{ID: store.NewID(store.PrefixFace), AccountID: nf.AccountID, Name: nf.Name, Title: nf.Title,
		Sheet: nf.Sheet, Font: nf.Font, CreatedAt: s.now()}
	// Two uploads under one name at once: the loser of the unique (account, name, version)
	// reads the new maximum and tries again.
	for try := 0; ; try++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var last sql.NullInt64
			if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(version) FROM faces WHERE account_id = ? AND name = ?`),
				nf.AccountID, nf.Name).Scan(&last); err != nil {
				return err
			}
			f.Version = int(last.Int64) + 1
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO faces (id, account_id, name, version, title, sheet, font, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), f.ID, f.AccountID, f.Name, f.Version, f.Title, string(f.Sheet), string(f.Font), micros(f.CreatedAt))
			return err
		})
		if err == nil {
			return f, nil
		}
		if s.d.IsUnique(err) && try < 5 {
			continue
		}
		return nil, fmt.Errorf("create face %s: %w", nf.Name, err)
	}
}

// GetFace returns a version of the account's face, the newest for version 0.
func (s *Store) GetFace(ctx context.Context, accountID, name string, version int) (*store.Face, error) {
	query := `SELECT id, account_id, name, version, title, sheet, font, created_at FROM faces
		WHERE account_id = ? AND name = ?`
	args := []any{accountID, name}
	if version > 0 {
		query, args = query+` AND version = ?`, append(args, version)
	}
	var (
		f           store.Face
		sheet, font string
		created     int64
	)
	err := s.r.QueryRowContext(ctx, s.q(query+` ORDER BY version DESC LIMIT 1`), args...).
		Scan(&f.ID, &f.AccountID, &f.Name, &f.Version, &f.Title, &sheet, &font, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("face %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("face %s: %w", name, err)
	}
	f.Sheet, f.Font, f.CreatedAt = []byte(sheet), []byte(font), fromMicros(created)
	return &f, nil
}

// ListFaces returns the newest version of each of the account's faces, by name.
func (s *Store) ListFaces(ctx context.Context, accountID string) ([]store.Face, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT f.id, f.account_id, f.name, f.version, f.title, f.created_at FROM faces f
		WHERE f.account_id = ? AND f.version = (SELECT MAX(version) FROM faces g WHERE g.account_id = f.account_id AND g.name = f.name)
		ORDER BY f.name`), accountID)
	if err != nil {
		return nil, fmt.Errorf("list faces: %w", err)
	}
	defer rows.Close()
	out := []store.Face{}
	for rows.Next() {
		var f store.Face
		var created int64
		if err := rows.Scan(&f.ID, &f.AccountID, &f.Name, &f.Version, &f.Title, &created); err != nil {
			return nil, fmt.Errorf("list faces: %w", err)
		}
		f.CreatedAt = fromMicros(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// DeleteFace erases every version of the face. Like card erasure, it then runs the dialect's
// AfterErase statements so that the handwriting leaves the database files too.
func (s *Store) DeleteFace(ctx context.Context, accountID, name string) error {
	res, err := s.w.ExecContext(ctx, s.q(`DELETE FROM faces WHERE account_id = ? AND name = ?`), accountID, name)
	if err != nil {
		return fmt.Errorf("delete face %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete face %s: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("face %s: %w", name, store.ErrNotFound)
	}
	after := s.d.AfterErase
	if s.d.Name == "postgres" {
		after = []string{`VACUUM faces`} // the card tables' vacuum would not reach the faces
	}
	for _, st := range after {
		if _, err := s.w.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("delete face %s: after erasure: %w", name, err)
		}
	}
	return nil
}
