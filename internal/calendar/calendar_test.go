package calendar

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestEaster(t *testing.T) {
	for y, want := range map[int]Date{
		1961: D(1961, 4, 2), 2000: D(2000, 4, 23), 2019: D(2019, 4, 21), 2024: D(2024, 3, 31),
		2025: D(2025, 4, 20), 2026: D(2026, 4, 5), 2027: D(2027, 3, 28), 2038: D(2038, 4, 25), 2285: D(2285, 3, 22),
	} {
		if got := Easter(y); got != want {
			t.Errorf("Easter(%d) = %v, want %v", y, got, want)
		}
	}
}

// TestGermanHolidays checks whole years against the published lists (federal, then per state).
func TestGermanHolidays(t *testing.T) {
	names := func(c *Calendar, y int) string {
		var b []string
		for _, h := range c.Holidays(y) {
			b = append(b, h.Date.String()[5:]+" "+h.Name)
		}
		return strings.Join(b, "; ")
	}
	tests := []struct {
		region string
		year   int
		want   string
	}{
		{"", 2026, "01-01 Neujahr; 04-03 Karfreitag; 04-06 Ostermontag; 05-01 Tag der Arbeit; 05-14 Christi Himmelfahrt; " +
			"05-25 Pfingstmontag; 10-03 Tag der Deutschen Einheit; 12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"BY", 2026, "01-01 Neujahr; 01-06 Heilige Drei Könige; 04-03 Karfreitag; 04-06 Ostermontag; 05-01 Tag der Arbeit; " +
			"05-14 Christi Himmelfahrt; 05-25 Pfingstmontag; 06-04 Fronleichnam; 08-15 Mariä Himmelfahrt; " +
			"10-03 Tag der Deutschen Einheit; 11-01 Allerheiligen; 12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"SN", 2025, "01-01 Neujahr; 04-18 Karfreitag; 04-21 Ostermontag; 05-01 Tag der Arbeit; 05-29 Christi Himmelfahrt; " +
			"06-09 Pfingstmontag; 10-03 Tag der Deutschen Einheit; 10-31 Reformationstag; 11-19 Buß- und Bettag; " +
			"12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"BE", 2025, "01-01 Neujahr; 03-08 Internationaler Frauentag; 04-18 Karfreitag; 04-21 Ostermontag; 05-01 Tag der Arbeit; " +
			"05-08 Tag der Befreiung; 05-29 Christi Himmelfahrt; 06-09 Pfingstmontag; 10-03 Tag der Deutschen Einheit; " +
			"12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"BE", 2018, "01-01 Neujahr; 03-30 Karfreitag; 04-02 Ostermontag; 05-01 Tag der Arbeit; 05-10 Christi Himmelfahrt; " +
			"05-21 Pfingstmontag; 10-03 Tag der Deutschen Einheit; 12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"NW", 2017, "01-01 Neujahr; 04-14 Karfreitag; 04-17 Ostermontag; 05-01 Tag der Arbeit; 05-25 Christi Himmelfahrt; " +
			"06-05 Pfingstmontag; 06-15 Fronleichnam; 10-03 Tag der Deutschen Einheit; 10-31 Reformationstag; " +
			"11-01 Allerheiligen; 12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
		{"TH", 2027, "01-01 Neujahr; 03-26 Karfreitag; 03-29 Ostermontag; 05-01 Tag der Arbeit; 05-06 Christi Himmelfahrt; " +
			"05-17 Pfingstmontag; 09-20 Weltkindertag; 10-03 Tag der Deutschen Einheit; 10-31 Reformationstag; " +
			"12-25 1. Weihnachtstag; 12-26 2. Weihnachtstag"},
	}
	for _, tc := range tests {
		c, err := New("de", tc.region)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(c, tc.year); got != tc.want {
			t.Errorf("DE-%s %d:\n got %s\nwant %s", tc.region, tc.year, got, tc.want)
		}
	}
}

func TestBussUndBettagIsTheWednesdayBeforeThe23rd(t *testing.T) {
	c, _ := New("DE", "SN")
	for y := 2000; y < 2100; y++ {
		var d Date
		for _, h := range c.Holidays(y) {
			if h.Name == "Buß- und Bettag" {
				d = h.Date
			}
		}
		if d.Weekday() != time.Wednesday || d.Month != time.November || d.Day < 16 || d.Day > 22 {
			t.Fatalf("%d: Buß- und Bettag on %v (%v)", y, d, d.Weekday())
		}
	}
}

func TestUnknownCountryAndRegion(t *testing.T) {
	if _, err := New("XX", ""); err == nil || !strings.Contains(err.Error(), `"XX"`) || !strings.Contains(err.Error(), "DE") {
		t.Errorf("New(XX) = %v; want an error naming XX and the known countries", err)
	}
	if _, err := New("DE", "ZZ"); err == nil || !strings.Contains(err.Error(), "BY") {
		t.Errorf("New(DE, ZZ) = %v; want an error listing the regions", err)
	}
	if got := Countries(); strings.Join(got, ",") != "AT,DE" {
		t.Errorf("Countries = %v", got)
	}
}

func TestBrokenTablesAreRefusedByName(t *testing.T) {
	for body, want := range map[string]string{
		`{"country":"de","holidays":[]}`:                                                                      `country "de"`,
		`{"country":"DE","holidays":[{"name":"X","date":"13-01"}]}`:                                           "holiday 1 (X): date",
		`{"country":"DE","holidays":[{"name":"X","date":"01-01","easter":1}]}`:                                "exactly one",
		`{"country":"DE","holidays":[{"name":"X","weekday_before":{"weekday":"mittwoch","before":"11-23"}}]}`: "mittwoch",
		`{"country":"DE","regions":["BY"],"holidays":[{"name":"X","date":"01-01","regions":["XX"]}]}`:         `region "XX"`,
	} {
		_, err := loadTables(fstest.MapFS{"holidays/de.json": {Data: []byte(body)}})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "holidays/de.json") {
			t.Errorf("%s: err = %v, want it to name the file and %q", body, err, want)
		}
	}
}

