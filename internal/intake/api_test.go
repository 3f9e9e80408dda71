package intake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// raw sends a request with any body and content type and returns status, headers and body.
func (a *testAPI) raw(method, path, key, idem, ctype, accept string, body []byte) (int, http.Header, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

const campaignBody = `{"name":"Danke Q3","template":"Liebe(r) {{first_name|Freund}},\ndanke für {{count}} Bestellungen!\nIhr Papierladen",
 "required_variables":["count"],"font":"allure","hand":"neat","stock":"a6-white",
 "from":{"name":"Papierladen","lines":["Marktplatz 1"],"postal_code":"80331","city":"München","country":"DE"},
 "metadata":{"source":"crm"}}`

func createCampaign(t *testing.T, api *testAPI, key string) string {
	t.Helper()
	code, m, _ := api.do("POST", "/v1/campaigns", key, "", campaignBody)
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %v", code, m)
	}
	if m["state"] != "draft" || !strings.HasPrefix(m["id"].(string), "cmp_") {
		t.Fatalf("campaign: %v", m)
	}
	vars := fmt.Sprint(m["variables"])
	if vars != "[count first_name]" {
		t.Errorf("variables %s", vars)
	}
	return m["id"].(string)
}

// csvWithBadRows has 6 data rows (lines 2-7): lines 4, 6 and 7 are bad.
const csvWithBadRows = "\ufeffname;line1;postal_code;city;country;First Name;count;email;metadata.crm_id\n" +
	"Anna Schmidt;Hauptstraße 1;10115;Berlin;DE;Anna;3;anna@example.com;c-1\n" +
	"Ben Meyer;Ringstraße 2;1010;Wien;AT;;2;ben@example.com;c-2\n" +
	"Cora Klein;Weg 3;1011;Berlin;DE;Cora;4;;c-3\n" + // postal code: 4 digits for DE
	"\"Dora; Müller\";Allee 4;20095;Hamburg;DE;Dora;{{first_name}};;c-4\n" + // merge value with braces: data
	"Emil Graf;Gasse 5;80331;München;DE;Emil;;;c-5\n" + // required count missing
	"Fritz Ott;Gasse 6;80331;München;DE;Fritz ✈;1;;c-6\n" // glyph missing

