package intake_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/intake"
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
		req.Header.Set("Content-Type", "application/json")
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

// FuzzEndpoints sends an arbitrary body and query string to every route of the API, with real
// ids in the path and both a test and a live key: no 5xx, no panic, whatever arrives. It covers
// the bodies and query parameters the targets above do not (webhooks, keys, previews, labels,
// erasure, address verification, lists, approval, activation, operator endpoints).
func FuzzEndpoints(f *testing.F) {
	api := newTestAPI(f)
	test := api.key("fuzz", store.KeyTest)
	live := api.key("fuzz", store.KeyLive)
	op := api.key("ops", store.KeyOperator)
	_, card, _ := api.do("POST", "/v1/cards", test, "seed-card", goodCard)
	_, cmp, _ := api.do("POST", "/v1/campaigns", test, "", campaignBody)
	_, hook, _ := api.do("POST", "/v1/webhooks", test, "", `{"url":"https://crm.example.com/hook"}`)
	ids := map[string]string{"{id}": "crd_x", "{delivery}": "dlv_x"}
	routes := intake.Routes()
	seeds := map[string][]string{
		"POST /v1/webhooks":                 {`{"url":"http://0x7f.1/","event_types":["*"]}`, `{"url":"https://[::ffff:10.0.0.1]:8443/a"}`},
		"GET /v1/cards/{id}/preview":        {"dpi=NaN", "dpi=1e309&dpi=72"},
		"DELETE /v1/recipients":             {"email=%EF%BC%A1@x.org", "metadata.=x&email="},
		"POST /v1/address_verifications":    {`{"address":{"name":"😀","country":"DE"},"sender_country":"\u0000"}`},
		"GET /v1/cards":                     {"limit=NaN&status=,&after=crd_%00&metadata.a=b"},
		"GET /v1/campaigns/{id}/labels.pdf": {"layout=../../etc&sort=postal&status=written,,x"},
		"POST /v1/cards":                    {strings.Replace(goodCard, `"metadata"`, `"send_date":"99999-01-01","metadata"`, 1)},
		"DELETE /v1/keys/{id}":              {""},
		"POST /v1/operator/postings":        {`{"card_ids":["crd_x","crd_x",""]}`, `{"sheet":"\u0000/../x"}`, `{"card_ids":[],"sheet":""}`},
	}
	for i, r := range routes {
		f.Add(uint8(i), []byte(`{}`), "", false)
		for _, s := range seeds[r] {
			if strings.HasPrefix(s, "{") {
				f.Add(uint8(i), []byte(s), "", i%2 == 0)
			} else {
				f.Add(uint8(i), []byte(nil), s, i%2 == 0)
			}
		}
	}
	// Generous, but a request that hangs fails the target instead of stalling the fuzzer.
	client := &http.Client{Timeout: 2 * time.Minute}
	n := 0
	f.Fuzz(func(t *testing.T, which uint8, body []byte, query string, useLive bool) {
		n++
		route := routes[int(which)%len(routes)]
		method, path, _ := strings.Cut(route, " ")
		switch {
		case strings.HasPrefix(path, "/v1/cards/"):
			ids["{id}"], _ = card["id"].(string)
		case strings.HasPrefix(path, "/v1/campaigns/"):
			ids["{id}"], _ = cmp["id"].(string)
		case strings.HasPrefix(path, "/v1/webhooks/"):
			ids["{id}"], _ = hook["id"].(string)
		}
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		key := test
		switch {
		case strings.HasPrefix(path, "/v1/operator/"):
			key = op
		case useLive:
			key = live
		}
		req, err := http.NewRequest(method, api.srv.URL+path+"?"+query, bytes.NewReader(body))
		if err != nil {
			return // a query no client could send
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "fz-"+strconv.Itoa(n))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			raw, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s?%s with %q: status %d: %s", route, query, body, resp.StatusCode, raw)
		}
	})
}
