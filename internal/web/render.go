package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"time"
)

// page is what every template gets.
type page struct {
	Lang     string
	Page     string // "order", "operator", ...
	Title    string
	CSRF     string
	LangURLs map[string]string // the current page in each language
	Langs    []string
	// LangForm names the form whose content a language switch sends along (the order form and
	// the review), so that changing the language keeps what the customer typed.
	LangForm string
	Test     bool // the page is about test cards: say so in a banner
	Data     any
}

func (s *Server) base(r *http.Request, name string) page {
	return page{Page: name}
}

// pageFiles are the templates of each page, each parsed with the layout.
var pageFiles = []string{"order.html", "review.html", "status.html", "login.html", "operator.html", "notfound.html",
	"capture.html", "console.html"}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	for _, p := range pageFiles {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/sheets.html", "templates/"+p)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", p, err)
		}
		s.pages[p] = t
	}
	return nil
}

var funcs = template.FuncMap{
	"t": tr,
	"pct": func(f float64) string {
		return fmt.Sprintf("%.0f", math.Max(0, math.Min(100, f)))
	},
	"metres": func(f float64) string { return fmt.Sprintf("%.1f m", f) },
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("15:04:05")
	},
	"datetime": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"dur":      humanDuration,
	"short": func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n-1]) + "…"
	},
	"addressArgs": func(lang, prefix string, a addressForm, errs map[string]string, cs []countryOption, auto string, required bool) addressArgs {
		return addressArgs{Lang: lang, Prefix: prefix, Addr: a, Errors: errs, Countries: cs, Auto: auto, Required: required}
	},
	"addrs": func(f orderForm) map[string]addressForm { return map[string]addressForm{"to_": f.To, "from_": f.From} },
	"money": money,
	"stock": stockTitle,
	"cardArgs": func(lang, csrf string, c failedView, failed bool) cardArgs {
		return cardArgs{Lang: lang, CSRF: csrf, Card: c, Failed: failed}
	},
	"percent":   percent,
	"robotArgs": func(lang, csrf string, r robotView) robotArgs { return robotArgs{Lang: lang, CSRF: csrf, Robot: r} },
	"svg":       func(s string) template.HTML { return template.HTML(s) }, // only ever our renderer's output
}

// addressArgs are the address partial's arguments.
type addressArgs struct {
	Lang, Prefix string
	Addr         addressForm
	Errors       map[string]string
	Countries    []countryOption
	Auto         string // autocomplete section: shipping, billing
	Required     bool
}

// cardArgs are the card row partial's arguments.
type cardArgs struct {
	Lang, CSRF string
	Card       failedView
	Failed     bool // shown among what needs a human
}

// robotArgs are the robot partial's arguments.
type robotArgs struct {
	Lang, CSRF string
	Robot      robotView
}

// humanDuration shows a duration as "1 min 20 s" or "45 s".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// render executes a page into a buffer first, so a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Lang = language(w, r)
	if p.CSRF == "" {
		p.CSRF = s.csrfToken(w, r)
	}
	p.Langs = languages
	switch p.Page {
	case "order":
		p.LangForm, p.Test = "order", s.cfg.TestOrders
	case "review":
		p.LangForm, p.Test = "submit-order", s.cfg.TestOrders
	}
	p.LangURLs = map[string]string{}
	for _, l := range languages {
		u := *r.URL
		q := u.Query()
		q.Set("lang", l)
		u.RawQuery = q.Encode()
		p.LangURLs[l] = u.RequestURI()
	}
	if r.Method != http.MethodGet {
		for l := range p.LangURLs {
			p.LangURLs[l] = "?" + url.Values{"lang": {l}}.Encode()
		}
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderFragment executes one named template of a page (for server-sent events).
func (s *Server) renderFragment(name, fragment string, p page) (string, error) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, fragment, p); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// csrfCookie holds a random per-browser token; forms echo it in a hidden field (double submit).
// The cookie is SameSite=Strict, so another site's form cannot make the browser send it.
const csrfCookie = "qp_csrf"

// csrfToken returns the token forms must carry: bound to the operator's session when there is
// one, else the browser's random token (created now if missing).
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if token := sessionCookie(r); token != "" {
		return operatorCSRF(token)
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	return tok
}

// checkCSRF compares the form's token with the browser's cookie token.
func checkCSRF(r *http.Request, formToken string) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 32 || formToken == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(formToken)) == 1
}

// operatorCSRF derives the operator's form token from the session key: any process can check it
// without shared state, and it changes with the key.
func operatorCSRF(key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("quillpost operator form"))
	return hex.EncodeToString(m.Sum(nil))[:40]
}