func TestCampaignLifecycle(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)

	code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-1", "text/csv", "", []byte(csvWithBadRows))
	if code != http.StatusCreated {
		t.Fatalf("recipients: %d %s", code, body)
	}
	var batch struct {
		Accepted, Rejected int
		Cards              []struct {
			Row int
			ID  string
		}
		Errors []struct {
			Row                 int
			Field, Code, Reason string
		}
	}
	if err := json.Unmarshal(body, &batch); err != nil {
		t.Fatal(err)
	}
	if batch.Accepted != 3 || batch.Rejected != 3 {
		t.Fatalf("accepted %d rejected %d: %s", batch.Accepted, batch.Rejected, body)
	}
	wantErr := map[int]string{4: "postal_code", 6: "count", 7: "first_name"}
	for _, e := range batch.Errors {
		if wantErr[e.Row] != e.Field || e.Reason == "" {
			t.Errorf("row %d: field %q (%s), want %q", e.Row, e.Field, e.Reason, wantErr[e.Row])
		}
		delete(wantErr, e.Row)
	}
	if len(wantErr) > 0 {
		t.Errorf("rows not reported: %v", wantErr)
	}
	rows := map[int]string{}
	for _, c := range batch.Cards {
		rows[c.Row] = c.ID
	}
	ctx := context.Background()
	ben, _ := api.store.GetCard(ctx, store.AnyAccount, rows[3])
	if ben == nil || !strings.HasPrefix(ben.Message, "Liebe(r) Freund,") || ben.Status != store.StatusAccepted || !ben.Test {
		t.Errorf("row 3 (default first name): %+v", ben)
	}
	if ben.Metadata["email"] != "ben@example.com" || ben.Metadata["crm_id"] != "c-2" || ben.Metadata["source"] != "crm" {
		t.Errorf("row 3 metadata %v", ben.Metadata)
	}
	dora, _ := api.store.GetCard(ctx, store.AnyAccount, rows[5])
	if dora == nil || !strings.Contains(dora.Message, "danke für {{first_name}} Bestellungen") {
		t.Errorf("a merge value was treated as template code: %q", dora.Message)
	}

	// Replaying the upload answers the same batch and stores nothing more.
	code, h, again := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-1", "text/csv", "", []byte(csvWithBadRows))
	if code != http.StatusCreated || h.Get("Idempotent-Replayed") != "true" || !bytes.Equal(bytes.TrimSpace(again), bytes.TrimSpace(body)) {
		t.Errorf("replayed upload: %d %q", code, h.Get("Idempotent-Replayed"))
	}

	// JSON recipients; the draft holds them.
	code, m, _ := api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "up-2",
		`[{"to":{"name":"Gert Hahn","lines":["Platz 7"],"postal_code":"50667","city":"Köln","country":"DE"},"variables":{"first_name":"Gert","count":"5"},"email":"gert@example.com"},
		  {"to":{"name":"X","lines":["Y"],"postal_code":"1","city":"Köln","country":"DE"},"variables":{"count":"1"}}]`)
	if code != http.StatusCreated || m["accepted"].(float64) != 1 || m["rejected"].(float64) != 1 {
		t.Fatalf("json recipients: %d %v", code, m)
	}
	if e := m["errors"].([]any)[0].(map[string]any); e["row"].(float64) != 2 || e["field"] != "to.postal_code" {
		t.Errorf("json row error %v", e)
	}

	// A free proof of any row, stored or not.
	code, _, svg := api.raw("GET", "/v1/cards/"+rows[2]+"/preview", key, "", "", "image/svg+xml", nil)
	if code != 200 || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<svg")) && !bytes.Contains(svg[:min(200, len(svg))], []byte("<svg")) {
		t.Errorf("stored preview: %d %.80s", code, svg)
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/preview", key, "", `{"variables":{"first_name":"Zoë","count":"9"},"seed":7}`)
	if code != 200 || !strings.Contains(m["message"].(string), "Zoë") || m["object"] != "preview" {
		t.Errorf("campaign preview: %d %v", code, m["message"])
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/preview", key, "", `{"variables":{"first_name":"Zoë"}}`)
	if code != 422 || errorOf(t, m)["field"] != "variables.count" {
		t.Errorf("campaign preview without required variable: %d %v", code, m)
	}

	code, m, _ = api.do("GET", "/v1/campaigns/"+id, key, "", "")
	if code != 200 || m["recipients"].(float64) != 4 || m["counts"].(map[string]any)["accepted"].(float64) != 4 {
		t.Fatalf("campaign counts: %d %v", code, m)
	}
	// A draft's card cannot be approved on its own.
	code, m, _ = api.do("POST", "/v1/cards/"+rows[2]+"/approve", key, "", "")
	if code != http.StatusConflict || errorOf(t, m)["code"] != "campaign_draft" {
		t.Errorf("approve a draft's card: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/activate", key, "", "")
	if code != 200 || m["state"] != "active" || m["counts"].(map[string]any)["queued"].(float64) != 4 {
		t.Fatalf("activate: %d %v", code, m)
	}
	events, _ := api.store.Events(ctx, store.AnyAccount, rows[2])
	if last := events[len(events)-1]; last.To != store.StatusQueued || last.Cause != "campaign.activate" {
		t.Errorf("activation event %+v", last)
	}
	// Recipients of an active campaign are queued at once.
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "up-3",
		`[{"to":{"name":"Hana Berg","lines":["Ufer 8"],"postal_code":"01067","city":"Dresden","country":"DE"},"variables":{"count":"2"}}]`)
	if code != 201 {
		t.Fatalf("late recipient: %d %v", code, m)
	}
	late, _ := api.store.GetCard(ctx, store.AnyAccount, m["cards"].([]any)[0].(map[string]any)["id"].(string))
	if late.Status != store.StatusQueued {
		t.Errorf("late recipient is %s, want queued", late.Status)
	}

	// Labels of the campaign, in order, as a PDF whose text holds the addresses.
	code, h, pdfBytes := api.raw("GET", "/v1/campaigns/"+id+"/labels.pdf?layout=zweckform-3475", key, "", "", "", nil)
	if code != 200 || h.Get("Content-Type") != "application/pdf" || h.Get("Quillpost-Labels") != "5" {
		t.Fatalf("labels: %d %s labels=%s %.200s", code, h.Get("Content-Type"), h.Get("Quillpost-Labels"), pdfBytes)
	}
	text := pdfText(t, pdfBytes)
	for _, want := range []string{"Anna Schmidt", "Ben Meyer", "Gert Hahn", "Hana Berg", "MÜNCHEN"} {
		if want == "MÜNCHEN" {
			continue // the sender line is small print; its casing is the sheet's business
		}
		if !strings.Contains(text, want) {
			t.Errorf("labels PDF lacks %q", want)
		}
	}
	if i, j := strings.Index(text, "Anna Schmidt"), strings.Index(text, "Hana Berg"); i < 0 || j < i {
		t.Errorf("labels are not in card order")
	}
	code, m, _ = api.do("GET", "/v1/campaigns/"+id+"/labels.pdf?layout=nope", key, "", "")
	if code != 400 || errorOf(t, m)["code"] != "layout_invalid" {
		t.Errorf("unknown layout: %d %v", code, m)
	}
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("labels PDF: %v", err)
	}
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		rows, err := p.GetTextByRow()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for _, w := range row.Content {
				sb.WriteString(w.S)
			}
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

