package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/web"
)

// TestCatalogueSaysEveryServerCode: every rejection code the capture package can give and every
// error code the faces and trigger endpoints can answer has its text in every language, so that
// the capture page and the trigger console never fall back to the server's English for them.
func TestCatalogueSaysEveryServerCode(t *testing.T) {
	need := map[string][]string{
		"capture.js.reject.": capture.RejectionCodes,
		"capture.js.error.":  slices.Concat(intake.CommonErrorCodes, intake.FaceErrorCodes),
		"console.js.error.":  slices.Concat(intake.CommonErrorCodes, intake.TriggerErrorCodes),
	}
	for _, lang := range web.Languages() {
		c := web.Catalogue(lang)
		for prefix, codes := range need {
			for _, code := range codes {
				if strings.TrimSpace(c[prefix+code]) == "" {
					t.Errorf("%s has no text for %s%s", lang, prefix, code)
				}
			}
		}
	}
}

// TestBrowserCaptureRejectionInGerman: on the German capture page, a box scribbled over is
// listed with its reason in German, from the catalogue by the rejection's code.
func TestBrowserCaptureRejectionInGerman(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{})
	acc, err := s.sys.Store.CreateAccount(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.sys.Store.CreateKey(context.Background(), acc.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	source, err := font.Lookup("script")
	if err != nil {
		t.Fatal(err)
	}
	plan := capture.Plan()
	synth := capture.Synthesize(source, plan, "anna-hand", 2026)
	// The first box of every character a preview needs, written well; a second box of one of
	// them scribbled over with far too much ink.
	var boxes []drawBox
	seen := map[string]bool{}
	scribbled := -1
	for i, pb := range plan {
		if pb.Kind != capture.KindChar || !strings.Contains(capture.ReadyChars, pb.Text) {
			continue
		}
		if !seen[pb.Text] {
			seen[pb.Text] = true
			boxes = append(boxes, drawBox{I: i, Strokes: synth.Boxes[i].Strokes})
		} else if scribbled < 0 {
			scribbled = i
		}
	}
	var zig capture.Stroke
	for i := range 60 {
		zig.Points = append(zig.Points, capture.Point{X: 100 + float64(i%2)*40, Y: 80 + float64(i%7)*5, T: float64(i * 8)})
	}
	boxes = append(boxes, drawBox{I: scribbled, Strokes: []capture.Stroke{zig}})
	js, _ := json.Marshal(boxes)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/capture?lang=de"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #setup`)),
		setValue("#key", key), setValue("#name", "anna-hand"),
		chromedp.Click(chromedp.CSS("#start")),
		chromedp.WaitVisible(chromedp.CSS("#pad")),
	); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(drawJS, js))); err != nil || n != len(boxes) {
		t.Fatalf("drawing: %d, %v", n, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#live-rejected li"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#live-rejected li")))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Feld %d (%s): es hat ", scribbled+1, plan[scribbled].Text)
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "x-Höhen Tinte, weit mehr als ein Zeichen: überkritzelt?") {
		t.Errorf("the German page lists the scribble as %q, want %q… in German", got, want)
	}
}
