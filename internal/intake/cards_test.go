package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// testAPI starts the API over a real SQLite file and returns it with a live key of account "shop".
type testAPI struct {
	t     testing.TB
	srv   *httptest.Server
	store store.Store
}

func newTestAPI(t testing.TB) *testAPI {
	t.Helper()
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(observe(intake.New(intake.Config{Store: st, RateLimit: -1, Logger: quiet}).Handler()))
	t.Cleanup(srv.Close)
	return &testAPI{t: t, srv: srv, store: st}
}

func (a *testAPI) key(account string, kind store.KeyKind) string {
	a.t.Helper()
	ctx := context.Background()
	acc, err := a.store.AccountByName(ctx, account)
	if err != nil {
		acc, err = a.store.CreateAccount(ctx, account)
		if err != nil {
			a.t.Fatal(err)
		}
	}
	secret, _, err := a.store.CreateKey(ctx, acc.ID, kind)
	if err != nil {
		a.t.Fatal(err)
	}
	return secret
}

func (a *testAPI) do(method, path, key, idem, body string) (int, map[string]any, http.Header) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		a.t.Fatalf("%s %s: response is not JSON: %v\n%s", method, path, err, raw)
	}
	return resp.StatusCode, m, resp.Header
}

const goodCard = `{"message":"Liebe Frau Müller,\nvielen Dank für Ihre Treue!\nHerzliche Grüße","font":"allure","hand":"casual","stock":"a6-white",
 "to":{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"},
 "from":{"name":"Papierladen","lines":["Marktplatz 1"],"postal_code":"80331","city":"München","country":"DE"},
 "metadata":{"crm_id":"c-42"}}`

func errorOf(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("response has no error object: %v", m)
	}
	return e
}

func TestCreateAndGetCard(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	code, card, _ := api.do("POST", "/v1/cards", key, "order-1", goodCard)
	if code != http.StatusCreated {
		t.Fatalf("create: status %d: %v", code, card)
	}
	id, _ := card["id"].(string)
	if !strings.HasPrefix(id, "crd_") {
		t.Errorf("id %q lacks the crd_ prefix", id)
	}
	if card["status"] != "queued" {
		t.Errorf("status %v, want queued", card["status"])
	}
	if _, ok := card["seed"].(float64); !ok {
		t.Errorf("no numeric seed in %v", card)
	}
	if card["format"] != "a6" || card["test"] != false {
		t.Errorf("format %v test %v", card["format"], card["test"])
	}
	code, got, _ := api.do("GET", "/v1/cards/"+id, key, "", "")
	if code != http.StatusOK || got["id"] != id {
		t.Fatalf("get: %d %v", code, got)
	}
	events, _ := got["events"].([]any)
	var tos []string
	for _, e := range events {
		tos = append(tos, e.(map[string]any)["to"].(string))
	}
	if strings.Join(tos, ",") != "accepted,queued" {
		t.Errorf("events %v, want accepted,queued", tos)
	}
	if got["to"].(map[string]any)["city"] != "Berlin" {
		t.Errorf("recipient not kept: %v", got["to"])
	}
}

func TestIdempotency(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	code1, first, _ := api.do("POST", "/v1/cards", key, "k-1", goodCard)
	code2, replay, h := api.do("POST", "/v1/cards", key, "k-1", goodCard)
	if code1 != 201 || code2 != 201 {
		t.Fatalf("statuses %d, %d", code1, code2)
	}
	if first["id"] != replay["id"] || first["seed"] != replay["seed"] {
		t.Errorf("replay made another card: %v vs %v", first["id"], replay["id"])
	}
	if h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay not marked")
	}
	other := strings.Replace(goodCard, "Treue", "Bestellung", 1)
	code, m, _ := api.do("POST", "/v1/cards", key, "k-1", other)
	if code != http.StatusUnprocessableEntity || errorOf(t, m)["code"] != "idempotency_key_reuse" {
		t.Errorf("key reuse: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/cards", key, "", goodCard)
	if code != http.StatusBadRequest || errorOf(t, m)["code"] != "idempotency_key_missing" {
		t.Errorf("missing key: %d %v", code, m)
	}
	page, err := api.store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if err != nil || len(page.Cards) != 1 {
		t.Errorf("cards stored: %d (err %v), want 1", len(page.Cards), err)
	}
}

