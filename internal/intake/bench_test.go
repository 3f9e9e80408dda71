package intake_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/postgres"
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

// newTestAPIOn is newTestAPI on the named backend: "sqlite", or "postgres" in a fresh schema of
// the machine's PostgreSQL (skipped without one).
func newTestAPIOn(t testing.TB, backend string) *testAPI {
	t.Helper()
	if backend == "sqlite" {
		return newTestAPI(t)
	}
	dsn := os.Getenv("QUILLPOST_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err != nil {
			t.Skip("no PostgreSQL at 127.0.0.1:5432")
		} else {
			c.Close()
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := "qi_" + strings.ToLower(store.NewID("s")[2:])
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Skipf("PostgreSQL does not answer: %v", err)
	}
	t.Cleanup(func() { db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	st, err := postgres.Open(context.Background(), dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(intake.New(intake.Config{Store: st, RateLimit: -1, Logger: quiet}).Handler())
	t.Cleanup(srv.Close)
	return &testAPI{t: t, srv: srv, store: st}
}

// peakHeap samples the live heap every 20 ms until stop is called, which returns the peak.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkRecipientsCSV100k measures accepting a 100,000-recipient CSV into a campaign on
// SQLite and PostgreSQL, reporting rows/s and the peak live heap of the process (client and
// server) during the upload.
func BenchmarkRecipientsCSV100k(b *testing.B) {
	const rows = 100_000
	var csv strings.Builder
	csv.WriteString("name;line1;postal_code;city;country;first_name;count\n")
	for i := range rows {
		fmt.Fprintf(&csv, "Kundin %d;Hauptstraße %d;10115;Berlin;DE;Anna %d;%d\n", i, i+1, i, i%7+1)
	}
	data := []byte(csv.String())
	csv.Reset()
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			api := newTestAPIOn(b, backend)
			key := api.key("bench", store.KeyLive)
			i := 0
			var peak uint64
			cpu0 := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				i++
				code, m, _ := api.do("POST", "/v1/campaigns", key, "", campaignBody)
				if code != 201 {
					b.Fatalf("campaign %d", code)
				}
				runtime.GC()
				stop := peakHeap()
				code, _, out := api.raw("POST", "/v1/campaigns/"+m["id"].(string)+"/recipients", key, "csv-"+strconv.Itoa(i), "text/csv", "", data)
				peak = max(peak, stop())
				if code != 201 || !strings.Contains(string(out[:200]), `"accepted":100000`) {
					b.Fatalf("upload: %d %.200s", code, out)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			// CPU time is what a loaded, shared machine cannot steal: the floor of the wall time
			// on an idle one is cpu-s/op divided by the cores.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
