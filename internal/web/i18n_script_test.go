package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/web"
)

// scriptPage is a page whose script writes words of its own: the words come in the page as a
// JSON blob (<script id="words">) made of the catalogue's keys under prefix.
type scriptPage struct {
	path, script, prefix string
}

var scriptPages = []scriptPage{
	{"/capture", "/static/capture.js", "capture.js."},
	{"/triggers/console", "/static/console.js", "console.js."},
}

// scriptWords checks a script page's words blob: it holds exactly the page language's texts
// under the page's prefix, and it has every key the script asks for with T(…), and the script
// has no sentence of its own outside them.
func (c *languageCheck) scriptWords(base string, p scriptPage, doc *html.Node) {
	c.t.Helper()
	blob := find(doc, "script[id=words]")
	if len(blob) != 1 {
		c.t.Errorf("%s (%s): no words blob", p.path, c.lang)
		return
	}
	var words map[string]string
	if err := json.Unmarshal([]byte(text(blob[0])), &words); err != nil {
		c.t.Errorf("%s (%s): words blob: %v", p.path, c.lang, err)
		return
	}
	want := map[string]string{}
	for k, v := range web.Catalogue(c.lang) {
		if rest, ok := strings.CutPrefix(k, p.prefix); ok {
			want[rest] = v
		}
	}
	if len(want) == 0 || !maps.Equal(words, want) {
		c.t.Errorf("%s (%s): the words blob is not the catalogue's %s texts:\n%v\nwant\n%v", p.path, c.lang, p.prefix, words, want)
	}
	resp, err := http.Get(base + p.script)
	if err != nil {
		c.t.Fatal(err)
	}
	src, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	used, loose := scriptLiterals(string(src))
	// A key ending in a dot is a family the script completes with a code from the server
	// (T("reject." + code)): its texts count as used, and the family must have some.
	var families []string
	for _, k := range used {
		if strings.HasSuffix(k, ".") {
			families = append(families, k)
			if !slices.ContainsFunc(slices.Collect(maps.Keys(words)), func(w string) bool { return strings.HasPrefix(w, k) }) {
				c.t.Errorf("%s asks for the family %q, which the %s catalogue has no text of", p.script, k, c.lang)
			}
			continue
		}
		if _, ok := words[k]; !ok {
			c.t.Errorf("%s asks for %q, which the %s catalogue lacks (%s%s)", p.script, k, c.lang, p.prefix, k)
		}
	}
	for k := range words {
		inFamily := slices.ContainsFunc(families, func(f string) bool { return strings.HasPrefix(k, f) })
		if !inFamily && !slices.Contains(used, k) {
			c.t.Errorf("%s never uses the catalogue's %s%s", p.script, p.prefix, k)
		}
	}
	for _, l := range loose {
		if l != "use strict" && sentenceRE.MatchString(l) {
			c.t.Errorf("%s writes %q, which is not from the catalogue", p.script, l)
		}
	}
}

var (
	literalRE  = regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"`)
	sentenceRE = regexp.MustCompile(`\p{L}{2,}[,.:;]? +\p{L}{2,}`)
	commentRE  = regexp.MustCompile(`(?m)^\s*//.*$|/\*[\s\S]*?\*/`)
)

// scriptLiterals splits a script's string literals into the keys it passes to T(…) (every
// literal inside a T call's first argument) and all the others.
func scriptLiterals(src string) (keys, loose []string) {
	src = commentRE.ReplaceAllString(src, "")
	inKey := make([]bool, len(src))
	for _, m := range regexp.MustCompile(`\bT\(`).FindAllStringIndex(src, -1) {
		depth, inStr := 1, false
	scan:
		for i := m[1]; i < len(src); i++ {
			switch ch := src[i]; {
			case inStr && ch == '\\':
				inKey[i] = true
				i++
			case ch == '"':
				inStr = !inStr
			case inStr:
			case ch == '(':
				depth++
			case ch == ')':
				if depth--; depth == 0 {
					break scan
				}
			case ch == ',' && depth == 1:
				break scan
			}
			inKey[i] = true
		}
	}
	for _, m := range literalRE.FindAllStringIndex(src, -1) {
		lit := src[m[0]+1 : m[1]-1]
		if inKey[m[0]] {
			keys = append(keys, lit)
		} else {
			loose = append(loose, lit)
		}
	}
	return keys, loose
}

// scriptPagesInBrowser runs the capture page and the trigger console in Chromium in c's language
// and checks what their scripts wrote: a refused key, a sheet begun with its prompts and
// progress, a resumed sheet, a console whose account has no trigger.
func (c *languageCheck) scriptPagesInBrowser(s *system, acc *store.Account) {
	t := c.t
	ctx := chrome(t)
	key, _, err := s.sys.Store.CreateKey(context.Background(), acc.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	shown := func(name string) {
		t.Helper()
		src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		c.page(name, doc)
	}
	note := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#setup-note")))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/capture?lang="+c.lang),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #setup`)),
		setValue("#key", "qp_test_nothing"), setValue("#name", "anna-hand"),
		chromedp.Click(chromedp.CSS("#start")),
	); err != nil {
		t.Fatal(err)
	}
	if note() == "" {
		t.Error("a test key was not refused on the capture page")
	}
	shown("capture page, a test key refused")

	plan := capture.Plan()
	source, err := font.Lookup("script")
	if err != nil {
		t.Fatal(err)
	}
	synth := capture.Synthesize(source, plan, "anna-hand", 2026)
	// The first two boxes (one character, asked for more than once) and the signature box.
	last := len(plan) - 1
	boxes := []drawBox{{I: 0, Strokes: synth.Boxes[0].Strokes}, {I: 1, Strokes: synth.Boxes[1].Strokes}, {I: last, Strokes: synth.Boxes[last].Strokes}}
	js, _ := json.Marshal(boxes)
	if err := chromedp.Do(ctx,
		setValue("#key", key),
		chromedp.Click(chromedp.CSS("#start")),
		chromedp.WaitVisible(chromedp.CSS("#pad")),
	); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(drawJS, js))); err != nil || n != len(boxes) {
		t.Fatalf("drawing: %d, %v", n, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grid button[data-i="1"]`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := attr(ctx, "#progress-text", "data-written"); n != "3" {
		t.Errorf("%s boxes written, want 3", n)
	}
	shown("capture page, a character asked for again")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grid button[data-i="`+fmt.Sprint(last)+`"]`))); err != nil {
		t.Fatal(err)
	}
	shown("capture page, the signature box")
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #setup`))); err != nil {
		t.Fatal(err)
	}
	if note() == "" {
		t.Error("the half-finished sheet was not offered after reloading")
	}
	shown("capture page, a sheet to resume")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/triggers/console?lang="+c.lang),
		chromedp.WaitVisible(chromedp.CSS("#key")),
		setValue("#key", key),
		chromedp.Click(chromedp.CSS("#load")),
		chromedp.WaitVisible(chromedp.CSS("#load-error")),
	); err != nil {
		t.Fatal(err)
	}
	shown("trigger console, no trigger")
}
