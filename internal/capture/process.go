package capture

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/geom"
)

// The made face's metrics, font units. The x-height is what the guides' x-height maps to.
const (
	UnitsPerEm = 1000
	XHeight    = 400
	// step is the resampling distance along a stroke: fine enough for the tightest loop a pen
	// makes at card size (an x-height of 2–4 mm puts it at 0.1–0.2 mm), coarse enough that a
	// glyph stays a few dozen points.
	step = XHeight * 0.04
	// bearing is the side bearing left and right of every sample's ink.
	bearing = XHeight * 0.08
)

// Rejection is a sample that was not taken into the face: the reason in a plain English sentence
// for API clients, and the same reason as a stable code with its values, from which a page says
// it in its reader's language.
type Rejection struct {
	Box    int            `json:"box"`
	Text   string         `json:"text"`
	Reason string         `json:"reason"`
	Code   string         `json:"code"`
	Args   map[string]any `json:"args"`
}

// Rejection codes, with the values each one's Args holds.
const (
	RejectStrokes  = "too_many_strokes" // strokes: how many
	RejectTall     = "too_tall"         // x_heights: how tall, one decimal
	RejectWide     = "too_wide"         // x_heights: how wide, one decimal
	RejectOffGuide = "off_guides"       // none
	RejectInk      = "too_much_ink"     // x_heights: the ink's length, whole
	RejectTurns    = "scribble_turns"   // turns: how often the pen turns back
	RejectUnlike   = "unlike_others"    // char: the character the box asked for
)

// RejectionCodes are every code a Rejection can have: a page that says them in its language
// has a text for each one (its tests enumerate this list).
var RejectionCodes = []string{RejectStrokes, RejectTall, RejectWide, RejectOffGuide, RejectInk, RejectTurns, RejectUnlike}

// reject is a rejection's code, values and English sentence, without its box.
type reject struct {
	code   string
	args   map[string]any
	reason string
}

// Result is a processed sheet: the face file (every sample of a character a variant of it), the
// samples left out and why, and what was measured of the writer's hand.
type Result struct {
	File     *font.File  `json:"-"`
	Rejected []Rejection `json:"rejected"`
	// Cursive: the writer joins letters within a word (from the word boxes).
	Cursive bool `json:"cursive"`
	// Slant is the writer's median lean, degrees right of upright.
	Slant float64 `json:"slant_degrees"`
	// Signature is the signature box's strokes, normalised like the letters (font paths).
	Signature []string `json:"signature,omitempty"`
}

// sample is one written character on its way into the face, in font units (y down, baseline 0).
type sample struct {
	box     int
	r       rune
	strokes [][]geom.Point
	late    []bool
	slant   float64 // NaN when the sample has too little upright ink to tell
}

