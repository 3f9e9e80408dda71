package worker

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

func writtenBy(t *testing.T, st store.Store, accountID, robot string, n int) []*store.Card {
	t.Helper()
	ctx := context.Background()
	var out []*store.Card
	for range n {
		c, err := st.CreateCard(ctx, storetest.SampleCard(accountID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Claim(ctx, st, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: robot}); err != nil {
			t.Fatal(err)
		}
		c, err = st.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: CauseWritten, Worker: robot})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestRobotSheetIsTheDashboardSheet: the PDF a robot writes for its sheet is, byte for byte, the
// one the operator dashboard prints for that sheet (one builder, one order); and labels an
// operator closed on a sheet from the dashboard are not printed again on the robot's next sheet.
func TestRobotSheetIsTheDashboardSheet(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(t, st)
	cfg := SheetConfig{Dir: t.TempDir(), Layout: "avery-l7163", Options: sheets.Options{SenderCountry: "DE"}}
	sh, err := newOpenSheet("r1", cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sh.recover(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range writtenBy(t, st, a.ID, "r1", 3) {
		if _, err := sh.add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	path, err := sh.flush(ctx)
	if err != nil || path == "" {
		t.Fatalf("flush: %q %v", path, err)
	}
	robotPDF, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := labelsheet.New(cfg.Layout, cfg.Options)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := dash.Sheet(ctx, st, strings.TrimSuffix(filepath.Base(path), ".pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.PDF, robotPDF) {
		t.Errorf("the robot's sheet %s and the dashboard's differ (%d and %d bytes)", path, len(robotPDF), len(doc.PDF))
	}

	// Two more cards; an operator closes them on a sheet from the dashboard while the robot
	// still holds them on its open sheet.
	more := writtenBy(t, st, a.ID, "r1", 2)
	for _, c := range more {
		if _, err := sh.add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	name, err := labelsheet.CloseOpen(ctx, st, "r1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if on, _ := st.SheetLabels(ctx, name); len(on) != 2 {
		t.Fatalf("dashboard sheet has %d labels, want 2", len(on))
	}
	third := writtenBy(t, st, a.ID, "r1", 1)[0]
	if _, err := sh.add(ctx, third); err != nil {
		t.Fatal(err)
	}
	path, err = sh.flush(ctx)
	if err != nil || path == "" {
		t.Fatalf("flush after the dashboard's sheet: %q %v", path, err)
	}
	on, err := st.SheetLabels(ctx, strings.TrimSuffix(filepath.Base(path), ".pdf"))
	if err != nil || len(on) != 1 || on[0].CardID != third.ID {
		t.Errorf("the robot's next sheet holds %+v (%v), want only card %s", on, err, third.ID)
	}
}

// TestSheetWithoutLabelStore: a worker whose card store keeps no labels holds its open sheet in
// memory and draws it with the same builder.
func TestSheetWithoutLabelStore(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(t, st)
	sh, err := newOpenSheet("r1", SheetConfig{Dir: t.TempDir(), Layout: "avery-l7163", Options: sheets.Options{SenderCountry: "DE"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cards := writtenBy(t, st, a.ID, "r1", 2)
	for _, c := range cards {
		if _, err := sh.add(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	path, err := sh.flush(ctx)
	if err != nil || path == "" {
		t.Fatalf("flush: %q %v", path, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(raw, []byte("%PDF")) {
		t.Fatalf("sheet PDF: %v", err)
	}
	if len(sh.recs) != 0 {
		t.Errorf("%d labels still waiting after the flush", len(sh.recs))
	}
	if path, err := sh.flush(ctx); err != nil || path != "" {
		t.Errorf("flushing an empty sheet: %q %v", path, err)
	}
}
