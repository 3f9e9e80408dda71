package metrics

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/quillpost/quillpost/internal/fsutil"
)

// The scrape token is a secret of its own, not an API key: Prometheus holds it in a file
// (authorization.credentials_file) on another machine, so it may read the metrics and nothing
// else. An operator key would let whoever reads that file cancel and retry cards.
const (
	tokenPrefix    = "qp_metrics_"
	minTokenLength = 16
)

// NewToken makes a random scrape token.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("metrics token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenFile reads the scrape token from path. With create, a missing file is made (owner only)
// with a new token; without, a missing file is an error: an operator who names a file means one
// that Prometheus reads too.
func TokenFile(path string, create bool) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		tok, err := NewToken()
		if err != nil {
			return "", err
		}
		if err := fsutil.WriteFileAtomic(path, []byte(tok+"\n")); err != nil {
			return "", fmt.Errorf("metrics token: %w", err)
		}
		return tok, nil
	}
	if err != nil {
		return "", fmt.Errorf("metrics token file %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case len(tok) < minTokenLength:
		return "", fmt.Errorf("metrics token file %s: the token must be at least %d characters long, it has %d", path, minTokenLength, len(tok))
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", fmt.Errorf("metrics token file %s: the token must be one line without spaces", path)
	}
	return tok, nil
}

// Handler serves the metrics in the Prometheus text format to requests that carry the scrape
// token as a bearer token ("Authorization: Bearer <token>"); every other request is answered 401.
// An empty token admits nobody: the endpoint is never anonymous.
func (m *Metrics) Handler(token string) http.Handler {
	return requireToken(token, m.openHandler())
}

func requireToken(token string, h http.Handler) http.Handler {
	// Comparing digests keeps the comparison constant-time whatever the lengths.
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || token == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quillpost metrics"`)
			http.Error(w, "The metrics need the scrape token: send it as 'Authorization: Bearer <token>' (serve's metrics-token file).", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
