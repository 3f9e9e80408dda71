package intake_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
)

// BenchmarkCreateCardHTTP measures cards accepted per second over real HTTP into SQLite, with
// as many concurrent clients as cores (each request renders the card's proof, ~1 ms).
func BenchmarkCreateCardHTTP(b *testing.B) {
	api := newTestAPI(b)
	key := api.key("bench", store.KeyLive)
	body := `{"message":"Liebe Frau Müller,\nvielen Dank für Ihre Treue!","font":"allure","hand":"casual","stock":"a6-white",
	 "to":{"name":"Erika Müller","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}}`
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", api.srv.URL+"/v1/cards", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Idempotency-Key", "b-"+strconv.FormatInt(n.Add(1), 10))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "cards/s")
}

// BenchmarkRecipientsCSV10k measures accepting a 10,000-recipient CSV into a campaign.
func BenchmarkRecipientsCSV10k(b *testing.B) {
	api := newTestAPI(b)
	key := api.key("bench", store.KeyLive)
	var csv strings.Builder
	csv.WriteString("name;line1;postal_code;city;country;first_name;count\n")
	for i := range 10_000 {
		fmt.Fprintf(&csv, "Kundin %d;Hauptstraße %d;10115;Berlin;DE;Anna %d;%d\n", i, i+1, i, i%7+1)
	}
	data := []byte(csv.String())
	i := 0
	for b.Loop() {
		i++
		code, m, _ := api.do("POST", "/v1/campaigns", key, "", campaignBody)
		if code != 201 {
			b.Fatalf("campaign %d", code)
		}
		code, _, out := api.raw("POST", "/v1/campaigns/"+m["id"].(string)+"/recipients", key, "csv-"+strconv.Itoa(i), "text/csv", "", data)
		if code != 201 || !strings.Contains(string(out[:200]), `"accepted":10000`) {
			b.Fatalf("upload: %d %.200s", code, out)
		}
	}
}
