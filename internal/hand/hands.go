package hand

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
)

// Hand is a writer's habits: how big, how regular, how hurried. Every number is a parameter of the
// seeded variation in Render; the json names are what an operator overrides (quillpost render
// --hand-json '{"slant_deg": 6}'). Lengths are in x-heights unless the name ends in _mm, angles in
// degrees, "jitter" values are standard deviations of a bounded bell curve (±3.5 sd at most).
type Hand struct {
	Name  string `json:"name"`
	Title string `json:"title"`

	// Size: Render picks the largest x-height (height of "x", mm) in [MinXHeight, MaxXHeight] at
	// which the whole text fits the card.
	MinXHeight float64 `json:"min_x_height_mm"`
	MaxXHeight float64 `json:"max_x_height_mm"`

	// Lines.
	LineSpacing       float64 `json:"line_spacing"`        // baseline to baseline
	LineSpacingJitter float64 `json:"line_spacing_jitter"` // per line, in x-heights
	LineSlope         float64 `json:"line_slope_deg"`      // per line sd of the baseline's angle
	CardSlope         float64 `json:"card_slope_deg"`      // sd of a slope shared by all lines of a card
	LineBend          float64 `json:"line_bend"`           // per line sd of the mid-line sag (a bow)
	BaselineWander    float64 `json:"baseline_wander"`     // amplitude of the slow wave along a line
	WanderWavelength  float64 `json:"wander_wavelength_mm"`
	MarginDrift       float64 `json:"margin_drift_mm"` // per line sd of the left margin (smoothed)
	MarginTrend       float64 `json:"margin_trend_mm"` // sd of the margin's steady drift over a card (first to ninth line)

	// Words.
	WordSpacing       float64 `json:"word_spacing"`        // multiple of the face's space
	WordSpacingJitter float64 `json:"word_spacing_jitter"` // relative
	WordScaleJitter   float64 `json:"word_scale_jitter"`   // relative
	WordBaseline      float64 `json:"word_baseline"`       // sd of a word's rise or drop

	// Letters.
	Slant               float64 `json:"slant_deg"`        // added lean, positive to the right
	SlantJitter         float64 `json:"slant_jitter_deg"` // per letter
	RotationJitter      float64 `json:"rotation_jitter_deg"`
	ScaleJitter         float64 `json:"scale_jitter"`          // per letter, relative
	BaselineJitter      float64 `json:"baseline_jitter"`       // per letter
	LetterSpacingJitter float64 `json:"letter_spacing_jitter"` // per letter
	Correlation         float64 `json:"correlation"`           // 0..0.95: how much a letter's jitter follows its neighbour's

	// Glyph alternates: Variants shapes per letter, each a smooth warp of the face's glyph (an
	// affine part of VariantAffine relative size plus bulges of VariantWarp x-heights); on top,
	// every instance gets InstanceWarp of the same kind so that no two are identical.
	Variants      int     `json:"variants"`
	VariantAffine float64 `json:"variant_affine"`
	VariantWarp   float64 `json:"variant_warp"`
	InstanceWarp  float64 `json:"instance_warp"`

	// Late strokes (i and umlaut dots, t-bars, accents) land off their ideal place: shifted
	// LateShift to the right on average (a hurried writer dots late), LateJitter around that, and
	// bars turn by up to LateTurn degrees.
	LateShift  float64 `json:"late_shift"`
	LateJitter float64 `json:"late_jitter"`
	LateTurn   float64 `json:"late_turn_deg"`

	// Joins in cursive faces: the chance that the pen lifts between two letters anyway.
	BreakChance float64 `json:"break_chance"`
}

