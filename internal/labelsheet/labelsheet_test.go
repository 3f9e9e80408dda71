package labelsheet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// writeCards records n cards written by robot and returns their ids in writing order.
func writeCards(t *testing.T, st store.Store, accountID, robot string, n int, to string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for range n {
		nc := storetest.SampleCard(accountID)
		if to != "" {
			nc.To = json.RawMessage(to)
		}
		c, err := st.CreateCard(ctx, nc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Claim(ctx, st, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: robot}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written", Worker: robot}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// labelPagesText returns the text of the PDF's label pages (the manifest pages list the labels
// again and are left out).
func labelPagesText(t *testing.T, doc []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatalf("parse the sheet PDF: %v", err)
	}
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		txt, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if strings.Contains(txt, "Barcode") { // the manifest
			continue
		}
		b.WriteString(txt)
		b.WriteString("\n")
	}
	return b.String()
}

// TestSheetsPrintOnce: a sheet holds the labels written since the last sheet and no earlier one;
// reprinting a sheet on purpose gives the same document again.
func TestSheetsPrintOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := storetest.NewAccount(t, st)
	p, err := labelsheet.New("avery-l7163", sheets.Options{SenderCountry: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	first := writeCards(t, st, a.ID, "robot-1", 3, "")
	nameA, err := labelsheet.CloseOpen(ctx, st, "robot-1", now)
	if err != nil {
		t.Fatal(err)
	}
	docA, err := p.Sheet(ctx, st, nameA)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSheetPrinted(ctx, nameA); err != nil {
		t.Fatal(err)
	}
	if _, err := labelsheet.CloseOpen(ctx, st, "robot-1", now); !errors.Is(err, labelsheet.ErrNoOpenLabels) {
		t.Errorf("closing a sheet with nothing open: %v", err)
	}
	second := writeCards(t, st, a.ID, "robot-1", 2, "")
	nameB, err := labelsheet.CloseOpen(ctx, st, "robot-1", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	docB, err := p.Sheet(ctx, st, nameB)
	if err != nil {
		t.Fatal(err)
	}

	textA, textB := labelPagesText(t, docA.PDF), labelPagesText(t, docB.PDF)
	last := -1
	for _, id := range first {
		at := strings.Index(textA, id)
		if at < 0 || at < last {
			t.Errorf("sheet A: card %s missing or out of writing order (at %d after %d)", id, at, last)
		}
		last = at
		if strings.Contains(textB, id) {
			t.Errorf("sheet B prints card %s again, already on sheet A", id)
		}
	}
	for _, id := range second {
		if !strings.Contains(textB, id) {
			t.Errorf("sheet B has no label for card %s", id)
		}
		if strings.Contains(textA, id) {
			t.Errorf("sheet A has a label for card %s written after it", id)
		}
	}
	if len(docA.Result.Placements) != 3 || len(docB.Result.Placements) != 2 {
		t.Errorf("sheets have %d and %d labels, want 3 and 2", len(docA.Result.Placements), len(docB.Result.Placements))
	}

	// A reprint on purpose: the same document, byte for byte.
	again, err := p.Sheet(ctx, st, nameA)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.PDF, docA.PDF) {
		t.Errorf("the reprint of sheet %s differs from its first print", nameA)
	}
	if _, err := p.Sheet(ctx, st, "no-such-sheet"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown sheet: %v", err)
	}
}

// TestDomesticLabelsHaveNoCountryLine: the posts ask for no country line on domestic mail; mail
// abroad ends with the destination country, named in the sender's language.
func TestDomesticLabelsHaveNoCountryLine(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a := storetest.NewAccount(t, st)
	p, err := labelsheet.New("avery-l7163", sheets.Options{SenderCountry: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	writeCards(t, st, a.ID, "robot-1", 1, `{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`)
	domestic, err := labelsheet.CloseOpen(ctx, st, "robot-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.Sheet(ctx, st, domestic)
	if err != nil {
		t.Fatal(err)
	}
	text := labelPagesText(t, doc.PDF)
	if !strings.Contains(text, "10115 Berlin") || !strings.Contains(text, "Erika Müller") {
		t.Errorf("domestic label text %q lacks the address", text)
	}
	for _, country := range []string{"GERMANY", "DEUTSCHLAND", "Germany", "Deutschland"} {
		if strings.Contains(text, country) {
			t.Errorf("domestic label prints the country line %q:\n%s", country, text)
		}
	}

	writeCards(t, st, a.ID, "robot-1", 1, `{"name":"Marie Curie","lines":["11 rue Pierre et Marie Curie"],"postal_code":"75005","city":"Paris","country":"FR"}`)
	abroad, err := labelsheet.CloseOpen(ctx, st, "robot-1", time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = p.Sheet(ctx, st, abroad)
	if err != nil {
		t.Fatal(err)
	}
	if text := labelPagesText(t, doc.PDF); !strings.Contains(text, "FRANKREICH") {
		t.Errorf("a label to France from Germany should end with FRANKREICH:\n%s", text)
	}
}
