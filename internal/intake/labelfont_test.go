package intake_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// Finding 2: an emoji in a recipient's name was accepted, and its label then broke the sheet.
func TestLabelFontRefusesUnprintableAddress(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	for name, body := range map[string]string{
		"plain":           strings.Replace(goodCard, `"Erika Müller"`, `"Erika 😀 Müller"`, 1),
		"send_as_entered": strings.Replace(strings.Replace(goodCard, `"Erika Müller"`, `"Erika 😀 Müller"`, 1), `"metadata"`, `"send_as_entered":true,"metadata"`, 1),
	} {
		code, m, _ := api.do("POST", "/v1/cards", key, "emoji-"+name, body)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422: %v", name, code, m)
		}
		e := errorOf(t, m)
		if e["field"] != "to.name" || e["code"] != "address_unprintable" {
			t.Errorf("%s: error %v, want field to.name, code address_unprintable", name, e)
		}
		if want := "to.name: the character 😀 (U+1F600) cannot be printed on the address label."; e["message"] != want {
			t.Errorf("%s: message %q, want %q", name, e["message"], want)
		}
	}
	// The sender's address is printed too (the return line of a campaign's labels).
	body := strings.Replace(goodCard, `"Marktplatz 1"`, `"Marktplatz ☃"`, 1)
	code, m, _ := api.do("POST", "/v1/cards", key, "emoji-from", body)
	if e := errorOf(t, m); code != http.StatusUnprocessableEntity || e["field"] != "from.lines[0]" || !strings.Contains(e["message"].(string), "U+2603") {
		t.Errorf("sender: %d %v", code, m)
	}
}

// A campaign refuses the one row whose name the label font cannot print and accepts the rest.
func TestCampaignRowWithUnprintableNameRefused(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)
	csv := "name;line1;postal_code;city;country;count\n" +
		"Anna Schmidt;Hauptstraße 1;10115;Berlin;DE;3\n" +
		"Ben 🎉 Meyer;Ringstraße 2;1010;Wien;AT;2\n"
	code, _, raw := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-emoji", "text/csv", "", []byte(csv))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, raw)
	}
	var out struct {
		Accepted int
		Errors   []struct {
			Row    int
			Field  string
			Code   string
			Reason string
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Accepted != 1 || len(out.Errors) != 1 {
		t.Fatalf("accepted %d, errors %+v", out.Accepted, out.Errors)
	}
	if e := out.Errors[0]; e.Row != 3 || e.Field != "to.name" || !strings.Contains(e.Reason, "U+1F389") {
		t.Errorf("row error %+v, want row 3, field to.name, naming U+1F389", e)
	}
	// JSON rows go the same way.
	code, _, raw = api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "up-emoji-json", "application/json", "",
		[]byte(`[{"to":{"name":"Cora Klein","lines":["Weg 3"],"postal_code":"10117","city":"Berlin","country":"DE"},"variables":{"count":"1"}},
		 {"to":{"name":"Dora","lines":["Allee 4 🏠"],"postal_code":"20095","city":"Hamburg","country":"DE"},"variables":{"count":"1"}}]`))
	if code != http.StatusCreated || !strings.Contains(string(raw), `"field":"to.lines[0]"`) || !strings.Contains(string(raw), "U+1F3E0") {
		t.Errorf("json upload: %d %s", code, raw)
	}
}
