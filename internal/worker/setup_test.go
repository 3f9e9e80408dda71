package worker

import (
	"testing"

	"github.com/quillpost/quillpost/internal/fwcheck"
	"github.com/quillpost/quillpost/internal/profile"
)

// The profile a robot plans with takes the controller's own rates once the handshake passed, so
// the time model is the firmware's; values the profile's checks would refuse are not taken.
func TestFedProfileTakesTheControllersValues(t *testing.T) {
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	s := fwcheck.Settings{Values: map[string]float64{"$110": 8010, "$111": 8020, "$120": 502, "$121": 501, "$11": 0.0101}}
	q := fedProfile(p, s)
	if q.TravelFeed != 8010 || q.Accel != 501 || q.JunctionDeviation != 0.0101 {
		t.Errorf("fed profile: travel %g accel %g junction %g", q.TravelFeed, q.Accel, q.JunctionDeviation)
	}
	if p.TravelFeed != 8000 || p.Accel != 500 {
		t.Error("the shared profile was changed")
	}
	s.Values["$11"] = 5 // beyond what a profile may say
	if q := fedProfile(p, s); q != p {
		t.Error("a value the profile's checks refuse was taken")
	}
}
