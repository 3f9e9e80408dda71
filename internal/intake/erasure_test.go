package intake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// Finding 5: the email match was exact, so "Anna@Example.org" escaped an erasure asked for
// "anna@example.org". Case and Unicode form no longer matter.
func TestErasureMatchesNormalisedEmail(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("shop", store.KeyLive)
	var ids []string
	for i, email := range []string{"Anna.Schmidt@Example.ORG", "ａｎｎａ.schmidt@example.org", " anna.schmidt@example.org ", "ben@example.org"} {
		body := strings.Replace(goodCard, `"crm_id":"c-42"`, `"crm_id":"c-42","email":"`+email+`"`, 1)
		code, c, _ := api.do("POST", "/v1/cards", key, "e-"+string(rune('a'+i)), body)
		if code != http.StatusCreated {
			t.Fatalf("card %d: %d %v", i, code, c)
		}
		ids = append(ids, c["id"].(string))
	}
	code, m, _ := api.do("DELETE", "/v1/recipients?email="+url.QueryEscape("ANNA.SCHMIDT@example.org"), key, "", "")
	if code != http.StatusOK || m["matched"] != float64(3) || m["erased"] != float64(3) {
		t.Fatalf("erasure: %d %v, want 3 matched and erased", code, m)
	}
	for i, id := range ids {
		_, c, _ := api.do("GET", "/v1/cards/"+id, key, "", "")
		erased := c["message"] == ""
		if erased != (i < 3) {
			t.Errorf("card %d (%s): erased %v", i, id, erased)
		}
	}
}