// Process turns a checked sheet into a face. It fails only when not one character box holds an
// acceptable sample; single bad samples are left out and listed in Result.Rejected.
func Process(s *Sheet) (*Result, error) {
	res := &Result{Rejected: []Rejection{}}
	var samples []*sample
	var wordRatios []float64
	var sig [][]geom.Point
	for i := range s.Boxes {
		b := &s.Boxes[i]
		if len(b.Strokes) == 0 {
			continue // not written (yet): not a rejection
		}
		strokes := normaliseBox(b)
		switch b.Kind {
		case KindWord:
			wordRatios = append(wordRatios, joinRatio(strokes, b.Text))
			continue
		case KindSignature:
			sig = strokes
			continue
		}
		r := []rune(b.Text)[0]
		if rj := scribble(strokes); rj != nil {
			res.Rejected = append(res.Rejected, Rejection{Box: i, Text: b.Text, Reason: rj.reason, Code: rj.code, Args: rj.args})
			continue
		}
		sm := &sample{box: i, r: r, strokes: strokes}
		sm.late = lateStrokes(r, strokes)
		sm.slant = slantOf(sm)
		samples = append(samples, sm)
	}
	if len(samples) == 0 {
		return nil, &InputError{Field: "boxes", Reason: "no character box holds an acceptable sample"}
	}
	// The writer's lean is the median of the samples'; each sample is brought to it, so that
	// variants differ in shape, not in a lean the hand sets on its own.
	var slants []float64
	for _, sm := range samples {
		if !math.IsNaN(sm.slant) {
			slants = append(slants, sm.slant)
		}
	}
	target := median(slants)
	res.Slant = round2(math.Atan(target) * 180 / math.Pi)
	for _, sm := range samples {
		if !math.IsNaN(sm.slant) {
			shear(sm.strokes, clamp(target-sm.slant, -0.25, 0.25))
		}
		alignToGuides(sm)
	}
	res.Cursive = len(wordRatios) > 0 && median(wordRatios) <= 0.5
	groups := map[rune][]*sample{}
	var order []rune
	for _, sm := range samples {
		if _, ok := groups[sm.r]; !ok {
			order = append(order, sm.r)
		}
		groups[sm.r] = append(groups[sm.r], sm)
	}
	f := &font.File{
		Format: font.Format, Name: s.Name, Title: s.Title, Cursive: res.Cursive,
		License: "personal", LicenseFile: "", Source: "captured handwriting (" + Format + ")",
		UnitsPerEm: UnitsPerEm, XHeight: XHeight,
		Glyphs: map[string]font.FileGlyph{},
	}
	if f.Title == "" {
		f.Title = s.Name
	}
	asc, desc := XHeight*1.6, XHeight*0.6
	var capTops []float64
	for _, r := range order {
		kept := dropOutliers(groups[r], res)
		// The most typical sample is the glyph itself; the others are its alternates.
		slices.SortStableFunc(kept, func(a, b *sample) int { return cmp.Compare(a.box, b.box) })
		mi := medoid(kept)
		kept[0], kept[mi] = kept[mi], kept[0]
		if len(kept) > 1+font.MaxAlternates {
			// More samples than a glyph keeps variants (a tool may send many): the most typical.
			m := shapeOf(kept[0])
			rest := kept[1:]
			slices.SortStableFunc(rest, func(a, b *sample) int {
				return cmp.Compare(shapeDist(m, shapeOf(a)), shapeDist(m, shapeOf(b)))
			})
			kept = kept[:1+font.MaxAlternates]
			slices.SortStableFunc(kept[1:], func(a, b *sample) int { return cmp.Compare(a.box, b.box) })
		}
		var fg font.FileGlyph
		for k, sm := range kept {
			g := glyphOf(sm, res.Cursive)
			if k == 0 {
				fg = g
			} else {
				fg.Alternates = append(fg.Alternates, g)
			}
			for _, st := range sm.strokes {
				for _, p := range st {
					asc, desc = math.Max(asc, -p.Y), math.Max(desc, p.Y)
				}
			}
			if strings.ContainsRune("EFHIT", r) {
				capTops = append(capTops, -minY(sm.strokes, nil))
			}
		}
		f.Glyphs[string(r)] = fg
	}
	space := XHeight * 0.7
	f.Glyphs[" "] = font.FileGlyph{Advance: &space, Strokes: []string{}, Late: []bool{}}
	f.Ascent, f.Descent = math.Ceil(asc), math.Ceil(desc)
	f.CapHeight = XHeight * 1.45
	if len(capTops) > 0 {
		f.CapHeight = round2(math.Max(1, median(capTops)))
	}
	for _, st := range sig {
		res.Signature = append(res.Signature, font.FormatPath(pathOf(st)))
	}
	res.File = f
	return res, nil
}

// normaliseBox maps a box's strokes to font units (the guides' x-height to XHeight, the baseline
// to y=0), orders them by when they were begun, smooths and resamples them.
func normaliseBox(b *Box) [][]geom.Point {
	k := XHeight / (b.Guides.Baseline - b.Guides.XHeight)
	strokes := slices.Clone(b.Strokes)
	slices.SortStableFunc(strokes, func(a, c Stroke) int { return cmp.Compare(a.Points[0].T, c.Points[0].T) })
	out := make([][]geom.Point, 0, len(strokes))
	for _, st := range strokes {
		pts := make([]geom.Point, 0, len(st.Points))
		for _, p := range st.Points {
			q := geom.Point{X: p.X * k, Y: (p.Y - b.Guides.Baseline) * k}
			if n := len(pts); n > 0 && pts[n-1] == q {
				continue
			}
			pts = append(pts, q)
		}
		// Evenly spaced first, so that the filter smooths the same length of ink whatever the
		// pointer's sampling rate, then at the face's spacing.
		out = append(out, resample(smooth(resample(pts, step/4)), step))
	}
	return out
}

