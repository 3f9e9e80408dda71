package intake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
)

// campaignWithCards makes a campaign of n cards straight in the store.
func campaignWithCards(t testing.TB, api *testAPI, key string, n int) string {
	t.Helper()
	id := createCampaign(t.(*testing.T), api, key)
	c, err := api.store.GetCampaign(context.Background(), store.AnyAccount, id)
	if err != nil {
		t.Fatal(err)
	}
	var ncs []store.NewCard
	for i := range n {
		ncs = append(ncs, store.NewCard{AccountID: c.AccountID, CampaignID: id, Test: true, Message: "Danke!", Font: "allure", Hand: "neat",
			Stock: "a6-white", Format: "a6", Seed: uint64(i), StrokeHash: strings.Repeat("ab", 32), ApprovalRequired: true,
			To: []byte(`{"name":"Kundin ` + strings.Repeat("x", i%5) + `","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
		if len(ncs) == 1000 || i == n-1 {
			if _, err := api.store.CreateCards(context.Background(), ncs); err != nil {
				t.Fatal(err)
			}
			ncs = ncs[:0]
		}
	}
	return id
}

// leavingClient is a response writer whose client goes away after the first bytes of the body.
type leavingClient struct {
	*httptest.ResponseRecorder
	cancel func()
}

func (l *leavingClient) Write(b []byte) (int, error) {
	l.cancel()
	return l.ResponseRecorder.Write(b)
}

// TestCampaignLabelsStopWhenClientLeaves: the labels PDF is streamed page by page; when the
// request's context ends after the first page the handler stops drawing and aborts the response
// instead of finishing a document nobody reads. The whole document opens in pdfinfo.
func TestCampaignLabelsStopWhenClientLeaves(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyTest)
	id := campaignWithCards(t, api, key, 1200)
	h := intake.New(intake.Config{Store: api.store, RateLimit: -1, Logger: quiet}).Handler()

	code, hdr, full := api.raw("GET", "/v1/campaigns/"+id+"/labels.pdf", key, "", "", "", nil)
	if code != 200 || hdr.Get("Quillpost-Labels") != "1200" || !strings.HasSuffix(strings.TrimSpace(string(full)), "%%EOF") {
		t.Fatalf("labels: %d %v %.100s", code, hdr, full)
	}
	if p, err := exec.LookPath("pdfinfo"); err == nil {
		f := filepath.Join(t.TempDir(), "labels.pdf")
		os.WriteFile(f, full, 0o600)
		out, err := exec.Command(p, f).CombinedOutput()
		var pages int
		if i := strings.Index(string(out), "Pages:"); i >= 0 {
			fmt.Sscan(string(out[i+len("Pages:"):]), &pages)
		}
		if err != nil || pages <= 50 { // 50 label pages of 24, then the manifest
			t.Errorf("pdfinfo: %v\n%s", err, out)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", "/v1/campaigns/"+id+"/labels.pdf", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := &leavingClient{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
	aborted := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err, _ = r.(error)
			}
		}()
		h.ServeHTTP(rec, req)
		return nil
	}()
	if !errors.Is(aborted, http.ErrAbortHandler) {
		t.Errorf("the handler ended with %v, want the response aborted", aborted)
	}
	if n := rec.Body.Len(); n == 0 || n*10 > len(full) {
		t.Errorf("%d of %d bytes drawn after the client left", n, len(full))
	}
}