func TestRejectionsNameTheField(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	cases := []struct {
		name, body, field, code string
		status                  int
	}{
		{"missing glyph", strings.Replace(goodCard, "Treue", "Treue ✈", 1), "message", "text_unwritable", 422},
		{"too long", strings.Replace(goodCard, "Herzliche Grüße", strings.Repeat("Vielen herzlichen Dank für alles. ", 80), 1), "message", "text_too_long", 422},
		{"bad postal code", strings.Replace(goodCard, `"10115"`, `"1011"`, 1), "to.postal_code", "address_invalid", 422},
		{"unknown font", strings.Replace(goodCard, `"allure"`, `"comic"`, 1), "font", "font_invalid", 422},
		{"unknown stock", strings.Replace(goodCard, `"a6-white"`, `"b9-white"`, 1), "stock", "stock_invalid", 422},
		{"unknown field", strings.Replace(goodCard, `"font"`, `"fnt"`, 1), "fnt", "unknown_field", 400},
		{"empty message", strings.Replace(goodCard, `"message":"Liebe`, `"message":"  ","x":"`, 1), "", "", 400},
		{"not json", `{"message":`, "", "body_invalid", 400},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, m, _ := api.do("POST", "/v1/cards", key, "rej-"+string(rune('a'+i)), c.body)
			if code != c.status {
				t.Fatalf("status %d, want %d: %v", code, c.status, m)
			}
			e := errorOf(t, m)
			if c.field != "" && e["field"] != c.field {
				t.Errorf("field %v, want %s (%v)", e["field"], c.field, e["message"])
			}
			if c.code != "" && e["code"] != c.code {
				t.Errorf("code %v, want %s (%v)", e["code"], c.code, e["message"])
			}
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("no message")
			}
		})
	}
	if code, m, _ := api.do("POST", "/v1/cards", key, "glyph", strings.Replace(goodCard, "Treue", "Treue ✈", 1)); code == 422 {
		if msg := errorOf(t, m)["message"].(string); !strings.Contains(msg, "2:") || !strings.Contains(msg, "✈") {
			t.Errorf("missing-glyph message does not name the character and position: %q", msg)
		}
	}
	page, _ := api.store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if len(page.Cards) != 0 {
		t.Errorf("%d rejected cards were stored", len(page.Cards))
	}
}

func TestAccountsAreIsolated(t *testing.T) {
	api := newTestAPI(t)
	shop := api.key("shop", store.KeyLive)
	rival := api.key("rival", store.KeyLive)
	_, card, _ := api.do("POST", "/v1/cards", shop, "iso-1", goodCard)
	code, m, _ := api.do("GET", "/v1/cards/"+card["id"].(string), rival, "", "")
	if code != http.StatusNotFound || errorOf(t, m)["code"] != "card_not_found" {
		t.Errorf("another account's card: %d %v", code, m)
	}
	_, list, _ := api.do("GET", "/v1/cards", rival, "", "")
	if data := list["data"].([]any); len(data) != 0 {
		t.Errorf("rival lists %d cards", len(data))
	}
	code, m, _ = api.do("GET", "/v1/cards", "qp_live_nonsense", "", "")
	if code != http.StatusUnauthorized || errorOf(t, m)["type"] != "authentication" {
		t.Errorf("bad key: %d %v", code, m)
	}
	code, _, _ = api.do("GET", "/v1/cards", "", "", "")
	if code != http.StatusUnauthorized {
		t.Errorf("no key: %d", code)
	}
}

func TestTestKeysMakeTestCards(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	_, card, _ := api.do("POST", "/v1/cards", key, "t-1", goodCard)
	if card["test"] != true {
		t.Fatalf("card from a test key is not a test card: %v", card)
	}
	c, err := api.store.GetCard(context.Background(), store.AnyAccount, card["id"].(string))
	if err != nil || c.Lane() != "test-a6-white" {
		t.Errorf("lane %q (err %v), want test-a6-white", c.Lane(), err)
	}
}

func FuzzCreateCard(f *testing.F) {
	f.Add([]byte(goodCard))
	f.Add([]byte(`{"message":"x","to":{}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"message":"\u0000","seed":-1}`))
	api := newTestAPI(f)
	key := api.key("fuzz", store.KeyTest)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		req, _ := http.NewRequest("POST", api.srv.URL+"/v1/cards", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Idempotency-Key", "fuzz-"+strconv.Itoa(n))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			raw, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, raw)
		}
	})
}

type httptestServer = httptest.Server

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
