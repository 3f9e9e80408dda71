package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// recipientsCSV is n rows; the rows in bad (file lines, the header is line 1) have a German
// postal code of four digits.
func recipientsCSV(n int, bad map[int]bool) []byte {
	var b strings.Builder
	b.WriteString("name;line1;postal_code;city;country;first_name;count\n")
	for i := range n {
		pc := "10115"
		if bad[i+2] {
			pc = "1011"
		}
		fmt.Fprintf(&b, "Kundin %d;Hauptstraße %d;%s;Berlin;DE;Anna;%d\n", i, i+1, pc, i%7+1)
	}
	return []byte(b.String())
}

type uploadResult struct {
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

// TestRecipientsInBatches: an upload larger than a batch reports every bad row, in file order,
// and stores each good row once, in row order.
func TestRecipientsInBatches(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)
	bad := map[int]bool{2: true, 1001: true, 1002: true, 2001: true, 2501: true}
	code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "big", "text/csv", "", recipientsCSV(2500, bad))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %.300s", code, body)
	}
	var res uploadResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2495 || res.Rejected != 5 || len(res.Cards) != 2495 {
		t.Fatalf("accepted %d rejected %d cards %d", res.Accepted, res.Rejected, len(res.Cards))
	}
	var rows []int
	for _, e := range res.Errors {
		if e.Field != "postal_code" || e.Code != "row_invalid" || e.Reason == "" {
			t.Errorf("row %d: %+v", e.Row, e)
		}
		rows = append(rows, e.Row)
	}
	if fmt.Sprint(rows) != "[2 1001 1002 2001 2501]" {
		t.Errorf("rows reported %v", rows)
	}
	seen := map[string]bool{}
	for i, c := range res.Cards {
		if i > 0 && c.Row <= res.Cards[i-1].Row || bad[c.Row] || seen[c.ID] {
			t.Fatalf("card %d: row %d id %s", i, c.Row, c.ID)
		}
		seen[c.ID] = true
	}
	code, m, _ := api.do("GET", "/v1/campaigns/"+id, key, "", "")
	if code != 200 || m["recipients"].(float64) != 2495 {
		t.Errorf("campaign: %d recipients %v", code, m["recipients"])
	}
	c, err := api.store.GetCard(context.Background(), store.AnyAccount, res.Cards[1500].ID)
	if err != nil || !strings.Contains(c.Message, "Anna") || !strings.Contains(string(c.To), fmt.Sprintf("Kundin %d", res.Cards[1500].Row-2)) {
		t.Errorf("card of row %d: %+v %v", res.Cards[1500].Row, c, err)
	}
}

// TestRecipientsJSONCheckedWhole: a JSON upload with a bad element after the first batch is
// refused whole, as before batching, and stores nothing.
func TestRecipientsJSONCheckedWhole(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)
	var b strings.Builder
	b.WriteString("[")
	for i := range 1500 {
		if i > 0 {
			b.WriteString(",")
		}
		extra := ""
		if i == 1400 {
			extra = `,"colour":"red"`
		}
		fmt.Fprintf(&b, `{"to":{"name":"Kundin %d","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"1"}%s}`, i, extra)
	}
	b.WriteString("]")
	code, m, _ := api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "j1", b.String())
	if code != 400 || errorOf(t, m)["code"] != "unknown_field" || errorOf(t, m)["field"] != "colour" {
		t.Fatalf("upload: %d %v", code, m)
	}
	if _, m, _ := api.do("GET", "/v1/campaigns/"+id, key, "", ""); m["recipients"].(float64) != 0 {
		t.Errorf("%v recipients stored from a refused upload", m["recipients"])
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "j2", `{"to":{}}`)
	if code != 400 || errorOf(t, m)["code"] != "field_type" {
		t.Errorf("an object, not an array: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/campaigns/"+id+"/recipients", key, "j3", `null`)
	if code != 422 || errorOf(t, m)["code"] != "recipients_invalid" {
		t.Errorf("null: %d %v", code, m)
	}
}

// TestRecipientsRetryAfterClientLeft: the client goes away while its upload is being stored
// (its progress visible in the campaign's counts); the retry with the same Idempotency-Key
// stores the rest, and every row is a card exactly once.
func TestRecipientsRetryAfterClientLeft(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := createCampaign(t, api, key)
	const n = 4000
	data := recipientsCSV(n, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", api.srv.URL+"/v1/campaigns/"+id+"/recipients", strings.NewReader(string(data)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", "left")
	req.Header.Set("Content-Type", "text/csv")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	seen := 0.0
	deadline := time.Now().Add(2 * time.Minute)
	for seen == 0 && time.Now().Before(deadline) {
		_, m, _ := api.do("GET", "/v1/campaigns/"+id, key, "", "")
		seen = m["recipients"].(float64)
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if seen == 0 {
		t.Fatal("no progress visible in two minutes")
	}
	// The server may still be finishing the batch it was storing: retry until the key is free.
	var res uploadResult
	for {
		code, _, body := api.raw("POST", "/v1/campaigns/"+id+"/recipients", key, "left", "text/csv", "", data)
		if code == http.StatusConflict && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if code != http.StatusCreated {
			t.Fatalf("retry: %d %.300s", code, body)
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		break
	}
	ids := map[string]bool{}
	for _, c := range res.Cards {
		ids[c.ID] = true
	}
	if res.Accepted != n || len(ids) != n {
		t.Errorf("retry accepted %d with %d distinct cards, want %d", res.Accepted, len(ids), n)
	}
	_, m, _ := api.do("GET", "/v1/campaigns/"+id, key, "", "")
	if m["recipients"].(float64) != n {
		t.Errorf("campaign has %v recipients after the retry, want %d (seen %v during the first try)", m["recipients"], n, seen)
	}
}
