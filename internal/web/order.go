package web

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/quillpost/quillpost/internal/address"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store"
)

// maxMessageRunes bounds the textarea; the renderer decides what actually fits.
const maxMessageRunes = 2000

// maxSeed keeps seeds exact in JavaScript (2^53), as the API does.
const maxSeed = 1 << 53

// penWidthMM is the preview's line width: a fine fountain pen.
const penWidthMM = 0.45

// orderForm is the order being written, as the form holds it.
type orderForm struct {
	Stock, Font, Hand, Align, Message string
	SendDate                          string // a plain date, 2026-12-20; "" is as soon as possible
	Seed                              uint64
	Token                             string // idempotency: one order per form, however often sent
	To, From                          addressForm
}

type addressForm struct {
	Country, Name, Company, Line1, Line2, PostalCode, City, Region string
}

func (a addressForm) empty() bool {
	return a.Name == "" && a.Company == "" && a.Line1 == "" && a.Line2 == "" && a.PostalCode == "" && a.City == "" && a.Region == ""
}

func (a addressForm) address() address.Address {
	out := address.Address{Name: a.Name, Company: a.Company, PostalCode: a.PostalCode, City: a.City, Region: a.Region, Country: a.Country}
	for _, l := range []string{a.Line1, a.Line2} {
		if strings.TrimSpace(l) != "" {
			out.Lines = append(out.Lines, l)
		}
	}
	return out
}

func readForm(r *http.Request) orderForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	addr := func(p string) addressForm {
		return addressForm{Country: strings.ToUpper(v(p + "country")), Name: v(p + "name"), Company: v(p + "company"),
			Line1: v(p + "line1"), Line2: v(p + "line2"), PostalCode: v(p + "postal_code"), City: v(p + "city"), Region: v(p + "region")}
	}
	f := orderForm{Stock: v("stock"), Font: v("font"), Hand: v("hand"), Align: v("align"),
		Message: strings.ReplaceAll(r.PostFormValue("message"), "\r\n", "\n"), Token: v("token"), SendDate: v("send_date"),
		To: addr("to_"), From: addr("from_")}
	f.Seed, _ = strconv.ParseUint(v("seed"), 10, 64)
	return f
}

// orderView is the order page's data.
type orderView struct {
	Form      orderForm
	Stocks    []stockOption
	Faces     []*font.Face
	Hands     []handOption
	Countries []countryOption
	Fields    template.JS // countryFields by country code, JSON for the page's script
	Preview   previewResult
	Errors    map[string]string // field → message
	Problem   string            // a message above the form
	ToLines   []string          // review: the envelope lines
	FromLines []string
	FaceTitle string
	HandTitle string
	StockName string
	Price     price  // of one card of the chosen stock; zero when the table has none
	PriceOK   bool   // the table has a price for the chosen stock
	Test      bool   // the page orders test cards
	SendWhen  string // review: the send date as the customer reads it
	Today     string // the earliest send date, 2006-01-02
	LastDay   string // the latest
	MaxRunes  int
	Runes     int
}

type stockOption struct {
	Name, Title string
	Price       string // with VAT, in the page's language; "" without a price
}

type handOption struct{ Name, Title string }

type countryOption struct {
	Code, Name string
	Formatted  bool // has rules of its own
}

func (s *Server) newForm() orderForm {
	var b [8]byte
	rand.Read(b[:])
	var t [12]byte
	rand.Read(t[:])
	return orderForm{Stock: s.cfg.Stocks[0], Font: cardspec.DefaultFont, Hand: cardspec.DefaultHand,
		Seed: binary.LittleEndian.Uint64(b[:]) % maxSeed, Token: hex.EncodeToString(t[:]),
		To: addressForm{Country: "DE"}, From: addressForm{Country: "DE"}}
}

