package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// TestPenWearThreshold: serve --pen-wear-m sets when the dashboard asks for a fresh pen; a pen
// past it is in "needs a human", one short of it is not.
func TestPenWearThreshold(t *testing.T) {
	s := startSystem(t, app.Config{PenWornMetres: 40})
	ctx := context.Background()
	for name, m := range map[string]float64{"pen-past": 41.5, "pen-short": 39} {
		if err := s.sys.Queue.PutHeartbeat(ctx, queue.Heartbeat{Worker: name, Lane: "a6-white", State: queue.StateIdle,
			PenDownMetres: m, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser()
	b.login(s.operatorKey())
	waitFor(t, patience, "both robots on the dashboard", func() bool {
		_, doc, _ := b.get("/operator")
		if len(find(doc, "article[data-robot=pen-past]")) != 1 || len(find(doc, "article[data-robot=pen-short]")) != 1 {
			return false
		}
		need := find(doc, "section[id=needhuman]")
		if len(need) != 1 {
			t.Fatal("no needs-a-human section")
		}
		if n := len(find(need[0], "li[data-penworn=pen-past]")); n != 1 {
			t.Errorf("the pen at 41.5 m of 40 m is not in needs-a-human (%d)", n)
		}
		if n := len(find(need[0], "li[data-penworn=pen-short]")); n != 0 {
			t.Errorf("the pen at 39 m of 40 m is in needs-a-human")
		}
		return true
	})
}

// TestProofChangedCardNeedsHuman: a card held since a renderer upgrade because its proof changed
// is in "needs a human" with its new proof; the operator approves it on the customer's behalf
// (after a confirmation), which records the new proof and queues the card as the customer's own
// approval would. A card held for the customer's ordinary approval cannot be approved here.
func TestProofChangedCardNeedsHuman(t *testing.T) {
	s := startSystem(t, app.Config{})
	ctx := context.Background()
	acc, err := s.sys.Store.CreateAccount(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	nc := store.NewCard{AccountID: acc.ID, Message: "Danke für alles", Font: "allure", Hand: "casual", Stock: "a6-white", Format: "a6",
		To:         []byte(`{"name":"Erika Muster","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`),
		StrokeHash: strings.Repeat("ab", 32), RenderVersion: cardspec.RenderVersion, ApprovalRequired: true}
	held, err := s.sys.Store.CreateCard(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: held.ID, From: store.StatusAccepted, To: store.StatusAccepted,
		Cause: store.CauseProofChanged, Detail: "the renderer draws other strokes"}); err != nil {
		t.Fatal(err)
	}
	plain, err := s.sys.Store.CreateCard(ctx, nc) // waits for its customer, not for a new proof
	if err != nil {
		t.Fatal(err)
	}
	held, _ = s.sys.Store.GetCard(ctx, store.AnyAccount, held.ID)
	hc, err := cardspec.Render(cardspec.FromCard(held))
	if err != nil {
		t.Fatal(err)
	}

	b := s.browser()
	b.login(s.operatorKey())
	_, doc, _ := b.get("/operator")
	need := find(doc, "section[id=needhuman]")
	if len(need) != 1 {
		t.Fatal("no needs-a-human section")
	}
	rows := find(need[0], "li[data-proofchanged]")
	if len(rows) != 1 {
		t.Fatalf("%d proof-changed cards in needs-a-human, want 1: %q", len(rows), text(need[0]))
	}
	row := rows[0]
	if id, _ := attrOf(row, "data-proofchanged"); id != held.ID {
		t.Errorf("listed %s, want %s", id, held.ID)
	}
	if !strings.Contains(text(row), "Proof changed: needs re-approval") || !strings.Contains(text(row), "Erika Muster") {
		t.Errorf("row says %q", text(row))
	}
	imgs := find(row, "img.thumb")
	if len(imgs) != 1 {
		t.Fatal("no thumbnail of the new proof")
	}
	src, _ := attrOf(imgs[0], "src")
	req, _ := http.NewRequest("GET", s.srv.URL+src, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var want bytes.Buffer
	if err := preview.SVG(&want, hc.Format, hc.Strokes, 0.8); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(svg, want.Bytes()) || !strings.Contains(string(svg), "<polyline") {
		t.Errorf("thumbnail %s is not the new proof: %d %.200s", src, resp.StatusCode, svg)
	}
	// The approval sits behind a confirmation, as an abort does.
	var approve *html.Node
	for _, d := range find(row, "details.confirm") {
		if f := find(d, "form"); len(f) == 1 {
			if a, _ := attrOf(f[0], "action"); a == "/operator/cards/"+held.ID+"/approve" {
				approve = f[0]
			}
		}
	}
	if approve == nil || len(find(approve, "button[data-confirm=approve]")) != 1 {
		t.Fatal("no confirmed approve form")
	}
	form := formValues(approve)
	if code, _, _ := b.post("/operator/cards/"+held.ID+"/approve", url.Values{}); code != http.StatusForbidden {
		t.Errorf("approve without the form token: %d", code)
	}
	if code, _, _ := b.post("/operator/cards/"+plain.ID+"/approve", form); code != http.StatusSeeOther {
		t.Fatalf("approve a plain hold: %d", code)
	}
	_, doc, _ = b.get("/operator")
	if f := find(doc, "p[id=flash]"); len(f) != 1 || !strings.Contains(text(f[0]), "refused") {
		t.Errorf("approving a card that waits for its customer was not refused: %q", text(doc))
	}
	if c, _ := s.sys.Store.GetCard(ctx, store.AnyAccount, plain.ID); c.Status != store.StatusAccepted || !c.ApprovalRequired {
		t.Errorf("the operator approved a card that waits for its customer: %+v", c)
	}

	if code, _, _ := b.post("/operator/cards/"+held.ID+"/approve", form); code != http.StatusSeeOther {
		t.Fatalf("approve: %d", code)
	}
	_, doc, _ = b.get("/operator")
	if f := find(doc, "p[id=flash]"); len(f) != 1 || !strings.Contains(text(f[0]), held.ID+": the new proof is approved") {
		t.Errorf("no confirmation: %q", text(doc))
	}
	if n := len(find(doc, "li[data-proofchanged]")); n != 0 {
		t.Errorf("the approved card is still in needs-a-human")
	}
	c, err := s.sys.Store.GetCard(ctx, store.AnyAccount, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != store.StatusQueued || c.ProofChanged || c.ApprovalRequired || c.StrokeHash != hc.Hash() || c.RenderVersion != cardspec.RenderVersion {
		t.Errorf("after the operator's approval: %s proof_changed=%v approval=%v hash %s (want %s) version %d",
			c.Status, c.ProofChanged, c.ApprovalRequired, c.StrokeHash, hc.Hash(), c.RenderVersion)
	}
	evs, err := s.sys.Store.Events(ctx, store.AnyAccount, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[len(evs)-1]; e.To != store.StatusQueued || e.Cause != "operator.approve:ops" {
		t.Errorf("last event %+v", e)
	}
}

// TestBrowserApproveChangedProofKeepsQuestionOpen: on a phone, the operator opens the question
// before approving a changed proof; another card held meanwhile arrives by live update above
// it, and the question stays open (the same element); yes approves the card.
func TestBrowserApproveChangedProofKeepsQuestionOpen(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{})
	bctx := context.Background()
	acc, err := s.sys.Store.CreateAccount(bctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	hold := func() string {
		t.Helper()
		c, err := s.sys.Store.CreateCard(bctx, store.NewCard{AccountID: acc.ID, Message: "Danke", Font: "allure", Hand: "casual",
			Stock: "a6-white", Format: "a6", StrokeHash: strings.Repeat("ab", 32), RenderVersion: cardspec.RenderVersion, ApprovalRequired: true,
			To: []byte(`{"name":"Erika Muster","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.sys.Store.Transition(bctx, store.Change{CardID: c.ID, From: store.StatusAccepted, To: store.StatusAccepted,
			Cause: store.CauseProofChanged}); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	first := hold()
	key := s.operatorKey()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 640, chromedp.EmulateMobile),
		chromedp.Navigate(s.srv.URL+"/operator?lang=de"),
		chromedp.SendKeys(chromedp.CSS("[name=key]"), key),
		chromedp.Submit(chromedp.CSS("[name=key]")),
		chromedp.WaitVisible(chromedp.CSS("#live")),
	); err != nil {
		t.Fatal(err)
	}
	row := `li[data-proofchanged="` + first + `"]`
	waitJS(t, ctx, "the held card's new proof", `(() => { const i = document.querySelector('`+row+` img.thumb'); return !!i && i.complete && i.naturalWidth > 0 })()`)
	if got := mustEval(ctx, `document.querySelector('`+row+` b').textContent`); got != "Vorschau geändert: neu freigeben" {
		t.Errorf("row heading %q", got)
	}
	if small, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets)); len(small) > 0 {
		t.Errorf("tap targets under 44 px: %q", small)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(row+` summary[data-cmd="approve"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the approval question", `document.querySelector('`+row+` details.confirm').open`)
	evalBool(t, ctx, `(() => { document.querySelector('`+row+` details.confirm').qpMark = "asked"; return true })()`)
	second := hold()
	waitJS(t, ctx, "the second held card", `!!document.querySelector('li[data-proofchanged="`+second+`"]')`)
	if !evalBool(t, ctx, `(() => { const d = document.querySelector('`+row+` details.confirm'); return d.open && d.qpMark === "asked" })()`) {
		t.Fatal("a live update closed (or replaced) the approval question")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(row+` button[data-confirm="approve"]`)), chromedp.WaitVisible(chromedp.CSS("#flash"))); err != nil {
		t.Fatal(err)
	}
	c, err := s.sys.Store.GetCard(bctx, store.AnyAccount, first)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != store.StatusQueued || c.ProofChanged {
		t.Errorf("after the approval: %s proof_changed=%v", c.Status, c.ProofChanged)
	}
	if c, _ := s.sys.Store.GetCard(bctx, store.AnyAccount, second); c.Status != store.StatusAccepted || !c.ProofChanged {
		t.Errorf("the other card changed: %s proof_changed=%v", c.Status, c.ProofChanged)
	}
}
