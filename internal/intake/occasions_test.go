package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/clock"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

const birthdayRule = `{"name":"Birthdays","occasion":"birthday","days_before":2,
 "template":"Alles Gute zum {{years}}. Geburtstag, {{first_name|du}}!\nDein Papierladen","font":"allure","hand":"neat","stock":"a6-white",
 "from":{"name":"Papierladen","lines":["Marktplatz 1"],"postal_code":"80331","city":"München","country":"DE"}}`

// germanDaysOff are the federal public holidays of 2025–2027, written out by hand from the
// official lists, so that the test does not check the calendar package against itself.
var germanDaysOff = map[string]bool{
	"2025-01-01": true, "2025-04-18": true, "2025-04-21": true, "2025-05-01": true, "2025-05-29": true, "2025-06-09": true,
	"2025-10-03": true, "2025-12-25": true, "2025-12-26": true,
	"2026-01-01": true, "2026-04-03": true, "2026-04-06": true, "2026-05-01": true, "2026-05-14": true, "2026-05-25": true,
	"2026-10-03": true, "2026-12-25": true, "2026-12-26": true,
	"2027-01-01": true, "2027-03-26": true, "2027-03-29": true, "2027-05-01": true, "2027-05-06": true, "2027-05-17": true,
	"2027-10-03": true, "2027-12-25": true, "2027-12-26": true,
}

func mustYear(t *testing.T, date string) int {
	t.Helper()
	y, err := strconv.Atoi(date[:4])
	if err != nil {
		t.Fatalf("date %q", date)
	}
	return y
}

func workingDay(t time.Time) bool {
	return t.Weekday() != time.Sunday && !germanDaysOff[t.Format("2006-01-02")]
}

// afterWorkingDays returns the n-th working day after t.
func afterWorkingDays(t time.Time, n int) time.Time {
	for ; n > 0; n-- {
		t = t.AddDate(0, 0, 1)
		for !workingDay(t) {
			t = t.AddDate(0, 0, 1)
		}
	}
	return t
}

// birthdaysCSV makes n recipients whose birthdays run through every day of a leap year (the 29th of
// February included), born in leap years.
func birthdaysCSV(n int) string {
	var b strings.Builder
	b.WriteString("name;line1;postal_code;city;country;key;First Name;birthday\n")
	for i := range n {
		d := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%366)
		born := fmt.Sprintf("%d-%s", 1960+4*(i%10), d.Format("01-02"))
		fmt.Fprintf(&b, "Kundin %d;Hauptstraße %d;10115;Berlin;DE;crm-%d;Anna%d;%s\n", i, i%200+1, i, i, born)
	}
	return b.String()
}