func (s *Server) orderView(lang string, f orderForm) orderView {
	now := s.cfg.Now().UTC()
	v := orderView{Form: f, Faces: font.Faces(), Errors: map[string]string{}, Test: s.cfg.TestOrders,
		Today: now.Format(time.DateOnly), LastDay: now.AddDate(1, 0, 0).Format(time.DateOnly),
		MaxRunes: maxMessageRunes, Runes: utf8.RuneCountInString(f.Message)}
	for _, h := range hand.Hands() {
		v.Hands = append(v.Hands, handOption{Name: h.Name, Title: handTitle(lang, h)})
	}
	for _, st := range s.cfg.Stocks {
		o := stockOption{Name: st, Title: stockTitle(lang, st)}
		if p, ok := s.cfg.Prices.Of(st); ok {
			o.Price = money(lang, p.Gross, p.Currency)
		}
		v.Stocks = append(v.Stocks, o)
	}
	v.Price, v.PriceOK = s.cfg.Prices.Of(f.Stock)
	v.SendWhen = tr(lang, "order.senddate.asap")
	if f.SendDate != "" {
		v.SendWhen = longDate(lang, f.SendDate)
	}
	v.Countries = countries(lang)
	v.Fields = fieldsJSON(lang)
	return v
}

func (s *Server) orderForm(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	f := s.newForm()
	v := s.orderView(lang, f)
	v.Preview = s.renderPreview(lang, f)
	s.render(w, r, http.StatusOK, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
}

// orderPost handles the form's three steps: review (validate and show the proof), edit (back to
// the form), submit (store the card and go to its status page).
func (s *Server) orderPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	lang := language(w, r)
	f := readForm(r)
	if f.Token == "" || len(f.Token) > 64 {
		f.Token = s.newForm().Token
	}
	v := s.orderView(lang, f)
	if !checkCSRF(r, r.PostFormValue("csrf")) {
		v.Problem = tr(lang, "err.expired")
		v.Preview = s.renderPreview(lang, f)
		s.render(w, r, http.StatusForbidden, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
		return
	}
	step := r.PostFormValue("step")
	// A language switch sends the form along: the same step again, in the new language, without
	// placing the order or marking fields that are still empty.
	if r.PostFormValue("relang") != "" {
		if step == "submit" {
			step = "review"
		} else {
			step = "edit"
		}
	}
	if step == "edit" {
		v.Preview = s.renderPreview(lang, f)
		s.render(w, r, http.StatusOK, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
		return
	}
	nc, card, reason := s.validate(lang, f, &v)
	if reason != "" {
		s.reject(reason)
		v.Problem = tr(lang, "order.fix")
		v.Preview = s.renderPreview(lang, f)
		s.render(w, r, http.StatusUnprocessableEntity, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
		return
	}
	if step != "submit" {
		v.Preview = previewOf(lang, card)
		v.ToLines = address.Format(nc.to, s.cfg.SenderCountry)
		if !f.From.empty() {
			v.FromLines = address.Format(nc.from, s.cfg.SenderCountry)
		}
		for _, fc := range v.Faces {
			if fc.Name == f.Font {
				v.FaceTitle = fc.Title
			}
		}
		for _, h := range v.Hands {
			if h.Name == f.Hand {
				v.HandTitle = h.Title
			}
		}
		for _, st := range v.Stocks {
			if st.Name == f.Stock {
				v.StockName = st.Title
			}
		}
		s.render(w, r, http.StatusOK, "review.html", page{Page: "review", Title: tr(lang, "review.title"), Data: v})
		return
	}
	// Each order is a live card, a blank and a robot's time: one client may place only a few.
	if !s.orders.allow(clientOf(r)) {
		s.reject("rate_limited")
		w.Header().Set("Retry-After", "12")
		v.Problem = tr(lang, "err.ratelimited")
		v.Preview = previewOf(lang, card)
		s.render(w, r, http.StatusTooManyRequests, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
		return
	}
	c, err := s.cfg.Store.CreateCard(r.Context(), nc.card)
	if errors.Is(err, store.ErrDuplicate) && c != nil {
		err = nil // the same form sent twice: show the order it made
	}
	if err != nil {
		s.log.Error("web order not stored", "err", err)
		v.Problem = tr(lang, "err.internal")
		v.Preview = previewOf(lang, card)
		s.render(w, r, http.StatusInternalServerError, "order.html", page{Page: "order", Title: tr(lang, "order.title"), Data: v})
		return
	}
	s.cfg.OnAccepted()
	s.log.Info("card ordered on the web", "card", c.ID, "status", c.Status)
	http.Redirect(w, r, "/orders/"+c.ID, http.StatusSeeOther)
}

// reject counts a refused order.
func (s *Server) reject(reason string) {
	if s.cfg.Rejections != nil {
		s.cfg.Rejections.Rejected("web", reason)
	}
}

// validatedOrder is an order that passed every check, ready to store.
type validatedOrder struct {
	card     store.NewCard
	to, from address.Address
}

// validate checks the order as the API does (text written by the same renderer, addresses by the
// same rules) and fills v.Errors with a message per field. reason is the API's error code of the
// first problem, "" when the order is good.
func (s *Server) validate(lang string, f orderForm, v *orderView) (validatedOrder, *hand.Card, string) {
	reason := ""
	fail := func(code string) {
		if reason == "" {
			reason = code
		}
	}
	if !slices.Contains(s.cfg.Stocks, f.Stock) {
		v.Errors["stock"] = tr(lang, "err.choose.stock")
		fail("stock_invalid")
	}
	sendDate, problem := s.sendDate(lang, f.SendDate)
	if problem != "" {
		v.Errors["send_date"] = problem
		fail("send_date_invalid")
	}
	var card *hand.Card
	if strings.TrimSpace(f.Message) == "" {
		v.Errors["message"] = tr(lang, "err.message.empty")
		fail("message_missing")
	} else if utf8.RuneCountInString(f.Message) > maxMessageRunes {
		v.Errors["message"] = tr(lang, "err.toolong.chars", utf8.RuneCountInString(f.Message), maxMessageRunes)
		fail("text_too_long")
	} else {
		c, err := cardspec.Render(cardspec.Spec{Message: f.Message, Font: f.Font, Hand: f.Hand, Stock: f.Stock, Align: f.Align, Seed: f.Seed % maxSeed})
		if err != nil {
			msgs, code := renderMessages(lang, f.Font, err)
			field := "message"
			var fe *cardspec.FieldError
			if errors.As(err, &fe) && fe.Field != "message" {
				field = fe.Field
			}
			v.Errors[field] = strings.Join(msgs, " ")
			fail(code)
		}
		card = c
	}
	to := f.To.address()
	for _, p := range address.Validate(to) {
		if _, dup := v.Errors["to_"+fieldName(p.Field)]; !dup {
			v.Errors["to_"+fieldName(p.Field)] = addressProblem(lang, p)
		}
		fail("address_invalid")
	}
	from := f.From.address()
	if !f.From.empty() {
		for _, p := range address.Validate(from) {
			if _, dup := v.Errors["from_"+fieldName(p.Field)]; !dup {
				v.Errors["from_"+fieldName(p.Field)] = addressProblem(lang, p)
			}
			fail("address_invalid")
		}
	}
	// The label font must print every address field, or the label of this card (and, printed
	// together, its neighbours') cannot be made once the card is written.
	for prefix, a := range map[string]*address.Address{"to_": &to, "from_": &from} {
		if prefix == "from_" && f.From.empty() {
			continue
		}
		for _, p := range sheets.UnprintableFields(address.Normalize(*a)) {
			if _, dup := v.Errors[prefix+fieldName(p.Field)]; !dup {
				v.Errors[prefix+fieldName(p.Field)] = addressProblem(lang, p)
			}
			fail("address_unprintable")
		}
	}
	if reason != "" {
		return validatedOrder{}, card, reason
	}
	toJSON, _ := json.Marshal(address.Normalize(to))
	var fromJSON json.RawMessage
	if !f.From.empty() {
		fromJSON, _ = json.Marshal(address.Normalize(from))
	}
	spec := cardspec.Spec{Font: f.Font, Hand: f.Hand, Stock: f.Stock, Align: f.Align}.WithDefaults()
	return validatedOrder{
		card: store.NewCard{
			AccountID: s.account.ID, IdempotencyKey: "web-" + f.Token, Test: s.cfg.TestOrders, SendDate: sendDate,
			Message: f.Message, Font: spec.Font, Hand: spec.Hand, Stock: spec.Stock, Format: card.Format.Name, Align: spec.Align,
			Seed: f.Seed % maxSeed, StrokeHash: card.Hash(), RenderVersion: cardspec.RenderVersion, To: toJSON, From: fromJSON,
			Metadata: map[string]string{"source": "web", "lang": lang},
			Note:     "ordered on the web page",
		},
		to: address.Normalize(to), from: address.Normalize(from),
	}, card, ""
}

// fieldName maps the address package's field names to the form's ("lines[0]" → line1).
func fieldName(f string) string {
	switch f {
	case "lines", "lines[0]":
		return "line1"
	case "lines[1]":
		return "line2"
	}
	if strings.HasPrefix(f, "lines[") {
		return "line2"
	}
	return f
}

// sentence capitalises a reason and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	s = strings.ToUpper(string(r[0])) + string(r[1:])
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// renderMessages turns a renderer error into messages for people, in their language, naming each
// character that cannot be written and where it is; code is the API's error code for it. The
// characters of one symbol (an emoji with its variation selector, skin tone or joiners) are one
// message, not one per code point.
func renderMessages(lang, fontName string, err error) ([]string, string) {
	var ie *hand.InputError
	var fit *hand.FitError
	switch {
	case errors.As(err, &ie):
		var out []string
		for i, g := range groupProblems(ie.Problems) {
			if i == 8 {
				out = append(out, "…")
				break
			}
			p := g[0]
			seq := ""
			glyph := false
			for _, q := range g {
				seq += string(q.Rune)
				glyph = glyph || strings.Contains(q.Reason, "glyph")
			}
			switch {
			case glyph:
				title := fontName
				if f, err := font.Lookup(fontName); err == nil {
					title = f.Title
				}
				out = append(out, tr(lang, "err.glyph", p.Line, p.Column, title, seq))
			case p.Line > 0 && strings.Contains(p.Reason, "invisible"):
				out = append(out, tr(lang, "err.text.invisible", p.Line, p.Column))
			case p.Line > 0 && strings.Contains(p.Reason, "UTF-8"):
				out = append(out, tr(lang, "err.text.utf8", p.Line, p.Column))
			case p.Line > 0:
				out = append(out, tr(lang, "err.text.control", p.Line, p.Column))
			case strings.Contains(p.Reason, "longer than"):
				out = append(out, tr(lang, "err.toolong.chars", 0, maxMessageRunes))
			case strings.Contains(p.Reason, "only spaces"):
				out = append(out, tr(lang, "err.text.blank"))
			default:
				out = append(out, tr(lang, "err.message.empty"))
			}
		}
		return out, "text_unwritable"
	case errors.As(err, &fit):
		if fit.Detail != "" {
			return []string{tr(lang, "err.toolong.word", fit.Detail)}, "text_too_long"
		}
		cut := 0
		if fit.LinesNeeded > 0 {
			cut = (100*(fit.LinesNeeded-fit.LinesAvailable) + fit.LinesNeeded - 1) / fit.LinesNeeded
		}
		title := fit.Format
		for _, fm := range hand.Formats() {
			if fm.Title == fit.Format {
				title = trOr(lang, "format."+fm.Name, fm.Title)
			}
		}
		return []string{tr(lang, "err.toolong", title, fit.LinesNeeded, fit.LinesAvailable, cut)}, "text_too_long"
	}
	var fe *cardspec.FieldError
	if errors.As(err, &fe) {
		return []string{tr(lang, "err.choose."+fe.Field)}, fe.Field + "_invalid"
	}
	return []string{tr(lang, "err.internal")}, "internal"
}

// groupProblems puts the problems of one symbol together: neighbouring characters on a line of
// which the later one only modifies or joins the earlier (variation selectors, zero-width
// joiners, skin tones, keycaps, tags, the second half of a flag).
func groupProblems(ps []hand.Problem) [][]hand.Problem {
	var out [][]hand.Problem
	for _, p := range ps {
		if n := len(out); n > 0 && p.Line > 0 {
			last := out[n-1][len(out[n-1])-1]
			if last.Line == p.Line && last.Column+1 == p.Column && (modifier(p.Rune) || last.Rune == 0x200D ||
				regional(last.Rune) && regional(p.Rune) && len(out[n-1])%2 == 1) {
				out[n-1] = append(out[n-1], p)
				continue
			}
		}
		out = append(out, []hand.Problem{p})
	}
	return out
}

func modifier(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r == 0x200D || r >= 0x1F3FB && r <= 0x1F3FF ||
		r >= 0xE0020 && r <= 0xE007F || r == 0x20E3
}

func regional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// previewResult is the live preview: the card as SVG, or the reasons it cannot be written.
// State is "ok" (the SVG is exactly the card), "partial" (the text has characters that cannot
// be written: the SVG shows the rest of it, so the preview still follows the text), "error"
// (nothing of the text can be shown: the SVG is the blank card) or "sample" (no text yet).
type previewResult struct {
	SVG     string   `json:"svg,omitempty"`
	Summary string   `json:"summary,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	State   string   `json:"state"`
	Note    string   `json:"note,omitempty"`
	Lines   int      `json:"lines"`
	Glyphs  int      `json:"glyphs"`
	Hash    string   `json:"stroke_hash,omitempty"`
	Runes   int      `json:"runes"`
	Counter string   `json:"counter"`
}

func (s *Server) renderPreview(lang string, f orderForm) previewResult {
	msg := f.Message
	sample := strings.TrimSpace(msg) == ""
	if sample {
		msg = tr(lang, "order.message.ph")
	}
	n := utf8.RuneCountInString(f.Message)
	counted := func(p previewResult) previewResult {
		p.Runes, p.Counter = n, tr(lang, "order.counter", n, maxMessageRunes)
		return p
	}
	if n > maxMessageRunes {
		return counted(s.blankPreview(lang, f, []string{tr(lang, "err.toolong.chars", n, maxMessageRunes)}))
	}
	spec := cardspec.Spec{Message: msg, Font: f.Font, Hand: f.Hand, Stock: f.Stock, Align: f.Align, Seed: f.Seed % maxSeed}
	c, err := cardspec.Render(spec)
	if err == nil {
		p := previewOf(lang, c)
		if sample {
			p.State, p.Note, p.Hash = "sample", tr(lang, "order.preview.sample"), ""
		}
		return counted(p)
	}
	msgs, _ := renderMessages(lang, f.Font, err)
	// Characters that cannot be written: show the card without them, so that the preview follows
	// every keystroke and the customer sees where they are.
	var ie *hand.InputError
	if errors.As(err, &ie) {
		spec.Message = withoutProblems(msg, ie.Problems)
		if c, err := cardspec.Render(spec); err == nil && strings.TrimSpace(spec.Message) != "" {
			p := previewOf(lang, c)
			p.State, p.Errors, p.Note, p.Hash = "partial", msgs, tr(lang, "order.preview.partial"), ""
			return counted(p)
		}
	}
	return counted(s.blankPreview(lang, f, msgs))
}

// blankPreview is the blank card of the chosen stock, marked as an error.
func (s *Server) blankPreview(lang string, f orderForm, msgs []string) previewResult {
	p := previewResult{State: "error", Errors: msgs, Note: tr(lang, "order.preview.error")}
	fm, err := cardspec.FormatOfStock(f.Stock)
	if err != nil {
		fm, _ = cardspec.FormatOfStock(s.cfg.Stocks[0])
	}
	var b bytes.Buffer
	if preview.SVG(&b, fm, nil, penWidthMM) == nil {
		p.SVG = b.String()
	}
	return p
}

// withoutProblems removes the characters the problems point at (line and column in runes of the
// NFC text, as the renderer counts them).
func withoutProblems(msg string, ps []hand.Problem) string {
	msg = norm.NFC.String(msg)
	bad := map[[2]int]bool{}
	for _, p := range ps {
		bad[[2]int{p.Line, p.Column}] = true
	}
	var b strings.Builder
	line, col := 1, 0
	rs := []rune(msg)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\n' || r == '\r' {
			if r == '\r' && i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			b.WriteRune('\n')
			line, col = line+1, 0
			continue
		}
		col++
		if !bad[[2]int{line, col}] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func previewOf(lang string, c *hand.Card) previewResult {
	if c == nil {
		return previewResult{}
	}
	var b bytes.Buffer
	if err := preview.SVG(&b, c.Format, c.Strokes, penWidthMM); err != nil {
		return previewResult{State: "error", Errors: []string{tr(lang, "err.internal")}}
	}
	return previewResult{SVG: b.String(), Lines: c.Lines, Glyphs: c.Glyphs, Hash: c.Hash(), State: "ok",
		Summary: tr(lang, "order.preview.ok", c.Lines, c.Glyphs, c.XHeight)}
}

// previewPost answers the page's preview requests (as the customer types) with JSON.
func (s *Server) previewPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	lang := language(w, r)
	if !checkCSRF(r, r.PostFormValue("csrf")) {
		writeJSON(w, http.StatusForbidden, previewResult{State: "error", Errors: []string{tr(lang, "err.expired")}})
		return
	}
	// Each preview renders a card: generous for typing, but not a free rendering service.
	if !s.previews.allow(clientOf(r)) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, previewResult{State: "error", Errors: []string{tr(lang, "err.ratelimited.preview")}})
		return
	}
	writeJSON(w, http.StatusOK, s.renderPreview(lang, readForm(r)))
}

// addressCheck validates one address of the form as the customer leaves a field.
func (s *Server) addressCheck(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !checkCSRF(r, r.PostFormValue("csrf")) {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	lang := language(w, r)
	f := readForm(r)
	prefix := r.PostFormValue("which")
	a := f.To
	if prefix == "from_" {
		a = f.From
	} else {
		prefix = "to_"
	}
	out := map[string]string{}
	if prefix == "from_" && a.empty() {
		writeJSON(w, http.StatusOK, out)
		return
	}
	problems := append(address.Validate(a.address()), sheets.UnprintableFields(address.Normalize(a.address()))...)
	for _, p := range problems {
		k := prefix + fieldName(p.Field)
		if _, dup := out[k]; !dup {
			out[k] = addressProblem(lang, p)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// countries lists every country, the ones with their own rules first, named in lang.
func countries(lang string) []countryOption {
	formatted := address.FormattedCountries()
	var first, rest []countryOption
	for _, c := range address.Countries() {
		o := countryOption{Code: c, Name: address.CountryName(c, lang), Formatted: slices.Contains(formatted, c)}
		if o.Name == "" {
			continue
		}
		if o.Formatted {
			first = append(first, o)
		} else {
			rest = append(rest, o)
		}
	}
	sortByName := func(s []countryOption) {
		slices.SortFunc(s, func(a, b countryOption) int { return strings.Compare(a.Name, b.Name) })
	}
	sortByName(first)
	sortByName(rest)
	return append(first, rest...)
}

// countryFields says, per country, what its postal code and region are called and whether they
// are required: the order form relabels and shows fields as the country changes.
type countryFields struct {
	Postal         string `json:"postal"`
	PostalRequired bool   `json:"postal_required"`
	Region         string `json:"region,omitempty"`
	RegionRequired bool   `json:"region_required"`
}

// fieldsJSON derives each formatted country's fields from the address rules themselves: an
// address with only the country set makes Validate name every field that country needs, with
// the post's own term for it ("ZIP code"). Countries without rules use the defaults.
func fieldsJSON(lang string) template.JS {
	out := map[string]countryFields{}
	label := func(term string) string {
		t := trOr(lang, "addr.term."+term, term)
		r := []rune(t)
		return strings.ToUpper(string(r[:1])) + string(r[1:])
	}
	for _, c := range address.FormattedCountries() {
		cf := countryFields{Postal: tr(lang, "addr.postal")}
		for _, p := range address.Validate(address.Address{Country: c}) {
			switch p.Field {
			case "postal_code":
				cf.PostalRequired = true
				if t := p.Args["term"]; t != "" {
					cf.Postal = label(t)
				}
			case "region":
				cf.RegionRequired = true
				cf.Region = tr(lang, "addr.region")
				if t := p.Args["term"]; t != "" {
					cf.Region = label(t)
				}
			}
		}
		out[c] = cf
	}
	b, _ := json.Marshal(out) // json.Marshal escapes <, > and &, so this is safe in a script element
	return template.JS(b)
}

// String shows a form value for hidden fields.
func (f orderForm) SeedString() string { return fmt.Sprint(f.Seed) }

// sendDate reads the form's send date (a plain date, as a date input sends it): today or later,
// within a year. Like the API, the card is due from midnight UTC of that day.
func (s *Server) sendDate(lang, v string) (time.Time, string) {
	if v == "" {
		return time.Time{}, ""
	}
	t, err := time.Parse(time.DateOnly, v)
	now := s.cfg.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case err != nil:
		return time.Time{}, tr(lang, "err.senddate.format", today.AddDate(0, 0, 7).Format(time.DateOnly))
	case t.Before(today):
		return time.Time{}, tr(lang, "err.senddate.past")
	case t.After(today.AddDate(1, 0, 0)):
		return time.Time{}, tr(lang, "err.senddate.far")
	}
	return t, ""
}

// longDate shows a plain date the way the page's readers write it: "20. Dezember 2026",
// "20 December 2026".
func longDate(lang, v string) string {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return v
	}
	return tr(lang, "date.long", t.Day(), tr(lang, fmt.Sprintf("month.%d", int(t.Month()))), t.Year())
}
