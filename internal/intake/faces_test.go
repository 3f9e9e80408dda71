package intake_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/store"
)

// sheetJSON is a full sample sheet written with a built-in face's strokes, perturbed.
func sheetJSON(t *testing.T, name, from string, seed uint64) string {
	t.Helper()
	f, err := font.Lookup(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(capture.Synthesize(f, capture.Plan(), name, seed))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func cardIn(fontName, message string) string {
	m, _ := json.Marshal(message)
	return strings.Replace(strings.Replace(goodCard, `"font":"allure"`, `"font":"`+fontName+`"`, 1),
		`"Liebe Frau Müller,\nvielen Dank für Ihre Treue!\nHerzliche Grüße"`, string(m), 1)
}

// TestFacesLifecycle: a face made from uploaded strokes is the account's own: its cards and
// campaigns use it by name (with the same coverage check as built-in faces), its versions stay
// orderable, it exports as a font file the renderer reads, other accounts and test keys never
// reach it, and deleting it erases it.
func TestFacesLifecycle(t *testing.T) {
	api := newTestAPI(t)
	live, test, other := api.key("shop", store.KeyLive), api.key("shop", store.KeyTest), api.key("rival", store.KeyLive)
	sheet := sheetJSON(t, "mine", "sans", 1)

	code, m, _ := api.do("POST", "/v1/faces", live, "face-1", sheet)
	if code != http.StatusCreated || m["font"] != "mine@1" || m["version"] != 1.0 {
		t.Fatalf("create: %d %v", code, m)
	}
	cov := m["coverage"].(map[string]any)
	if cov["written"] != cov["total"] || cov["missing"] != "" || cov["ready"] != true {
		t.Errorf("coverage after a full sheet: %v", cov)
	}
	// A retry with the same key is the same face, not a second version.
	if code, again, h := api.do("POST", "/v1/faces", live, "face-1", sheet); code != http.StatusCreated || again["id"] != m["id"] || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %v", code, again["id"])
	}

	// Test keys can neither create nor read personal handwriting, nor write cards in it.
	for _, rq := range []struct{ method, path, body string }{
		{"POST", "/v1/faces", sheet}, {"GET", "/v1/faces", ""}, {"GET", "/v1/faces/mine", ""},
		{"GET", "/v1/faces/mine/font.json", ""}, {"DELETE", "/v1/faces/mine", ""},
	} {
		if code, m, _ := api.do(rq.method, rq.path, test, "t-"+rq.method, rq.body); code != http.StatusForbidden || errorOf(t, m)["code"] != "live_key_required" {
			t.Errorf("test key %s %s: %d %v", rq.method, rq.path, code, m)
		}
	}
	if code, m, _ := api.do("POST", "/v1/cards", test, "tc-1", cardIn("mine", "Hallo Anna")); code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "font" {
		t.Errorf("test card in a private face: %d %v", code, m)
	}
	// Another account does not see it at all.
	if code, _, _ := api.do("GET", "/v1/faces/mine", other, "", ""); code != http.StatusNotFound {
		t.Errorf("other account reads the face: %d", code)
	}
	if code, m, _ := api.do("POST", "/v1/cards", other, "oc-1", cardIn("mine", "Hallo Anna")); code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "font" {
		t.Errorf("other account's card in the face: %d %v", code, m)
	}
	// A built-in face's name is not free.
	if code, m, _ := api.do("POST", "/v1/faces", live, "face-allure", strings.Replace(sheet, `"name":"mine"`, `"name":"allure"`, 1)); code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "name" {
		t.Errorf("a face called allure: %d %v", code, m)
	}
	// A scribbled sheet is refused naming the field.
	if code, m, _ := api.do("POST", "/v1/faces", live, "face-bad", `{"format":"quillpost-strokes/1","name":"x","boxes":[{"text":"a","guides":{"baseline":1,"x_height":5},"strokes":[]}]}`); code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "boxes[0].guides" {
		t.Errorf("bad guides: %d %v", code, m)
	}

	// Cards of the account: by name (the newest version, kept with its number).
	msg := "Liebe Anna,\nvielen Dank für alles!\nHerzlich, Ben"
	code, card, _ := api.do("POST", "/v1/cards", live, "card-1", cardIn("mine", msg))
	if code != http.StatusCreated || card["font"] != "mine@1" {
		t.Fatalf("card in mine: %d %v", code, card)
	}
	// The proof is the captured face's: render it from the exported file.
	st, hdr, exported := api.raw("GET", "/v1/faces/mine/font.json", live, "", "", "", nil)
	if st != http.StatusOK || !strings.Contains(hdr.Get("Content-Disposition"), "mine-1.json") {
		t.Fatalf("export: %d %v", st, hdr)
	}
	face, err := font.Parse(exported)
	if err != nil {
		t.Fatalf("the exported face does not parse: %v", err)
	}
	if g, _ := face.Glyph('a'); len(g.Alternates) != 2 {
		t.Errorf("a has %d alternates, want the other two samples", len(g.Alternates))
	}
	hc, _, err := cardspec.RenderWith(cardspec.Spec{Message: msg, Font: "mine@1", Hand: "casual", Stock: "a6-white", Seed: uint64(card["seed"].(float64))},
		func(string) (*font.Face, string, error) { return face, "mine@1", nil })
	if err != nil {
		t.Fatal(err)
	}
	if hc.Hash() != card["stroke_hash"] {
		t.Errorf("card's strokes %v are not the exported face's %s", card["stroke_hash"], hc.Hash())
	}
	// Coverage as for built-in faces: a character the writer never wrote is refused, named.
	code, m, _ = api.do("POST", "/v1/cards", live, "card-2", cardIn("mine", "Danke # Anna"))
	if e := errorOf(t, m); code != http.StatusUnprocessableEntity || e["code"] != "text_unwritable" || !strings.Contains(e["message"].(string), "U+0023") {
		t.Errorf("card with #: %d %v", code, m)
	}
	// Campaigns too, pinned to the version they were made with.
	code, m, _ = api.do("POST", "/v1/campaigns", live, "cmp-1", strings.Replace(campaignBody, `"font":"allure"`, `"font":"mine"`, 1))
	if code != http.StatusCreated || m["font"] != "mine@1" {
		t.Errorf("campaign in mine: %d %v", code, m)
	}

	// A second upload is version 2; version 1 stays orderable by name@1.
	code, m, _ = api.do("POST", "/v1/faces", live, "face-2", sheetJSON(t, "mine", "sans", 2))
	if code != http.StatusCreated || m["font"] != "mine@2" {
		t.Fatalf("second version: %d %v", code, m)
	}
	if code, c, _ := api.do("POST", "/v1/cards", live, "card-3", cardIn("mine", "Hallo")); code != http.StatusCreated || c["font"] != "mine@2" {
		t.Errorf("card after v2: %d %v", code, c["font"])
	}
	if code, c, _ := api.do("POST", "/v1/cards", live, "card-4", cardIn("mine@1", "Hallo")); code != http.StatusCreated || c["font"] != "mine@1" {
		t.Errorf("card in mine@1: %d %v", code, c["font"])
	}
	code, m, _ = api.do("GET", "/v1/faces", live, "", "")
	if list := m["data"].([]any); code != http.StatusOK || len(list) != 1 || list[0].(map[string]any)["version"] != 2.0 {
		t.Errorf("list: %d %v", code, m)
	}
	code, m, _ = api.do("GET", "/v1/faces/mine?version=1", live, "", "")
	if code != http.StatusOK || m["version"] != 1.0 || m["coverage"] == nil {
		t.Errorf("get v1: %d %v", code, m)
	}
	st, hdr, svg := api.raw("GET", "/v1/faces/mine/font.svg", live, "", "", "", nil)
	if st != http.StatusOK || hdr.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("svg: %d %v", st, hdr)
	}
	var doc struct {
		Glyphs []struct {
			Unicode string `xml:"unicode,attr"`
			Name    string `xml:"glyph-name,attr"`
			D       string `xml:"d,attr"`
		} `xml:"defs>font>glyph"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("svg font: %v", err)
	}
	alts, as := 0, 0
	for _, g := range doc.Glyphs {
		if g.Unicode == "" {
			alts++
		}
		if g.Unicode == "a" && strings.HasPrefix(g.D, "M ") {
			as++
		}
	}
	if len(doc.Glyphs) < 200 || alts < 120 || as != 1 {
		t.Errorf("svg font: %d glyphs, %d alternates, %d a", len(doc.Glyphs), alts, as)
	}

	// Erasure: every version goes, and nothing is written in it any more.
	if code, m, _ := api.do("DELETE", "/v1/faces/mine", live, "", ""); code != http.StatusOK || m["deleted"] != true {
		t.Fatalf("delete: %d %v", code, m)
	}
	for _, path := range []string{"/v1/faces/mine", "/v1/faces/mine?version=1", "/v1/faces/mine/font.json"} {
		if code, _, _ := api.do("GET", path, live, "", ""); code != http.StatusNotFound {
			t.Errorf("GET %s after delete: %d", path, code)
		}
	}
	if code, m, _ := api.do("POST", "/v1/cards", live, "card-5", cardIn("mine@1", "Hallo")); code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "font" {
		t.Errorf("card after erasure: %d %v", code, m)
	}
	fs := api.store.(store.FaceStore)
	if list, err := fs.ListFaces(t.Context(), mustAccount(t, api, "shop")); err != nil || len(list) != 0 {
		t.Errorf("faces left after erasure: %v %v", list, err)
	}
}

func mustAccount(t *testing.T, api *testAPI, name string) string {
	t.Helper()
	a, err := api.store.AccountByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// TestFacePreview: a half-written sheet gets its coverage and no card; a sheet with every
// lower-case letter gets a sample card; test keys get nothing; nothing is stored.
func TestFacePreview(t *testing.T) {
	api := newTestAPI(t)
	live, test := api.key("shop", store.KeyLive), api.key("shop", store.KeyTest)
	sans, err := font.Lookup("sans")
	if err != nil {
		t.Fatal(err)
	}
	var half []capture.PlanBox
	for _, pb := range capture.Plan() {
		if pb.Kind == capture.KindChar && pb.Text < "n" && pb.Text >= "a" {
			half = append(half, pb)
		}
	}
	body, _ := json.Marshal(capture.Synthesize(sans, half, "draft", 1))
	code, m, _ := api.do("POST", "/v1/faces/preview", live, "", string(body))
	if cov, _ := m["coverage"].(map[string]any); code != http.StatusOK || cov["ready"] != false || m["svg"] != nil || !strings.HasPrefix(cov["missing"].(string), "nop") {
		t.Errorf("half a sheet: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/faces/preview", live, "", sheetJSON(t, "draft", "sans", 1))
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(m["svg"]), "<svg") || m["message"] != "Liebe Anna,\nvielen Dank für deine Karte!\nHerzlich, Ben" {
		t.Errorf("full sheet: %d %v", code, m["message"])
	}
	if code, m, _ := api.do("POST", "/v1/faces/preview", test, "", string(body)); code != http.StatusForbidden {
		t.Errorf("test key: %d %v", code, m)
	}
	if list, err := api.store.(store.FaceStore).ListFaces(t.Context(), mustAccount(t, api, "shop")); err != nil || len(list) != 0 {
		t.Errorf("a preview stored a face: %v %v", list, err)
	}
}

// TestFacePreviewRejectionCode: a refused sample comes with its stable code and values next to
// the English reason, so that the capture page can say it in its reader's language.
func TestFacePreviewRejectionCode(t *testing.T) {
	api := newTestAPI(t)
	live := api.key("shop", store.KeyLive)
	sans, err := font.Lookup("sans")
	if err != nil {
		t.Fatal(err)
	}
	sheet := capture.Synthesize(sans, capture.Plan()[:3], "draft", 1)
	many := capture.Box{Kind: capture.KindChar, Text: "a", Guides: sheet.Boxes[0].Guides}
	for i := range 12 {
		x := float64(10 + 3*i)
		many.Strokes = append(many.Strokes, capture.Stroke{Points: []capture.Point{{X: x, Y: 60}, {X: x + 1, Y: 75, T: 5}, {X: x + 2, Y: 90, T: 10}}})
	}
	sheet.Boxes = append(sheet.Boxes, many)
	body, _ := json.Marshal(sheet)
	code, m, _ := api.do("POST", "/v1/faces/preview", live, "", string(body))
	rej, _ := m["rejected"].([]any)
	if code != http.StatusOK || len(rej) != 1 {
		t.Fatalf("preview: %d %v", code, m)
	}
	r := rej[0].(map[string]any)
	args, _ := r["args"].(map[string]any)
	if r["code"] != capture.RejectStrokes || args["strokes"] != 12.0 || !strings.Contains(fmt.Sprint(r["reason"]), "12 strokes") || r["box"] != 3.0 {
		t.Errorf("rejection %v", r)
	}
}
