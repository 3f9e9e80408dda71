// Package calendar knows the days a card can travel: civil dates, public holidays per country and
// region (tables in holidays/), postal transit times per route, and from them the day a card must
// be written and posted so that it arrives by a given date. It is pure: no clock, no I/O beyond
// its embedded tables.
package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a day in the calendar, without time or zone. Year 0 means "any year" (a birthday given
// as --05-17).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// D is a short constructor for tables and tests.
func D(y int, m time.Month, d int) Date { return Date{y, m, d} }

// Time returns the start of the day in UTC.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays moves the date by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp(int(d.Month), int(o.Month))
	}
	return cmp(d.Day, o.Day)
}

func cmp(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as 2006-01-02, or --01-02 without a year.
func (d Date) String() string {
	if d.Year == 0 {
		return fmt.Sprintf("--%02d-%02d", int(d.Month), d.Day)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes String's form.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what ParseDate reads.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// InYear returns the date's anniversary in year y. The 29th of February falls on the 28th in
// common years (the day a birthday card is expected before the 1st of March).
func (d Date) InYear(y int) Date {
	if d.Month == time.February && d.Day == 29 && !isLeap(y) {
		return Date{y, time.February, 28}
	}
	return Date{y, d.Month, d.Day}
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	if m == time.February {
		if y == 0 || isLeap(y) { // a year-less date may be the 29th
			return 29
		}
		return 28
	}
	return [...]int{31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
}

// Years a date may name: a CRM's birthday of 0001-01-01 is a placeholder, not a date.
const (
	MinYear = 1900
	MaxYear = 2200
)

// ParseDate reads a date as CRMs and spreadsheets write it: 2006-01-02, an RFC 3339 timestamp
// (its date as written, the zone ignored), 02.01.2006 (German), or --01-02 / 02.01. without a
// year. Errors are sentences saying which forms are understood.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (Date, error) {
		if why == "" {
			why = "write it as 2006-01-02, 02.01.2006 or, without a year, --01-02"
		}
		return Date{}, fmt.Errorf("%q is not a date: %s", clip(s), why)
	}
	var y, m, d int
	var ok bool
	switch {
	case strings.HasPrefix(s, "--"):
		m, d, ok = twoNums(s[2:], "-")
	case strings.Contains(s, "."):
		parts := strings.Split(strings.TrimSuffix(s, "."), ".")
		switch len(parts) {
		case 2:
			d, m, ok = num(parts[0], 1, 2), num(parts[1], 1, 2), true
		case 3:
			d, m, y, ok = num(parts[0], 1, 2), num(parts[1], 1, 2), num(parts[2], 4, 4), true
			if y < 0 {
				ok = false
			}
		}
	default:
		date := s
		if len(s) > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
			if _, err := time.Parse(time.RFC3339, strings.Replace(s, " ", "T", 1)); err != nil {
				return bad("a timestamp must be RFC 3339 (2006-01-02T15:04:05Z)")
			}
			date = s[:10]
		}
		parts := strings.Split(date, "-")
		if len(parts) == 3 {
			y, m, d, ok = num(parts[0], 4, 4), num(parts[1], 2, 2), num(parts[2], 2, 2), true
			if y < 0 {
				ok = false
			}
		}
	}
	if !ok || m < 0 || d < 0 {
		return bad("")
	}
	if m < 1 || m > 12 {
		return bad(fmt.Sprintf("there is no month %d", m))
	}
	if y != 0 && (y < MinYear || y > MaxYear) {
		return bad(fmt.Sprintf("the year must lie between %d and %d", MinYear, MaxYear))
	}
	if d < 1 || d > daysIn(y, time.Month(m)) {
		return bad(fmt.Sprintf("%s has no day %d", time.Month(m), d))
	}
	return Date{y, time.Month(m), d}, nil
}

func twoNums(s, sep string) (int, int, bool) {
	a, b, ok := strings.Cut(s, sep)
	return num(a, 2, 2), num(b, 2, 2), ok
}

// num reads a decimal of minLen to maxLen ASCII digits, or returns -1.
func num(s string, minLen, maxLen int) int {
	if len(s) < minLen || len(s) > maxLen {
		return -1
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
