package sheets

import (
	"bytes"
	"encoding/hex"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// The tests read the PDFs back with a real PDF parser (github.com/ledongthuc/pdf: cross-reference
// table, objects, Flate streams, the content-stream tokenizer) and interpret the few text and
// path operators themselves. ledongthuc's own text extraction is not used: its ToUnicode range
// arithmetic only carries the last byte, which turns Ł (U+0141) into A; the ranges are decoded here
// in full instead.

// pdfText is a run of text as the PDF places it, in mm from the page's top-left corner.
type pdfText struct {
	X, Y float64 // start of the baseline
	Size float64 // points
	Text string
}

// pdfRect is a filled rectangle, in mm from the page's top-left corner.
type pdfRect struct{ X, Y, W, H float64 }

type pdfPage struct {
	W, H  float64 // mm
	Texts []pdfText
	Rects []pdfRect
}

const mmPerPt = 25.4 / 72

// readPDF parses a PDF and returns, per page, its text runs (decoded through each font's
// ToUnicode map) and filled rectangles.
func readPDF(t testing.TB, b []byte) []pdfPage {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the PDF does not parse: %v", err)
	}
	var pages []pdfPage
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		var mb pdf.Value // inherited from the page tree, as the PDF spec allows
		for v := p.V; !v.IsNull() && mb.IsNull(); v = v.Key("Parent") {
			mb = v.Key("MediaBox")
		}
		if mb.Len() != 4 {
			t.Fatalf("page %d: MediaBox %v", i, mb)
		}
		hPt := mb.Index(3).Float64()
		pg := pdfPage{W: mb.Index(2).Float64() * mmPerPt, H: hPt * mmPerPt}
		cmaps := map[string]map[uint16][]rune{}
		fonts := p.Resources().Key("Font")
		for _, name := range fonts.Keys() {
			cmaps[name] = readToUnicode(t, fonts.Key(name).Key("ToUnicode"))
		}

		var (
			font         string
			size         float64
			lineX, lineY float64 // text line matrix origin, pt
			pendingRects []pdfRect
			inText       bool
		)
		pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
			args := make([]pdf.Value, stk.Len())
			for j := len(args) - 1; j >= 0; j-- {
				args[j] = stk.Pop()
			}
			num := func(j int) float64 { return args[j].Float64() }
			switch op {
			case "BT":
				inText, lineX, lineY = true, 0, 0
			case "ET":
				inText = false
			case "Tf":
				font, size = args[0].Name(), num(1)
			case "Td":
				lineX += num(0)
				lineY += num(1)
			case "Tm":
				lineX, lineY = num(4), num(5)
			case "Tj", "TJ":
				if !inText {
					t.Errorf("page %d: %s outside BT/ET", i, op)
				}
				var raw strings.Builder
				if op == "Tj" {
					raw.WriteString(args[0].RawString())
				} else {
					for k := 0; k < args[0].Len(); k++ {
						if v := args[0].Index(k); v.Kind() == pdf.String {
							raw.WriteString(v.RawString())
						}
					}
				}
				cm, ok := cmaps[font]
				if !ok {
					t.Fatalf("page %d: text in font %q, which has no ToUnicode map", i, font)
				}
				pg.Texts = append(pg.Texts, pdfText{X: lineX * mmPerPt, Y: (hPt - lineY) * mmPerPt, Size: size, Text: decodeCIDs(t, raw.String(), cm)})
			case "re":
				// fpdf gives the top corner and a negative height; normalise either way.
				x, y, w, h := num(0), num(1), num(2), num(3)
				x0, x1 := min(x, x+w), max(x, x+w)
				y0, y1 := min(y, y+h), max(y, y+h)
				pendingRects = append(pendingRects, pdfRect{X: x0 * mmPerPt, Y: (hPt - y1) * mmPerPt, W: (x1 - x0) * mmPerPt, H: (y1 - y0) * mmPerPt})
			case "f", "F", "f*":
				pg.Rects = append(pg.Rects, pendingRects...)
				pendingRects = nil
			case "S", "s", "B", "b", "n":
				pendingRects = nil
			}
		})
		pages = append(pages, pg)
	}
	return pages
}

var (
	cmapSection = regexp.MustCompile(`(?s)(\d+)\s+begin(bfchar|bfrange)(.*?)end(?:bfchar|bfrange)`)
	hexString   = regexp.MustCompile(`<([0-9A-Fa-f]*)>`)
)

// readToUnicode reads a ToUnicode CMap's bfchar and bfrange entries (two-byte codes).
func readToUnicode(t testing.TB, v pdf.Value) map[uint16][]rune {
	t.Helper()
	if v.Kind() != pdf.Stream {
		t.Fatalf("font has no ToUnicode stream")
	}
	rc := v.Reader()
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("ToUnicode: %v", err)
	}
	m := map[uint16][]rune{}
	for _, sec := range cmapSection.FindAllStringSubmatch(string(data), -1) {
		hs := hexString.FindAllStringSubmatch(sec[3], -1)
		step := 2
		if sec[2] == "bfrange" {
			step = 3
		}
		for k := 0; k+step <= len(hs); k += step {
			lo := hexUint(t, hs[k][1])
			hi := lo
			dst := hs[k+1][1]
			if step == 3 {
				hi, dst = hexUint(t, hs[k+1][1]), hs[k+2][1]
			}
			base := utf16Runes(t, dst)
			for c := lo; c <= hi; c++ {
				rs := append([]rune(nil), base...)
				rs[len(rs)-1] += rune(c - lo) // a range increments the last code point, with carry
				m[uint16(c)] = rs
			}
		}
	}
	if len(m) == 0 {
		t.Fatalf("ToUnicode map is empty:\n%s", data)
	}
	return m
}

func hexUint(t testing.TB, s string) uint32 {
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		t.Fatalf("bad hex %q", s)
	}
	return uint32(n)
}

func utf16Runes(t testing.TB, h string) []rune {
	b, err := hex.DecodeString(h)
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("bad UTF-16 hex %q", h)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return utf16.Decode(u)
}

// decodeCIDs maps a string of two-byte codes (Identity-H) through the font's ToUnicode map.
func decodeCIDs(t testing.TB, raw string, cm map[uint16][]rune) string {
	if len(raw)%2 != 0 {
		t.Fatalf("odd-length Identity-H string %q", raw)
	}
	var out []rune
	for i := 0; i < len(raw); i += 2 {
		code := uint16(raw[i])<<8 | uint16(raw[i+1])
		rs, ok := cm[code]
		if !ok {
			t.Fatalf("code %04X has no Unicode mapping", code)
		}
		out = append(out, rs...)
	}
	return string(out)
}

// TestReadToUnicodeCarries pins the reason for decoding ranges here: Ł is U+0141, past a byte
// boundary of the identity range fpdf writes.
func TestReadToUnicodeCarries(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Render(&buf, mustLayout(t, "zweckform-3475"), []Label{testLabel(1, "Łódź Œuvre — ẞ", "PL")}, Options{NoManifest: true}); err != nil {
		t.Fatal(err)
	}
	pages := readPDF(t, buf.Bytes())
	found := false
	for _, tx := range pages[0].Texts {
		if tx.Text == "Łódź Œuvre — ẞ" {
			found = true
		}
	}
	if !found {
		t.Errorf("Łódź line not found in %+v", pages[0].Texts)
	}
}
