package intake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// Finding 8: GET /v1/cards/{id}/preview?dpi=NaN answered 500.
func TestNumericParametersRefusedNamed(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	code, c, _ := api.do("POST", "/v1/cards", key, "p-1", goodCard)
	if code != http.StatusCreated {
		t.Fatalf("card: %d %v", code, c)
	}
	id := c["id"].(string)
	for _, dpi := range []string{"NaN", "nan", "Inf", "-Inf", "+Inf", "1e400", "0", "35.9", "601", "x", ""} {
		for _, accept := range []string{"image/png", "application/json"} {
			code, _, body := api.raw("GET", "/v1/cards/"+id+"/preview?dpi="+dpi, key, "", "", accept, nil)
			var e struct {
				Error struct{ Code, Field, Message string }
			}
			json.Unmarshal(body, &e)
			if code != http.StatusBadRequest || e.Error.Field != "dpi" || e.Error.Code != "dpi_invalid" {
				t.Errorf("dpi=%q (%s): %d %s", dpi, accept, code, body)
			}
		}
	}
	if code, _, body := api.raw("GET", "/v1/cards/"+id+"/preview?dpi=72", key, "", "", "image/png", nil); code != http.StatusOK {
		t.Errorf("dpi=72: %d %s", code, body)
	}
	for _, limit := range []string{"NaN", "0", "1001", "1e3", "-1"} {
		code, m, _ := api.do("GET", "/v1/cards?limit="+limit, key, "", "")
		if code != http.StatusBadRequest || errorOf(t, m)["field"] != "limit" {
			t.Errorf("limit=%s: %d %v", limit, code, m)
		}
	}
}

// Finding 9: any Content-Type was parsed as JSON.
func TestStrictContentType(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "text/csv"} {
		code, _, body := api.raw("POST", "/v1/cards", key, "ct-"+ct, ct, "", []byte(goodCard))
		if code != http.StatusUnsupportedMediaType || !strings.Contains(string(body), "content_type_unsupported") {
			t.Errorf("Content-Type %q: %d %s", ct, code, body)
		}
	}
	if code, _, body := api.raw("POST", "/v1/cards", key, "ct-ok", "application/json; charset=utf-8", "", []byte(goodCard)); code != http.StatusCreated {
		t.Errorf("application/json; charset=utf-8: %d %s", code, body)
	}
	// A recipients upload takes JSON or CSV, nothing else.
	id := createCampaign(t, api, key)
	csv := "name;line1;postal_code;city;country;count\nAnna Schmidt;Hauptstraße 1;10115;Berlin;DE;3\n"
	if code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-plain", "text/plain", "", []byte(csv)); code != http.StatusUnsupportedMediaType {
		t.Errorf("recipients as text/plain: %d %s", code, body)
	}
	if code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-csv", "text/csv; charset=utf-8", "", []byte(csv)); code != http.StatusCreated {
		t.Errorf("recipients as text/csv: %d %s", code, body)
	}
	// A POST without a body needs no Content-Type.
	if code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/activate", key, "", "", "", nil); code != http.StatusOK {
		t.Errorf("activate without body: %d %s", code, body)
	}
}

// Finding 9: send_date 1970 or 9999 was accepted; plain dates were not.
func TestSendDateWithinAYear(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	now := time.Now().UTC()
	with := func(sd string) string {
		return strings.Replace(goodCard, `"metadata"`, `"send_date":"`+sd+`","metadata"`, 1)
	}
	for _, sd := range []string{"1970-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "1970-01-01", "9999-12-31",
		now.AddDate(0, 0, -3).Format("2006-01-02"), now.AddDate(1, 0, 3).Format(time.RFC3339), "tomorrow", "2026-13-01"} {
		code, m, _ := api.do("POST", "/v1/cards", key, "sd-"+sd, with(sd))
		if e := errorOf(t, m); code != http.StatusUnprocessableEntity || e["field"] != "send_date" || e["code"] != "send_date_invalid" {
			t.Errorf("send_date %s: %d %v", sd, code, m)
		}
	}
	plain := now.AddDate(0, 2, 0).Format("2006-01-02")
	code, c, _ := api.do("POST", "/v1/cards", key, "sd-plain", with(plain))
	if code != http.StatusCreated || !strings.HasPrefix(c["send_date"].(string), plain+"T00:00:00") || c["status"] != "accepted" {
		t.Errorf("plain date %s: %d %v", plain, code, c)
	}
	ts := now.AddDate(0, 6, 0).Format(time.RFC3339)
	if code, c, _ := api.do("POST", "/v1/cards", key, "sd-ts", with(ts)); code != http.StatusCreated {
		t.Errorf("timestamp %s: %d %v", ts, code, c)
	}
	today := now.Format("2006-01-02")
	if code, c, _ := api.do("POST", "/v1/cards", key, "sd-today", with(today)); code != http.StatusCreated {
		t.Errorf("today %s: %d %v", today, code, c)
	}
	code, m, _ := api.do("POST", "/v1/campaigns", key, "", strings.Replace(campaignBody, `"metadata"`, `"send_date":"1970-01-01","metadata"`, 1))
	if code != http.StatusUnprocessableEntity || errorOf(t, m)["field"] != "send_date" {
		t.Errorf("campaign send_date 1970: %d %v", code, m)
	}
}

// Finding 9: control characters in campaign variables were dropped silently. Now the row is
// refused with its row number and variable named.
func TestControlCharactersInVariablesRefused(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)
	body := `[{"to":{"name":"Anna Schmidt","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"3"}},
	 {"to":{"name":"Ben Meyer","lines":["Weg 2"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"2","first_name":"Ben\u0007"}},
	 {"to":{"name":"Cora Klein","lines":["Weg 3"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"1\u202e9"}}]`
	code, _, raw := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "cc-1", "application/json", "", []byte(body))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, raw)
	}
	var out struct {
		Accepted int
		Errors   []struct {
			Row         int
			Field, Code string
			Reason      string
		}
	}
	json.Unmarshal(raw, &out)
	if out.Accepted != 1 || len(out.Errors) != 2 {
		t.Fatalf("accepted %d, errors %+v", out.Accepted, out.Errors)
	}
	want := []struct {
		row         int
		field, char string
	}{{2, "first_name", "U+0007"}, {3, "count", "U+202E"}}
	for i, w := range want {
		e := out.Errors[i]
		if e.Row != w.row || e.Field != w.field || e.Code != "variable_invalid" || !strings.Contains(e.Reason, w.char) {
			t.Errorf("error %d: %+v, want row %d field %s naming %s", i, e, w.row, w.field, w.char)
		}
	}
	// A single card's template variables the same way.
	tmpl := `{"template":"Hallo {{name}}!","variables":{"name":"Eva\nMaier"},"to":{"name":"Eva","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"}}`
	code, m, _ := api.do("POST", "/v1/cards", key, "cc-2", tmpl)
	if e := errorOf(t, m); code != http.StatusUnprocessableEntity || e["field"] != "variables.name" || e["code"] != "variable_invalid" {
		t.Errorf("card variables: %d %v", code, m)
	}
}
