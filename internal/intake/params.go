package intake

import (
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queryNumber reads an optional numeric query parameter: absent gives def; present, it must be a
// finite number from min to max (NaN and ±Inf compare false with everything, so they are caught
// before the range check, not by it).
func queryNumber(q url.Values, name string, def, min, max float64) (float64, *apiError) {
	if !q.Has(name) {
		return def, nil
	}
	v, err := strconv.ParseFloat(q.Get(name), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < min || v > max {
		return 0, &apiError{Status: http.StatusBadRequest, Type: "invalid_request", Code: name + "_invalid", Field: name,
			Message: fmt.Sprintf("The %s must be a number from %g to %g.", name, min, max)}
	}
	return v, nil
}

// requireContentType refuses a request body whose Content-Type is not one of types (415): a
// body is parsed only as what it says it is, so a form post or a text/plain "simple request"
// from a browser on another site is never read as JSON. A request without a body passes.
func requireContentType(h http.HandlerFunc, types ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
			h(w, r)
			return
		}
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		ok := err == nil && slices.Contains(types, mt)
		if cs, has := params["charset"]; ok && has && !strings.EqualFold(cs, "utf-8") {
			ok = false
		}
		if !ok {
			writeError(w, &apiError{Status: http.StatusUnsupportedMediaType, Type: "invalid_request", Code: "content_type_unsupported",
				Message: fmt.Sprintf("Send the body as %s (UTF-8), with that Content-Type header.", strings.Join(types, " or "))})
			return
		}
		h(w, r)
	}
}

// maxSendAhead is how far ahead a card may be scheduled.
const maxSendAhead = 1 // year

// parseSendDate reads send_date: an RFC 3339 timestamp or a plain date ("2026-12-20", meaning
// that day's start in UTC). It must lie between today (in the earliest time zone, so that a
// customer anywhere may name their today) and one year ahead.
func parseSendDate(v *string, now time.Time) (*time.Time, *apiError) {
	if v == nil || *v == "" {
		return nil, nil
	}
	bad := func(why string) *apiError {
		return invalid("send_date", "send_date_invalid", "The send_date "+why+".")
	}
	t, err := time.Parse(time.RFC3339, *v)
	earliest := now.Add(-24 * time.Hour)
	if err != nil {
		t, err = time.Parse("2006-01-02", *v)
		if err != nil {
			return nil, bad("must be an RFC 3339 timestamp (2026-12-20T09:00:00Z) or a date (2026-12-20)")
		}
		y, m, d := now.UTC().Add(-12 * time.Hour).Date()
		earliest = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	t = t.UTC()
	switch {
	case t.Before(earliest):
		return nil, bad("lies in the past; give today or a day within a year")
	case t.After(now.AddDate(maxSendAhead, 0, 1)):
		return nil, bad("lies more than a year ahead")
	}
	return &t, nil
}
