package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// orderForm fills the order page's form like a customer would.
func fillOrder(v url.Values, message string) url.Values {
	v.Set("message", message)
	v.Set("font", "allure")
	v.Set("hand", "casual")
	v.Set("to_country", "DE")
	v.Set("to_name", "Erika Müller")
	v.Set("to_line1", "Hauptstraße 5")
	v.Set("to_postal_code", "10115")
	v.Set("to_city", "Berlin")
	return v
}

func TestOrderPageOffersFacesHandsAndCountries(t *testing.T) {
	s := startSystem(t, app.Config{})
	b := s.browser()
	code, doc, resp := b.get("/?lang=de")
	if code != 200 {
		t.Fatalf("GET /: %d", code)
	}
	if got := find(doc, "html")[0]; !strings.Contains(text(find(got, "h1")[0]), "handgeschriebene Karte") {
		t.Errorf("German heading missing: %q", text(find(got, "h1")[0]))
	}
	fonts := find(find(doc, "select[name=font]")[0], "option")
	if len(fonts) != 5 || !strings.Contains(text(fonts[0]), "EMS Allure") {
		t.Errorf("font options: %d, first %q", len(fonts), text(fonts[0]))
	}
	hands := find(find(doc, "select[name=hand]")[0], "option")
	if len(hands) != 3 {
		t.Errorf("hand options: %d", len(hands))
	}
	countries := find(find(doc, "select[name=to_country]")[0], "option")
	if len(countries) < 200 {
		t.Errorf("only %d countries", len(countries))
	}
	if len(find(doc, "div[id=preview]")) != 1 || len(find(find(doc, "div[id=preview]")[0], "svg")) != 1 {
		t.Errorf("no initial preview SVG")
	}
	var fields map[string]struct {
		Postal         string `json:"postal"`
		RegionRequired bool   `json:"region_required"`
	}
	if err := json.Unmarshal([]byte(text(find(doc, "script[id=country-fields]")[0])), &fields); err != nil {
		t.Fatalf("country fields: %v", err)
	}
	if !fields["US"].RegionRequired || fields["DE"].RegionRequired {
		t.Errorf("region rules: US %v DE %v", fields["US"], fields["DE"])
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	_, doc, _ = b.get("/?lang=en")
	if h := text(find(doc, "h1")[0]); h != "Send a handwritten card" {
		t.Errorf("English heading %q", h)
	}
}

func TestPreviewNamesEveryProblem(t *testing.T) {
	s := startSystem(t, app.Config{})
	b := s.browser()
	_, doc, _ := b.get("/")
	form := formValues(find(doc, "form[id=order]")[0])
	preview := func(msg string) (out struct {
		SVG    string   `json:"svg"`
		Errors []string `json:"errors"`
		Lines  int      `json:"lines"`
	}) {
		t.Helper()
		v := fillOrder(url.Values{}, msg)
		v.Set("csrf", form.Get("csrf"))
		v.Set("seed", "7")
		v.Set("stock", "a6-white")
		req, _ := http.NewRequest("POST", s.srv.URL+"/orders/preview", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "en")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("preview %d: %s", resp.StatusCode, raw)
		}
		return out
	}
	a, c := preview("Dear Sam,\nthank you!"), preview("Dear Sam,\nthank you so much!")
	if !strings.Contains(a.SVG, "<svg") || a.Lines != 2 || a.SVG == c.SVG {
		t.Errorf("preview does not follow the text: lines %d, same svg %v", a.Lines, a.SVG == c.SVG)
	}
	bad := preview("Dear Sam,\nhave a good ✈ flight")
	if len(bad.Errors) != 1 || !strings.Contains(bad.Errors[0], "Line 2, character 13") || !strings.Contains(bad.Errors[0], "“✈”") {
		t.Errorf("missing glyph: %q", bad.Errors)
	}
	long := preview(strings.Repeat("Thank you for everything, it was lovely. ", 40))
	if len(long.Errors) != 1 || !strings.Contains(long.Errors[0], "too long") || !strings.Contains(long.Errors[0], "Shorten it by about") {
		t.Errorf("too long: %q", long.Errors)
	}
	// Without the browser's form token the preview is refused.
	req, _ := http.NewRequest("POST", s.srv.URL+"/orders/preview", strings.NewReader("message=hi"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("preview without token: %d", resp.StatusCode)
	}
}

func TestOrderReviewSubmitAndStatus(t *testing.T) {
	s := startSystem(t, app.Config{})
	b := s.browser()
	_, doc, _ := b.get("/")
	form := formValues(find(doc, "form[id=order]")[0])

	// A recipient without postal code: the form comes back with the reason at the field.
	bad := fillOrder(url.Values{}, "Liebe Erika,\ndanke!")
	for k, v := range form {
		if bad.Get(k) == "" {
			bad[k] = v
		}
	}
	bad.Set("to_postal_code", "")
	code, doc, _ := b.post("/orders", bad)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("missing postal code: status %d", code)
	}
	errs := find(doc, "span[data-for=to_postal_code]")
	if len(errs) != 1 || !strings.Contains(text(errs[0]), "postal code is missing") {
		t.Errorf("postal code error not at its field: %v", errs)
	}
	if v := formValues(find(doc, "form[id=order]")[0]); v.Get("to_name") != "Erika Müller" || v.Get("message") != "Liebe Erika,\ndanke!" && v.Get("message") != "Liebe Erika, danke!" {
		t.Errorf("the form lost the customer's input: %v", v)
	}

	good := fillOrder(url.Values{}, "Liebe Erika,\ndanke!")
	for k, v := range form {
		if good.Get(k) == "" {
			good[k] = v
		}
	}
	code, doc, _ = b.post("/orders", good)
	if code != 200 {
		t.Fatalf("review: %d", code)
	}
	to := find(doc, "dd[id=review-to]")
	if len(to) != 1 || !strings.Contains(text(to[0]), "10115 Berlin") {
		t.Fatalf("review page lacks the envelope lines")
	}
	submit := formValues(find(doc, "form[id=submit-order]")[0])
	code, _, resp := b.post("/orders", submit)
	if code != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/orders/crd_") {
		t.Fatalf("submit: %d to %q", code, resp.Header.Get("Location"))
	}
	loc := resp.Header.Get("Location")
	// The same form sent twice makes one card.
	_, _, resp2 := b.post("/orders", submit)
	if resp2.Header.Get("Location") != loc {
		t.Errorf("second submit went to %q, want %q", resp2.Header.Get("Location"), loc)
	}
	page, err := s.sys.Store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if err != nil || len(page.Cards) != 1 {
		t.Fatalf("cards stored: %v (%v)", page, err)
	}
	c := page.Cards[0]
	if c.Message != "Liebe Erika,\ndanke!" || c.Metadata["source"] != "web" || c.StrokeHash == "" {
		t.Errorf("stored card %+v", c)
	}
	code, doc, _ = b.get(loc)
	if code != 200 {
		t.Fatalf("status page: %d", code)
	}
	steps := find(doc, "li[data-step]")
	if len(steps) != 5 || !strings.Contains(text(steps[0]), "Accepted") {
		t.Errorf("timeline: %d steps", len(steps))
	}
	if st := find(doc, "span[id=card-status]"); len(st) != 1 {
		t.Errorf("no status badge")
	}
	// Another account's card is not shown here.
	acc, _ := s.sys.Store.CreateAccount(context.Background(), "shop")
	other, err := s.sys.Store.CreateCard(context.Background(), store.NewCard{AccountID: acc.ID, Message: "x", Font: "allure", Hand: "casual", Stock: "a6-white", Format: "a6", To: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := b.get("/orders/" + other.ID); code != http.StatusNotFound {
		t.Errorf("another account's card: %d", code)
	}
}

func TestOrderStatusStreamsEvents(t *testing.T) {
	s := startSystem(t, app.Config{SimPlotters: 1})
	b := s.browser()
	_, doc, _ := b.get("/")
	form := fillOrder(formValues(find(doc, "form[id=order]")[0]), "Hallo!")
	form.Set("step", "submit")
	_, _, resp := b.post("/orders", form)
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatalf("no order made")
	}
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.srv.URL+loc+"/events", nil)
	req.Header.Set("Accept-Language", "en")
	sresp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	if ct := sresp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	// The stream stays open until the card is posted; read it until it shows the card written.
	sc := bufio.NewScanner(sresp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var seen []string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "event: ") {
			seen = append(seen, line)
		}
		if strings.Contains(line, `data-status="written"`) {
			return
		}
	}
	t.Errorf("stream ended (%v) without showing the card written; events %v", sc.Err(), seen)
}

