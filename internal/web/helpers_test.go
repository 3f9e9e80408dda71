package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// system is a whole quillpost (store, embedded NATS, simulated robots) behind an httptest server.
type system struct {
	t   testing.TB
	sys *app.System
	srv *httptest.Server
}

func startSystem(t testing.TB, cfg app.Config) *system {
	t.Helper()
	cfg.DataDir = t.TempDir()
	// The order page orders live cards; the simulated robots stand in for real ones.
	cfg.SimTakesLive = true
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	sys, err := app.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sys.Run(ctx) }()
	srv := httptest.NewServer(sys.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("system did not stop within 20 s")
		}
		sys.Close()
	})
	return &system{t: t, sys: sys, srv: srv}
}

// operatorKey creates an operator key.
func (s *system) operatorKey() string {
	s.t.Helper()
	ctx := context.Background()
	acc, err := s.sys.Store.CreateAccount(ctx, "ops")
	if err != nil {
		acc, err = s.sys.Store.AccountByName(ctx, "ops")
		if err != nil {
			s.t.Fatal(err)
		}
	}
	key, _, err := s.sys.Store.CreateKey(ctx, acc.ID, store.KeyOperator)
	if err != nil {
		s.t.Fatal(err)
	}
	return key
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t testing.TB
	c *http.Client
	s *system
}

func (s *system) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{Jar: jar, Timeout: patience,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a page and parses it.
func (b *browser) get(path string) (int, *html.Node, *http.Response) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.s.srv.URL+path, nil)
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (int, *html.Node, *http.Response) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

func (b *browser) do(req *http.Request) (int, *html.Node, *http.Response) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(raw)))
	doc, err := html.Parse(strings.NewReader(string(raw)))
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, doc, resp
}

// find returns the elements matching a tiny selector: "tag", "tag[attr]", "tag[attr=value]",
// "[attr=value]" or "tag.class".
func find(n *html.Node, sel string) []*html.Node {
	tag, attr, val, class := sel, "", "", ""
	if i := strings.IndexByte(sel, '['); i >= 0 {
		tag = sel[:i]
		inner := strings.TrimSuffix(sel[i+1:], "]")
		attr, val, _ = strings.Cut(inner, "=")
		if !strings.Contains(inner, "=") {
			val = "\x00any"
		}
	} else if i := strings.IndexByte(sel, '.'); i >= 0 {
		tag, class = sel[:i], sel[i+1:]
	}
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) {
			ok := true
			if attr != "" {
				v, has := attrOf(n, attr)
				ok = has && (val == "\x00any" || v == val)
			}
			if class != "" {
				v, _ := attrOf(n, "class")
				ok = ok && contains(strings.Fields(v), class)
			}
			if ok {
				out = append(out, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func attrOf(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// text is the node's text content, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// formValues collects a form's inputs (hidden, text, checked radios/checkboxes, selects, textareas).
func formValues(form *html.Node) url.Values {
	v := url.Values{}
	for _, in := range find(form, "input") {
		name, _ := attrOf(in, "name")
		typ, _ := attrOf(in, "type")
		val, _ := attrOf(in, "value")
		if name == "" || ((typ == "radio" || typ == "checkbox") && !hasAttr(in, "checked")) {
			continue
		}
		v.Add(name, val)
	}
	for _, ta := range find(form, "textarea") {
		name, _ := attrOf(ta, "name")
		v.Set(name, text(ta))
	}
	for _, sel := range find(form, "select") {
		name, _ := attrOf(sel, "name")
		opts := find(sel, "option")
		for i, o := range opts {
			if hasAttr(o, "selected") || (i == 0 && v.Get(name) == "") {
				val, _ := attrOf(o, "value")
				v.Set(name, val)
			}
		}
	}
	return v
}

func hasAttr(n *html.Node, name string) bool { _, ok := attrOf(n, name); return ok }

// waitFor polls cond until it holds or the timeout passes.
// patience bounds every wait on the system or the browser. It is generous on purpose: the tests
// run on busy two-core machines beside other test binaries, and a wait only costs time when it
// fails.
const patience = 3 * time.Minute

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login signs the browser in as an operator with the key and fails the test otherwise.
func (b *browser) login(key string) {
	b.t.Helper()
	_, doc, _ := b.get("/operator")
	forms := find(doc, "form")
	if len(forms) == 0 {
		b.t.Fatal("no login form")
	}
	v := formValues(forms[0])
	v.Set("key", key)
	if code, _, _ := b.post("/operator/login", v); code != http.StatusSeeOther {
		b.t.Fatalf("login: status %d", code)
	}
}
