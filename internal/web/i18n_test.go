package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/net/html"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/web"
)

// Every catalogue has every key: a page never falls back to a key or another language.
func TestCataloguesHaveTheSameKeys(t *testing.T) {
	langs := web.Languages()
	if len(langs) < 2 || langs[0] != "de" || !slices.Contains(langs, "en") {
		t.Fatalf("languages %v: German first, English among them", langs)
	}
	en := web.Catalogue("en")
	for _, l := range langs {
		c := web.Catalogue(l)
		for k := range en {
			if _, ok := c[k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k, v := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English lacks", l, k)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if got, want := verbs(v), verbs(en[k]); got != want {
				t.Errorf("%s %q has the values %s, English %s", l, k, got, want)
			}
		}
		// The address rules' words and hints all have their translation.
		for _, h := range address.Hints() {
			if _, ok := c["addr.hint."+h]; !ok {
				t.Errorf("%s lacks the hint %q", l, h)
			}
		}
		for _, term := range address.Terms() {
			if _, ok := c["addr.term."+term]; !ok {
				t.Errorf("%s lacks the term %q", l, term)
			}
		}
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z%]`)

// verbs lists a message's fmt verbs as a sorted string: translations may reorder them (%[2]s)
// but must take the same values.
func verbs(s string) string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v == "%%" {
			continue
		}
		out = append(out, v[len(v)-1:])
	}
	sort.Strings(out)
	return strings.Join(out, "")
}

// TestEveryPageSpeaksOneLanguage renders every page in every language and fails on any visible
// text (text nodes, titles, placeholders, labels for assistive technology) that is not made of
// that language's catalogue. Data the customer or a machine wrote (their message, names,
// addresses, card ids, a robot's firmware reply) is marked translate="no" in the pages and left
// out; country names and lettering titles are proper names and allowed as such.
func TestEveryPageSpeaksOneLanguage(t *testing.T) {
	s := startSystem(t, app.Config{SimPlotters: 1})
	ctx := context.Background()
	// Something for every part of the dashboard: a failed card, a lane no robot serves.
	acc, _ := s.sys.Store.CreateAccount(ctx, "shop")
	to := []byte(`{"name":"Erika Muster","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}`)
	failed, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Danke", Font: "allure", Hand: "casual",
		Stock: "a5-white", Format: "a5", To: to})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: failed.ID, From: store.StatusQueued, To: store.StatusFailed, Cause: "worker.fault", Detail: "sim-9: ALARM:1 hard limit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Hallo", Font: "allure", Hand: "casual",
		Stock: "a5-white", Format: "a5", To: to}); err != nil {
		t.Fatal(err)
	}
	// A card held since an upgrade because its proof changed.
	reproof, err := s.sys.Store.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Bis bald", Font: "allure", Hand: "casual",
		Stock: "a5-white", Format: "a5", To: to, ApprovalRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.Transition(ctx, store.Change{CardID: reproof.ID, From: store.StatusAccepted, To: store.StatusAccepted,
		Cause: store.CauseProofChanged, Detail: "the renderer draws other strokes"}); err != nil {
		t.Fatal(err)
	}
	key := s.operatorKey()

	for _, lang := range web.Languages() {
		t.Run(lang, func(t *testing.T) {
			check := newLanguageCheck(t, lang)
			b := s.browser()
			get := func(path string) *html.Node {
				t.Helper()
				req, _ := http.NewRequest("GET", s.srv.URL+path, nil)
				req.Header.Set("Accept-Language", lang)
				_, doc, _ := b.do(req)
				return doc
			}
			post := func(path string, v url.Values) (int, *html.Node, *http.Response) {
				t.Helper()
				req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept-Language", lang)
				return b.do(req)
			}
			doc := get("/?lang=" + lang)
			check.page("order form", doc)
			form := formValues(find(doc, "form[id=order]")[0])

			// The form with every kind of problem at once.
			bad := fillOrder(url.Values{}, "Liebe Erika,\nein Gruß mit ❤️ und 👨‍👩‍👧")
			for k, v := range form {
				if bad.Get(k) == "" {
					bad[k] = v
				}
			}
			bad.Set("to_postal_code", "1011")
			bad.Set("to_name", "")
			bad.Set("from_name", "Jo 😀")
			bad.Set("from_line1", "Marktplatz 1")
			bad.Set("from_city", "Ottawa")
			bad.Set("from_country", "CA")
			bad.Set("send_date", "gestern")
			code, doc, _ := post("/orders", bad)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("bad order: %d", code)
			}
			check.page("order form with errors", doc)
			long := fillOrder(url.Values{}, strings.Repeat("Vielen Dank für alles, es war schön. ", 40))
			for k, v := range form {
				if long.Get(k) == "" {
					long[k] = v
				}
			}
			_, doc, _ = post("/orders", long)
			check.page("order form with a text too long", doc)

			good := fillOrder(url.Values{}, "Liebe Erika,\ndanke!")
			for k, v := range form {
				if good.Get(k) == "" {
					good[k] = v
				}
			}
			good.Set("send_date", todayPlus(3))
			code, doc, _ = post("/orders", good)
			if code != 200 {
				t.Fatalf("review: %d", code)
			}
			check.page("review", doc)
			code, _, resp := post("/orders", formValues(find(doc, "form[id=submit-order]")[0]))
			if code != http.StatusSeeOther {
				t.Fatalf("submit: %d", code)
			}
			check.page("status", get(resp.Header.Get("Location")))
			check.page("not found", get("/nowhere"))
			check.page("unknown order", get("/orders/crd_nothing"))

			op := s.browser()
			opGet := func(path string) *html.Node {
				req, _ := http.NewRequest("GET", s.srv.URL+path, nil)
				req.Header.Set("Accept-Language", lang)
				_, doc, _ := op.do(req)
				return doc
			}
			doc = opGet("/operator?lang=" + lang)
			check.page("operator login", doc)
			login := formValues(find(doc, "form")[0])
			login.Set("key", "qp_op_wrong")
			req, _ := http.NewRequest("POST", s.srv.URL+"/operator/login", strings.NewReader(login.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			_, doc, _ = op.do(req)
			check.page("operator login refused", doc)
			op.login(key)
			var csrf string
			waitFor(t, patience, "the robot on the dashboard", func() bool {
				doc = opGet("/operator")
				csrf = formValues(find(doc, "form")[0]).Get("csrf")
				return len(find(doc, "article[data-robot=sim-1]")) == 1 && len(find(doc, "li[data-stranded]")) == 1
			})
			check.page("dashboard", doc)
			op.post("/operator/robots/sim-1/pause", url.Values{"csrf": {csrf}}) // refused: not writing
			check.page("dashboard with a refusal", opGet("/operator"))
			check.page("search by recipient", opGet("/operator?q=Erika"))
			check.page("search without result", opGet("/operator?q=Niemand"))

			// The pages whose scripts write words: their markup, the words handed to the
			// scripts, and, in German, what the scripts wrote in the browser.
			for _, p := range scriptPages {
				doc := get(p.path)
				check.page(p.path, doc)
				check.scriptWords(s.srv.URL, p, doc)
			}
			if lang == "de" {
				t.Run("scripts in the browser", func(t *testing.T) {
					check := newLanguageCheck(t, lang)
					check.scriptPagesInBrowser(s, acc)
				})
			}
		})
	}
}

