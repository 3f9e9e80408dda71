package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// TestReproofCommand: `quillpost reproof --data DIR` after an upgrade holds the card whose proof
// the renderer no longer draws, names it, and leaves the card it still draws queued.
func TestReproofCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	a := storetest.NewAccount(t, st)
	nc := storetest.SampleCard(a.ID)
	hc, err := cardspec.Render(cardspec.Spec{Message: nc.Message, Font: nc.Font, Hand: nc.Hand, Stock: nc.Stock, Seed: nc.Seed})
	if err != nil {
		t.Fatal(err)
	}
	nc.StrokeHash = hc.Hash()
	kept, err := st.CreateCard(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	nc.StrokeHash = strings.Repeat("0", 64) // what the previous renderer drew
	changed, err := st.CreateCard(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"reproof", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("reproof: exit %d\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "2 cards checked, 1 keep their proof, 1 held") || !strings.Contains(out.String(), changed.ID) {
		t.Errorf("output:\n%s", out.String())
	}
	st, err = sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c, _ := st.GetCard(ctx, store.AnyAccount, changed.ID); c.Status != store.StatusAccepted || !c.ProofChanged {
		t.Errorf("changed card %s proof_changed %v", c.Status, c.ProofChanged)
	}
	if c, _ := st.GetCard(ctx, store.AnyAccount, kept.ID); c.Status != store.StatusQueued || c.RenderVersion != cardspec.RenderVersion {
		t.Errorf("kept card %s version %d", c.Status, c.RenderVersion)
	}
}
