package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/metrics"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// TestAcceptedLaneFromStore counts accepted cards read from a real SQLite store (which reads the
// lane alone): live and test cards land in their lanes.
func TestAcceptedLaneFromStore(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	acc, err := st.CreateAccount(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Sources{})
	for _, test := range []bool{false, true, true} {
		c, err := st.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Test: test, Message: "Hallo", Font: "allure", Hand: "neat",
			Stock: "a6-white", Format: "a6", StrokeHash: "h", To: []byte(`{"name":"A"}`)})
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := st.Events(ctx, acc.ID, c.ID)
		for _, e := range evs {
			m.Count(ctx, e, st)
		}
	}
	out := scrape(t, m)
	for _, want := range []string{`quillpost_orders_accepted_total{lane="a6-white"} 1`, `quillpost_orders_accepted_total{lane="test-a6-white"} 2`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
}
