// Package cardspec resolves one card's written content — message, face, hand, card stock, seed —
// into strokes. Intake and the plotter worker both render through Render, so the strokes hashed
// for the customer's proof are, by construction, the strokes the robot writes.
package cardspec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/store"
)

// Spec is everything a card's strokes depend on, by name, as an order stores it.
type Spec struct {
	Message string
	Font    string
	Hand    string
	Stock   string // the loaded card stock, "<format>-<paper>", e.g. "a6-white"
	Align   string // "left" (default) or "center"
	Seed    uint64
}

// Defaults used where an order leaves a field empty.
const (
	DefaultFont  = "allure"
	DefaultHand  = "casual"
	DefaultStock = "a6-white"
)

// FieldError says which field of a Spec is wrong; Field uses the API's JSON names.
type FieldError struct {
	Field  string
	Reason string
	Err    error // the renderer's error, for *hand.InputError and *hand.FitError details
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }
func (e *FieldError) Unwrap() error { return e.Err }

// FormatOfStock returns the card format a stock is cut to: the part of its name before the first
// dash ("a6-white" → a6), so that stocks can be added without code as long as the format exists.
func FormatOfStock(stock string) (hand.Format, error) {
	name, _, _ := strings.Cut(stock, "-")
	if name == "" {
		return hand.Format{}, errors.New("the card stock is empty")
	}
	f, err := hand.LookupFormat(name)
	if err != nil {
		return hand.Format{}, fmt.Errorf("card stock %q: %w", stock, err)
	}
	return f, nil
}

// WithDefaults fills the empty name fields and spells the alignment as stored.
func (s Spec) WithDefaults() Spec {
	if s.Font == "" {
		s.Font = DefaultFont
	}
	if s.Hand == "" {
		s.Hand = DefaultHand
	}
	if s.Stock == "" {
		s.Stock = DefaultStock
	}
	// One spelling per alignment, as the store keeps it ("centre" and "" are accepted on input).
	if a, err := hand.ParseAlign(s.Align); err == nil {
		s.Align = a.String()
	}
	return s
}

// FaceFinder finds the face an order names: a built-in face, or one of the ordering account's
// own (see internal/faces). stored is the name the card keeps, which finds the same face again
// (an account's own face with its version: "name@3").
type FaceFinder func(name string) (face *font.Face, stored string, err error)

// BuiltIn finds only the built-in faces.
func BuiltIn(name string) (*font.Face, string, error) {
	f, err := font.Lookup(name)
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
}

// Render writes the card in a built-in face. Errors are *FieldError naming the field at fault.
func Render(s Spec) (*hand.Card, error) {
	c, _, err := RenderWith(s, BuiltIn)
	return c, err
}

// RenderWith writes the card in the face find finds for s.Font, and returns s with Font the
// face's stored name.
func RenderWith(s Spec, find FaceFinder) (*hand.Card, Spec, error) {
	if find == nil {
		find = BuiltIn
	}
	face, stored, err := find(s.Font)
	if err != nil {
		return nil, s, &FieldError{Field: "font", Reason: err.Error(), Err: err}
	}
	s.Font = stored
	c, err := renderFace(s, face)
	return c, s, err
}

func renderFace(s Spec, face *font.Face) (*hand.Card, error) {
	req, err := request(s, face)
	if err != nil {
		return nil, err
	}
	c, err := hand.Render(req)
	if err != nil {
		return nil, renderError(err)
	}
	return c, nil
}

// SummaryWith is RenderWith for a caller that keeps only the stroke hash and the figures
// (accepting a card): hand.RenderSummary, which does not copy the strokes out.
func SummaryWith(s Spec, find FaceFinder) (*hand.Summary, Spec, error) {
	if find == nil {
		find = BuiltIn
	}
	face, stored, err := find(s.Font)
	if err != nil {
		return nil, s, &FieldError{Field: "font", Reason: err.Error(), Err: err}
	}
	s.Font = stored
	req, err := request(s, face)
	if err != nil {
		return nil, s, err
	}
	sum, err := hand.RenderSummary(req)
	if err != nil {
		return nil, s, renderError(err)
	}
	return sum, s, nil
}

// request is the hand's request for the spec written in face.
func request(s Spec, face *font.Face) (hand.Request, error) {
	h, err := hand.LookupHand(s.Hand)
	if err != nil {
		return hand.Request{}, &FieldError{Field: "hand", Reason: err.Error(), Err: err}
	}
	format, err := FormatOfStock(s.Stock)
	if err != nil {
		return hand.Request{}, &FieldError{Field: "stock", Reason: err.Error(), Err: err}
	}
	align, err := hand.ParseAlign(s.Align)
	if err != nil {
		return hand.Request{}, &FieldError{Field: "align", Reason: err.Error(), Err: err}
	}
	return hand.Request{Text: s.Message, Face: face, Format: format, Hand: h, Seed: s.Seed, Align: align}, nil
}

// renderError names the message as the field of a text the face cannot write or the card cannot
// hold.
func renderError(err error) error {
	var ie *hand.InputError
	var fe *hand.FitError
	if errors.As(err, &ie) || errors.As(err, &fe) {
		return &FieldError{Field: "message", Reason: err.Error(), Err: err}
	}
	return fmt.Errorf("render card: %w", err)
}

// FromCard is the spec a stored card was accepted with: rendering it gives the card's proof again.
func FromCard(c *store.Card) Spec {
	return Spec{Message: c.Message, Font: c.Font, Hand: c.Hand, Stock: c.Stock, Align: c.Align, Seed: c.Seed}
}

// RenderVersion is the version of the strokes Render draws (hand.RenderVersion): a card keeps it
// with its proof's stroke hash.
const RenderVersion = hand.RenderVersion
