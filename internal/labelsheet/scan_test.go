package labelsheet_test

import (
	"context"
	"image"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/quillpost/quillpost/internal/labelsheet"
	"github.com/quillpost/quillpost/internal/sheets"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// TestLabelBarcodeScansToCardID: each label's QR code, printed and read back as a scanner reads
// it, gives the card id the posting field and POST /v1/operator/postings take. The sheet is
// rasterised with poppler's pdftoppm at 300 dpi.
func TestLabelBarcodeScansToCardID(t *testing.T) {
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("needs pdftoppm (apt-get install poppler-utils)")
	}
	ctx := context.Background()
	st := openStore(t)
	a := storetest.NewAccount(t, st)
	ids := writeCards(t, st, a.ID, "robot-1", 3, "")
	name, err := labelsheet.CloseOpen(ctx, st, "robot-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := labelsheet.New("avery-l7163", sheets.Options{SenderCountry: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.Sheet(ctx, st, name)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sheet.pdf"), doc.PDF, 0o600); err != nil {
		t.Fatal(err)
	}
	const dpi = 300
	if out, err := exec.Command(pdftoppm, "-r", "300", "-png", "-f", "1", "-l", "1", "-singlefile",
		filepath.Join(dir, "sheet.pdf"), filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	for i, pl := range doc.Result.Placements {
		// The code's square with a quiet zone of a quarter of its side, as a scanner sees it.
		q := pl.QR.W / 4
		r := image.Rect(px(pl.QR.X-q), px(pl.QR.Y-q), px(pl.QR.X+pl.QR.W+q), px(pl.QR.Y+pl.QR.H+q))
		crop := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
		draw.Draw(crop, crop.Bounds(), page, r.Min, draw.Src)
		bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Errorf("label %d: the QR code does not scan: %v", i+1, err)
			continue
		}
		if res.GetText() != ids[i] {
			t.Errorf("label %d scans as %q, want card %s", i+1, res.GetText(), ids[i])
		}
	}
}
