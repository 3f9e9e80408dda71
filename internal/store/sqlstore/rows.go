package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quillpost/quillpost/internal/store"
)

// pageLimit is the page size asked for, within bounds: 100 when none is asked, 1000 at most.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// queryPage runs query, which ends in LIMIT ?, for one row more than the page holds: that row only
// tells that another page follows, and next is then the id of the page's last row ("" on the last
// page). what names the listing in errors.
func queryPage[T any](ctx context.Context, s *Store, what, query string, args []any, limit int,
	scan func(scanner) (*T, error), id func(*T) string) (out []*T, next string, err error) {
	limit = pageLimit(limit)
	rows, err := s.r.QueryContext(ctx, s.q(query), append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) > limit {
		out = out[:limit]
		next = id(out[limit-1])
	}
	return out, next, nil
}

// getOwned reads the row id that selectFrom ("SELECT cols FROM table") finds, of accountID unless
// that is store.AnyAccount; with lock it is locked for update until q's transaction ends. what
// names the row in the not-found error ("occasion rule").
func getOwned[T any](ctx context.Context, s *Store, q querier, what, selectFrom, accountID, id string, lock bool,
	scan func(scanner) (*T, error)) (*T, error) {
	query, args := selectFrom+` WHERE id = ?`, []any{id}
	if accountID != store.AnyAccount {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	if lock {
		query += s.d.ForUpdate
	}
	v, err := scan(q.QueryRowContext(ctx, s.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %s: %w", what, id, store.ErrNotFound)
	}
	return v, err
}
