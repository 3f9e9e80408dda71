package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// Finding 2: one written card whose name the label font cannot print (stored before intake
// checked it), or an erased written card, made the operator's whole labels PDF come out empty.
func TestOperatorLabelsSurviveOneBadCard(t *testing.T) {
	s := startSystem(t, app.Config{})
	ctx := context.Background()
	acc, _ := s.sys.Store.CreateAccount(ctx, "shop")
	written := func(name string) string {
		c, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Danke", Font: "allure", Hand: "casual",
			Stock: "a5-white", Format: "a5", To: []byte(`{"name":"` + name + `","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"}`)})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []store.Status{store.StatusPlotting, store.StatusWritten} {
			if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: c.ID, To: st, Attempt: 1, Cause: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	written("Anna Schmidt")
	written("Ben 😀 Meyer")
	erased := written("Cora Klein")
	if _, err := s.sys.Store.(store.CardOps).EraseCards(ctx, acc.ID, []string{erased}, "test.erasure"); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.login(s.operatorKey())
	resp, err := b.c.Get(s.srv.URL + "/operator/labels.pdf")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Quillpost-Skipped-Labels") != "1" {
		t.Fatalf("labels: %d, skipped %q: %.200s", resp.StatusCode, resp.Header.Get("Quillpost-Skipped-Labels"), raw)
	}
	r, err := pdf.NewReader(strings.NewReader(string(raw)), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	txt, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := io.ReadAll(txt)
	if !strings.Contains(string(all), "Anna Schmidt") || strings.Contains(string(all), "Cora") {
		t.Errorf("the sheet should hold Anna and not the erased Cora: %q", all)
	}
}