// smooth takes the pointer's jitter (a finger or a mouse reports whole pixels) out with two
// passes of a 1-2-1 filter; the ends stay where the pen touched down and lifted.
func smooth(pts []geom.Point) []geom.Point {
	if len(pts) < 3 {
		return pts
	}
	a := slices.Clone(pts)
	b := make([]geom.Point, len(pts))
	for range 2 {
		b[0], b[len(a)-1] = a[0], a[len(a)-1]
		for i := 1; i < len(a)-1; i++ {
			b[i] = geom.Point{X: (a[i-1].X + 2*a[i].X + a[i+1].X) / 4, Y: (a[i-1].Y + 2*a[i].Y + a[i+1].Y) / 4}
		}
		a, b = b, a
	}
	return a
}

// resample returns points every d along the polyline, with its first and last point. A stroke
// shorter than d is a dot: its start twice.
func resample(pts []geom.Point, d float64) []geom.Point {
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += pts[i].Dist(pts[i-1])
	}
	if total < d {
		return []geom.Point{pts[0], pts[0]}
	}
	n := max(1, int(math.Round(total/d)))
	want := total / float64(n)
	out := make([]geom.Point, 0, n+1)
	out = append(out, pts[0])
	acc := 0.0 // arc length at pts[i-1]
	next := want
	for i := 1; i < len(pts) && len(out) < n; i++ {
		seg := pts[i].Dist(pts[i-1])
		for seg > 0 && acc+seg >= next && len(out) < n {
			t := (next - acc) / seg
			out = append(out, pts[i-1].Add(pts[i].Sub(pts[i-1]).Scale(t)))
			next += want
		}
		acc += seg
	}
	return append(out, pts[len(pts)-1])
}

// scribble says why a character sample is no letter, or nil.
func scribble(strokes [][]geom.Point) *reject {
	if len(strokes) > 10 {
		return &reject{RejectStrokes, map[string]any{"strokes": len(strokes)},
			fmt.Sprintf("it has %d strokes; one character has at most 10", len(strokes))}
	}
	bb := bounds(strokes, nil)
	if h := bb.H() / XHeight; h > 5 {
		return &reject{RejectTall, map[string]any{"x_heights": round1(h)},
			fmt.Sprintf("it is %.1f x-heights tall, far taller than the guides allow", h)}
	}
	if w := bb.W() / XHeight; w > 5 {
		return &reject{RejectWide, map[string]any{"x_heights": round1(w)},
			fmt.Sprintf("it is %.1f x-heights wide, far wider than one character", w)}
	}
	if bb.Min.Y < -4*XHeight || bb.Max.Y > 3*XHeight {
		return &reject{RejectOffGuide, map[string]any{}, "it is written far above or below its guides"}
	}
	ink, turns := 0.0, 0
	for _, st := range strokes {
		for i := 1; i < len(st); i++ {
			ink += st[i].Dist(st[i-1])
			if i >= 2 {
				a, b := st[i-1].Sub(st[i-2]), st[i].Sub(st[i-1])
				la, lb := math.Hypot(a.X, a.Y), math.Hypot(b.X, b.Y)
				if la > 0 && lb > 0 && (a.X*b.X+a.Y*b.Y)/(la*lb) < -0.85 {
					turns++
				}
			}
		}
	}
	if l := ink / XHeight; l > 22 {
		return &reject{RejectInk, map[string]any{"x_heights": math.Round(l)},
			fmt.Sprintf("it has %.0f x-heights of ink, far more than one character: scribbled over?", l)}
	}
	if turns > 10 {
		return &reject{RejectTurns, map[string]any{"turns": turns},
			fmt.Sprintf("the pen turns back %d times: scribbled over?", turns)}
	}
	return nil
}

// round1 rounds to one decimal, as the English reason shows the value.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// marked are the characters whose small strokes after the body are dots, bars or accents, which
// the hand adds after the word as a writer does.
const marked = "ijtäöüÄÖÜéèêàâçëïôûñ"