// TestOccasionsThroughAYear is the first "done when": 1,000 recipients with birthdays, a
// rule "arrive 2 days before", the clock moved through a year day by day: each card is queued on
// its writing day (Sundays and holidays skipped), exactly once, and a removed recipient gets none.
func TestOccasionsThroughAYear(t *testing.T) {
	const n = 1000
	api := newTestAPI(t)
	key := api.key("florist", store.KeyLive)
	code, rule, _ := api.do("POST", "/v1/occasions/rules", key, "rule-1", birthdayRule)
	if code != http.StatusCreated || rule["state"] != "active" || rule["sender_country"] != "DE" {
		t.Fatalf("create rule: %d %v", code, rule)
	}
	ruleID := rule["id"].(string)
	code, _, body := api.raw("POST", "/v1/occasions/recipients", key, "", "text/csv", "", []byte(birthdaysCSV(n)))
	var batch struct {
		Accepted   int
		Recipients []struct {
			Row     int
			ID, Key string
		}
	}
	if err := json.Unmarshal(body, &batch); code != http.StatusCreated || err != nil || batch.Accepted != n {
		t.Fatalf("import: %d %s", code, body[:min(len(body), 400)])
	}
	idOf, keyOf := map[string]string{}, map[string]string{}
	for _, r := range batch.Recipients {
		idOf[r.Key], keyOf[r.ID] = r.ID, r.Key
	}
	// crm-200 (birthday 19 July) is removed in spring: no card for them.
	removed := idOf["crm-200"]
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	sched := &intake.OccasionScheduler{Store: api.store, Clock: clk, Log: quiet}
	queuedOn := map[string]time.Time{} // card id → day the scheduler made it
	cards := map[string]*store.Card{}
	for day := start; day.Year() == 2026; day = clk.Advance(24 * time.Hour) {
		if day.Format("01-02") == "04-01" {
			if code, m, _ := api.do("DELETE", "/v1/occasions/recipients/"+removed, key, "", ""); code != http.StatusOK || m["deleted"] != true {
				t.Fatalf("delete recipient: %d %v", code, m)
			}
		}
		for run := range 2 { // a second run the same day must find nothing more to do
			res, err := sched.RunOnce(ctx)
			if err != nil {
				t.Fatalf("%s: %v", day.Format("2006-01-02"), err)
			}
			if run == 1 && res.Queued != 0 {
				t.Fatalf("%s: the second run queued %d more", day.Format("2006-01-02"), res.Queued)
			}
			if res.Queued == 0 {
				continue
			}
			page, err := api.store.ListCards(ctx, store.AnyAccount, store.CardFilter{Metadata: map[string]string{"occasion_rule": ruleID}, Limit: res.Queued})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Cards {
				if _, seen := queuedOn[c.ID]; seen {
					t.Fatalf("%s: card %s listed as new twice", day.Format("2006-01-02"), c.ID)
				}
				queuedOn[c.ID], cards[c.ID] = day, c
			}
		}
	}
	// The expected writing day of every recipient's 2026 and 2027 birthday, worked out here with
	// the hand-written holiday list: the card must arrive by two days before the birthday after
	// the slowest German transit (2 working days); it is posted on the latest working day that
	// allows it and written the working day before. A writing day before the run's first day is
	// caught up on that first day as long as the posting day has not passed.
	firstDay := start.Truncate(24 * time.Hour)
	lastDay := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	born := map[string]time.Time{}
	for i := range n {
		d := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%366)
		born[idOf[fmt.Sprintf("crm-%d", i)]] = d
	}
	want := map[string]time.Time{} // "recipient/year" → day queued
	for rid, d := range born {
		if rid == removed {
			continue
		}
		for _, y := range []int{2026, 2027} {
			occ := time.Date(y, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
			if d.Month() == time.February && d.Day() == 29 {
				occ = time.Date(y, 2, 28, 0, 0, 0, 0, time.UTC) // no 29th in 2026 or 2027
			}
			arriveBy := occ.AddDate(0, 0, -2)
			post := arriveBy
			for !workingDay(post) || afterWorkingDays(post, 2).After(arriveBy) {
				post = post.AddDate(0, 0, -1)
			}
			write := post.AddDate(0, 0, -1)
			for !workingDay(write) {
				write = write.AddDate(0, 0, -1)
			}
			switch {
			case post.Before(firstDay) || write.After(lastDay):
			case write.Before(firstDay):
				want[fmt.Sprintf("%s/%d", rid, y)] = firstDay
			default:
				want[fmt.Sprintf("%s/%d", rid, y)] = write
			}
		}
	}
	got := map[string]time.Time{}
	for id, c := range cards {
		k := c.Metadata["occasion_recipient"] + "/" + c.Metadata["occasion_date"][:4]
		if _, dup := got[k]; dup {
			t.Errorf("recipient %s got two cards for the same year", k)
		}
		got[k] = queuedOn[id].Truncate(24 * time.Hour)
		if c.Status != store.StatusQueued || c.Test {
			t.Errorf("card %s is %s (test %v), want a queued live card", id, c.Status, c.Test)
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(keyOf[c.Metadata["occasion_recipient"]], "crm-"))
		age := fmt.Sprintf("Alles Gute zum %d. Geburtstag, Anna%d!", mustYear(t, c.Metadata["occasion_date"])-(1960+4*(n%10)), n)
		if !strings.Contains(c.Message, age) || !strings.Contains(string(c.To), `"postal_code":"10115"`) {
			t.Errorf("card %s: message %q to %s", id, c.Message, c.To)
		}
	}
	for k, day := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: no card; want one queued on %s", k, day.Format("2006-01-02 Mon"))
		} else if !g.Equal(day) {
			t.Errorf("%s: queued on %s, want %s", k, g.Format("2006-01-02 Mon"), day.Format("2006-01-02 Mon"))
		}
	}
	for k, day := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: a card queued on %s that should not exist", k, day.Format("2006-01-02"))
		}
		if strings.HasPrefix(k, removed) {
			t.Errorf("the removed recipient got a card (%s)", k)
		}
	}
	if len(want) < n {
		t.Errorf("only %d cards expected; the year should hold one per recipient and more", len(want))
	}
	t.Logf("%d cards over the year, %d of them caught up on the first day", len(cards), func() int {
		k := 0
		for _, d := range got {
			if d.Equal(firstDay) {
				k++
			}
		}
		return k
	}())
}