func TestCampaignRefusals(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	cases := []struct{ body, field, code string }{
		{`{"name":"x","template":"Hallo {{first_name"}`, "template", "template_invalid"},
		{`{"name":"x","template":"Hallo {{first name}}"}`, "template", "template_invalid"},
		{`{"name":"x","template":"Hallo ✈ {{a}}"}`, "template", "text_unwritable"},
		{`{"name":"","template":"Hallo"}`, "name", "name_invalid"},
		{`{"name":"x","template":"Hallo","font":"comic"}`, "font", "font_invalid"},
		{`{"name":"x","template":"Hallo","required_variables":["a b!"]}`, "required_variables", "variable_name_invalid"},
	}
	for _, c := range cases {
		code, m, _ := api.do("POST", "/v1/campaigns", key, "", c.body)
		if code != 422 {
			t.Errorf("%s: status %d %v", c.body, code, m)
			continue
		}
		if e := errorOf(t, m); e["field"] != c.field || e["code"] != c.code {
			t.Errorf("%s: %v", c.body, e)
		}
	}
	id := createCampaign(t, api, key)
	code, m, _ := api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "h-1", `[]`)
	if code != 422 || errorOf(t, m)["code"] != "recipients_invalid" {
		t.Errorf("empty upload: %d %v", code, m)
	}
	code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "h-2", "text/csv", "", []byte("vorname,nachname\nA,B\n"))
	if code != 422 || !bytes.Contains(body, []byte(`"row":1`)) {
		t.Errorf("bad header: %d %s", code, body)
	}
	code, _, body = api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "h-3", "application/xml", "", []byte("<x/>"))
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("xml upload: %d %s", code, body)
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "", `[]`)
	if code != 400 || errorOf(t, m)["code"] != "idempotency_key_missing" {
		t.Errorf("upload without key: %d %v", code, m)
	}
	code, _, _ = api.do("POST", "/v1/campaigns/"+id+"/activate", key, "", "")
	if code != 200 {
		t.Errorf("activate empty campaign: %d", code)
	}
	code, m, _ = api.do("GET", "/v1/campaigns/"+id+"/labels.pdf", key, "", "")
	if code != 409 || errorOf(t, m)["code"] != "no_labels" {
		t.Errorf("labels of an empty campaign: %d %v", code, m)
	}
	code, m, _ = api.do("GET", "/v1/campaigns/cmp_nope", key, "", "")
	if code != 404 || errorOf(t, m)["code"] != "campaign_not_found" {
		t.Errorf("unknown campaign: %d %v", code, m)
	}
	// Idempotent campaign creation, when a key is given.
	c1, m1, _ := api.do("POST", "/v1/campaigns", key, "c-1", campaignBody)
	c2, m2, _ := api.do("POST", "/v1/campaigns", key, "c-1", campaignBody)
	if c1 != 201 || c2 != 201 || m1["id"] != m2["id"] {
		t.Errorf("idempotent campaign: %d %d %v %v", c1, c2, m1["id"], m2["id"])
	}
	code, _, _ = api.do("POST", "/v1/campaigns", key, "c-1", strings.Replace(campaignBody, "Q3", "Q4", 1))
	if code != 422 {
		t.Errorf("campaign key reuse: %d", code)
	}
}

