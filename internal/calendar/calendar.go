package calendar

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Calendar is the working days of a sender's country and region: every day but Sundays and the
// public holidays of its table.
type Calendar struct {
	Country, Region string
	t               *table

	mu    sync.Mutex
	years map[int]map[Date]string
}

// New returns the calendar of a country (ISO 3166-1 alpha-2) and, optionally, one of its regions
// (e.g. "BY" for Bavaria; "" keeps the holidays of the whole country only).
func New(country, region string) (*Calendar, error) {
	ts, err := load()
	if err != nil {
		return nil, err
	}
	country, region = strings.ToUpper(strings.TrimSpace(country)), strings.ToUpper(strings.TrimSpace(region))
	t := ts[country]
	if t == nil {
		return nil, fmt.Errorf("there is no holiday table for the country %q; known are %s", country, strings.Join(Countries(), ", "))
	}
	if region != "" {
		found := false
		for _, r := range t.Regions {
			found = found || r == region
		}
		if !found {
			return nil, fmt.Errorf("%q is not a region of %s; known are %s", region, country, strings.Join(t.Regions, ", "))
		}
	}
	return &Calendar{Country: country, Region: region, t: t, years: map[int]map[Date]string{}}, nil
}

// Holidays returns the public holidays of the year in the calendar's country and region, in date
// order.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for _, r := range c.t.Rules {
		if !r.appliesIn(c.Region) {
			continue
		}
		if d, ok := r.on(year); ok {
			out = append(out, Holiday{Date: d, Name: r.Name})
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Date.Before(out[j-1].Date); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Holiday names the public holiday on d, or "".
func (c *Calendar) Holiday(d Date) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	days, ok := c.years[d.Year]
	if !ok {
		days = map[Date]string{}
		for _, h := range c.Holidays(d.Year) {
			if days[h.Date] == "" {
				days[h.Date] = h.Name
			}
		}
		c.years[d.Year] = days
	}
	return days[d]
}

// WorkingDay reports whether post is taken in and delivered on d: not a Sunday, not a holiday.
func (c *Calendar) WorkingDay(d Date) bool {
	return d.Weekday() != time.Sunday && c.Holiday(d) == ""
}

// LastWorkingDay returns d if it is a working day, else the working day before it.
func (c *Calendar) LastWorkingDay(d Date) Date {
	for !c.WorkingDay(d) {
		d = d.AddDays(-1)
	}
	return d
}

// BackWorkingDays returns the working day n working days before d (n ≥ 0; d itself for 0 when it
// is a working day).
func (c *Calendar) BackWorkingDays(d Date, n int) Date {
	d = c.LastWorkingDay(d)
	for ; n > 0; n-- {
		d = c.LastWorkingDay(d.AddDays(-1))
	}
	return d
}

// AddWorkingDays returns the n-th working day after d.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	for ; n > 0; n-- {
		d = d.AddDays(1)
		for !c.WorkingDay(d) {
			d = d.AddDays(1)
		}
	}
	return d
}

// Plan is when a card is written and posted so that it arrives by a day.
type Plan struct {
	// WriteOn is the day the card is queued for the robots: WritingDays working days before PostOn.
	WriteOn Date `json:"write_on"`
	// PostOn is the last working day it can be posted and still arrive in the slowest transit.
	PostOn Date `json:"post_on"`
	// ArriveBy is the day it must be there by; it arrives from ArriveFrom on.
	ArriveBy   Date `json:"arrive_by"`
	ArriveFrom Date `json:"arrive_from"`
}

// WritingDays is how many working days before posting a card is queued: one day for the robots
// to write it, so that it goes out with the next day's post.
const WritingDays = 1

// PlanArrival plans a card that must arrive by arriveBy over a route of the given transit time,
// counting working days of the sender's calendar (a card in transit is not delivered on Sundays and
// holidays either). The slowest transit decides: a card may come a day or two early, never late.
func (c *Calendar) PlanArrival(arriveBy Date, t Transit) Plan {
	delivered := c.LastWorkingDay(arriveBy)
	post := c.BackWorkingDays(delivered, t.Max)
	return Plan{
		WriteOn:    c.BackWorkingDays(post, WritingDays),
		PostOn:     post,
		ArriveBy:   arriveBy,
		ArriveFrom: c.AddWorkingDays(post, t.Min),
	}
}