func TestPlanArrival(t *testing.T) {
	de, _ := New("DE", "")
	by, _ := New("DE", "BY")
	germany := Transit{1, 2}
	tests := []struct {
		name     string
		c        *Calendar
		arriveBy Date
		tr       Transit
		write    Date
		post     Date
	}{
		// Arrive Thursday: delivered by Thu after 2 working days → posted Tue, written Mon.
		{"plain week", de, D(2026, 3, 12), germany, D(2026, 3, 9), D(2026, 3, 10)},
		// Arrive Sunday: the post delivers Saturday at the latest → posted Thu, written Wed.
		{"arrive on a Sunday", de, D(2026, 3, 15), germany, D(2026, 3, 11), D(2026, 3, 12)},
		// Arrive Tuesday: Monday and Saturday count, Sunday does not → posted Sat, written Fri.
		{"over a weekend", de, D(2026, 3, 17), germany, D(2026, 3, 13), D(2026, 3, 14)},
		// Arrive Tue 7 April 2026: Easter Monday, Sunday and Good Friday do not count → the two
		// working days are Sat 4th and Tue 7th: posted Thu 2nd, written Wed 1st.
		{"Easter", de, D(2026, 4, 7), germany, D(2026, 4, 1), D(2026, 4, 2)},
		// Arrive Fri 5 June 2026 in Bavaria: Corpus Christi (Thu 4th) skipped → posted Tue 2nd.
		{"Fronleichnam in Bayern", by, D(2026, 6, 5), germany, D(2026, 6, 1), D(2026, 6, 2)},
		{"Fronleichnam not federal", de, D(2026, 6, 5), germany, D(2026, 6, 2), D(2026, 6, 3)},
		// EU 3–5 days from Germany: arrive Mon 14 Dec 2026 → delivered Mon, back 5 working days
		// (Sat 12, Fri 11, Thu 10, Wed 9, Tue 8) → posted Tue 8th, written Mon 7th.
		{"to France", de, D(2026, 12, 14), Transit{3, 5}, D(2026, 12, 7), D(2026, 12, 8)},
		// Christmas: arrive Mon 28 Dec 2026; 25th, 26th (Sat) and 27th (Sun) off → delivered
		// Mon 28th; posted Wed 23rd (Thu 24th, Mon 28th count), written Tue 22nd.
		{"Christmas", de, D(2026, 12, 28), germany, D(2026, 12, 22), D(2026, 12, 23)},
		// New Year's Day on a Friday 2027: arrive Sat 2 Jan → posted Wed 30 Dec.
		{"New Year", de, D(2027, 1, 2), germany, D(2026, 12, 29), D(2026, 12, 30)},
	}
	for _, tc := range tests {
		p := tc.c.PlanArrival(tc.arriveBy, tc.tr)
		if p.WriteOn != tc.write || p.PostOn != tc.post {
			t.Errorf("%s: write %v post %v, want write %v post %v", tc.name, p.WriteOn, p.PostOn, tc.write, tc.post)
		}
		if !tc.c.WorkingDay(p.WriteOn) || !tc.c.WorkingDay(p.PostOn) {
			t.Errorf("%s: plan %+v falls on a day off", tc.name, p)
		}
		if got := tc.c.AddWorkingDays(p.PostOn, tc.tr.Max); got.After(tc.arriveBy) {
			t.Errorf("%s: the slowest post arrives %v, after %v", tc.name, got, tc.arriveBy)
		}
		if got := tc.c.AddWorkingDays(tc.c.AddWorkingDays(p.PostOn, 1), tc.tr.Max); !got.After(tc.arriveBy) {
			t.Errorf("%s: posting a working day later (arriving %v) would still be in time; the plan is too early", tc.name, got)
		}
	}
}