// lateStrokes marks a marked character's dots, bars and accents: small strokes after the first,
// above the x-height (or below the baseline: a cedilla); for t, its flat bar.
func lateStrokes(r rune, strokes [][]geom.Point) []bool {
	late := make([]bool, len(strokes))
	if !strings.ContainsRune(marked, r) {
		return late
	}
	for i := 1; i < len(strokes); i++ {
		bb := bounds(strokes[i:i+1], nil)
		small := math.Hypot(bb.W(), bb.H()) < 0.6*XHeight
		if r == 't' {
			late[i] = bb.W() > 2*bb.H()
			continue
		}
		late[i] = small && (bb.Max.Y < -0.75*XHeight || bb.Min.Y > -0.05*XHeight && r == 'ç')
	}
	if !slices.Contains(late, false) {
		late[0] = false
	}
	return late
}

// slantOf measures how far the sample's near-upright ink leans (x per unit of height, positive
// to the right), NaN with less than half an x-height of it.
func slantOf(sm *sample) float64 {
	var sum, height float64
	for i, st := range sm.strokes {
		if sm.late[i] {
			continue
		}
		for k := 1; k < len(st); k++ {
			dx, dy := st[k].X-st[k-1].X, st[k].Y-st[k-1].Y
			if math.Abs(dy) < 2*math.Abs(dx) || dy == 0 {
				continue
			}
			sum += -dx * math.Copysign(1, dy)
			height += math.Abs(dy)
		}
	}
	if height < 0.5*XHeight {
		return math.NaN()
	}
	return sum / height
}

// shear leans strokes by s more (x per unit of height above the baseline).
func shear(strokes [][]geom.Point, s float64) {
	for _, st := range strokes {
		for k := range st {
			st[k].X -= s * st[k].Y
		}
	}
}

// Characters that sit on the baseline, and those exactly an x-height tall: their samples are
// moved and scaled to the guides, undoing a box written a little high, low, big or small.
const (
	onBaseline = "abcdefhiklmnorstuvwxzäöüéèêàâëïôûñßABCDEFGHIJKLMNOPRSTUVWXYZÄÖÜ0123456789"
	xTall      = "acemnorsuvwxz"
)

func alignToGuides(sm *sample) {
	body := func(i int) bool { return !sm.late[i] }
	if strings.ContainsRune(onBaseline, sm.r) {
		dy := clamp(-maxY(sm.strokes, body), -0.35*XHeight, 0.35*XHeight)
		for _, st := range sm.strokes {
			for k := range st {
				st[k].Y += dy
			}
		}
	}
	if strings.ContainsRune(xTall, sm.r) {
		if top := -minY(sm.strokes, body); top > 0 {
			f := clamp(XHeight/top, 0.8, 1.25)
			for _, st := range sm.strokes {
				for k := range st {
					st[k] = st[k].Scale(f)
				}
			}
		}
	}
	// The ink starts one bearing right of the origin.
	dx := bearing - bounds(sm.strokes, nil).Min.X
	for _, st := range sm.strokes {
		for k := range st {
			st[k].X += dx
		}
	}
}

// joinRatio is how many pen-down strokes (dots and bars left out) the writer needed per letter
// of a word: about 1 for print, well under 1 for joined writing.
func joinRatio(strokes [][]geom.Point, word string) float64 {
	n := 0
	for _, st := range strokes {
		bb := bounds([][]geom.Point{st}, nil)
		if math.Hypot(bb.W(), bb.H()) >= 0.35*XHeight {
			n++
		}
	}
	return float64(n) / float64(len([]rune(word)))
}

// shapeOf is a sample's body ink as 24 points evenly spread along it: what two samples of one
// character are compared by.
func shapeOf(sm *sample) []geom.Point {
	var all []geom.Point
	for i, st := range sm.strokes {
		if !sm.late[i] {
			all = append(all, st...)
		}
	}
	if len(all) == 0 {
		return nil
	}
	out := make([]geom.Point, 24)
	for k := range out {
		out[k] = all[k*(len(all)-1)/(len(out)-1)]
	}
	return out
}

func shapeDist(a, b []geom.Point) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.Inf(1)
	}
	s := 0.0
	for i := range a {
		s += a[i].Dist(b[i])
	}
	return s / float64(len(a))
}

// medoid returns the index of the sample nearest, summed, to all others.
func medoid(ss []*sample) int {
	best, bestSum := 0, math.Inf(1)
	shapes := make([][]geom.Point, len(ss))
	for i := range ss {
		shapes[i] = shapeOf(ss[i])
	}
	for i := range ss {
		sum := 0.0
		for j := range ss {
			if i != j {
				sum += shapeDist(shapes[i], shapes[j])
			}
		}
		if sum < bestSum {
			best, bestSum = i, sum
		}
	}
	return best
}