func TestOperatorLoginCommandsAndCSRF(t *testing.T) {
	s := startSystem(t, app.Config{SimPlotters: 1})
	b := s.browser()
	code, doc, _ := b.get("/operator")
	if code != 200 || len(find(doc, "input[name=key]")) != 1 {
		t.Fatalf("no login form: %d", code)
	}
	login := formValues(find(doc, "form")[0])
	login.Set("key", "qp_live_nonsense")
	if code, doc, _ := b.post("/operator/login", login); code != http.StatusUnauthorized || !strings.Contains(text(doc), "not a valid operator key") {
		t.Errorf("bad key: %d", code)
	}
	login.Set("key", s.operatorKey())
	code, _, resp := b.post("/operator/login", login)
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "qp_op" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", session)
	}
	var robot, csrf string
	waitFor(t, patience, "the robot on the dashboard", func() bool {
		_, doc, _ = b.get("/operator")
		if r := find(doc, "article[data-robot=sim-1]"); len(r) == 1 {
			robot, _ = attrOf(r[0], "data-state")
			csrf = formValues(find(doc, "form")[0]).Get("csrf")
			return true
		}
		return false
	})
	if robot != "idle" {
		t.Errorf("robot state %q, want idle", robot)
	}
	if len(find(doc, "button[data-action=close]")) != 0 {
		t.Errorf("an address sheet to close without written cards")
	}
	// A command without the form token is refused; with it, it reaches the robot.
	if code, _, _ := b.post("/operator/robots/sim-1/pen-changed", url.Values{}); code != http.StatusForbidden {
		t.Errorf("command without token: %d", code)
	}
	code, _, _ = b.post("/operator/robots/sim-1/pen-changed", url.Values{"csrf": {csrf}})
	if code != http.StatusSeeOther {
		t.Fatalf("pen changed: %d", code)
	}
	_, doc, _ = b.get("/operator")
	if f := find(doc, "p[id=flash]"); len(f) != 1 || !strings.Contains(text(f[0]), "sim-1: Pen changed") {
		t.Errorf("no confirmation shown")
	}
	// A robot that is not writing refuses to pause, and the operator is told why.
	b.post("/operator/robots/sim-1/pause", url.Values{"csrf": {csrf}})
	_, doc, _ = b.get("/operator")
	if f := find(doc, "p.error"); len(f) != 1 || !strings.Contains(text(f[0]), "sim-1 is not") {
		t.Errorf("refusal not shown: %q", text(doc))
	}
	// Signed out, the dashboard is gone.
	other := s.browser()
	if code, _, _ := other.post("/operator/robots/sim-1/pause", url.Values{"csrf": {csrf}}); code != http.StatusUnauthorized {
		t.Errorf("command without session: %d", code)
	}
}

