package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The signature headers this package checks, one format per sender.
const (
	// ShopifyHeader carries base64(HMAC-SHA256(secret, body)).
	ShopifyHeader = "X-Shopify-Hmac-Sha256"
	// HubSpotHeader carries base64(HMAC-SHA256(secret, method + uri + body + timestamp)), with
	// the timestamp (Unix milliseconds) in HubSpotTimestampHeader (HubSpot's v3 signature).
	HubSpotHeader          = "X-HubSpot-Signature-v3"
	HubSpotTimestampHeader = "X-HubSpot-Request-Timestamp"
	// GenericHeader carries "sha256=" + hex(HMAC-SHA256(secret, body)), as quillpost's own
	// webhooks and GitHub sign (X-Hub-Signature-256 is read too).
	GenericHeader    = "X-Quillpost-Signature"
	GenericHeaderAlt = "X-Hub-Signature-256"
)

// HubSpotMaxAge is how old a HubSpot signature's timestamp may be (HubSpot's own rule: 5 minutes),
// so that a captured request cannot be replayed later.
const HubSpotMaxAge = 5 * time.Minute

func mac(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// SignShopify returns the value of ShopifyHeader for a body (senders' side; tests and tools).
func SignShopify(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(secret, body))
}

// SignGeneric returns the value of GenericHeader for a body.
func SignGeneric(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, body))
}

// SignHubSpot returns the value of HubSpotHeader.
func SignHubSpot(secret, method, uri string, body []byte, timestampMillis string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, []byte(method), []byte(uri), body, []byte(timestampMillis)))
}

// VerifyShopify checks a Shopify signature in constant time.
func VerifyShopify(secret string, body []byte, header string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	return err == nil && hmac.Equal(got, mac(secret, body))
}

// VerifyGeneric checks a "sha256=<hex>" signature in constant time.
func VerifyGeneric(secret string, body []byte, header string) bool {
	h, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(h)
	return err == nil && hmac.Equal(got, mac(secret, body))
}

// VerifyHubSpot checks a HubSpot v3 signature against each URI the request may have been sent to
// (behind a proxy the scheme is not known for sure), and the timestamp's age.
func VerifyHubSpot(secret, method string, uris []string, body []byte, timestamp, header string, now time.Time) error {
	ms, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("the %s header is not a time in milliseconds", HubSpotTimestampHeader)
	}
	if age := now.Sub(time.UnixMilli(ms)); age > HubSpotMaxAge || age < -HubSpotMaxAge {
		return fmt.Errorf("the HubSpot signature is %s old; at most %s is accepted", age.Round(time.Second), HubSpotMaxAge)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil {
		return fmt.Errorf("the %s header is not base64", HubSpotHeader)
	}
	for _, u := range uris {
		if hmac.Equal(got, mac(secret, []byte(method), []byte(u), body, []byte(strings.TrimSpace(timestamp)))) {
			return nil
		}
	}
	return fmt.Errorf("the HubSpot signature does not match the trigger's secret")
}
