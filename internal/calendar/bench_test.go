package calendar

import "testing"

// BenchmarkPlanArrival plans one card over a year of dates in Bavaria (holiday tables cached).
func BenchmarkPlanArrival(b *testing.B) {
	c, _ := New("DE", "BY")
	tr := DefaultTransit().Lookup("DE", "DE")
	d := D(2026, 1, 1)
	i := 0
	for b.Loop() {
		c.PlanArrival(d.AddDays(i%365), tr)
		i++
	}
}
