package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// TestMetricsNeedToken: every port authenticates, /metrics included. By default serve makes a
// scrape token in its data directory (owner only) and /metrics answers only that token as a
// bearer token: not an anonymous request, not an API key, not an operator key.
func TestMetricsNeedToken(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	sys, err := app.Start(ctx, app.Config{DataDir: data, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	srv := httptest.NewServer(sys.Handler())
	defer srv.Close()
	path := filepath.Join(data, app.MetricsTokenFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no token file in the data directory: %v", err)
	}
	if strings.TrimSpace(string(b)) != sys.MetricsToken() || sys.MetricsToken() == "" {
		t.Errorf("token file holds %q, serve asks for %q", b, sys.MetricsToken())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	var keys []string
	for _, kind := range []store.KeyKind{store.KeyLive, store.KeyOperator} {
		acc, err := sys.Store.CreateAccount(ctx, "acc-"+string(kind))
		if err != nil {
			t.Fatal(err)
		}
		k, _, err := sys.Store.CreateKey(ctx, acc.ID, kind)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	scrape := func(bearer string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for name, bearer := range map[string]string{"anonymous": "", "a live API key": keys[0], "an operator key": keys[1]} {
		if code, body := scrape(bearer); code != http.StatusUnauthorized || strings.Contains(body, "quillpost_") {
			t.Errorf("%s: %d %.200s, want 401 and no metrics", name, code, body)
		}
	}
	if code, body := scrape(sys.MetricsToken()); code != http.StatusOK || !strings.Contains(body, "quillpost_orders_rejected_total") && !strings.Contains(body, "quillpost_metrics_events_total") {
		t.Errorf("with the scrape token: %d %.300s", code, body)
	}
}

// TestMetricsTokenFileNamed: an operator names the token file (shared with Prometheus's
// credentials_file); serve uses its token, and refuses to start when the file is not there.
func TestMetricsTokenFileNamed(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	missing := filepath.Join(t.TempDir(), "prometheus-token")
	if _, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), MetricsTokenFile: missing, Logger: log}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("a named token file that does not exist: err %v, want one naming it", err)
	}
	if err := os.WriteFile(missing, []byte("shared-with-prometheus-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sys, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), MetricsTokenFile: missing, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	if sys.MetricsToken() != "shared-with-prometheus-0123456789" {
		t.Errorf("token %q, want the named file's", sys.MetricsToken())
	}
}
