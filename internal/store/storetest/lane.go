package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// laneReader is the narrow read the metrics use when a store has it.
type laneReader interface {
	CardLane(ctx context.Context, id string) (string, error)
}

// testCardLane checks that a store's CardLane, where it has one, says what GetCard's Lane says,
// for live and test cards, and that an unknown card is not found.
func testCardLane(t *testing.T, s store.Store) {
	lr, ok := s.(laneReader)
	if !ok {
		t.Skip("the store reads lanes through GetCard")
	}
	ctx := context.Background()
	a := NewAccount(t, s)
	for _, test := range []bool{false, true} {
		nc := SampleCard(a.ID)
		nc.Test = test
		c := mustCard(t, s, nc)
		got, err := lr.CardLane(ctx, c.ID)
		if err != nil || got != c.Lane() {
			t.Errorf("test=%v: lane %q (%v), want %q", test, got, err, c.Lane())
		}
	}
	for _, id := range []string{"", "crd_zzzzzzzzzzzzzzzzzzzzzzzzzz", "cmp_x"} {
		if _, err := lr.CardLane(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CardLane(%q): %v, want not found", id, err)
		}
	}
}
