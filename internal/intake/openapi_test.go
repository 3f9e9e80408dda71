package intake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/quillpost/quillpost/internal/intake"
)

// seen records every (route pattern, status) the handlers answered with during this package's
// tests; TestMain checks them all against the OpenAPI document.
var seen = struct {
	sync.Mutex
	m map[string]map[int]bool
}{m: map[string]map[int]bool{}}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// observe wraps the API so that every answer is recorded under the route that served it.
func observe(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if r.Pattern == "" || r.Pattern == "/v1/" {
			return
		}
		seen.Lock()
		if seen.m[r.Pattern] == nil {
			seen.m[r.Pattern] = map[int]bool{}
		}
		seen.m[r.Pattern][rec.status] = true
		seen.Unlock()
	})
}

type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

func loadOpenAPI(t testing.TB) openAPIDoc {
	var doc openAPIDoc
	if err := json.Unmarshal(intake.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// documented returns the statuses the document declares for "METHOD /path".
func (d openAPIDoc) documented(pattern string) (map[int]bool, bool) {
	method, path, _ := strings.Cut(pattern, " ")
	op, ok := d.Paths[path][strings.ToLower(method)]
	if !ok {
		return nil, false
	}
	out := map[int]bool{}
	for code := range op.Responses {
		n, _ := strconv.Atoi(code)
		out[n] = true
	}
	return out, true
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !testing.Short() && os.Getenv("QP_SKIP_OPENAPI_CHECK") == "" {
		if err := checkObserved(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: OpenAPI document incomplete:\n"+err.Error())
			code = 1
		}
	}
	os.Exit(code)
}

// checkObserved: every status any test saw a route answer with is declared for that route.
func checkObserved() error {
	var doc openAPIDoc
	if err := json.Unmarshal(intake.OpenAPI(), &doc); err != nil {
		return err
	}
	seen.Lock()
	defer seen.Unlock()
	var missing []string
	for pattern, statuses := range seen.m {
		declared, ok := doc.documented(pattern)
		if !ok {
			missing = append(missing, pattern+": route not in the document")
			continue
		}
		for st := range statuses {
			if !declared[st] {
				missing = append(missing, fmt.Sprintf("%s: status %d not declared", pattern, st))
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return fmt.Errorf("%s", strings.Join(missing, "\n"))
	}
	return nil
}

// TestOpenAPIRoutes: the document is OpenAPI 3.1 and lists exactly the routes the server mounts,
// and it is served at /v1/openapi.json without a key.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	routes := intake.Routes()
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			inDoc[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range routes {
		if !inDoc[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
		delete(inDoc, r)
	}
	for r := range inDoc {
		t.Errorf("openapi.json documents %s, which the server does not have", r)
	}
	api := newTestAPI(t)
	resp, err := http.Get(api.srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /v1/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
