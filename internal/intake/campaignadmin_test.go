package intake_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
)

// TestCampaignsACRMCanManage lists campaigns by state and page, pauses one (its scheduled cards
// wait, uploads are refused), resumes it and cancels it (every unwritten card cancelled, each
// with its event).
func TestCampaignsACRMCanManage(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("crm", store.KeyLive)
	test := api.key("crm", store.KeyTest)
	ctx := context.Background()
	var ids []string
	for range 3 {
		ids = append(ids, createCampaign(t, api, key))
	}
	testID := createCampaign(t, api, test)
	sendDate := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02")
	body := strings.Replace(campaignBody, `"metadata"`, `"send_date":"`+sendDate+`","metadata"`, 1)
	code, m, _ := api.do("POST", "/v1/campaigns", key, "", body)
	if code != http.StatusCreated {
		t.Fatalf("campaign with send date: %d %v", code, m)
	}
	scheduled := m["id"].(string)
	csv := "name;line1;postal_code;city;country;count\nAnna Schmidt;Hauptstraße 1;10115;Berlin;DE;3\nBen Meyer;Ring 2;20095;Hamburg;DE;2\n"
	if code, _, b := api.raw("POST", "/v1/campaigns/"+scheduled+"/recipients", key, "sch-1", "text/csv", "", []byte(csv)); code != http.StatusCreated {
		t.Fatalf("recipients: %d %s", code, b)
	}
	if code, m, _ := api.do("POST", "/v1/campaigns/"+scheduled+"/activate", key, "", ""); code != 200 || m["state"] != "active" {
		t.Fatalf("activate: %d %v", code, m)
	}

	// Newest first, two to a page; the test key sees only its own campaign.
	_, p1, _ := api.do("GET", "/v1/campaigns?limit=2", key, "", "")
	_, p2, _ := api.do("GET", "/v1/campaigns?limit=2&after="+fmt.Sprint(p1["next"]), key, "", "")
	_, p3, _ := api.do("GET", "/v1/campaigns?limit=2&after="+fmt.Sprint(p2["next"]), key, "", "")
	var listed []string
	for _, p := range []map[string]any{p1, p2, p3} {
		for _, c := range p["data"].([]any) {
			listed = append(listed, c.(map[string]any)["id"].(string))
		}
	}
	if want := []string{scheduled, testID, ids[2], ids[1], ids[0]}; fmt.Sprint(listed) != fmt.Sprint(want) || p3["next"] != nil {
		t.Errorf("listed %v (last next %v), want %v", listed, p3["next"], want)
	}
	if _, l, _ := api.do("GET", "/v1/campaigns?state=active", key, "", ""); len(l["data"].([]any)) != 1 {
		t.Errorf("active campaigns: %v", l["data"])
	}
	if _, l, _ := api.do("GET", "/v1/campaigns", test, "", ""); len(l["data"].([]any)) != 1 {
		t.Errorf("test key lists %d campaigns", len(l["data"].([]any)))
	}
	if code, _, _ := api.do("GET", "/v1/campaigns?state=sleeping", key, "", ""); code != http.StatusBadRequest {
		t.Errorf("unknown state filter: %d", code)
	}
	if code, _, _ := api.do("POST", "/v1/campaigns/"+ids[0]+"/pause", key, "", ""); code != http.StatusConflict {
		t.Errorf("pausing a draft: %d", code)
	}

	// Paused: the send date comes, nothing is queued; no uploads.
	if code, m, _ := api.do("POST", "/v1/campaigns/"+scheduled+"/pause", key, "", ""); code != 200 || m["state"] != "paused" {
		t.Fatalf("pause: %d %v", code, m)
	}
	if n, err := intake.QueueDue(ctx, api.store, time.Now().Add(72*time.Hour)); err != nil || n != 0 {
		t.Errorf("queued %d cards of a paused campaign (%v)", n, err)
	}
	if code, _, _ := api.raw("POST", "/v1/campaigns/"+scheduled+"/recipients", key, "sch-2", "text/csv", "", []byte(csv)); code != http.StatusConflict {
		t.Errorf("upload to a paused campaign: %d", code)
	}
	if code, m, _ := api.do("POST", "/v1/campaigns/"+scheduled+"/resume", key, "", ""); code != 200 || m["state"] != "active" {
		t.Fatalf("resume: %d %v", code, m)
	}
	// Cancel: both cards (waiting for their send date) are cancelled with their events.
	code, m, _ = api.do("POST", "/v1/campaigns/"+scheduled+"/cancel", key, "", "")
	if code != 200 || m["state"] != "cancelled" || m["cards_cancelled"] != 2.0 || fmt.Sprint(m["counts"]) != "map[cancelled:2]" {
		t.Fatalf("cancel: %d %v", code, m)
	}
	page, _ := api.store.ListCards(ctx, store.AnyAccount, store.CardFilter{CampaignID: scheduled})
	for _, c := range page.Cards {
		if h := history(t, api, c.ID); !strings.HasSuffix(h, "accepted>cancelled campaign.cancel") {
			t.Errorf("card %s: %s", c.ID, h)
		}
	}
	for _, verb := range []string{"resume", "pause", "activate"} {
		if code, _, _ := api.do("POST", "/v1/campaigns/"+scheduled+"/"+verb, key, "", ""); code != http.StatusConflict {
			t.Errorf("%s after cancel: %d", verb, code)
		}
	}
}
