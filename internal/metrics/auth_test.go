package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/metrics"
)

// TestScrapeNeedsToken: /metrics answers only a request that carries the scrape token as a
// bearer token, the way Prometheus sends it (authorization.credentials_file); an empty token
// admits nobody.
func TestScrapeNeedsToken(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	const token = "qp_metrics_0123456789abcdef"
	for _, tc := range []struct {
		name, token, header string
		want                int
	}{
		{"no header", token, "", http.StatusUnauthorized},
		{"wrong token", token, "Bearer qp_metrics_0123456789abcdeX", http.StatusUnauthorized},
		{"a prefix of the token", token, "Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"basic auth", token, "Basic " + token, http.StatusUnauthorized},
		{"empty bearer against an empty token", "", "Bearer ", http.StatusUnauthorized},
		{"no header against an empty token", "", "", http.StatusUnauthorized},
		{"the token", token, "Bearer " + token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			m.Handler(tc.token).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("answer %d, want %d", rec.Code, tc.want)
			}
			body := rec.Body.String()
			if tc.want == http.StatusOK {
				if !strings.Contains(body, "quillpost_metrics_events_total") {
					t.Errorf("the scrape lacks quillpost's metrics:\n%.300s", body)
				}
				return
			}
			if strings.Contains(body, "quillpost_") || strings.Contains(body, "go_goroutines") {
				t.Errorf("a refused request saw metrics:\n%.300s", body)
			}
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

// FuzzScrapeAuth: whatever Authorization header arrives, only the exact bearer token is let in.
func FuzzScrapeAuth(f *testing.F) {
	const token = "qp_metrics_0123456789abcdef"
	m := metrics.New(metrics.Sources{})
	h := m.Handler(token)
	for _, s := range []string{"", "Bearer ", "Bearer " + token, "bearer " + token, "Bearer " + token + " ", "Bearer  " + token, token} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if ok := rec.Code == http.StatusOK; ok != (header == "Bearer "+token) {
			t.Fatalf("header %q answered %d", header, rec.Code)
		}
	})
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics-token")
	if _, err := metrics.TokenFile(path, false); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a named file that does not exist: err %v, want one naming the file", err)
	}
	tok, err := metrics.TokenFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "qp_metrics_") || len(tok) < 40 {
		t.Errorf("made token %q", tok)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v %v, want mode 0600", fi.Mode(), err)
	}
	again, err := metrics.TokenFile(path, true)
	if err != nil || again != tok {
		t.Errorf("second start read %q %v, want the same token", again, err)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if _, err := metrics.TokenFile(short, false); err == nil || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Errorf("a short token: err %v", err)
	}
	spaced := filepath.Join(dir, "spaced")
	os.WriteFile(spaced, []byte("one token\nand another one\n"), 0o600)
	if _, err := metrics.TokenFile(spaced, false); err == nil {
		t.Error("a token with spaces was accepted")
	}
	own := filepath.Join(dir, "own")
	os.WriteFile(own, []byte("  an-operator-chosen-secret-of-length \n"), 0o600)
	if got, err := metrics.TokenFile(own, false); err != nil || got != "an-operator-chosen-secret-of-length" {
		t.Errorf("operator's token %q %v", got, err)
	}
}
