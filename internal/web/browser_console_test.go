package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// evalBool runs a script in the page and returns its boolean result.
func evalBool(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitJS polls a script until it returns true.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !evalBool(t, ctx, js) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", patience, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// liveUpdates is how many fragments the dashboard has merged so far.
const liveUpdates = `parseInt(document.getElementById("live").dataset.updated || "0", 10)`

// A live update never takes the keyboard focus, an open confirmation or the scroll position
// from the operator; aborting asks first and lets the operator keep a clean blank.
func TestBrowserConsoleKeepsFocusAndAbortKeepsBlank(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{SimPlotters: 1, SimManualFeed: true, SimSpeed: 1})
	key := s.operatorKey()
	bctx := context.Background()
	acc, _ := s.sys.Store.CreateAccount(bctx, "shop")
	apiKey, _, _ := s.sys.Store.CreateKey(bctx, acc.ID, store.KeyLive)
	body := `{"message":"Liebe Frau Müller,\nvielen Dank für Ihre Treue und die schönen Jahre mit Ihnen!\nHerzliche Grüße aus dem Papierladen","font":"felix","to":{"name":"Kundin","lines":["Hauptstraße 1"],"postal_code":"10115","city":"Berlin","country":"DE"}}`
	req, _ := http.NewRequest("POST", s.srv.URL+"/v1/cards", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Idempotency-Key", "focus-1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("order: %v %v", err, resp)
	}
	resp.Body.Close()
	// A phone-sized window, so that the dashboard scrolls.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 640),
		chromedp.Navigate(s.srv.URL+"/operator?lang=de"),
		chromedp.SendKeys(chromedp.CSS("[name=key]"), key),
		chromedp.Submit(chromedp.CSS("[name=key]")),
		chromedp.WaitVisible(chromedp.CSS("#live")),
	); err != nil {
		t.Fatal(err)
	}
	robot := `article[data-robot="sim-1"]`
	waitAttr(t, ctx, patience, robot, "data-state", func(v string) bool { return v == "waiting-for-card" })
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(robot+` button[data-cmd="card-loaded"]`)), chromedp.WaitVisible(chromedp.CSS("#flash"))); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, robot, "data-state", func(v string) bool { return v == "plotting" })
	// Its thumbnail is the card it writes.
	waitJS(t, ctx, "the robot's thumbnail", `(() => { const i = document.querySelector('`+robot+` img.thumb'); return !!i && i.complete && i.naturalWidth > 0 })()`)

	// Focus the pause button, scroll, and let live updates arrive (progress moves on). The mark
	// is a property of the element object: the same element, not one that looks alike.
	if !evalBool(t, ctx, `(() => { const b = document.querySelector('`+robot+` button[data-cmd="pause"]'); b.focus(); b.qpMark = "focused"; window.scrollTo(0, 120); return document.activeElement === b })()`) {
		t.Fatal("could not focus the pause button")
	}
	scroll, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.scrollY`))
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](liveUpdates))
	waitJS(t, ctx, "two live updates", fmt.Sprintf(`%s >= %d`, liveUpdates, before+2))
	if !evalBool(t, ctx, `document.activeElement && document.activeElement.qpMark === "focused"`) {
		t.Errorf("a live update took the keyboard focus (now on %q)", mustEval(ctx, `document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : ""`))
	}
	if after, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.scrollY`)); after != scroll {
		t.Errorf("a live update scrolled the page from %v to %v", scroll, after)
	}

	// Abort asks first; the question stays open through live updates.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(robot+` summary[data-cmd="abort"]`))); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the abort question", `document.querySelector('`+robot+` details.confirm').open`)
	before, _ = chromedp.Run(ctx, chromedp.Evaluate[int](liveUpdates))
	waitJS(t, ctx, "a live update", fmt.Sprintf(`%s >= %d`, liveUpdates, before+1))
	if !evalBool(t, ctx, `document.querySelector('`+robot+` details.confirm').open`) {
		t.Fatal("a live update closed the abort question")
	}
	// The blank is still clean: abort, keep it.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(robot+` button[data-confirm="abort-keep"]`)), chromedp.WaitVisible(chromedp.CSS("#flash"))); err != nil {
		t.Fatal(err)
	}
	page, err := s.sys.Store.ListCards(bctx, store.AnyAccount, store.CardFilter{})
	if err != nil || len(page.Cards) != 1 {
		t.Fatalf("cards: %v %v", page, err)
	}
	id := page.Cards[0].ID
	waitFor(t, patience, "the aborted card back in the queue", func() bool {
		ev, _ := s.sys.Store.Events(bctx, store.AnyAccount, id)
		for _, e := range ev {
			if e.To == store.StatusSpoiled {
				t.Fatalf("the card was spoiled although the operator kept the blank: %+v", e)
			}
			if e.From == store.StatusPlotting && e.To == store.StatusQueued && strings.Contains(e.Detail, "kept the blank") {
				return true
			}
		}
		return false
	})
}

func mustEval(ctx context.Context, js string) string {
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	return v
}
