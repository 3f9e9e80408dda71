package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/program"
	"github.com/quillpost/quillpost/internal/store"
)

// handwritingPNG, when set, receives a PNG of the card the browser test ordered in the captured
// hand (docs/handwriting/captured-hand.png is made with
// go test ./internal/web -run BrowserCapture -handwriting-png ../../docs/handwriting/captured-hand.png).
var handwritingPNG = flag.String("handwriting-png", "", "write a PNG of the card written in the captured hand to this file")

// drawJS draws boxes on the capture page as a pen would: for each box, its button in the sheet's
// overview is pressed and every stroke is sent to the writing box as pointer events (down, a move
// per point, up) at the points' places on the box as shown.
const drawJS = `(function (boxes) {
  const pad = document.getElementById("pad");
  for (const b of boxes) {
    document.querySelector('#grid button[data-i="' + b.i + '"]').click();
    const r = pad.getBoundingClientRect();
    const w = pad.width / (window.devicePixelRatio || 1), h = pad.height / (window.devicePixelRatio || 1);
    const at = (p) => ({clientX: r.left + p.x * r.width / w, clientY: r.top + p.y * r.height / h});
    for (const s of b.strokes) {
      const ev = (type, p) => new PointerEvent(type, Object.assign({bubbles: true, cancelable: true, pointerId: 7,
        pointerType: "pen", isPrimary: true, button: type === "pointermove" ? -1 : 0, buttons: type === "pointerup" ? 0 : 1,
        pressure: type === "pointerup" ? 0 : (p.pressure || 0.5)}, at(p)));
      pad.dispatchEvent(ev("pointerdown", s.points[0]));
      for (const p of s.points.slice(1)) pad.dispatchEvent(ev("pointermove", p));
      pad.dispatchEvent(ev("pointerup", s.points[s.points.length - 1]));
    }
  }
  return boxes.length;
})(%s)`

type drawBox struct {
	I       int              `json:"i"`
	Strokes []capture.Stroke `json:"strokes"`
}

