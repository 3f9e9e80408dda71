package sheets

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/quillpost/quillpost/internal/address"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func mustLayout(t testing.TB, name string) Layout {
	t.Helper()
	l, err := LookupLayout(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testLabel is a German-style label whose first street line is street, in country cc.
func testLabel(seq int, street, cc string) Label {
	a := samples[0]
	for _, s := range samples {
		if s.Country == cc {
			a = s
		}
	}
	a.Lines = []string{street}
	return Label{Seq: seq, OrderID: fmt.Sprintf("T-%d", seq), To: a}
}

// samples are valid addresses from many countries, with the letters that go wrong when a PDF
// uses a font without them.
var samples = []address.Address{
	{Name: "Jürgen Weiß", Company: "Bäckerei Größer & Söhne", Lines: []string{"Große Burgstraße 3"}, PostalCode: "06667", City: "Weißenfels", Country: "DE"},
	{Name: "Zoë Österreicher", Lines: []string{"Mariahilfer Straße 1/2/3"}, PostalCode: "1060", City: "Wien", Country: "AT"},
	{Name: "Anaïs Müller", Company: "Schweizerische Post", Lines: []string{"Wankdorfallee 4"}, PostalCode: "3030", City: "Bern", Country: "CH"},
	{Name: "Hélène Lefèvre-Côté", Lines: []string{"12 rue de l'Œuvre", "Bâtiment B, 3e étage"}, PostalCode: "75004", City: "Paris", Country: "FR"},
	{Name: "Joost van 't Hek", Lines: []string{"Prinsengracht 263"}, PostalCode: "1016gv", City: "Amsterdam", Country: "NL"},
	{Name: "Amélie Dubois", Lines: []string{"Place de l'Atomium 1"}, PostalCode: "1020", City: "Bruxelles", Country: "BE"},
	{Name: "Léa Schmit", Lines: []string{"20, rue de Reims"}, PostalCode: "2417", City: "Luxembourg", Country: "LU"},
	{Name: "Niccolò Ferrà", Lines: []string{"Via dei Fori Imperiali 1"}, PostalCode: "00186", City: "Roma", Region: "RM", Country: "IT"},
	{Name: "José Ñúñez", Lines: []string{"Calle de Alcalá 42"}, PostalCode: "28014", City: "Madrid", Country: "ES"},
	{Name: "Søren Kierkegård", Lines: []string{"Æblevej 7"}, PostalCode: "2100", City: "København Ø", Country: "DK"},
	{Name: "Łucja Żółkiewska", Lines: []string{"ul. Świętokrzyska 31/33"}, PostalCode: "00-049", City: "Warszawa", Country: "PL"},
	{Name: "Siobhán O'Brien", Lines: []string{"Flat 2", "14 Princes Street"}, PostalCode: "EH2 2AN", City: "Edinburgh", Country: "GB"},
	{Name: "Seán Ó Súilleabháin", Lines: []string{"Dame Street"}, PostalCode: "D02 X285", City: "Dublin 2", Region: "Co. Dublin", Country: "IE"},
	{Name: "Jane Doe", Company: "Acme Corp.", Lines: []string{"20 W 34th St", "Suite 1000"}, PostalCode: "10001", City: "New York", Region: "NY", Country: "US"},
	{Name: "Geneviève Tremblay", Lines: []string{"1 rue des Carrières"}, PostalCode: "G1R 4P5", City: "Québec", Region: "QC", Country: "CA"},
	{Name: "Ελένη Παπαδοπούλου", Lines: []string{"Οδός Ερμού 10"}, PostalCode: "105 63", City: "Αθήνα", Country: "GR"},
}

// manyLabels returns n labels cycling through the samples, in writing order.
func manyLabels(n int) []Label {
	out := make([]Label, n)
	for i := range out {
		a := samples[i%len(samples)]
		a.Lines = append([]string(nil), a.Lines...)
		out[i] = Label{Seq: i + 1, OrderID: fmt.Sprintf("A-%04d", 1000+i), CardID: fmt.Sprintf("card-%05d", i+1), To: a}
	}
	return out
}

func render(t testing.TB, layout Layout, labels []Label, opts Options) ([]byte, *Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Render(&buf, layout, labels, opts)
	if err != nil {
		t.Fatalf("%s: %v", layout.Name, err)
	}
	if res.Bytes != buf.Len() {
		t.Errorf("Result.Bytes %d, wrote %d", res.Bytes, buf.Len())
	}
	return buf.Bytes(), res
}

func TestLayouts(t *testing.T) {
	want := map[string]struct {
		per        int
		last       Box // the last label on the page
		paperW     float64
		bottomFree float64 // envelopes: the address box ends this far above the bottom edge
	}{
		"zweckform-3475": {24, Box{140, 256.5, 70, 36}, 210, 0},
		"zweckform-3422": {24, Box{140, 253.5, 70, 35}, 210, 0},
		"avery-l7160":    {21, Box{139.28, 243.75, 63.5, 38.1}, 210, 0},
		"avery-l7163":    {14, Box{106.25, 243.75, 99.1, 38.1}, 210, 0},
		"avery-5160":     {30, Box{144.4625, 241.3, 66.675, 25.4}, 215.9, 0},
		"envelope-c6":    {1, Box{0, 0, 162, 114}, 162, 15},
		"envelope-dl":    {1, Box{0, 0, 220, 110}, 220, 15},
	}
	ls := Layouts()
	if len(ls) != len(want) {
		t.Errorf("%d layouts, want %d", len(ls), len(want))
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.005 }
	for _, l := range ls {
		w, ok := want[l.Name]
		if !ok {
			t.Errorf("unexpected layout %s", l.Name)
			continue
		}
		last := l.Cell(l.Rows-1, l.Cols-1)
		if l.PerPage() != w.per || !near(last.X, w.last.X) || !near(last.Y, w.last.Y) || !near(last.W, w.last.W) || !near(last.H, w.last.H) || l.Page.W != w.paperW {
			t.Errorf("%s: %d per page, last label %+v, paper width %g; want %d, %+v, %g", l.Name, l.PerPage(), last, l.Page.W, w.per, w.last, w.paperW)
		}
		// Sheets are symmetric on the page, as the manufacturers cut them.
		if l.Kind == KindSheet {
			right := l.Page.W - (last.X + last.W)
			bottom := l.Page.H - (last.Y + last.H)
			if math.Abs(right-l.Origin.X) > 0.05 || math.Abs(bottom-l.Origin.Y) > 0.05 {
				t.Errorf("%s: margins left %g right %g, top %g bottom %g", l.Name, l.Origin.X, right, l.Origin.Y, bottom)
			}
		}
		if w.bottomFree > 0 && l.Page.H-(l.Address.Y+l.Address.H) < w.bottomFree-0.01 {
			t.Errorf("%s: address box reaches into the bottom %g mm", l.Name, w.bottomFree)
		}
	}
	if _, err := LookupLayout("avery-9999"); err == nil || !strings.Contains(err.Error(), "zweckform-3475") {
		t.Errorf("LookupLayout(unknown): %v", err)
	}
}

func TestParseLayoutsRejects(t *testing.T) {
	good := `{"name": "x-1", "title": "t", "kind": "sheet", "paper": "A4", "page": {"w": 210, "h": 297},
	  "cols": 3, "rows": 8, "label": {"w": 70, "h": 36}, "origin": {"x": 0, "y": 4.5}, "pitch": {"x": 70, "y": 36},
	  "padding": {"x": 5, "y": 3}, "font_pt": 9, "min_font_pt": 6, "source": "s"}`
	doc := func(l string) []byte {
		return []byte(`{"format": "quillpost-label-layouts/1", "layouts": [` + l + `]}`)
	}
	if _, err := ParseLayouts("f.json", doc(good)); err != nil {
		t.Fatalf("good layout: %v", err)
	}
	tests := []struct{ from, to, want string }{
		{`"rows": 8`, `"rows": 9`, "origin: the labels run off"},
		{`"pitch": {"x": 70`, `"pitch": {"x": 60`, "pitch:"},
		{`"name": "x-1"`, `"name": "X 1"`, "name:"},
		{`"kind": "sheet"`, `"kind": "roll"`, "kind:"},
		{`"padding": {"x": 5`, `"padding": {"x": 30`, "padding:"},
		{`"min_font_pt": 6`, `"min_font_pt": 12`, "font_pt:"},
		{`"source": "s"`, `"source": ""`, "source:"},
		{`"title": "t"`, `"title": "t", "colour": "red"`, "unknown field"},
	}
	for _, tt := range tests {
		_, err := ParseLayouts("f.json", doc(strings.Replace(good, tt.from, tt.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "f.json") {
			t.Errorf("%s: error %v, want %q", tt.to, err, tt.want)
		}
	}
	if _, err := ParseLayouts("f.json", doc(good+","+good)); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestRenderEveryLayout renders more labels than fit a page on every layout, reads the PDF back
// and checks each label: its address lines (umlauts and all) are on the right page, inside the
// right label; its numbers are there; its QR code decodes to the card; the pages hold the right
// number of labels; the manifest lists them in order.
func TestRenderEveryLayout(t *testing.T) {
	for _, layout := range Layouts() {
		t.Run(layout.Name, func(t *testing.T) {
			t.Parallel()
			n := layout.PerPage() + 5
			if layout.Kind == KindEnvelope {
				n = len(samples)
			}
			labels := manyLabels(n)
			opts := Options{Sender: "quillpost GmbH · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE", Title: "Test run"}
			b, res := render(t, layout, labels, opts)
			pages := readPDF(t, b)
			wantLabelPages := (n + layout.PerPage() - 1) / layout.PerPage()
			if res.LabelPages != wantLabelPages || len(pages) != res.Pages || res.Pages <= res.LabelPages {
				t.Fatalf("pages: result %+v, PDF has %d; want %d label pages and a manifest", res, len(pages), wantLabelPages)
			}
			for i, pg := range pages[:res.LabelPages] {
				if math.Abs(pg.W-layout.Page.W) > 0.05 || math.Abs(pg.H-layout.Page.H) > 0.05 {
					t.Errorf("page %d is %g × %g mm", i+1, pg.W, pg.H)
				}
			}

			perPage := map[int]int{}
			for i, p := range res.Placements {
				l := labels[i]
				if p.Label.Seq != l.Seq || p.Payload != l.CardID {
					t.Fatalf("placement %d is label %d (%s), want %d", i, p.Label.Seq, p.Payload, l.Seq)
				}
				wantPage, wantRow, wantCol := i/layout.PerPage()+1, (i%layout.PerPage())/layout.Cols+1, i%layout.Cols+1
				if p.Page != wantPage || p.Row != wantRow || p.Col != wantCol {
					t.Errorf("label %d at page %d row %d col %d, want %d/%d/%d", l.Seq, p.Page, p.Row, p.Col, wantPage, wantRow, wantCol)
				}
				pg := pages[p.Page-1]
				cell := p.Cell
				for _, line := range address.Format(l.To, "DE") {
					if !hasText(pg, line, cell) {
						t.Errorf("label %d: line %q not found inside its label %+v on page %d", l.Seq, line, cell, p.Page)
					}
				}
				mark := fmt.Sprintf("#%d", l.Seq)
				if !hasTextPrefix(pg, mark, cell) {
					t.Errorf("label %d: sequence number %q missing", l.Seq, mark)
				}
				if got := decodeQR(t, pg, p.QR); got != l.CardID {
					t.Errorf("label %d: QR code reads %q, want %q", l.Seq, got, l.CardID)
				}
				perPage[p.Page]++
			}
			for pg := 1; pg <= res.LabelPages; pg++ {
				want := min(layout.PerPage(), n-(pg-1)*layout.PerPage())
				if perPage[pg] != want {
					t.Errorf("page %d: %d labels, want %d", pg, perPage[pg], want)
				}
				// Count what is printed, too: one sequence mark per label cell.
				if got := countMarks(pages[pg-1]); got != want {
					t.Errorf("page %d: the PDF shows %d sequence numbers, want %d", pg, got, want)
				}
			}
			checkManifest(t, pages[res.LabelPages:], labels)
		})
	}
}

// hasText reports whether a text run equal to s starts inside box.
func hasText(pg pdfPage, s string, box Box) bool {
	for _, tx := range pg.Texts {
		if tx.Text == s && tx.X >= box.X && tx.X < box.X+box.W && tx.Y > box.Y && tx.Y < box.Y+box.H {
			return true
		}
	}
	return false
}

func hasTextPrefix(pg pdfPage, prefix string, box Box) bool {
	for _, tx := range pg.Texts {
		if (tx.Text == prefix || strings.HasPrefix(tx.Text, prefix+" ")) && tx.X >= box.X && tx.X < box.X+box.W && tx.Y > box.Y && tx.Y < box.Y+box.H {
			return true
		}
	}
	return false
}

var markRE = regexp.MustCompile(`^#\d+( |$)`)

func countMarks(pg pdfPage) int {
	n := 0
	for _, tx := range pg.Texts {
		if markRE.MatchString(tx.Text) {
			n++
		}
	}
	return n
}

// decodeQR rasterises the filled rectangles inside box (with a quiet zone) and decodes them as
// a QR code, independently of the encoder that drew them.
func decodeQR(t testing.TB, pg pdfPage, box Box) string {
	t.Helper()
	const px = 20.0 // pixels per mm
	quiet := 3.0
	w := int((box.W + 2*quiet) * px)
	img := image.NewGray(image.Rect(0, 0, w, w))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	n := 0
	for _, r := range pg.Rects {
		if r.X < box.X-0.01 || r.Y < box.Y-0.01 || r.X+r.W > box.X+box.W+0.01 || r.Y+r.H > box.Y+box.H+0.01 {
			continue
		}
		n++
		x0, y0 := int(math.Round((r.X-box.X+quiet)*px)), int(math.Round((r.Y-box.Y+quiet)*px))
		x1, y1 := int(math.Round((r.X+r.W-box.X+quiet)*px)), int(math.Round((r.Y+r.H-box.Y+quiet)*px))
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.SetGray(x, y, color.Gray{})
			}
		}
	}
	if n == 0 {
		t.Errorf("no barcode modules inside %+v", box)
		return ""
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Errorf("QR code in %+v does not decode: %v", box, err)
		return ""
	}
	return res.GetText()
}

// checkManifest finds every label's row on the manifest pages, in printing order.
func checkManifest(t *testing.T, pages []pdfPage, labels []Label) {
	t.Helper()
	var rows []string // first-column texts, top to bottom, page after page
	for _, pg := range pages {
		var col []pdfText
		for _, tx := range pg.Texts {
			if tx.X < manifestMargin+1 {
				col = append(col, tx)
			}
		}
		slices.SortStableFunc(col, func(a, b pdfText) int { return cmp.Compare(a.Y, b.Y) })
		for _, tx := range col {
			if _, err := strconv.Atoi(tx.Text); err == nil {
				rows = append(rows, tx.Text)
			}
		}
	}
	var want []string
	for _, l := range labels {
		want = append(want, strconv.Itoa(l.Seq))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("manifest lists %v, want %v", rows, want)
	}
	for _, l := range labels {
		found := false
		for _, pg := range pages {
			for _, tx := range pg.Texts {
				if tx.Text == l.OrderID {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("manifest lacks order %s", l.OrderID)
		}
	}
}

// TestNothingSpills lays out hard addresses (the longest lines validation allows, wide capitals,
// long compound words, many lines) on every layout and checks every line against its label with
// widths measured again by a separate fpdf document.
func TestNothingSpills(t *testing.T) {
	wide := strings.Repeat("W", 40)
	// No label holds eight lines of forty capital Ws (each wraps twice even at the minimum size):
	// such an address must be refused, not squeezed out of the label.
	impossible := address.Address{Name: wide, Company: wide, Lines: []string{wide, wide, wide, wide}, PostalCode: "10115", City: wide, Country: "DE"}
	// Entries two and three must fit every layout; the others may be refused as too long, never spilt.
	hard := []address.Address{
		impossible,
		{Name: "Maximilian von und zu Donnersmarck-Hohen", Lines: []string{"Donaudampfschifffahrtsgesellschaftsweg 1"}, PostalCode: "10115", City: "Berlin", Country: "DE"},
		{Name: "Ä", Lines: []string{"Rindfleischetikettierungsüberwachungsamt"}, PostalCode: "01067", City: "Dresden", Country: "DE"},
		{Name: "MMMMMMMMMM MMMMMMMMMM MMMMMMMMMM MMMMM", Company: strings.Repeat("É", 38), Lines: []string{strings.Repeat("Ö", 38), "2"}, PostalCode: "75001", City: "Paris", Country: "FR"},
	}
	if _, err := Plan(mustLayout(t, "zweckform-3475"), []Label{{OrderID: "x", To: impossible}}, Options{}); err == nil || !strings.Contains(err.Error(), "needs more room than the label has") {
		t.Errorf("eight lines of Ws on a 70 × 36 mm label: %v", err)
	}
	ref := fpdf.New("P", "mm", "A4", "")
	ref.AddUTF8FontFromBytes("ref", "", fontTTF)
	ref.SetFont("ref", "", 10)
	for _, layout := range Layouts() {
		var labels []Label
		for i, a := range hard {
			labels = append(labels, Label{Seq: i + 1, OrderID: strings.Repeat("9", MaxIDLength), CardID: strings.Repeat("Z", MaxIDLength), To: a})
		}
		for _, sender := range []string{"", strings.Repeat("Absender ", 8)} {
			var ps []Placement
			for _, l := range labels {
				p, err := Plan(layout, []Label{l}, Options{Sender: sender})
				switch {
				case err == nil:
					ps = append(ps, p[0])
				case (l.Seq == 1 || l.Seq > 3) && strings.Contains(err.Error(), "needs more room than the label has"):
					t.Logf("%s refuses label %d: %v", layout.Name, l.Seq, err) // refused, not spilt
				default:
					t.Errorf("%s: %v", layout.Name, err)
				}
			}
			for _, p := range ps {
				inner := Box{X: p.Cell.X + layout.Padding.X, Y: p.Cell.Y + layout.Padding.Y, W: p.Cell.W - 2*layout.Padding.X, H: p.Cell.H - 2*layout.Padding.Y}
				addrBox := inner
				if layout.Kind == KindEnvelope {
					addrBox = layout.Address
				}
				check := func(what string, tl TextLine, box Box) {
					ref.SetFontSize(tl.Size)
					w := ref.GetStringWidth(tl.Text)
					if math.Abs(w-tl.Width) > 1e-9 {
						t.Errorf("%s label %d %s: width %g, measured again %g", layout.Name, p.Label.Seq, what, tl.Width, w)
					}
					if tl.X < box.X-1e-9 || tl.X+w > box.X+box.W+1e-9 || tl.Top() < box.Y-1e-9 || tl.Bottom() > box.Y+box.H+1e-9 {
						t.Errorf("%s label %d %s %q at %g pt spills out of %+v: x %g..%g, y %g..%g", layout.Name, p.Label.Seq, what, tl.Text, tl.Size, box, tl.X, tl.X+w, tl.Top(), tl.Bottom())
					}
					if tl.Size < layout.MinFontPt-1e-9 && what == "address" {
						t.Errorf("%s label %d: %q at %g pt, below the minimum %g", layout.Name, p.Label.Seq, tl.Text, tl.Size, layout.MinFontPt)
					}
					// Nothing runs into the barcode.
					if tl.Top() < p.QR.Y+p.QR.H && tl.Bottom() > p.QR.Y && tl.X < p.QR.X+p.QR.W && tl.X+w > p.QR.X-qrGap+1e-6 {
						t.Errorf("%s label %d %s %q overlaps the barcode %+v", layout.Name, p.Label.Seq, what, tl.Text, p.QR)
					}
				}
				// Every printed character of the address is there, wrapped or not.
				var printed strings.Builder
				for _, tl := range p.Lines {
					check("address", tl, addrBox)
					printed.WriteString(strings.ReplaceAll(tl.Text, " ", ""))
				}
				want := strings.ReplaceAll(strings.Join(address.Format(p.Label.To, ""), ""), " ", "")
				if printed.String() != want {
					t.Errorf("%s label %d prints %q, want %q", layout.Name, p.Label.Seq, printed.String(), want)
				}
				for _, tl := range p.Mark {
					box := inner
					if layout.Kind == KindEnvelope {
						box = layout.Mark
					}
					check("mark", tl, box)
				}
				if p.Sender != nil {
					box := inner
					if layout.Kind == KindEnvelope {
						box = layout.Sender
					}
					check("sender", *p.Sender, box)
				}
				qrBox := inner
				if layout.Kind == KindEnvelope {
					qrBox = layout.Mark
				}
				if !p.QR.inside(qrBox) {
					t.Errorf("%s label %d: barcode %+v outside %+v", layout.Name, p.Label.Seq, p.QR, qrBox)
				}
			}
		}
	}
}

// TestPoppler reads the PDFs with poppler's pdftotext, an independent reader, when it is
// installed: every word of every label lies inside that label, measured by poppler's own glyph
// boxes.
func TestPoppler(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	wordRE := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	pageRE := regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	for _, layout := range []Layout{mustLayout(t, "zweckform-3475"), mustLayout(t, "avery-5160"), mustLayout(t, "envelope-dl")} {
		labels := manyLabels(min(layout.PerPage(), len(samples)))
		b, res := render(t, layout, labels, Options{SenderCountry: "DE", NoManifest: true})
		file := filepath.Join(t.TempDir(), "labels.pdf")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-bbox", file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		// Split into pages; words in PDF points from the top-left corner.
		type word struct {
			x0, y0, x1, y1 float64
			s              string
		}
		var pages [][]word
		for _, chunk := range strings.Split(string(out), "</page>") {
			if !pageRE.MatchString(chunk) {
				continue
			}
			var ws []word
			for _, m := range wordRE.FindAllStringSubmatch(chunk, -1) {
				f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v * mmPerPt }
				ws = append(ws, word{f(1), f(2), f(3), f(4), htmlUnescape(m[5])})
			}
			pages = append(pages, ws)
		}
		if len(pages) != res.Pages {
			t.Fatalf("%s: poppler sees %d pages, want %d", layout.Name, len(pages), res.Pages)
		}
		for _, p := range res.Placements {
			for _, line := range address.Format(p.Label.To, "DE") {
				for _, w := range strings.Fields(line) {
					found := false
					for _, pw := range pages[p.Page-1] {
						if pw.s == w && pw.x0 >= p.Cell.X && pw.x1 <= p.Cell.X+p.Cell.W && pw.y0 >= p.Cell.Y && pw.y1 <= p.Cell.Y+p.Cell.H {
							found = true
							break
						}
					}
					if !found {
						t.Errorf("%s label %d: poppler finds no %q inside %+v", layout.Name, p.Label.Seq, w, p.Cell)
					}
				}
			}
		}
	}
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&#39;", "'").Replace(s)
}

// TestDeterministicGolden: the same input gives the same bytes, and the plan and PDF hash are
// pinned in testdata (go test -update rewrites them after an intended change).
func TestDeterministicGolden(t *testing.T) {
	var hashes strings.Builder
	for _, layout := range Layouts() {
		labels := manyLabels(min(layout.PerPage()+2, 8))
		opts := Options{Sender: "quillpost · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE", Title: "Golden"}
		a, res := render(t, layout, labels, opts)
		b, _ := render(t, layout, labels, opts)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", layout.Name)
		}
		fmt.Fprintf(&hashes, "%s %x\n", layout.Name, sha256.Sum256(a))
		plan, err := json.MarshalIndent(res.Placements, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata", "plan-"+layout.Name+".json"), string(plan)+"\n")
	}
	golden(t, filepath.Join("testdata", "pdf-sha256.golden"), hashes.String())
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test -update rewrites it after an intended change):\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d:\n want %s\n  got %s", i+1, wl[i], gl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(wl), len(gl))
}

func TestSortPostal(t *testing.T) {
	labels := manyLabels(len(samples))
	ps, err := Plan(mustLayout(t, "avery-l7163"), labels, Options{Sort: SortPostal})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	seqs := map[int]bool{}
	for _, p := range ps {
		keys = append(keys, p.Label.To.Country+" "+p.Label.To.PostalCode)
		seqs[p.Label.Seq] = true
	}
	if !slices.IsSorted(keys) {
		t.Errorf("not in postal order: %q", keys)
	}
	if len(seqs) != len(labels) || ps[0].Label.To.Country != "AT" {
		t.Errorf("sorting lost labels or their numbers: %v, first %s", seqs, ps[0].Label.To.Country)
	}
	if s, err := ParseSort("postal"); err != nil || s != SortPostal {
		t.Errorf("ParseSort(postal) = %v, %v", s, err)
	}
	if _, err := ParseSort("zip"); err == nil {
		t.Error("ParseSort(zip) accepted")
	}
}

func TestRefusesBadLabels(t *testing.T) {
	layout := mustLayout(t, "zweckform-3475")
	good := manyLabels(1)[0]
	tests := []struct {
		name string
		mod  func(*Label)
		want string
	}{
		{"invalid address", func(l *Label) { l.To.PostalCode = "1234" }, "postal_code: postal code 1234 is not a German postal code"},
		{"font lacks the letters", func(l *Label) { l.To.City = "東京" }, "cannot print '東' (U+6771), '京' (U+4EAC)"},
		{"no id", func(l *Label) { l.OrderID, l.CardID = "", "" }, "nothing identifies the card"},
		{"id with a space", func(l *Label) { l.OrderID = "A 1" }, "printable ASCII"},
		{"id too long", func(l *Label) { l.CardID = strings.Repeat("x", MaxIDLength+1) }, "at most 32"},
	}
	for _, tt := range tests {
		l := good
		l.To.Lines = []string{"Hauptstraße 1"}
		tt.mod(&l)
		_, err := Plan(layout, []Label{manyLabels(1)[0], l}, Options{})
		var le *LabelError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want a LabelError with %q", tt.name, err, tt.want)
			continue
		}
		if le.Index != 1 {
			t.Errorf("%s: index %d, want 1", tt.name, le.Index)
		}
	}
	dup := manyLabels(2)
	dup[1].Seq = 1
	if _, err := Plan(layout, dup, Options{}); err == nil || !strings.Contains(err.Error(), "sequence number 1") {
		t.Errorf("duplicate sequence number: %v", err)
	}
	if _, err := Render(&bytes.Buffer{}, layout, nil, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("no labels: %v", err)
	}
	if _, err := Plan(layout, manyLabels(1), Options{Sender: "a\x07b"}); err == nil {
		t.Error("control character in the sender accepted")
	}
}

func TestBuilder(t *testing.T) {
	layout := mustLayout(t, "zweckform-3475")
	if _, err := NewBuilder(layout, Options{Sort: SortPostal}); err == nil {
		t.Error("a sorted open sheet was accepted")
	}
	b, err := NewBuilder(layout, Options{SenderCountry: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Flush(); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty flush: %v", err)
	}
	labels := manyLabels(30)
	for i, l := range labels[:24] {
		l.Seq = 0 // the builder numbers them
		full, err := b.Add(l)
		if err != nil {
			t.Fatal(err)
		}
		if full != (i == 23) {
			t.Errorf("after %d labels full = %v", i+1, full)
		}
	}
	bad := labels[24]
	bad.To.Country = "XY"
	if _, err := b.Add(bad); err == nil || b.Len() != 24 {
		t.Errorf("bad label: err %v, %d waiting", err, b.Len())
	}
	if !b.Full() || b.Capacity() != 24 {
		t.Errorf("Full %v, Capacity %d", b.Full(), b.Capacity())
	}
	pdfBytes, res, err := b.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 || res.LabelPages != 1 || res.Placements[23].Label.Seq != 24 {
		t.Errorf("after flush: %d waiting, %+v", b.Len(), res.LabelPages)
	}
	pages := readPDF(t, pdfBytes)
	if countMarks(pages[0]) != 24 {
		t.Errorf("flushed sheet shows %d labels", countMarks(pages[0]))
	}
	// Numbering runs on across flushes; an explicit number is kept.
	l := labels[24]
	l.Seq = 0
	if _, err := b.Add(l); err != nil {
		t.Fatal(err)
	}
	l2 := labels[25]
	l2.Seq = 25
	if _, err := b.Add(l2); err == nil {
		t.Error("a second label 25 on the same sheet was accepted")
	}
	if got := b.Pending()[0].Seq; got != 25 {
		t.Errorf("first label after the flush is %d, want 25", got)
	}
}

// BenchmarkRender1000 renders a 1,000-card run on Zweckform 3475 (42 sheets and the manifest).
func BenchmarkRender1000(b *testing.B) {
	layout := mustLayout(b, "zweckform-3475")
	labels := manyLabels(1000)
	opts := Options{Sender: "quillpost · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE"}
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		res, err := Render(&buf, layout, labels, opts)
		if err != nil {
			b.Fatal(err)
		}
		size = res.Bytes
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// FuzzPlan feeds arbitrary address text to the layout: it must refuse or lay out, never panic,
// and what it lays out stays inside the label.
func FuzzPlan(f *testing.F) {
	f.Add("Jürgen Weiß", "Große Burgstraße 3", "06667", "Weißenfels", "DE", "A-1")
	f.Add(strings.Repeat("W", 40), strings.Repeat("Ö", 40), "10115", strings.Repeat("M", 40), "DE", "x")
	f.Add("a", "b c d e f g h i j k l m n o p q r s t", "K1A 0B1", "Ottawa", "CA", "")
	f.Add("東京", "1", "100-0001", "Tokyo", "JP", "q")
	layout := mustLayout(f, "avery-5160")
	f.Fuzz(func(t *testing.T, name, street, postal, city, country, order string) {
		l := Label{OrderID: order, CardID: "c", To: address.Address{Name: name, Lines: []string{street}, PostalCode: postal, City: city, Region: "ON", Country: country}}
		ps, err := Plan(layout, []Label{l}, Options{})
		if err != nil {
			return
		}
		inner := Box{X: ps[0].Cell.X + layout.Padding.X, Y: ps[0].Cell.Y + layout.Padding.Y, W: ps[0].Cell.W - 2*layout.Padding.X, H: ps[0].Cell.H - 2*layout.Padding.Y}
		for _, tl := range ps[0].Lines {
			if tl.Text == "" || tl.X+tl.Width > inner.X+inner.W+1e-9 || tl.Bottom() > inner.Y+inner.H+1e-9 || tl.Top() < inner.Y-1e-9 {
				t.Errorf("line %+v outside %+v", tl, inner)
			}
		}
	})
}

// TestRenderProgress: Options.Progress hears every label laid out and then drawn, in order, and
// the document is the same as without it.
func TestRenderProgress(t *testing.T) {
	layout := mustLayout(t, "zweckform-3475")
	labels := manyLabels(30)
	var want bytes.Buffer
	if _, err := Render(&want, layout, labels, Options{}); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	var calls []string
	opts := Options{Progress: func(step string, done, total int) {
		calls = append(calls, fmt.Sprintf("%s %d/%d", step, done, total))
	}}
	if _, err := Render(&got, layout, labels, opts); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 60 || calls[0] != "laying out 1/30" || calls[29] != "laying out 30/30" || calls[30] != "drawing 1/30" || calls[59] != "drawing 30/30" {
		t.Errorf("progress calls: %q", calls)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("the PDF differs with a progress callback")
	}
}
