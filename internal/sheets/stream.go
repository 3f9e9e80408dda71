package sheets

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Stream writes the same labels as Render (the label pages, then the manifest) for documents of
// any size: each page is drawn, deflated and written to w before the next is begun, so memory
// stays that of one page and the checked labels, and the font is embedded once, at the end
// (pages refer to it before it is written). Render builds the whole document in fpdf's memory
// first; a 100,000-label campaign took gigabytes that way.
//
// Every label is checked and fitted before the first byte is written, so a label that cannot be
// printed is still an error the caller can answer with. Once writing has begun, an error (ctx
// ended: the client left or the time budget ran out; w failed; limits.MaxBytes reached) leaves a
// truncated document behind: an HTTP handler must then abort the response, not complete it.
//
// The font is Liberation Sans whole (about 400 KB, deflated); fpdf embeds a subset instead, which
// needs every page's text before the font can be written.
func Stream(ctx context.Context, w io.Writer, layout Layout, labels []Label, opts Options, limits StreamLimits) (*StreamResult, error) {
	if limits.MaxLabels > 0 && len(labels) > limits.MaxLabels {
		return nil, fmt.Errorf("%w: %d labels, at most %d fit in one document", ErrTooMany, len(labels), limits.MaxLabels)
	}
	ls, index, err := prepare(labels, opts)
	if err != nil {
		return nil, err
	}
	unprintable("") // parses the font, which text() draws with
	m := sharedMeasurer()
	m.mu.Lock()
	for i, l := range ls {
		if _, err := placeLabel(m, layout, l, i, opts); err != nil {
			m.mu.Unlock()
			return nil, &LabelError{Index: index[i], Seq: l.Seq, OrderID: l.OrderID, Err: err}
		}
		if i%1024 == 0 && ctx.Err() != nil {
			m.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	m.mu.Unlock()

	sw := newStreamWriter(w, limits.MaxBytes)
	title := opts.Title
	if title == "" {
		title = "Address labels"
	}
	sw.begin()
	if err := sw.labelPages(ctx, layout, ls, opts); err != nil {
		return nil, err
	}
	res := &StreamResult{Labels: len(ls), LabelPages: sw.pages}
	if !opts.NoManifest {
		if err := sw.manifest(ctx, layout, ls, title, opts); err != nil {
			return nil, err
		}
	}
	res.Pages = sw.pages
	if err := sw.end(title, opts); err != nil {
		return nil, err
	}
	res.Bytes = sw.n
	return res, nil
}

// StreamLimits bound one streamed document; zero means no bound.
type StreamLimits struct {
	MaxLabels int   // labels in one document (checked before anything is written)
	MaxBytes  int64 // bytes written; the document is cut off with ErrTooLarge beyond
}

// StreamResult describes a streamed document.
type StreamResult struct {
	Labels, LabelPages, Pages int
	Bytes                     int64
}

// ErrTooMany and ErrTooLarge are the StreamLimits being reached.
var (
	ErrTooMany  = errors.New("too many labels for one document")
	ErrTooLarge = errors.New("the label document grew larger than allowed")
)

// Objects with fixed numbers; pages take 2 objects each from firstPageObj on.
const (
	catalogObj    = 1
	pagesObj      = 2
	fontObj       = 3 // Type0, Identity-H
	cidFontObj    = 4
	descriptorObj = 5
	fontFileObj   = 6
	toUnicodeObj  = 7
	infoObj       = 8
	firstPageObj  = 9
)

// k converts millimetres to PDF points.
const k = 72 / 25.4

type streamWriter struct {
	w       *bufio.Writer
	err     error
	n       int64
	max     int64
	offsets map[int]int64 // object number → byte offset
	kids    []int
	pages   int
	next    int // next free object number
	glyphs  map[uint16]rune
	buf     sfnt.Buffer
	cv      *canvas // the manifest's page being drawn
}

// canvas is one page's content being drawn, and the glyphs it used.
type canvas struct {
	content bytes.Buffer
	glyphs  map[uint16]rune
	buf     sfnt.Buffer
	size    float64 // the current font size, 0 at the start of the page
	pageH   float64
}

func newCanvas(h float64) *canvas {
	cv := &canvas{glyphs: map[uint16]rune{}, pageH: h}
	cv.content.WriteString("0 g 0 G\n")
	return cv
}

// zlibs are deflaters for page contents; each holds about a megabyte of tables. BestSpeed: the
// default level took a sixth of the CPU for pages of barcode rectangles, for 10 % less size.
var zlibs = sync.Pool{New: func() any { z, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed); return z }}

// deflate compresses data as a PDF FlateDecode stream.
func deflate(data []byte) []byte {
	var out bytes.Buffer
	z := zlibs.Get().(*zlib.Writer)
	z.Reset(&out)
	z.Write(data)
	z.Close()
	zlibs.Put(z)
	return out.Bytes()
}

func newStreamWriter(w io.Writer, max int64) *streamWriter {
	return &streamWriter{w: bufio.NewWriterSize(w, 64<<10), max: max, offsets: map[int]int64{}, next: firstPageObj,
		glyphs: map[uint16]rune{}}
}

func (sw *streamWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	if sw.max > 0 && sw.n+int64(len(b)) > sw.max {
		sw.err = fmt.Errorf("%w (%d bytes)", ErrTooLarge, sw.max)
		return
	}
	n, err := sw.w.Write(b)
	sw.n += int64(n)
	if err != nil {
		sw.err = fmt.Errorf("writing the label PDF: %w", err)
	}
}

func (sw *streamWriter) printf(format string, args ...any) {
	sw.write(fmt.Appendf(nil, format, args...))
}

func (sw *streamWriter) startObj(n int) {
	sw.offsets[n] = sw.n
	sw.printf("%d 0 obj\n", n)
}

// stream writes object n as a stream of deflated data with extra dictionary entries.
func (sw *streamWriter) stream(n int, extra string, deflated []byte) {
	sw.startObj(n)
	sw.printf("<< /Filter /FlateDecode /Length %d%s >>\nstream\n", len(deflated), extra)
	sw.write(deflated)
	sw.write([]byte("\nendstream\nendobj\n"))
}

func (sw *streamWriter) begin() {
	sw.write([]byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"))
	sw.startObj(catalogObj)
	sw.printf("<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", pagesObj)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// endPage writes a page whose content cv drew, deflated.
func (sw *streamWriter) endPage(pw, ph float64, cv *canvas, deflated []byte) error {
	for g, r := range cv.glyphs {
		if _, seen := sw.glyphs[g]; !seen {
			sw.glyphs[g] = r
		}
	}
	page, contents := sw.next, sw.next+1
	sw.next += 2
	sw.startObj(page)
	sw.printf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>\nendobj\n",
		pagesObj, num(pw*k), num(ph*k), fontObj, contents)
	sw.stream(contents, "", deflated)
	sw.kids = append(sw.kids, page)
	sw.pages++
	if sw.err == nil {
		// The page leaves the process now, not when the buffer happens to fill: the client sees
		// progress, and a client that left is noticed at the next page.
		if err := sw.w.Flush(); err != nil {
			sw.err = fmt.Errorf("writing the label PDF: %w", err)
		}
	}
	return sw.err
}

// text draws t with its baseline at (t.X, t.Y), as fpdf's Text does.
func (cv *canvas) text(t TextLine) {
	c := &cv.content
	c.WriteString("BT ")
	if t.Size != cv.size {
		c.WriteString("/F1 " + num(t.Size) + " Tf ")
		cv.size = t.Size
	}
	c.WriteString(num(t.X*k) + " " + num((cv.pageH-t.Y)*k) + " Td <")
	for _, r := range t.Text {
		gi, err := sfntFont.GlyphIndex(&cv.buf, r)
		if err != nil {
			gi = 0
		}
		if _, seen := cv.glyphs[uint16(gi)]; !seen {
			cv.glyphs[uint16(gi)] = r
		}
		fmt.Fprintf(c, "%04X", uint16(gi))
	}
	c.WriteString("> Tj ET\n")
}

func (cv *canvas) line(x1, y1, x2, y2, width float64, gray float64) {
	fmt.Fprintf(&cv.content, "%s G %s w %s %s m %s %s l S\n", num(gray), num(width*k),
		num(x1*k), num((cv.pageH-y1)*k), num(x2*k), num((cv.pageH-y2)*k))
}

func (cv *canvas) fillRect(x, y, w, h float64) {
	cv.content.WriteString(num(x*k) + " " + num((cv.pageH-y)*k) + " " + num(w*k) + " " + num(-h*k) + " re f\n")
}

// roundedRect strokes the outline of a box with corners of radius r.
func (cv *canvas) roundedRect(b Box, r, width, gray float64) {
	const c = 0.5523 // control point distance of a quarter circle, in radii
	x0, y0, x1, y1 := b.X*k, (cv.pageH-b.Y)*k, (b.X+b.W)*k, (cv.pageH-b.Y-b.H)*k
	r *= k
	f := func(v float64) string { return num(v) }
	fmt.Fprintf(&cv.content, "%s G %s w %s %s m %s %s l %s %s %s %s %s %s c %s %s l %s %s %s %s %s %s c %s %s l %s %s %s %s %s %s c %s %s l %s %s %s %s %s %s c S\n",
		f(gray), f(width*k),
		f(x0+r), f(y0), f(x1-r), f(y0), f(x1-r+c*r), f(y0), f(x1), f(y0-r+c*r), f(x1), f(y0-r),
		f(x1), f(y1+r), f(x1), f(y1+r-c*r), f(x1-r+c*r), f(y1), f(x1-r), f(y1),
		f(x0+r), f(y1), f(x0+r-c*r), f(y1), f(x0), f(y1+r-c*r), f(x0), f(y1+r),
		f(x0), f(y0-r), f(x0), f(y0-r+c*r), f(x0+r-c*r), f(y0), f(x0+r), f(y0))
}

func (cv *canvas) qr(m [][]bool, box Box) {
	mod := box.W / float64(len(m))
	for y, row := range m {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			cv.fillRect(box.X+float64(start)*mod, box.Y+float64(y)*mod, float64(x-start)*mod, mod)
		}
	}
}

// labelPages draws the label pages on every core, a few pages ahead of the one being written,
// and writes them in order: encoding the barcodes is most of the work.
func (sw *streamWriter) labelPages(ctx context.Context, layout Layout, ls []Label, opts Options) error {
	type drawn struct {
		cv       *canvas
		deflated []byte
		err      error
		done     chan struct{}
	}
	per := layout.PerPage()
	workers := runtime.GOMAXPROCS(0)
	// pageLookahead bounds the pages drawn and not yet written: the memory of a streamed document.
	pageLookahead := 2 * workers
	order := make(chan *drawn, pageLookahead)
	jobs := make(chan func())
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // first: the feeder and the workers then stop at their next page
		wg.Wait()
	}()
	for range workers {
		wg.Go(func() {
			for job := range jobs {
				job()
			}
		})
	}
	go func() {
		defer close(jobs)
		defer close(order)
		for start := 0; start < len(ls); start += per {
			d := &drawn{done: make(chan struct{})}
			select {
			case order <- d:
			case <-ctx.Done():
				return
			}
			first, page := start, ls[start:min(len(ls), start+per)]
			select {
			case jobs <- func() {
				defer close(d.done)
				d.cv, d.err = drawLabelPage(layout, page, first, opts)
				if d.err == nil {
					d.deflated = deflate(d.cv.content.Bytes())
					d.cv.content = bytes.Buffer{}
				}
			}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for d := range order {
		select {
		case <-d.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if d.err != nil {
			return d.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sw.endPage(layout.Page.W, layout.Page.H, d.cv, d.deflated); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// drawLabelPage draws one page of labels; first is the index of ls[0] in the document.
func drawLabelPage(layout Layout, ls []Label, first int, opts Options) (*canvas, error) {
	m := sharedMeasurer()
	m.mu.Lock()
	placements := make([]Placement, len(ls))
	for i, l := range ls {
		p, err := placeLabel(m, layout, l, first+i, opts)
		if err != nil { // not reached: Stream fitted every label before writing
			m.mu.Unlock()
			return nil, &LabelError{Seq: l.Seq, OrderID: l.OrderID, Err: err}
		}
		placements[i] = p
	}
	m.mu.Unlock()
	cv := newCanvas(layout.Page.H)
	for _, p := range placements {
		code, err := qrMatrix(p.Payload)
		if err != nil {
			return nil, fmt.Errorf("label %d: %w", p.Label.Seq, err)
		}
		if opts.Outlines {
			cv.roundedRect(p.Cell, 2, 0.1, 180.0/255)
		}
		if p.Sender != nil {
			cv.text(*p.Sender)
			y := p.Sender.Y + fontDescent*p.Sender.Size*ptToMM + ruleGap/2
			cv.line(p.Sender.X, y, p.Sender.X+p.Sender.Width, y, 0.1, 0)
		}
		for _, t := range p.Lines {
			cv.text(t)
		}
		for _, t := range p.Mark {
			cv.text(t)
		}
		cv.qr(code, p.QR)
	}
	return cv, nil
}

// manifest draws the manifest pages as drawManifest does for Render.
func (sw *streamWriter) manifest(ctx context.Context, layout Layout, ls []Label, title string, opts Options) error {
	page := layout.Page
	if layout.Kind == KindEnvelope {
		page = Size{W: 210, H: 297}
	}
	per := layout.PerPage()
	position := func(i int) string {
		if layout.Kind == KindEnvelope {
			return fmt.Sprintf("envelope %d", i/per+1)
		}
		return fmt.Sprintf("p%d r%d c%d", i/per+1, (i%per)/layout.Cols+1, (i%per)%layout.Cols+1)
	}
	type column struct {
		title string
		width float64
		value func(i int, l Label) string
	}
	cols := []column{
		{"#", 12, func(_ int, l Label) string { return fmt.Sprint(l.Seq) }},
		{"Label", 22, func(i int, _ Label) string { return position(i) }},
		{"Order", 28, func(_ int, l Label) string { return l.OrderID }},
		{"Barcode", 28, func(_ int, l Label) string { return l.Payload() }},
		{"Recipient", 42, func(_ int, l Label) string { return l.To.Name }},
		{"Postal code, city", 36, func(_ int, l Label) string { return l.To.PostalCode + " " + l.To.City }},
		{"Country", 12, func(_ int, l Label) string { return l.To.Country }},
	}
	total := 0.0
	for _, c := range cols {
		total += c.width
	}
	scale := (page.W - 2*manifestMargin) / total
	m := sharedMeasurer()
	y := 0.0
	pages := 0
	open := false
	newPage := func() error {
		if open {
			if err := sw.endPage(page.W, page.H, sw.cv, deflate(sw.cv.content.Bytes())); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sw.cv = newCanvas(page.H)
		open = true
		pages++
		y = manifestMargin
		head := fmt.Sprintf("%s: manifest, %d labels on %s, %s order", title, len(ls), layout.Name, opts.Sort)
		if pages > 1 {
			head += fmt.Sprintf(" (continued, page %d)", pages)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		sw.cv.text(fitCell(m, head, manifestMargin, y+4, page.W-2*manifestMargin, 10))
		y += 9
		x := float64(manifestMargin)
		for _, c := range cols {
			sw.cv.text(fitCell(m, c.title, x, y, c.width*scale-1.5, manifestPt))
			x += c.width * scale
		}
		sw.cv.line(manifestMargin, y+1.4, page.W-manifestMargin, y+1.4, 0.2, 0)
		y += manifestRow
		return nil
	}
	if err := newPage(); err != nil {
		return err
	}
	for i, l := range ls {
		if y > page.H-manifestMargin {
			if err := newPage(); err != nil {
				return err
			}
		}
		x := float64(manifestMargin)
		m.mu.Lock()
		for _, c := range cols {
			sw.cv.text(fitCell(m, c.value(i, l), x, y, c.width*scale-1.5, manifestPt))
			x += c.width * scale
		}
		m.mu.Unlock()
		if i+1 < len(ls) && (i+1)/per != i/per && layout.Kind == KindSheet {
			sw.cv.line(manifestMargin, y+1.4, page.W-manifestMargin, y+1.4, 0.1, 0)
		}
		y += manifestRow
	}
	return sw.endPage(page.W, page.H, sw.cv, deflate(sw.cv.content.Bytes()))
}

// end writes the font, the page tree, the document information and the cross-reference table.
func (sw *streamWriter) end(title string, opts Options) error {
	sw.startObj(pagesObj)
	sw.printf("<< /Type /Pages /Count %d /Kids [", len(sw.kids))
	for i, kid := range sw.kids {
		if i%16 == 0 {
			sw.write([]byte("\n"))
		}
		sw.printf("%d 0 R ", kid)
	}
	sw.write([]byte("] >>\nendobj\n"))

	gids := make([]uint16, 0, len(sw.glyphs))
	for g := range sw.glyphs {
		gids = append(gids, g)
	}
	slices.Sort(gids)
	upem := float64(sfntFont.UnitsPerEm())
	sw.startObj(fontObj)
	sw.printf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>\nendobj\n",
		fontFamily, cidFontObj, toUnicodeObj)
	sw.startObj(cidFontObj)
	sw.printf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 1000 /W [",
		fontFamily, descriptorObj)
	for i, g := range gids {
		adv, err := sfntFont.GlyphAdvance(&sw.buf, sfnt.GlyphIndex(g), fixed.Int26_6(upem*64), 0)
		if err != nil {
			adv = 0
		}
		if i%8 == 0 {
			sw.write([]byte("\n"))
		}
		sw.printf("%d [%d] ", g, int(float64(adv)/64*1000/upem+0.5))
	}
	sw.write([]byte("] >>\nendobj\n"))
	bounds, _ := sfntFont.Bounds(&sw.buf, fixed.Int26_6(upem*64), 0)
	em := func(v fixed.Int26_6) int { return int(float64(v) / 64 * 1000 / upem) }
	sw.startObj(descriptorObj)
	sw.printf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>\nendobj\n",
		fontFamily, em(bounds.Min.X), -em(bounds.Max.Y), em(bounds.Max.X), -em(bounds.Min.Y),
		int(fontAscent*1000), -int(fontDescent*1000), int(fontAscent*1000), fontFileObj)
	sw.stream(fontFileObj, fmt.Sprintf(" /Length1 %d", len(fontTTF)), embeddedFont())

	var cm bytes.Buffer
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for start := 0; start < len(gids); start += 100 {
		chunk := gids[start:min(len(gids), start+100)]
		fmt.Fprintf(&cm, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&cm, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{sw.glyphs[g]}) {
				fmt.Fprintf(&cm, "%04X", u)
			}
			cm.WriteString(">\n")
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	sw.stream(toUnicodeObj, "", deflate(cm.Bytes()))

	created := opts.Created
	if created.IsZero() {
		created = time.Unix(0, 0) // as Render: reproducible bytes
	}
	sw.startObj(infoObj)
	sw.printf("<< /Title <%s> /Producer (quillpost) /Creator (quillpost sheets) /CreationDate (D:%s) >>\nendobj\n",
		utf16Hex(title), created.UTC().Format("20060102150405Z"))

	xref := sw.n
	sw.printf("xref\n0 %d\n0000000000 65535 f \n", sw.next)
	for n := 1; n < sw.next; n++ {
		sw.printf("%010d 00000 n \n", sw.offsets[n])
	}
	sw.printf("trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", sw.next, catalogObj, infoObj, xref)
	if sw.err == nil {
		if err := sw.w.Flush(); err != nil {
			sw.err = fmt.Errorf("writing the label PDF: %w", err)
		}
	}
	return sw.err
}

// embeddedFont is the label font deflated, once per process.
var embeddedFont = sync.OnceValue(func() []byte { return deflate(fontTTF) })

// utf16Hex is s as a PDF text string: UTF-16BE with its byte-order mark, in hex.
func utf16Hex(s string) string {
	var b bytes.Buffer
	b.WriteString("FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}