func TestTransitLookup(t *testing.T) {
	tt := DefaultTransit()
	for _, tc := range []struct {
		from, to string
		want     Transit
	}{
		{"DE", "DE", Transit{1, 2}}, {"de", "fr", Transit{3, 5}}, {"DE", "CH", Transit{2, 4}},
		{"DE", "US", Transit{5, 10}}, {"FR", "FR", Transit{1, 3}}, {"CH", "DE", Transit{5, 10}},
	} {
		if got := tt.Lookup(tc.from, tc.to); got != tc.want {
			t.Errorf("Lookup(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
	for body, want := range map[string]string{
		`{"default":{"min":5,"max":3}}`:                                       "default: min 5 and max 3",
		`{"default":{"min":1,"max":3},"routes":{"DEU>FR":{"min":1,"max":2}}}`: "routes.DEU>FR",
		`{"default":{"min":1,"max":3},"speed":1}`:                             "unknown field",
		`{"domestic":{}}`: "default: give",
	} {
		if _, err := ReadTransit(strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadTransit(%s) = %v, want %q", body, err, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"1980-05-17": "1980-05-17", " 1980-05-17 ": "1980-05-17", "17.05.1980": "1980-05-17", "7.5.1980": "1980-05-07",
		"--05-17": "--05-17", "17.05.": "--05-17", "17.5": "--05-17", "--02-29": "--02-29", "2000-02-29": "2000-02-29",
		"2026-05-17T23:30:00-05:00": "2026-05-17", "2026-05-17 08:00:00Z": "2026-05-17",
	} {
		d, err := ParseDate(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for in, want := range map[string]string{
		"": "write it as", "1980/05/17": "write it as", "1980-5-17": "write it as", "2026-13-01": "no month 13",
		"2025-02-29": "February has no day 29", "31.04.2026": "April has no day 31", "0001-01-01": "between 1900",
		"2026-05-17T99:00:00Z": "RFC 3339", "--5-17": "write it as", "-1.-1.": "write it as", "+1.02.": "write it as",
	} {
		if _, err := ParseDate(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDate(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

func TestInYear(t *testing.T) {
	leap := D(0, 2, 29)
	if got := leap.InYear(2026); got != D(2026, 2, 28) {
		t.Errorf("29 Feb in 2026 = %v", got)
	}
	if got := leap.InYear(2028); got != D(2028, 2, 29) {
		t.Errorf("29 Feb in 2028 = %v", got)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1980-05-17", "17.05.1980", "--02-29", "17.5.", "2026-05-17T10:00:00Z", "2025-02-29", "", "..", "--", "9999-99-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if d != (Date{}) {
				t.Fatalf("ParseDate(%q) failed but returned %v", s, d)
			}
			return
		}
		if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > daysIn(d.Year, d.Month) {
			t.Fatalf("ParseDate(%q) = %#v: not a real day", s, d)
		}
		if d.Year != 0 && (d.Year < MinYear || d.Year > MaxYear) {
			t.Fatalf("ParseDate(%q) = %v: year out of range", s, d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseDate(%q) = %v, whose String reads back as %v, %v", s, d, back, err)
		}
	})
}
