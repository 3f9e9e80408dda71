package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// writtenBy records a card to name as written by robot (with its label, as a worker does).
func writtenBy(t *testing.T, st store.Store, accountID, robot, name string) string {
	t.Helper()
	ctx := context.Background()
	c, err := st.CreateCard(ctx, store.NewCard{AccountID: accountID, Message: "Danke", Font: "allure", Hand: "casual",
		Stock: "a5-white", Format: "a5", To: []byte(`{"name":"` + name + `","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Claim(ctx, st, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: robot}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: "worker.written", Worker: robot}); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func pdfPlainText(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a PDF: %v: %.200s", err, raw)
	}
	txt, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(txt)
	return string(all)
}

// dashboardForm returns the values of the dashboard's form posting to action (its CSRF token).
func (b *browser) dashboardForm(action string) url.Values {
	b.t.Helper()
	_, doc, _ := b.get("/operator")
	for _, f := range find(doc, "form") {
		if a, _ := attrOf(f, "action"); a == action {
			return formValues(f)
		}
	}
	b.t.Fatalf("the dashboard has no form posting to %s", action)
	return nil
}

func (b *browser) flash() string {
	b.t.Helper()
	_, doc, _ := b.get("/operator")
	if f := find(doc, "[id=flash]"); len(f) > 0 {
		return text(f[0])
	}
	return ""
}

// TestOperatorSheetsPrintOnce: the dashboard's address sheets are the robots' sheets. Closing a
// robot's open labels prints them once; the next sheet holds only labels written since; a
// printed sheet is reprinted only on purpose, as the same document; an unprintable address (one
// the label font lacks, an erased card) costs only its own label. Marking a sheet or a scanned
// card posted changes written cards to posted, and refuses other cards plainly.
func TestOperatorSheetsPrintOnce(t *testing.T) {
	s := startSystem(t, app.Config{})
	ctx := context.Background()
	st := s.sys.Store
	acc, _ := st.CreateAccount(ctx, "shop")
	anna := writtenBy(t, st, acc.ID, "robot-1", "Anna Schmidt")
	ben := writtenBy(t, st, acc.ID, "robot-1", "Ben 😀 Meyer")
	cora := writtenBy(t, st, acc.ID, "robot-1", "Cora Klein")
	if _, err := st.(store.CardOps).EraseCards(ctx, acc.ID, []string{cora}, "test.erasure"); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.login(s.operatorKey())

	closeSheet := func() (string, []byte, *http.Response) {
		t.Helper()
		code, _, resp := b.post("/operator/labels/robot-1/close", b.dashboardForm("/operator/labels/robot-1/close"))
		raw, _ := io.ReadAll(resp.Body)
		if code != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("close robot-1's sheet: %d %s: %.200s", code, resp.Header.Get("Content-Type"), raw)
		}
		return resp.Header.Get("Quillpost-Sheet"), raw, resp
	}
	nameA, pdfA, resp := closeSheet()
	if resp.Header.Get("Quillpost-Skipped-Labels") != "2" {
		t.Errorf("skipped labels %q, want 2 (Ben's emoji, Cora erased)", resp.Header.Get("Quillpost-Skipped-Labels"))
	}
	textA := pdfPlainText(t, pdfA)
	if !strings.Contains(textA, "Anna Schmidt") || !strings.Contains(textA, anna) || strings.Contains(textA, "Cora") {
		t.Errorf("sheet A should hold Anna and not the erased Cora: %q", textA)
	}
	if strings.Contains(textA, "GERMANY") || strings.Contains(textA, "DEUTSCHLAND") {
		t.Errorf("a domestic label prints a country line: %q", textA)
	}

	dora := writtenBy(t, st, acc.ID, "robot-1", "Dora Weber")
	nameB, pdfB, _ := closeSheet()
	textB := pdfPlainText(t, pdfB)
	if nameB == nameA || !strings.Contains(textB, "Dora Weber") || strings.Contains(textB, "Anna") || strings.Contains(textB, anna) {
		t.Errorf("sheet B (%s after %s) should hold Dora only: %q", nameB, nameA, textB)
	}

	// Printing sheet A again is refused unless asked for as a reprint, which gives the same PDF.
	printA := "/operator/sheets/" + nameA + "/print"
	form := b.dashboardForm(printA)
	if form.Get("reprint") != "1" {
		t.Errorf("the printed sheet's button is not a reprint: %v", form)
	}
	form.Del("reprint")
	if code, _, _ := b.post(printA, form); code != http.StatusSeeOther || !strings.Contains(b.flash(), "printed already") {
		t.Errorf("printing sheet A again without asking for a reprint: %d", code)
	}
	form.Set("reprint", "1")
	code, _, resp := b.post(printA, form)
	again, _ := io.ReadAll(resp.Body)
	if code != http.StatusOK || !bytes.Equal(again, pdfA) {
		t.Errorf("the reprint of sheet A: %d, %d bytes, want the first print's %d bytes", code, len(again), len(pdfA))
	}

	// Posting: a scanned card, then the whole of sheet A.
	if code, _, _ := b.post("/operator/posted", url.Values{"csrf": {form.Get("csrf")}, "cards": {dora + "\n"}}); code != http.StatusSeeOther {
		t.Fatalf("scan: %d", code)
	}
	if f := b.flash(); !strings.Contains(f, "Marked posted: 1.") {
		t.Errorf("flash after the scan %q", f)
	}
	b.post("/operator/posted", url.Values{"csrf": {form.Get("csrf")}, "cards": {dora}})
	if f := b.flash(); !strings.Contains(f, "Already posted: "+dora) {
		t.Errorf("flash after scanning again %q", f)
	}
	queued, err := st.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Hallo", Font: "allure", Hand: "casual", Stock: "a5-white", Format: "a5",
		To: []byte(`{"name":"Eva","lines":["Weg 2"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
	if err != nil {
		t.Fatal(err)
	}
	b.post("/operator/posted", url.Values{"csrf": {form.Get("csrf")}, "cards": {anna + " " + queued.ID}})
	if f := b.flash(); !strings.Contains(f, queued.ID) || !strings.Contains(f, "Only written cards can be posted") {
		t.Errorf("flash after scanning a queued card %q", f)
	}
	if c, _ := st.GetCard(ctx, store.AnyAccount, anna); c.Status != store.StatusWritten {
		t.Errorf("a refused scan changed Anna's card to %s", c.Status)
	}
	postedA := "/operator/sheets/" + nameA + "/posted"
	if code, _, _ := b.post(postedA, b.dashboardForm(postedA)); code != http.StatusSeeOther {
		t.Fatalf("mark sheet A posted: %d", code)
	}
	if f := b.flash(); !strings.Contains(f, "newly posted: 3.") {
		t.Errorf("flash after marking sheet A posted %q", f)
	}
	for _, id := range []string{anna, ben, cora, dora} {
		if c, _ := st.GetCard(ctx, store.AnyAccount, id); c.Status != store.StatusPosted {
			t.Errorf("card %s is %s, want posted", id, c.Status)
		}
	}
	// Both sheets now show as posted; neither offers the button again.
	_, doc, _ := b.get("/operator")
	if n := len(find(doc, `button[data-action=posted]`)); n != 0 {
		t.Errorf("%d sheets still offer 'mark posted'", n)
	}
}