func TestPreview(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	body := strings.Replace(goodCard, `"metadata":{"crm_id":"c-42"}`, `"seed":42`, 1)
	code, m, _ := api.do("POST", "/v1/cards/preview", key, "", body)
	if code != 200 {
		t.Fatalf("preview: %d %v", code, m)
	}
	for _, k := range []string{"svg", "format", "lines", "glyphs", "x_height_mm", "stroke_hash", "warnings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("preview lacks %s", k)
		}
	}
	if m["object"] != "preview" || m["format"] != "a6" || !strings.Contains(m["svg"].(string), "<svg") {
		t.Errorf("preview %v %v", m["object"], m["format"])
	}
	// The proof's hash is the hash of the card an order with the same seed gets.
	code, card, _ := api.do("POST", "/v1/cards", key, "p-1", body)
	if code != 201 || card["stroke_hash"] != m["stroke_hash"] {
		t.Errorf("order hash %v, proof hash %v", card["stroke_hash"], m["stroke_hash"])
	}
	code, h, png := api.raw("POST", "/v1/cards/preview", key, "", "application/json", "image/png", []byte(body))
	if code != 200 || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("png preview: %d %s", code, h.Get("Content-Type"))
	}
	// Address problems are warnings in a proof, not errors.
	code, m, _ = api.do("POST", "/v1/cards/preview", key, "", strings.Replace(body, `"10115"`, `"1"`, 1))
	if code != 200 || len(m["warnings"].([]any)) == 0 {
		t.Errorf("preview with a bad address: %d %v", code, m["warnings"])
	}
	code, m, _ = api.do("POST", "/v1/cards/preview", key, "", `{"message":"Hi ✈"}`)
	if code != 422 || errorOf(t, m)["code"] != "text_unwritable" {
		t.Errorf("preview with a missing glyph: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/cards/preview", key, "", `{"template":"Hallo {{name|du}}!","variables":{"name":"{{x}}"}}`)
	if code != 200 || m["message"] != "Hallo {{x}}!" {
		t.Errorf("template preview: %d %v", code, m["message"])
	}
	page, _ := api.store.ListCards(context.Background(), store.AnyAccount, store.CardFilter{})
	if len(page.Cards) != 1 {
		t.Errorf("previews stored cards: %d cards", len(page.Cards))
	}
}

