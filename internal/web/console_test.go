package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// What needs a human comes first: failed cards with their cause, stock no robot has loaded;
// search finds cards by id, by an order reference and by recipient; thumbnails are for
// operators only.
func TestOperatorNeedsHumanAndSearch(t *testing.T) {
	s := startSystem(t, app.Config{SimPlotters: 1})
	ctx := context.Background()
	acc, _ := s.sys.Store.CreateAccount(ctx, "shop")
	mk := func(name, order, stock string) *store.Card {
		c, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Danke", Font: "allure", Hand: "casual",
			Stock: stock, Format: strings.SplitN(stock, "-", 2)[0], Metadata: map[string]string{"order_id": order},
			To: []byte(`{"name":"` + name + `","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	failed := mk("Erika Muster", "A-1001", "a5-white")
	if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: failed.ID, From: store.StatusQueued, To: store.StatusFailed, Cause: "worker.fault", Detail: "sim-9: ALARM:1"}); err != nil {
		t.Fatal(err)
	}
	waiting := mk("Hans Beispiel", "A-1002", "a5-white")

	if code, _, resp := s.browser().get("/operator/cards/" + waiting.ID + "/thumb.svg"); code != http.StatusSeeOther || resp.Header.Get("Location") != "/operator" {
		t.Errorf("thumbnail without a session: %d", code)
	}
	b := s.browser()
	b.login(s.operatorKey())
	_, doc, _ := b.get("/operator?lang=de")
	human := find(doc, "section[id=needhuman]")
	if len(human) != 1 {
		t.Fatal("no needs-a-human section")
	}
	if sections := find(doc, "section"); len(sections) == 0 || attrVal(sections[0], "id") != "needhuman" {
		t.Errorf("needs-a-human is not the first section")
	}
	row := find(human[0], "li[data-card="+failed.ID+"]")
	if len(row) != 1 || !strings.Contains(text(row[0]), "Fehler am Roboter") || !strings.Contains(text(row[0]), "ALARM:1") {
		t.Errorf("failed card not among what needs a human, with its cause")
	}
	if st := find(human[0], "li[data-stranded=a5-white]"); len(st) != 1 || !strings.Contains(text(st[0]), "A5-Karte") {
		t.Errorf("stranded stock not shown: %q", text(human[0]))
	}
	// Cancelling asks first: the button is inside a closed confirmation.
	if d := find(row[0], "details"); len(d) != 1 || hasAttr(d[0], "open") || len(find(d[0], "button[data-confirm=cancel]")) != 1 {
		t.Errorf("cancel without a confirmation")
	}
	for q, want := range map[string]string{waiting.ID: waiting.ID, "A-1002": waiting.ID, "hans": waiting.ID, "Muster": failed.ID} {
		_, doc, _ := b.get("/operator?q=" + q)
		res := find(doc, "section[id=search-results]")
		if len(res) != 1 {
			t.Fatalf("search %q: no results section", q)
		}
		cards := find(res[0], "li[data-card]")
		if len(cards) != 1 || attrVal(cards[0], "data-card") != want {
			t.Errorf("search %q: %d cards, want %s", q, len(cards), want)
		}
	}
	_, doc, _ = b.get("/operator?q=Niemand")
	if res := find(doc, "section[id=search-results]"); len(res) != 1 || len(find(res[0], "li[data-card]")) != 0 {
		t.Errorf("search for nobody found something")
	}
	code, _, resp := b.get("/operator/cards/" + waiting.ID + "/thumb.svg")
	if code != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("thumbnail: %d %s", code, resp.Header.Get("Content-Type"))
	}
}
