// Package webhook delivers card events to the endpoints customers registered: it builds the event
// envelope, signs it (HMAC-SHA256 over timestamp and raw body), sends it with retries and
// exponential backoff, and keeps a delivery log from which failed deliveries can be replayed.
// Events come from the queue's EVENTS stream (the outbox relay publishes every stored event there),
// so an event is delivered even if the process that caused it died right after committing it.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The request headers of a delivery.
const (
	// HeaderEventID is the event's id (evt_…): the same for every attempt and every replay, so a
	// receiver de-duplicates on it.
	HeaderEventID = "Quillpost-Event-Id"
	// HeaderEventType is the envelope's type, e.g. "card.written".
	HeaderEventType = "Quillpost-Event-Type"
	// HeaderDeliveryID is new for every attempt (att_…): it names one HTTP request in the log.
	HeaderDeliveryID = "Quillpost-Delivery-Id"
	// HeaderTimestamp is the Unix time in seconds the attempt was signed at.
	HeaderTimestamp = "Quillpost-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with the endpoint's secret, of
	// the timestamp, ".", and the raw body.
	HeaderSignature = "Quillpost-Signature"
)

// DefaultTolerance is how old a signed timestamp Verify accepts by default (replay protection).
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value for a body sent at the given Unix time.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrSignature says a delivery's signature does not verify.
var ErrSignature = errors.New("webhook signature does not verify")

// Verify checks a received delivery: the signature header (several comma-separated values are
// allowed, for secret rotation), and that the timestamp lies within tolerance of now. Receivers
// use it; the tests do.
func Verify(secret, timestampHeader, signatureHeader string, body []byte, tolerance time.Duration, now time.Time) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestampHeader), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: the timestamp %q is not a Unix time", ErrSignature, timestampHeader)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: the timestamp is %v away from now", ErrSignature, d.Round(time.Second))
	}
	want := Sign(secret, ts, body)
	for _, got := range strings.Split(signatureHeader, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(got)), []byte(want)) {
			return nil
		}
	}
	return ErrSignature
}
