package intake_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// FuzzRecipients sends arbitrary CSV and JSON uploads: no 5xx, no panic.
func FuzzRecipients(f *testing.F) {
	f.Add([]byte(csvWithBadRows), true)
	f.Add([]byte("name,line1,postal_code,city,country\n\"x,\"\"y\"\n"), true)
	f.Add([]byte(`[{"to":{"name":"A","lines":["B"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"{{x}}"}}]`), false)
	f.Add([]byte(`[null, 1, {"to":null}]`), false)
	api := newTestAPI(f)
	key := api.key("fuzz", store.KeyTest)
	_, m, _ := api.do("POST", "/v1/campaigns", key, "", campaignBody)
	id, _ := m["id"].(string)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, csv bool) {
		n++
		ctype := "application/json"
		if csv {
			ctype = "text/csv"
		}
		req, _ := http.NewRequest("POST", api.srv.URL+"/v1/campaigns/"+id+"/recipients", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Idempotency-Key", "fz-"+strconv.Itoa(n))
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

// FuzzTemplatePreview sends arbitrary templates and variables to the preview: no 5xx, no panic.
func FuzzTemplatePreview(f *testing.F) {
	f.Add("Hallo {{name|Freund}}!", "Zoë")
	f.Add("{{", "}}")
	f.Add("{{a}}{{b|}}", "{{a}}")
	api := newTestAPI(f)
	key := api.key("fuzz", store.KeyTest)
	f.Fuzz(func(t *testing.T, tpl, value string) {
		body, _ := jsonMarshal(map[string]any{"template": tpl, "variables": map[string]string{"name": value, "a": value}})
		req, _ := http.NewRequest("POST", api.srv.URL+"/v1/cards/preview", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			raw, _ := io.ReadAll(resp.Body)
			t.Fatalf("status %d for %q / %q: %s", resp.StatusCode, tpl, value, raw)
		}
	})
}
