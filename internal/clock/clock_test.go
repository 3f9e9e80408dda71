package clock_test

import (
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/clock"
)

func TestManualReleasesWaitersWhenMoved(t *testing.T) {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	m := clock.NewManual(start)
	soon, later := m.After(time.Hour), m.After(48*time.Hour)
	if m.Waiters() != 2 {
		t.Fatalf("Waiters = %d, want 2", m.Waiters())
	}
	m.Advance(30 * time.Minute)
	select {
	case <-soon:
		t.Fatal("an hour's wait ended after 30 minutes")
	default:
	}
	got := m.Advance(time.Hour)
	if want := start.Add(90 * time.Minute); !got.Equal(want) || !m.Now().Equal(want) {
		t.Fatalf("Now = %v, want %v", m.Now(), want)
	}
	if at := <-soon; !at.Equal(got) {
		t.Errorf("waiter got %v, want the clock's time %v", at, got)
	}
	select {
	case <-later:
		t.Fatal("a two-day wait ended after 90 minutes")
	default:
	}
	m.Set(start.AddDate(0, 0, 2))
	<-later
	if m.Waiters() != 0 {
		t.Errorf("Waiters = %d after all were due", m.Waiters())
	}
	select {
	case <-m.After(0):
	default:
		t.Error("After(0) is not due at once")
	}
}

func TestManualNeverMovesBackOnAdvance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := clock.NewManual(start)
	if got := m.Advance(-time.Hour); !got.Equal(start) {
		t.Errorf("Advance(-1h) = %v, want %v", got, start)
	}
}

func TestOrDefaultsToTheWallClock(t *testing.T) {
	if _, ok := clock.Or(nil).(clock.Real); !ok {
		t.Error("Or(nil) is not the wall clock")
	}
	m := clock.NewManual(time.Time{})
	if clock.Or(m) != clock.Clock(m) {
		t.Error("Or(m) did not keep m")
	}
	if d := time.Since(clock.Real{}.Now()); d < 0 || d > time.Minute {
		t.Errorf("Real.Now is %v off", d)
	}
}