var hands = []Hand{
	{
		Name: "neat", Title: "neat: a careful thank-you note",
		MinXHeight: 1.9, MaxXHeight: 3.1,
		LineSpacing: 3.3, LineSpacingJitter: 0.05, LineSlope: 0.35, CardSlope: 0.25, LineBend: 0.06,
		BaselineWander: 0.05, WanderWavelength: 70, MarginDrift: 0.35, MarginTrend: 0.8,
		WordSpacing: 1.15, WordSpacingJitter: 0.12, WordScaleJitter: 0.015, WordBaseline: 0.03,
		Slant: 0, SlantJitter: 1.2, RotationJitter: 1.0, ScaleJitter: 0.025, BaselineJitter: 0.025,
		LetterSpacingJitter: 0.025, Correlation: 0.5,
		Variants: 6, VariantAffine: 0.03, VariantWarp: 0.035, InstanceWarp: 0.012,
		LateShift: 0.04, LateJitter: 0.07, LateTurn: 3,
		BreakChance: 0.05,
	},
	{
		Name: "casual", Title: "casual: an everyday hand",
		MinXHeight: 1.9, MaxXHeight: 3.3,
		LineSpacing: 3.2, LineSpacingJitter: 0.08, LineSlope: 0.6, CardSlope: 0.4, LineBend: 0.1,
		BaselineWander: 0.08, WanderWavelength: 60, MarginDrift: 0.6, MarginTrend: 1.5,
		WordSpacing: 1.15, WordSpacingJitter: 0.18, WordScaleJitter: 0.025, WordBaseline: 0.05,
		Slant: 3, SlantJitter: 2, RotationJitter: 1.6, ScaleJitter: 0.04, BaselineJitter: 0.04,
		LetterSpacingJitter: 0.04, Correlation: 0.5,
		Variants: 7, VariantAffine: 0.045, VariantWarp: 0.05, InstanceWarp: 0.018,
		LateShift: 0.1, LateJitter: 0.12, LateTurn: 5,
		BreakChance: 0.1,
	},
	{
		Name: "hurried", Title: "hurried: quick, leaning, uneven",
		MinXHeight: 1.8, MaxXHeight: 3.4,
		LineSpacing: 3.1, LineSpacingJitter: 0.12, LineSlope: 1.0, CardSlope: 0.6, LineBend: 0.16,
		BaselineWander: 0.12, WanderWavelength: 50, MarginDrift: 1.0, MarginTrend: 2.5,
		WordSpacing: 1.1, WordSpacingJitter: 0.25, WordScaleJitter: 0.04, WordBaseline: 0.08,
		Slant: 7, SlantJitter: 3, RotationJitter: 2.5, ScaleJitter: 0.06, BaselineJitter: 0.06,
		LetterSpacingJitter: 0.06, Correlation: 0.55,
		Variants: 8, VariantAffine: 0.06, VariantWarp: 0.065, InstanceWarp: 0.025,
		LateShift: 0.22, LateJitter: 0.18, LateTurn: 8,
		BreakChance: 0.18,
	},
}

// Hands returns the named hands, neat first.
func Hands() []Hand {
	return append([]Hand(nil), hands...)
}

// LookupHand finds a hand by name, case-insensitively.
func LookupHand(name string) (Hand, error) {
	for _, h := range hands {
		if strings.EqualFold(h.Name, name) {
			return h, nil
		}
	}
	names := make([]string, len(hands))
	for i, h := range hands {
		names[i] = h.Name
	}
	return Hand{}, fmt.Errorf("unknown hand %q; known hands: %s", name, strings.Join(names, ", "))
}

// limits bounds every parameter: beyond them the writing stops looking like writing, or letters
// could leave the margins the formats provide.
var limits = map[string][2]float64{
	"min_x_height_mm": {0.8, 12}, "max_x_height_mm": {0.8, 12},
	"line_spacing": {2, 6}, "line_spacing_jitter": {0, 0.3}, "line_slope_deg": {0, 3}, "card_slope_deg": {0, 2},
	"line_bend": {0, 0.4}, "baseline_wander": {0, 0.3}, "wander_wavelength_mm": {10, 500},
	"margin_drift_mm": {0, 3}, "margin_trend_mm": {0, 5},
	"word_spacing": {0.5, 3}, "word_spacing_jitter": {0, 0.4}, "word_scale_jitter": {0, 0.1}, "word_baseline": {0, 0.2},
	"slant_deg": {-20, 25}, "slant_jitter_deg": {0, 6}, "rotation_jitter_deg": {0, 5}, "scale_jitter": {0, 0.12},
	"baseline_jitter": {0, 0.15}, "letter_spacing_jitter": {0, 0.15}, "correlation": {0, 0.95},
	"variant_affine": {0, 0.12}, "variant_warp": {0, 0.12}, "instance_warp": {0, 0.06},
	"late_shift": {-0.5, 0.5}, "late_jitter": {0, 0.4}, "late_turn_deg": {0, 15}, "break_chance": {0, 1},
}

// handFloat is one number of a Hand: its field, json name and limits.
type handFloat struct {
	index int
	name  string
	lim   [2]float64
}

// handFloats lists Hand's numbers once: every card is rendered with a validated hand, and reading
// the struct tags and the limits map for each card was a few percent of rendering a short one.
var handFloats = sync.OnceValue(func() []handFloat {
	t := reflect.TypeFor[Hand]()
	var fs []handFloat
	for i := range t.NumField() {
		if t.Field(i).Type.Kind() != reflect.Float64 {
			continue
		}
		name := t.Field(i).Tag.Get("json")
		fs = append(fs, handFloat{index: i, name: name, lim: limits[name]})
	}
	return fs
})

// Validate checks every parameter against its sensible range; the error names the json field.
func (h Hand) Validate() error {
	v := reflect.ValueOf(h)
	for _, f := range handFloats() {
		x := v.Field(f.index).Float()
		if math.IsNaN(x) || x < f.lim[0] || x > f.lim[1] {
			return fmt.Errorf("hand %q: %s is %g, it must be between %g and %g", h.Name, f.name, x, f.lim[0], f.lim[1])
		}
	}
	if h.MinXHeight > h.MaxXHeight {
		return fmt.Errorf("hand %q: min_x_height_mm %g is larger than max_x_height_mm %g", h.Name, h.MinXHeight, h.MaxXHeight)
	}
	if h.Variants < 5 || h.Variants > 32 {
		return fmt.Errorf("hand %q: variants is %d, it must be between 5 and 32", h.Name, h.Variants)
	}
	return nil
}
