package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// BenchmarkSheets reads the dashboard's sheet list from a store holding many printed sheets: it
// runs on every live update of every operator's dashboard, so it must not grow with history.
func BenchmarkSheets(b *testing.B) {
	ctx := context.Background()
	s := open(b)
	a := storetest.NewAccount(b, s)
	const sheets, perSheet = 250, 24
	for i := range sheets {
		ncs := make([]store.NewCard, perSheet)
		for j := range ncs {
			ncs[j] = storetest.SampleCard(a.ID)
		}
		cs, err := s.CreateCards(ctx, ncs)
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, len(cs))
		for j, c := range cs {
			if _, err := store.Claim(ctx, s, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: "r1"}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "w", Worker: "r1"}); err != nil {
				b.Fatal(err)
			}
			ids[j] = c.ID
		}
		if err := s.AssignSheet(ctx, "r1", fmt.Sprintf("r1-%04d", i), ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		got, err := s.Sheets(ctx, 20)
		if err != nil || len(got) != 20 || got[0].Name != fmt.Sprintf("r1-%04d", sheets-1) || got[0].Labels != perSheet {
			b.Fatalf("sheets %d %+v: %v", len(got), got[0], err)
		}
	}
}