func todayPlus(days int) string {
	return time.Now().AddDate(0, 0, days).Format("2006-01-02")
}

// languageCheck knows what a page in one language may show.
type languageCheck struct {
	t        *testing.T
	lang     string
	whole    []*regexp.Regexp // each catalogue text, matching a whole string
	patterns []*regexp.Regexp // each catalogue text, matching whole words in a string
	names    []string         // proper names: countries, letterings
}

func newLanguageCheck(t *testing.T, lang string) *languageCheck {
	c := &languageCheck{t: t, lang: lang}
	var values []string
	for _, v := range web.Catalogue(lang) {
		if strings.IndexFunc(verbRE.ReplaceAllString(v, ""), unicode.IsLetter) < 0 {
			continue // only values: matches anything
		}
		values = append(values, v)
	}
	// Longest first, so that a sentence is taken whole before a word of it.
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		var re strings.Builder
		last := 0
		for _, m := range verbRE.FindAllStringIndex(v, -1) {
			re.WriteString(regexp.QuoteMeta(v[last:m[0]]))
			switch verb := v[m[0]:m[1]]; {
			case verb == "%%":
				re.WriteString("%")
			case strings.HasSuffix(verb, "d"):
				re.WriteString(`-?\d+`)
			case strings.HasSuffix(verb, "f"):
				re.WriteString(`-?[\d.,]+`)
			default:
				re.WriteString(`.+?`)
			}
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(v[last:]))
		c.whole = append(c.whole, regexp.MustCompile(`^`+re.String()+`$`))
		// Whole words only: "Deutsch" is no part of "Deutschland".
		c.patterns = append(c.patterns, regexp.MustCompile(`(?:^|[^\p{L}])`+re.String()+`(?:[^\p{L}]|$)`))
	}
	for _, code := range address.Countries() {
		if n := address.CountryName(code, lang); n != "" {
			c.names = append(c.names, n)
		}
	}
	for _, f := range font.Faces() {
		c.names = append(c.names, f.Title)
	}
	c.names = append(c.names, "quillpost")
	sort.Slice(c.names, func(i, j int) bool { return len(c.names[i]) > len(c.names[j]) })
	return c
}

