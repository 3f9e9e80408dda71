package calendar

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// tables holds one JSON file per country (ISO 3166-1 alpha-2, lower case): adding a country is
// adding a file.
//
//go:embed holidays/*.json
var tables embed.FS

// HolidayRule is one public holiday of a country's table. Exactly one of Date, Easter or
// WeekdayBefore places it in a year.
type HolidayRule struct {
	Name string `json:"name"`
	// Date is a fixed day, "MM-DD".
	Date string `json:"date,omitempty"`
	// Easter is an offset in days from Easter Sunday (Western, Gregorian).
	Easter *int `json:"easter,omitempty"`
	// WeekdayBefore is the last given weekday strictly before a fixed day, e.g. Buß- und Bettag:
	// {"weekday": "wednesday", "before": "11-23"}.
	WeekdayBefore *struct {
		Weekday string `json:"weekday"`
		Before  string `json:"before"`
	} `json:"weekday_before,omitempty"`
	// Regions where it is a holiday (ISO 3166-2 subdivision codes without the country, e.g.
	// "BY"); empty means the whole country.
	Regions []string `json:"regions,omitempty"`
	// From and Until bound the years it is kept (0: unbounded).
	From  int    `json:"from,omitempty"`
	Until int    `json:"until,omitempty"`
	Note  string `json:"note,omitempty"`
}

// table is a country's parsed holiday file.
type table struct {
	Country string        `json:"country"`
	Regions []string      `json:"regions"`
	Rules   []HolidayRule `json:"holidays"`
}

var (
	loadOnce sync.Once
	loaded   map[string]*table
	loadErr  error
)

func load() (map[string]*table, error) {
	loadOnce.Do(func() { loaded, loadErr = loadTables(tables) })
	return loaded, loadErr
}

// loadTables reads and checks every holidays/*.json, naming file, rule and field on error.
func loadTables(fsys fs.FS) (map[string]*table, error) {
	names, err := fs.Glob(fsys, "holidays/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]*table{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		t, err := parseTable(b)
		if err != nil {
			return nil, fmt.Errorf("holiday table %s: %w", name, err)
		}
		out[t.Country] = t
	}
	return out, nil
}

func parseTable(b []byte) (*table, error) {
	var t table
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	if len(t.Country) != 2 || strings.ToUpper(t.Country) != t.Country {
		return nil, fmt.Errorf("country %q: want a two-letter upper-case code", t.Country)
	}
	for i, r := range t.Rules {
		where := fmt.Sprintf("holiday %d (%s)", i+1, r.Name)
		n := 0
		if r.Date != "" {
			n++
			if _, err := monthDay(r.Date); err != nil {
				return nil, fmt.Errorf("%s: date: %w", where, err)
			}
		}
		if r.Easter != nil {
			n++
		}
		if wb := r.WeekdayBefore; wb != nil {
			n++
			if _, ok := weekdays[wb.Weekday]; !ok {
				return nil, fmt.Errorf("%s: weekday_before.weekday %q is not a weekday in English", where, wb.Weekday)
			}
			if _, err := monthDay(wb.Before); err != nil {
				return nil, fmt.Errorf("%s: weekday_before.before: %w", where, err)
			}
		}
		if n != 1 || r.Name == "" {
			return nil, fmt.Errorf("%s: give a name and exactly one of date, easter, weekday_before", where)
		}
		for _, reg := range r.Regions {
			if !slices.Contains(t.Regions, reg) {
				return nil, fmt.Errorf("%s: region %q is not in the table's regions", where, reg)
			}
		}
	}
	return &t, nil
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

func monthDay(s string) (Date, error) {
	d, err := ParseDate("--" + s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not MM-DD", s)
	}
	return d, nil
}

// Easter returns Easter Sunday of the Gregorian year (the anonymous Gregorian algorithm of
// Meeus, Jones and Butcher).
func Easter(y int) Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{y, time.Month(month), day}
}

// Holiday is one public holiday in one year.
type Holiday struct {
	Date Date
	Name string
}

// on places the rule in year y; ok is false where the rule does not hold that year.
func (r HolidayRule) on(y int) (Date, bool) {
	if (r.From != 0 && y < r.From) || (r.Until != 0 && y > r.Until) {
		return Date{}, false
	}
	switch {
	case r.Date != "":
		md, _ := monthDay(r.Date)
		return md.InYear(y), true
	case r.Easter != nil:
		return Easter(y).AddDays(*r.Easter), true
	default:
		md, _ := monthDay(r.WeekdayBefore.Before)
		d := md.InYear(y).AddDays(-1)
		for d.Weekday() != weekdays[r.WeekdayBefore.Weekday] {
			d = d.AddDays(-1)
		}
		return d, true
	}
}

func (r HolidayRule) appliesIn(region string) bool {
	return len(r.Regions) == 0 || slices.Contains(r.Regions, region)
}

// Countries lists the countries with a holiday table.
func Countries() []string {
	ts, err := load()
	if err != nil {
		return nil
	}
	var out []string
	for c := range ts {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Regions lists a country's regions ("" for a country without a table).
func Regions(country string) []string {
	ts, _ := load()
	if t := ts[country]; t != nil {
		return slices.Clone(t.Regions)
	}
	return nil
}