func TestFailedCardRetryAndMetrics(t *testing.T) {
	s := startSystem(t, app.Config{SimPlotters: 1})
	ctx := context.Background()
	acc, _ := s.sys.Store.CreateAccount(ctx, "shop")
	key, _, _ := s.sys.Store.CreateKey(ctx, acc.ID, store.KeyLive)
	post := func(body string) int {
		req, _ := http.NewRequest("POST", s.srv.URL+"/v1/cards", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Idempotency-Key", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"message":"Danke!","to":{"name":"A","lines":["B 1"],"postal_code":"10115","city":"Berlin","country":"DE"}}`
	if c := post(good); c != 201 {
		t.Fatalf("order: %d", c)
	}
	if c := post(strings.Replace(good, "Danke!", "Danke ✈", 1)); c != 422 {
		t.Fatalf("bad order: %d", c)
	}
	metrics := func() string {
		req, _ := http.NewRequest("GET", s.srv.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+s.sys.MetricsToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	waitFor(t, patience, "the card counted as written", func() bool {
		return strings.Contains(metrics(), `quillpost_cards_written_total{worker="sim-1"} 1`)
	})
	// Counters arrive from events published asynchronously: wait until every one has.
	wants := []string{
		`quillpost_orders_accepted_total{lane="a6-white"} 1`,
		`quillpost_orders_rejected_total{reason="text_unwritable",source="api"} 1`,
		`quillpost_plot_duration_seconds_count 1`,
		`quillpost_workers{state="idle"} 1`,
		`quillpost_queue_depth{kind="pending",lane="a6-white"} 0`,
	}
	missing := func() []string {
		m := metrics()
		var out []string
		for _, want := range wants {
			if !strings.Contains(m, want) {
				out = append(out, want)
			}
		}
		return out
	}
	last := ""
	waitFor(t, patience, "every metric", func() bool {
		lack := missing()
		if got := strings.Join(lack, " "); got != last {
			t.Logf("metrics lack %v", lack) // said on change, so a timeout shows what never came
			last = got
		}
		return len(lack) == 0
	})

	// A failed card shows on the dashboard with retry and cancel; retry queues it again. (Its
	// stock is one no robot here has loaded, so it stays queued.)
	c, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Noch eine", Font: "allure", Hand: "casual",
		Stock: "a5-white", Format: "a5", To: []byte(`{"name":"A","lines":["B 1"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusQueued, To: store.StatusFailed, Cause: "test", Detail: "pen ran dry"}); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	_, doc, _ := b.get("/operator")
	login := formValues(find(doc, "form")[0])
	login.Set("key", s.operatorKey())
	b.post("/operator/login", login)
	_, doc, _ = b.get("/operator")
	closeSheet := find(doc, "form[action=/operator/labels/sim-1/close]")
	if len(closeSheet) != 1 {
		t.Fatalf("no address sheet to close with a written card waiting")
	}
	row := find(doc, "li[data-card="+c.ID+"]")
	if len(row) != 1 || !strings.Contains(text(row[0]), "pen ran dry") {
		t.Fatalf("failed card not listed with its reason")
	}
	retry := formValues(find(row[0], "form")[0])
	if code, _, _ := b.post("/operator/cards/"+c.ID+"/retry", retry); code != http.StatusSeeOther {
		t.Errorf("retry: %d", code)
	}
	if c, _ := s.sys.Store.GetCard(ctx, store.AnyAccount, c.ID); c.Status != store.StatusQueued || c.Attempts != 2 {
		t.Errorf("after retry: %s, attempt %d", c.Status, c.Attempts)
	}
	_, doc, _ = b.get("/operator")
	if f := find(doc, "p[id=flash]"); len(f) != 1 || !strings.Contains(text(f[0]), "queued again") {
		t.Errorf("retry not confirmed")
	}
	_, _, resp := b.post("/operator/labels/sim-1/close", formValues(closeSheet[0]))
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(raw), "%PDF") {
		t.Errorf("labels: %s %q", resp.Header.Get("Content-Type"), raw[:min(len(raw), 20)])
	}
}

// The order page as a shop: price with VAT, a send date, a summary before the binding order, a
// test-mode banner; switching the language on the way keeps everything typed.
func TestOrderShopSendDateAndLanguageSwitch(t *testing.T) {
	s := startSystem(t, app.Config{WebTestOrders: true})
	b := s.browser()
	code, doc, _ := b.get("/?lang=de")
	if code != 200 || len(find(doc, "p[id=test-banner]")) != 1 {
		t.Fatalf("no test-mode banner: %d", code)
	}
	form := fillOrder(formValues(find(doc, "form[id=order]")[0]), "Liebe Erika,\nfrohe Weihnachten!")
	form.Set("send_date", time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02"))
	form.Set("to_name", "")
	// Switch to English halfway: the form comes back in English with everything typed, and
	// without marking the still empty name.
	relang := url.Values{}
	for k, v := range form {
		relang[k] = v
	}
	relang.Set("relang", "en")
	code, doc, _ = b.post("/orders?lang=en", relang)
	if code != 200 || text(find(doc, "h1")[0]) != "Send a handwritten card" {
		t.Fatalf("language switch: %d %q", code, text(find(doc, "h1")[0]))
	}
	kept := formValues(find(doc, "form[id=order]")[0])
	for _, k := range []string{"to_line1", "to_city", "send_date", "token", "seed"} {
		if kept.Get(k) != form.Get(k) {
			t.Errorf("%s: %q after the switch, was %q", k, kept.Get(k), form.Get(k))
		}
	}
	if !strings.Contains(kept.Get("message"), "frohe Weihnachten") {
		t.Errorf("message lost: %q", kept.Get("message"))
	}
	if errs := find(doc, "span[data-for=to_name]"); len(errs) != 1 || text(errs[0]) != "" {
		t.Errorf("a language switch marked the empty name")
	}
	kept.Set("to_name", "Erika Müller")
	code, doc, _ = b.post("/orders?lang=de", kept)
	if code != 200 {
		t.Fatalf("review: %d", code)
	}
	want := time.Now().UTC().AddDate(0, 0, 10)
	if got := text(find(doc, "dd[id=review-senddate]")[0]); !strings.Contains(got, fmt.Sprint(want.Year())) || !strings.HasPrefix(got, fmt.Sprintf("%d. ", want.Day())) {
		t.Errorf("send date on the summary %q", got)
	}
	if got := text(find(doc, "dd[id=review-total]")[0]); got != "4,64 €" {
		t.Errorf("total %q", got)
	}
	if got := text(find(doc, "p[id=review-owed]")[0]); !strings.Contains(got, "nichts zu zahlen") {
		t.Errorf("a test card owes %q", got)
	}
	submit := formValues(find(doc, "form[id=submit-order]")[0])
	// The language switch on the summary shows the summary again and places no order.
	sw := url.Values{}
	for k, v := range submit {
		sw[k] = v
	}
	sw.Set("relang", "fr")
	if code, doc, _ := b.post("/orders?lang=fr", sw); code != 200 || len(find(doc, "form[id=submit-order]")) != 1 {
		t.Fatalf("language switch on the summary: %d", code)
	}
	if page, _ := s.sys.Store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{}); len(page.Cards) != 0 {
		t.Fatalf("a language switch placed an order")
	}
	code, _, resp := b.post("/orders", submit)
	if code != http.StatusSeeOther {
		t.Fatalf("submit: %d", code)
	}
	page, _ := s.sys.Store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if len(page.Cards) != 1 || !page.Cards[0].Test || page.Cards[0].SendDate.Format("2006-01-02") != want.Format("2006-01-02") || page.Cards[0].Status != store.StatusAccepted {
		t.Fatalf("stored %+v", page.Cards)
	}
	_, doc, _ = b.get(resp.Header.Get("Location") + "?lang=de")
	if got := find(doc, "p[id=status-senddate]"); len(got) != 1 || !strings.HasPrefix(text(got[0]), "Wird am ") {
		t.Errorf("status page lacks the send date")
	}
	if len(find(doc, "p[id=test-banner]")) != 1 {
		t.Errorf("a test card's status page lacks the banner")
	}
	// A send date in the past is refused at its field.
	form.Set("to_name", "Erika Müller")
	form.Set("send_date", "2020-01-01")
	form.Set("token", "other")
	code, doc, _ = b.post("/orders?lang=de", form)
	if e := find(doc, "span[data-for=send_date]"); code != http.StatusUnprocessableEntity || len(e) != 1 || !strings.Contains(text(e[0]), "Vergangenheit") {
		t.Errorf("past send date: %d", code)
	}
}