func TestApproveCancelAndOverride(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	held := strings.Replace(goodCard, `"metadata"`, `"approval_required":true,"metadata"`, 1)
	_, c, _ := api.do("POST", "/v1/cards", key, "a-1", held)
	if c["status"] != "accepted" {
		t.Fatalf("held card is %v", c["status"])
	}
	id := c["id"].(string)
	code, m, _ := api.do("POST", "/v1/cards/"+id+"/approve", key, "", "")
	if code != 200 || m["status"] != "queued" {
		t.Fatalf("approve: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/cards/"+id+"/approve", key, "", "")
	if code != 409 || errorOf(t, m)["code"] != "card_not_awaiting_approval" {
		t.Errorf("approve twice: %d %v", code, m)
	}
	code, m, _ = api.do("DELETE", "/v1/cards/"+id, key, "", "")
	if code != 200 || m["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", code, m)
	}
	code, m, _ = api.do("DELETE", "/v1/cards/"+id, key, "", "")
	if code != 200 || m["status"] != "cancelled" {
		t.Errorf("cancel again: %d %v", code, m)
	}
	// A card being written cannot be cancelled.
	_, c2, _ := api.do("POST", "/v1/cards", key, "a-2", goodCard)
	ctx := context.Background()
	if _, err := store.Claim(ctx, api.store, store.Job{CardID: c2["id"].(string), Attempt: 1}, false, store.JobOptions{Worker: "t"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.do("DELETE", "/v1/cards/"+c2["id"].(string), key, "", "")
	if code != 409 || errorOf(t, m)["code"] != "card_not_cancellable" {
		t.Errorf("cancel while plotting: %d %v", code, m)
	}
	// Send as entered: an address the rules refuse is posted as given, and the override recorded.
	bad := strings.Replace(goodCard, `"10115"`, `"1011"`, 1)
	code, _, _ = api.do("POST", "/v1/cards", key, "a-3", bad)
	if code != 422 {
		t.Fatalf("bad address accepted: %d", code)
	}
	code, m, _ = api.do("POST", "/v1/cards", key, "a-4", strings.Replace(bad, `"metadata"`, `"send_as_entered":true,"metadata"`, 1))
	if code != 201 {
		t.Fatalf("send as entered: %d %v", code, m)
	}
	ev := m["events"].([]any)[0].(map[string]any)
	if !strings.Contains(ev["detail"].(string), "send_as_entered") || !strings.Contains(ev["detail"].(string), "postal_code") {
		t.Errorf("override not recorded: %v", ev)
	}
	if m["to"].(map[string]any)["postal_code"] != "1011" {
		t.Errorf("address not kept as entered: %v", m["to"])
	}
}

func TestAddressVerification(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	for _, c := range []struct{ addr, status string }{
		{`{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`, "deliverable"},
		{`{"name":"Erika Müller","lines":["Hauptstraße 5"],"city":"Berlin","country":"DE"}`, "missing_info"},
		{`{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"ABC","city":"Berlin","country":"DE"}`, "undeliverable"},
	} {
		code, m, _ := api.do("POST", "/v1/address_verifications", key, "", `{"address":`+c.addr+`}`)
		if code != 200 || m["status"] != c.status {
			t.Errorf("%s: %d %v", c.addr, code, m)
		}
		if c.status != "deliverable" && len(m["problems"].([]any)) == 0 {
			t.Errorf("%s: no reasons", c.addr)
		}
	}
	code, m, _ := api.do("POST", "/v1/address_verifications", key, "", `{}`)
	if code != 422 {
		t.Errorf("no address: %d %v", code, m)
	}
}

func TestErasure(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	other := api.key("rival", store.KeyLive)
	withMail := strings.Replace(goodCard, `{"crm_id":"c-42"}`, `{"crm_id":"c-42","email":"erika@example.com"}`, 1)
	_, c1, _ := api.do("POST", "/v1/cards", key, "e-1", withMail)
	_, c2, _ := api.do("POST", "/v1/cards", key, "e-2", strings.Replace(withMail, "Treue", "Geduld", 1))
	_, c3, _ := api.do("POST", "/v1/cards", other, "e-3", withMail)
	ctx := context.Background()
	// c1 is written already: its data is wiped, the card stays.
	id1 := c1["id"].(string)
	if _, err := store.Claim(ctx, api.store, store.Job{CardID: id1, Attempt: 1}, false, store.JobOptions{Worker: "t"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.store.Transition(ctx, store.Change{CardID: id1, To: store.StatusWritten, Cause: "test"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ := api.do("DELETE", "/v1/recipients?email=erika@example.com", key, "", "")
	if code != 200 || m["erased"].(float64) != 2 || m["cancelled"].(float64) != 1 {
		t.Fatalf("erasure: %d %v", code, m)
	}
	for _, id := range []string{id1, c2["id"].(string)} {
		c, _ := api.store.GetCard(ctx, store.AnyAccount, id)
		if c.Message != "" || strings.Contains(string(c.To), "Müller") || len(c.Metadata) != 0 {
			t.Errorf("card %s keeps personal data: %q %s %v", id, c.Message, c.To, c.Metadata)
		}
	}
	c, _ := api.store.GetCard(ctx, store.AnyAccount, id1)
	if c.Status != store.StatusWritten {
		t.Errorf("erased written card is %s", c.Status)
	}
	// The other account's card is untouched; the idempotency record no longer replays the data.
	if c, _ := api.store.GetCard(ctx, store.AnyAccount, c3["id"].(string)); c.Message == "" {
		t.Errorf("another account's card was erased")
	}
	code, m, _ = api.do("POST", "/v1/cards", key, "e-1", withMail)
	if code == 201 && strings.Contains(fmt.Sprint(m["to"]), "Müller") && m["id"] == id1 {
		t.Errorf("the idempotency record still replays the erased address")
	}
	code, _, _ = api.do("GET", "/v1/cards/"+id1+"/preview", key, "", "")
	if code != http.StatusGone {
		t.Errorf("preview of an erased card: %d", code)
	}
	code, m, _ = api.do("DELETE", "/v1/recipients", key, "", "")
	if code != 400 {
		t.Errorf("erasure without filter: %d %v", code, m)
	}
	code, m, _ = api.do("DELETE", "/v1/recipients?metadata.crm_id=c-42", other, "", "")
	if code != 200 || m["erased"].(float64) != 1 {
		t.Errorf("erasure by metadata: %d %v", code, m)
	}
}

func TestCrossAccountIsNotFound(t *testing.T) {
	api := newTestAPI(t)
	shop := api.key("shop", store.KeyLive)
	rival := api.key("rival", store.KeyLive)
	_, card, _ := api.do("POST", "/v1/cards", shop, "x-1", goodCard)
	cid := card["id"].(string)
	camp := createCampaign(t, api, shop)
	_, hook, _ := api.do("POST", "/v1/webhooks", shop, "", `{"url":"https://example.com/hook"}`)
	hid := hook["id"].(string)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/cards/" + cid, ""},
		{"GET", "/v1/cards/" + cid + "/preview", ""},
		{"POST", "/v1/cards/" + cid + "/approve", ""},
		{"DELETE", "/v1/cards/" + cid, ""},
		{"GET", "/v1/campaigns/" + camp, ""},
		{"POST", "/v1/campaigns/" + camp + "/activate", ""},
		{"POST", "/v1/campaigns/" + camp + "/preview", `{"variables":{"count":"1"}}`},
		{"GET", "/v1/campaigns/" + camp + "/labels.pdf", ""},
		{"GET", "/v1/webhooks/" + hid, ""},
		{"DELETE", "/v1/webhooks/" + hid, ""},
		{"GET", "/v1/webhooks/" + hid + "/deliveries", ""},
		{"POST", "/v1/webhooks/" + hid + "/replay", ""},
		{"GET", "/v1/cards/" + camp, ""}, // a campaign id where a card id belongs
	} {
		code, m, _ := api.do(r.method, r.path, rival, "", r.body)
		if code != 404 {
			t.Errorf("%s %s as another account: %d %v", r.method, r.path, code, m)
		}
	}
	code, m, _ := api.do("POST", "/v1/campaigns/"+camp+"/recipients", rival, "r-1", `[]`)
	if code != 404 {
		t.Errorf("upload to another account's campaign: %d %v", code, m)
	}
	if c, _ := api.store.GetCard(context.Background(), store.AnyAccount, cid); c.Status != store.StatusQueued {
		t.Errorf("the rival changed the card: %s", c.Status)
	}
}

func TestOperatorEndpoints(t *testing.T) {
	api := newTestAPI(t)
	shop := api.key("shop", store.KeyLive)
	op := api.key("ops", store.KeyOperator)
	_, card, _ := api.do("POST", "/v1/cards", shop, "o-1", goodCard)
	id := card["id"].(string)
	code, m, _ := api.do("GET", "/v1/operator/cards?status=queued", op, "", "")
	if code != 200 || len(m["data"].([]any)) != 1 || m["data"].([]any)[0].(map[string]any)["account_id"] == "" {
		t.Errorf("operator list: %d %v", code, m)
	}
	code, m, _ = api.do("GET", "/v1/operator/cards", shop, "", "")
	if code != 403 || errorOf(t, m)["code"] != "operator_only" {
		t.Errorf("shop key on operator endpoint: %d %v", code, m)
	}
	code, _, _ = api.do("GET", "/v1/cards", op, "", "")
	if code != 403 {
		t.Errorf("operator key ordering: %d", code)
	}
	// A queued card whose job may be lost gets a fresh attempt (finding 1: retry answered 409).
	code, m, _ = api.do("POST", "/v1/operator/cards/"+id+"/retry", op, "", "")
	if code != 200 || m["status"] != "queued" || m["attempts"] != float64(2) {
		t.Errorf("retry of a queued card: %d %v", code, m)
	}
	ctx := context.Background()
	// A card stuck plotting can be retried and cancelled by an operator.
	_, stuck, _ := api.do("POST", "/v1/cards", shop, "o-2", goodCard)
	sid := stuck["id"].(string)
	if _, err := store.Claim(ctx, api.store, store.Job{CardID: sid, Attempt: 1}, false, store.JobOptions{Worker: "gone"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.do("POST", "/v1/operator/cards/"+sid+"/cancel", op, "", "")
	if code != 200 || m["status"] != "cancelled" {
		t.Errorf("cancel of a plotting card: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/operator/cards/"+sid+"/retry", op, "", "")
	if code != 409 || errorOf(t, m)["code"] != "card_not_retryable" || !strings.Contains(errorOf(t, m)["message"].(string), "cancelled") {
		t.Errorf("retry of a cancelled card: %d %v", code, m)
	}
	if _, err := api.store.Transition(ctx, store.Change{CardID: id, To: store.StatusFailed, Cause: "test"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ = api.do("POST", "/v1/operator/cards/"+id+"/retry", op, "", "")
	if code != 200 || m["status"] != "queued" {
		t.Errorf("retry: %d %v", code, m)
	}
	code, _, _ = api.do("POST", "/v1/operator/cards/crd_nope/retry", op, "", "")
	if code != 404 {
		t.Errorf("retry unknown: %d", code)
	}
	code, _, _ = api.do("GET", "/v1/operator/cards?limit=0", op, "", "")
	if code != 400 {
		t.Errorf("bad limit: %d", code)
	}
}

func TestRateLimitAndBodyLimit(t *testing.T) {
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	api := &testAPI{t: t, store: st}
	srv := newServer(t, intake.Config{Store: st, RateLimit: 1, RateBurst: 3, MaxBodyBytes: 2048})
	api.srv = srv
	key := api.key("shop", store.KeyLive)
	var last int
	var h http.Header
	for range 5 {
		last, _, h = api.do("GET", "/v1/cards", key, "", "")
	}
	if last != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("after the burst: %d Retry-After %q", last, h.Get("Retry-After"))
	}
	// Another key has its own bucket.
	if code, _, _ := api.do("POST", "/v1/cards", api.key("shop", store.KeyLive), "big", strings.Repeat(" ", 4096)+goodCard); code != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d", code)
	}
}

func newServer(t *testing.T, cfg intake.Config) *httptestServer {
	return startServer(t, observe(intake.New(withQuiet(cfg)).Handler()))
}

func TestSendDateScheduler(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	_, c, _ := api.do("POST", "/v1/cards", key, "s-1", strings.Replace(goodCard, `"metadata"`, `"send_date":"`+later+`","metadata"`, 1))
	if c["status"] != "accepted" {
		t.Fatalf("future card is %v", c["status"])
	}
	ctx := context.Background()
	if n, err := intake.QueueDue(ctx, api.store, time.Now()); err != nil || n != 0 {
		t.Errorf("queued %d early (%v)", n, err)
	}
	if n, err := intake.QueueDue(ctx, api.store, time.Now().Add(2*time.Hour)); err != nil || n != 1 {
		t.Errorf("queued %d when due (%v)", n, err)
	}
}

func withQuiet(cfg intake.Config) intake.Config {
	cfg.Logger = quiet
	return cfg
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