// dropOutliers leaves out, from three samples of a character on, a sample far from the most
// typical one: written in another box's place, or a different character.
func dropOutliers(ss []*sample, res *Result) []*sample {
	if len(ss) < 3 {
		return ss
	}
	mi := medoid(ss)
	m := shapeOf(ss[mi])
	d := make([]float64, len(ss))
	var others []float64
	for i, sm := range ss {
		d[i] = shapeDist(m, shapeOf(sm))
		if i != mi {
			others = append(others, d[i])
		}
	}
	typical := median(others)
	kept := ss[:0:0]
	for i, sm := range ss {
		if i != mi && d[i] > 0.7*XHeight && d[i] > 2.5*typical {
			res.Rejected = append(res.Rejected, Rejection{Box: sm.box, Text: string(sm.r), Code: RejectUnlike,
				Args:   map[string]any{"char": string(sm.r)},
				Reason: fmt.Sprintf("it does not look like the other samples of %q", string(sm.r))})
			continue
		}
		kept = append(kept, sm)
	}
	return kept
}

// glyphOf builds a sample's glyph: its strokes as written, entry at the first body stroke's
// start and exit at the last one's end, and whether a connector may arrive and leave.
func glyphOf(sm *sample, cursive bool) font.FileGlyph {
	bb := bounds(sm.strokes, nil)
	adv := round2(bb.Max.X + bearing)
	g := font.FileGlyph{Advance: &adv, Strokes: make([]string, len(sm.strokes)), Late: slices.Clone(sm.late)}
	first, last := -1, -1
	for i, st := range sm.strokes {
		g.Strokes[i] = font.FormatPath(pathOf(st))
		if !sm.late[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	// Late strokes go after the body in the file, as the format wants; their order among
	// themselves, and the body's, stays as written.
	var body, late []string
	for i, s := range g.Strokes {
		if sm.late[i] {
			late = append(late, s)
		} else {
			body = append(body, s)
		}
	}
	g.Strokes = append(body, late...)
	for i := range g.Late {
		g.Late[i] = i >= len(body)
	}
	entry := rounded(sm.strokes[first][0])
	exit := rounded(sm.strokes[last][len(sm.strokes[last])-1])
	g.Entry, g.Exit = &[2]float64{entry.X, entry.Y}, &[2]float64{exit.X, exit.Y}
	inZone := func(p geom.Point) bool { return p.Y <= 0.12*XHeight && p.Y >= -1.15*XHeight }
	mid := (bb.Min.X + bb.Max.X) / 2
	g.Joins = cursive && isLower(sm.r) && inZone(entry) && entry.X <= bb.Min.X+0.4*bb.W()
	g.LiftAfter = !g.Joins || !inZone(exit) || exit.X < mid || exit.Y < -0.8*XHeight
	return g
}

func pathOf(st []geom.Point) geom.Path {
	p := geom.Path{Start: rounded(st[0]), Segs: make([]geom.Seg, 0, len(st)-1)}
	for _, q := range st[1:] {
		p.Segs = append(p.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{rounded(q)}})
	}
	if len(p.Segs) == 0 {
		p.Segs = append(p.Segs, geom.Seg{Kind: geom.Line, P: [3]geom.Point{p.Start}})
	}
	return p
}

func rounded(p geom.Point) geom.Point { return geom.Point{X: round2(p.X), Y: round2(p.Y)} }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func bounds(strokes [][]geom.Point, keep func(int) bool) geom.Rect {
	r := geom.Rect{Min: geom.Point{X: math.Inf(1), Y: math.Inf(1)}, Max: geom.Point{X: math.Inf(-1), Y: math.Inf(-1)}}
	for i, st := range strokes {
		if keep != nil && !keep(i) {
			continue
		}
		for _, p := range st {
			r.Min.X, r.Min.Y = math.Min(r.Min.X, p.X), math.Min(r.Min.Y, p.Y)
			r.Max.X, r.Max.Y = math.Max(r.Max.X, p.X), math.Max(r.Max.Y, p.Y)
		}
	}
	return r
}

func minY(strokes [][]geom.Point, keep func(int) bool) float64 { return bounds(strokes, keep).Min.Y }
func maxY(strokes [][]geom.Point, keep func(int) bool) float64 { return bounds(strokes, keep).Max.Y }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