// TestOccasionRecipientsAndRules covers the API around the scheduler: per-row errors as for
// campaign uploads, update by key and by PUT, test-key scope, pause, cancel and erasure.
func TestOccasionRecipientsAndRules(t *testing.T) {
	api := newTestAPI(t)
	live := api.key("bakery", store.KeyLive)
	test := api.key("bakery", store.KeyTest)
	upload := `[
	 {"key":"c-1","to":{"name":"Anna Schmidt","lines":["Hauptstraße 1"],"postal_code":"10115","city":"Berlin","country":"DE"},
	  "variables":{"first_name":"Anna"},"email":"Anna@Example.org","dates":{"birthday":"17.05.1980","customer_since":"2020-01-02"}},
	 {"key":"c-2","to":{"name":"Ben","lines":["Ring 2"],"postal_code":"1011","city":"Berlin","country":"DE"}},
	 {"key":"c-3","to":{"name":"Cora","lines":["Weg 3"],"postal_code":"20095","city":"Hamburg","country":"DE"},"dates":{"birthday":"2025-02-29"}},
	 {"to":{"name":"Dora","lines":["Weg 4"],"postal_code":"20095","city":"Hamburg","country":"DE"}},
	 {"key":"c-1","to":{"name":"Emil","lines":["Weg 5"],"postal_code":"20095","city":"Hamburg","country":"DE"}}
	]`
	code, m, _ := api.do("POST", "/v1/occasions/recipients", live, "", upload)
	if code != http.StatusCreated || m["accepted"] != 1.0 || m["rejected"] != 4.0 {
		t.Fatalf("upload: %d %v", code, m)
	}
	var lines []string
	for _, e := range m["errors"].([]any) {
		e := e.(map[string]any)
		lines = append(lines, fmt.Sprintf("row %v %v %v: %v", e["row"], e["field"], e["code"], e["reason"]))
	}
	errs := strings.Join(lines, "\n")
	for _, want := range []string{"row 2 to.postal_code address_invalid", "row 3 dates.birthday date_invalid", "February has no day 29",
		"row 4 key key_missing", "row 5 key key_duplicate"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q: %s", want, errs)
		}
	}
	id := m["recipients"].([]any)[0].(map[string]any)["id"].(string)
	code, r, _ := api.do("GET", "/v1/occasions/recipients/"+id, live, "", "")
	if code != 200 || fmt.Sprint(r["dates"]) != "map[birthday:1980-05-17 customer_since:2020-01-02]" || r["key"] != "c-1" {
		t.Errorf("get: %d %v", code, r)
	}
	// The same key again (CSV this time) updates the person.
	csv := "name,line1,postal_code,city,country,key,date.name_day\nAnna Schmidt,Neue Straße 9,10115,Berlin,DE,c-1,--07-26\n"
	code, _, body := api.raw("POST", "/v1/occasions/recipients", live, "", "text/csv", "", []byte(csv))
	if code != http.StatusCreated {
		t.Fatalf("csv update: %d %s", code, body)
	}
	_, r, _ = api.do("GET", "/v1/occasions/recipients/"+id, live, "", "")
	if fmt.Sprint(r["dates"]) != "map[name_day:--07-26]" || !strings.Contains(fmt.Sprint(r["to"]), "Neue Straße 9") {
		t.Errorf("after csv update: %v", r)
	}
	code, r, _ = api.do("PUT", "/v1/occasions/recipients/"+id, live, "", `{"to":{"name":"Anna Schmidt","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},
	 "email":"anna@example.org","dates":{"birthday":"bald"}}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(r), "dates.birthday") {
		t.Errorf("PUT with a bad date: %d %v", code, r)
	}
	code, r, _ = api.do("PUT", "/v1/occasions/recipients/"+id, live, "", `{"to":{"name":"Anna Schmidt","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},
	 "email":"anna@example.org","dates":{"birthday":"1980-05-17"}}`)
	if code != 200 || r["email"] != "anna@example.org" {
		t.Errorf("PUT: %d %v", code, r)
	}
	// A test key neither sees nor changes live people.
	if code, _, _ := api.do("GET", "/v1/occasions/recipients/"+id, test, "", ""); code != http.StatusNotFound {
		t.Errorf("test key reads a live recipient: %d", code)
	}
	if _, l, _ := api.do("GET", "/v1/occasions/recipients", test, "", ""); len(l["data"].([]any)) != 0 {
		t.Errorf("test key lists live recipients: %v", l)
	}

	code, m, _ = api.do("POST", "/v1/occasions/rules", live, "r-bad", strings.Replace(birthdayRule, `"days_before":2`, `"days_before":90`, 1))
	if code != http.StatusUnprocessableEntity || m["error"].(map[string]any)["field"] != "days_before" {
		t.Errorf("days_before 90: %d %v", code, m)
	}
	code, m, _ = api.do("POST", "/v1/occasions/rules", live, "r-region", strings.Replace(birthdayRule, `"days_before":2`, `"days_before":2,"sender_region":"XY"`, 1))
	if code != http.StatusUnprocessableEntity || m["error"].(map[string]any)["field"] != "sender_region" {
		t.Errorf("unknown region: %d %v", code, m)
	}
	_, rule, _ := api.do("POST", "/v1/occasions/rules", live, "r-1", strings.Replace(birthdayRule, `"days_before":2`, `"days_before":2,"sender_region":"BY"`, 1))
	ruleID := rule["id"].(string)
	for _, step := range []struct{ verb, state string }{{"pause", "paused"}, {"resume", "active"}} {
		if code, r, _ := api.do("POST", "/v1/occasions/rules/"+ruleID+"/"+step.verb, live, "", ""); code != 200 || r["state"] != step.state {
			t.Errorf("%s: %d %v", step.verb, code, r)
		}
	}
	if _, l, _ := api.do("GET", "/v1/occasions/rules?state=active", live, "", ""); len(l["data"].([]any)) != 1 {
		t.Errorf("active rules: %v", l)
	}
	// Anna's card (birthday 17 May, Bavarian calendar) is made on its writing day…
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 5, 12, 7, 0, 0, 0, time.UTC))
	sched := &intake.OccasionScheduler{Store: api.store, Clock: clk, Log: quiet}
	if res, err := sched.RunOnce(ctx); err != nil || res.Queued != 1 {
		t.Fatalf("run on 12 May: %+v %v", res, err)
	}
	// …and cancelling the rule cancels it, with its event.
	code, r, _ = api.do("POST", "/v1/occasions/rules/"+ruleID+"/cancel", live, "", "")
	if code != 200 || r["state"] != "cancelled" || r["cards_cancelled"] != 1.0 {
		t.Fatalf("cancel: %d %v", code, r)
	}
	if code, _, _ := api.do("POST", "/v1/occasions/rules/"+ruleID+"/resume", live, "", ""); code != http.StatusConflict {
		t.Errorf("resume after cancel: %d", code)
	}
	page, _ := api.store.ListCards(ctx, store.AnyAccount, store.CardFilter{Metadata: map[string]string{"occasion_rule": ruleID}})
	if len(page.Cards) != 1 || page.Cards[0].Status != store.StatusCancelled {
		t.Fatalf("rule's cards: %+v", page.Cards)
	}
	if h := history(t, api, page.Cards[0].ID); !strings.Contains(h, "occasion_rule.cancel") {
		t.Errorf("history %s", h)
	}
	// Erasure by email removes the person from the occasion lists.
	code, r, _ = api.do("DELETE", "/v1/recipients?email=ANNA@example.org", live, "", "")
	if code != 200 || r["occasion_recipients_removed"] != 1.0 {
		t.Errorf("erasure: %d %v", code, r)
	}
	if code, _, _ := api.do("GET", "/v1/occasions/recipients/"+id, live, "", ""); code != http.StatusNotFound {
		t.Errorf("erased recipient still there: %d", code)
	}
}

// history reads a card's events through the API as "from>to cause" lines.
func history(t *testing.T, api *testAPI, cardID string) string {
	t.Helper()
	evs, err := api.store.Events(context.Background(), store.AnyAccount, cardID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s>%s %s", e.From, e.To, e.Cause))
	}
	return strings.Join(out, "; ")
}

// BenchmarkOccasionRunIdle is one scheduler run over 1,000 people on a day none is due: the cost
// every run pays (read rules, people and sends; plan each date).
func BenchmarkOccasionRunIdle(b *testing.B) {
	api := newTestAPI(b)
	key := api.key("florist", store.KeyLive)
	if code, m, _ := api.do("POST", "/v1/occasions/rules", key, "rule-b", birthdayRule); code != http.StatusCreated {
		b.Fatalf("rule: %d %v", code, m)
	}
	// Everyone's birthday in July; the run is on 1 March.
	var csv strings.Builder
	csv.WriteString("name;line1;postal_code;city;country;key;birthday\n")
	for i := range 1000 {
		fmt.Fprintf(&csv, "K %d;Weg %d;10115;Berlin;DE;k-%d;1980-07-%02d\n", i, i%90+1, i, i%28+1)
	}
	if code, _, body := api.raw("POST", "/v1/occasions/recipients", key, "", "text/csv", "", []byte(csv.String())); code != http.StatusCreated {
		b.Fatalf("import: %d %s", code, body)
	}
	sched := &intake.OccasionScheduler{Store: api.store, Clock: clock.NewManual(time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)), Log: quiet}
	for b.Loop() {
		if res, err := sched.RunOnce(context.Background()); err != nil || res.Queued != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// TestUpcomingOccasions shows a rule's plan before its days come: writing, posting and arrival
// days, and which person's card cannot be made and why.
func TestUpcomingOccasions(t *testing.T) {
	st, err := sqlite.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewManual(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	api := &testAPI{t: t, store: st, srv: startServer(t, observe(intake.New(intake.Config{Store: st, RateLimit: -1, Logger: quiet, Clock: clk}).Handler()))}
	key := api.key("bakery", store.KeyLive)
	rule := strings.Replace(birthdayRule, `{{first_name|du}}`, `{{first_name}}`, 1)
	_, r, _ := api.do("POST", "/v1/occasions/rules", key, "up-rule", rule)
	ruleID := r["id"].(string)
	people := `[
	 {"key":"a","to":{"name":"Anna","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"first_name":"Anna"},"dates":{"birthday":"1990-05-17"}},
	 {"key":"b","to":{"name":"Ben","lines":["Weg 2"],"postal_code":"10115","city":"Berlin","country":"DE"},"dates":{"birthday":"--05-20"}},
	 {"key":"c","to":{"name":"Cora","lines":["Weg 3"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"first_name":"Cora"},"dates":{"birthday":"1990-09-01"}}
	]`
	if code, m, _ := api.do("POST", "/v1/occasions/recipients", key, "", people); code != http.StatusCreated {
		t.Fatalf("import: %d %v", code, m)
	}
	code, up, _ := api.do("GET", "/v1/occasions/rules/"+ruleID+"/upcoming?days=30", key, "", "")
	if code != 200 {
		t.Fatalf("upcoming: %d %v", code, up)
	}
	var got []string
	for _, u := range up["data"].([]any) {
		u := u.(map[string]any)
		got = append(got, fmt.Sprintf("%v %v write %v post %v arrive %v %v %v", u["key"], u["occasion_date"], u["write_on"], u["post_on"], u["arrive_by"], u["status"], u["reason"]))
	}
	// Anna: 17 May (Sun) − 2 = Fri 15 May; Ascension Day is Thu 14 May → posted Tue 12, written Mon 11.
	// Ben: 20 May − 2 = Mon 18 May → posted Fri 15 (Sat 16, Mon 18), written Wed 13 (Thu 14 is a
	// holiday); his birthday has no year, so the template's {{years}} cannot be filled.
	want := []string{
		"a 2026-05-17 write 2026-05-11 post 2026-05-12 arrive 2026-05-15 planned <nil>",
		"b 2026-05-20 write 2026-05-13 post 2026-05-15 arrive 2026-05-18 unwritable The variable years is missing or empty and the template gives no default ({{years|…}}).",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("upcoming:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	clk.Set(time.Date(2026, 5, 11, 6, 0, 0, 0, time.UTC))
	sched := &intake.OccasionScheduler{Store: st, Clock: clk, Log: quiet}
	if res, err := sched.RunOnce(context.Background()); err != nil || res.Queued != 1 {
		t.Fatalf("run: %+v %v", res, err)
	}
	_, up, _ = api.do("GET", "/v1/occasions/rules/"+ruleID+"/upcoming", key, "", "")
	if first := up["data"].([]any)[0].(map[string]any); first["status"] != "sent" || !strings.HasPrefix(fmt.Sprint(first["card_id"]), "crd_") {
		t.Errorf("after the run: %v", first)
	}
}

// TestOneBrokenRuleDoesNotStopTheOthers: a rule whose sender country has no holiday table (a
// table removed after the rule was made) fails alone; the other rule's card is still queued.
func TestOneBrokenRuleDoesNotStopTheOthers(t *testing.T) {
	api := newTestAPI(t)
	key := api.key("bakery", store.KeyLive)
	_, good, _ := api.do("POST", "/v1/occasions/rules", key, "good", strings.Replace(birthdayRule, "{{years}}. ", "", 1))
	ctx := context.Background()
	os := api.store.(store.OccasionStore)
	bad, err := os.CreateOccasionRule(ctx, store.OccasionRule{AccountID: mustAccount(t, api, "bakery"), Name: "broken", Occasion: "birthday",
		DaysBefore: 2, Spec: json.RawMessage(`{"template":"Hallo","font":"allure","hand":"neat","stock":"a6-white","sender_country":"XX"}`)})
	if err != nil {
		t.Fatal(err)
	}
	people := `[{"key":"a","to":{"name":"Anna","lines":["Weg 1"],"postal_code":"10115","city":"Berlin","country":"DE"},"dates":{"birthday":"1990-05-17"}}]`
	if code, m, _ := api.do("POST", "/v1/occasions/recipients", key, "", people); code != http.StatusCreated {
		t.Fatalf("import: %d %v", code, m)
	}
	sched := &intake.OccasionScheduler{Store: api.store, Clock: clock.NewManual(time.Date(2026, 5, 11, 6, 0, 0, 0, time.UTC)), Log: quiet}
	res, err := sched.RunOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), bad.ID) || strings.Contains(err.Error(), good["id"].(string)) {
		t.Errorf("RunOnce error %v, want one naming only %s", err, bad.ID)
	}
	if res.Queued != 1 {
		t.Errorf("queued %d, want the good rule's card", res.Queued)
	}
}