// TestBrowserCaptureHandwriting: a whole sample sheet is written on the capture page with pointer
// strokes taken from a built-in face and perturbed (half of it, then the page is reloaded and the
// half-finished sheet resumed); a stroke written by mistake is undone; the live preview shows a
// card; the face is made; a card ordered in it is written by a robot, and the robot's G-code
// draws the captured strokes, not the built-in face's.
func TestBrowserCaptureHandwriting(t *testing.T) {
	ctx := chrome(t)
	var mu sync.Mutex
	progs := map[string]*program.Program{}
	s := startSystem(t, app.Config{SimPlotters: 1, OnWritten: func(_ context.Context, _ string, c *store.Card, p *program.Program) {
		mu.Lock()
		progs[c.ID] = p
		mu.Unlock()
	}})
	bctx := context.Background()
	acc, err := s.sys.Store.CreateAccount(bctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.sys.Store.CreateKey(bctx, acc.ID, store.KeyLive)
	if err != nil {
		t.Fatal(err)
	}
	source, err := font.Lookup("script")
	if err != nil {
		t.Fatal(err)
	}
	plan := capture.Plan()
	synth := capture.Synthesize(source, plan, "anna-hand", 2026)
	var all []drawBox
	for i, b := range synth.Boxes {
		if len(b.Strokes) == 0 {
			t.Fatalf("the source face cannot write box %d (%q)", i, b.Text)
		}
		all = append(all, drawBox{I: i, Strokes: b.Strokes})
	}
	draw := func(boxes []drawBox) {
		t.Helper()
		js, err := json.Marshal(boxes)
		if err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(drawJS, js)))
		if err != nil || n != len(boxes) {
			t.Fatalf("drawing %d boxes: %d, %v", len(boxes), n, err)
		}
	}
	start := func() {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #setup`)),
			setValue("#key", key), setValue("#name", "anna-hand"), setValue("#title", "Anna's hand"),
			chromedp.Click(chromedp.CSS("#start")),
			chromedp.WaitVisible(chromedp.CSS("#pad")),
		); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/capture")); err != nil {
		t.Fatal(err)
	}
	start()
	half := len(all) / 2
	draw(all[:half])
	// A stray stroke in the first box, undone, redone and undone again: gone from the sheet.
	stray := drawBox{I: 0, Strokes: []capture.Stroke{{Points: []capture.Point{{X: 200, Y: 20}, {X: 260, Y: 190, T: 40}}}}}
	draw([]drawBox{stray})
	for _, b := range []string{"#undo", "#redo", "#undo"} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(b))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`JSON.parse(localStorage.getItem("quillpost-capture-draft")).boxes[0].strokes.length`))
	if err != nil || n != len(all[0].Strokes) {
		t.Errorf("box 0 keeps %d strokes after undo, want %d (%v)", n, len(all[0].Strokes), err)
	}
	// Half the sheet written, the page is closed and opened again: the sheet is resumed.
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] #setup`))); err != nil {
		t.Fatal(err)
	}
	note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#setup-note")))
	if err != nil || !strings.Contains(note, fmt.Sprintf("%d of %d boxes written", half, len(plan))) {
		t.Errorf("after reloading: %q, %v", note, err)
	}
	start()
	if w, _ := attr(ctx, "#progress-text", "data-written"); w != fmt.Sprint(half) {
		t.Errorf("resumed with %s boxes written, want %d", w, half)
	}
	draw(all[half:])
	waitAttr(t, ctx, patience, "#progress-text", "data-written", func(v string) bool { return v == fmt.Sprint(len(all)) })
	// The live preview writes a card in the hand.
	waitAttr(t, ctx, patience, "#live-card", "data-ready", func(v string) bool { return v == "true" })
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#live-card svg"))); err != nil {
		t.Fatal(err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#live-status")))
	if !strings.Contains(status, "every character of the sheet") {
		t.Errorf("live status %q", status)
	}
	screenshot(t, ctx, "capture-page.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#create"))); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, "#result", "data-font", func(v string) bool { return v == "anna-hand@1" })
	if d, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`localStorage.getItem("quillpost-capture-draft") === null`)); !d {
		t.Error("the draft stayed on the device after the face was made")
	}

	// A card in the new hand, written by the robot.
	api := func(method, path, idem string, body string) (int, []byte) {
		req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	msg := "Liebe Oma,\nvielen Dank für die Socken!\nSie sind wunderbar warm.\nDeine Anna"
	code, body := api("POST", "/v1/cards", "capture-card", fmt.Sprintf(`{"message":%q,"font":"anna-hand","hand":"casual","stock":"a6-white","seed":7,
	  "to":{"name":"Erika Roth","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}}`, msg))
	var card store.Card
	if code != http.StatusCreated || json.Unmarshal(body, &card) != nil || card.Font != "anna-hand@1" {
		t.Fatalf("order in the captured hand: %d %s", code, body)
	}
	waitFor(t, patience, "the card written", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return progs[card.ID] != nil
	})
	code, exported := api("GET", "/v1/faces/anna-hand/font.json", "", "")
	own, err := font.Parse(exported)
	if code != http.StatusOK || err != nil {
		t.Fatalf("export: %d %v", code, err)
	}
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	prog := progs[card.ID]
	mu.Unlock()
	drawn, err := gcode.Read(prog.GCode.Lines, p)
	if err != nil {
		t.Fatal(err)
	}
	spec := cardspec.Spec{Message: msg, Font: card.Font, Hand: "casual", Stock: "a6-white", Seed: 7}
	mine, _, err := cardspec.RenderWith(spec, func(string) (*font.Face, string, error) { return own, card.Font, nil })
	if err != nil {
		t.Fatal(err)
	}
	spec.Font = source.Name
	theirs, err := cardspec.Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	if d := farthest(drawn, mine.Strokes); d > 0.1 {
		t.Errorf("a point of the robot's drawing lies %.3f mm from the captured hand's strokes", d)
	}
	if d := meanDist(drawn, theirs.Strokes); d < 0.3 {
		t.Errorf("the robot's drawing lies within %.3f mm of the built-in %s face's on average: not the captured hand", d, source.Name)
	}
	if *handwritingPNG != "" {
		var buf bytes.Buffer
		if err := preview.PNG(&buf, mine.Format, drawn, preview.DefaultPenWidth, 200); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(*handwritingPNG), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*handwritingPNG, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dists returns, for every drawn point, the distance to the nearest segment of want.
func dists(drawn, want []geom.Stroke) []float64 {
	var out []float64
	for _, s := range drawn {
		for _, p := range s {
			best := math.Inf(1)
			for _, w := range want {
				if len(w) == 1 {
					best = math.Min(best, p.Dist(w[0]))
				}
				for k := 1; k < len(w); k++ {
					best = math.Min(best, geom.SegmentDist(p, w[k-1], w[k]))
				}
			}
			out = append(out, best)
		}
	}
	return out
}

func farthest(drawn, want []geom.Stroke) float64 {
	m := 0.0
	for _, d := range dists(drawn, want) {
		m = math.Max(m, d)
	}
	return m
}

func meanDist(drawn, want []geom.Stroke) float64 {
	ds := dists(drawn, want)
	s := 0.0
	for _, d := range ds {
		s += d
	}
	return s / float64(max(1, len(ds)))
}