// page checks every visible string of a page.
func (c *languageCheck) page(name string, doc *html.Node) {
	c.t.Helper()
	if h := find(doc, "html"); len(h) == 0 || attrVal(h[0], "lang") != c.lang {
		c.t.Errorf("%s: <html lang> is not %s", name, c.lang)
	}
	for _, s := range visibleStrings(doc) {
		if left := c.leftover(s); left != "" {
			c.t.Errorf("%s (%s): %q is not from the %s catalogue (left over: %q)", name, c.lang, s, c.lang, left)
		}
	}
}

// leftover removes every catalogue text and proper name from s and returns the words that remain.
func (c *languageCheck) leftover(s string) string {
	if slices.Contains(c.names, s) {
		return ""
	}
	for _, re := range c.whole {
		if re.MatchString(s) {
			return ""
		}
	}
	s = " " + s + " "
	for _, re := range c.patterns {
		// Twice: a match takes the space after it, which the next match needs before it.
		s = re.ReplaceAllString(re.ReplaceAllString(s, " "), " ")
	}
	for _, n := range c.names {
		s = strings.ReplaceAll(s, n, " ")
	}
	// Numbers with their units, money and clock times are no language's words.
	s = regexp.MustCompile(`\d+([.,]\d+)?\s*(mm|min|m|s|h|%)?\b`).ReplaceAllString(s, " ")
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return strings.Join(words, " ")
}

func attrVal(n *html.Node, name string) string { v, _ := attrOf(n, name); return v }

// visibleStrings collects the text a person sees or hears on a page: text nodes outside scripts,
// styles and SVG, and the title, placeholder, aria-label and alt attributes, leaving out what is
// marked translate="no" and what the customer typed (textarea content, input values).
func visibleStrings(doc *html.Node) []string {
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "svg", "textarea", "template":
				return
			}
			if attrVal(n, "translate") == "no" {
				return
			}
			for _, a := range []string{"title", "placeholder", "aria-label", "alt"} {
				if v := strings.TrimSpace(attrVal(n, a)); v != "" {
					out = append(out, v)
				}
			}
		}
		if n.Type == html.TextNode {
			if v := strings.Join(strings.Fields(n.Data), " "); v != "" {
				out = append(out, v)
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	return out
}

// The check itself catches an English word on a German page.
func TestLanguageCheckCatchesAStrayWord(t *testing.T) {
	c := newLanguageCheck(t, "de")
	if left := c.leftover("Bitte korrigieren Sie die markierten Felder."); left != "" {
		t.Errorf("a German sentence left %q", left)
	}
	if left := c.leftover("Zeile 2, Zeichen 5: Die Schrift EMS Allure kann „✈“ nicht schreiben. Bitte ersetzen Sie das Zeichen oder wählen Sie eine andere Schrift."); left != "" {
		t.Errorf("a German sentence with values left %q", left)
	}
	if left := c.leftover("the postal code is missing"); left == "" {
		t.Errorf("an English sentence passed as German")
	}
	if left := c.leftover(fmt.Sprintf("%d Karten heute geschrieben", 12)); left != "" {
		t.Errorf("left %q", left)
	}
}
