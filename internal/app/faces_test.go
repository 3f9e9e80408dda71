package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim"
	"github.com/quillpost/quillpost/internal/profile"
	"github.com/quillpost/quillpost/internal/serialstream"
	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/worker"
)

// api sends one request with the harness's live key and decodes the JSON answer.
func (h *harness) api(method, path, idem string, body []byte) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+h.key)
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		h.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, m
}

// TestCapturedFaceWrittenByRobots: a card in an account's own handwriting is written by a robot
// with the database (the simulated one) and by one without (over NATS, asking serve for the face
// of its job's card), and what each robot's G-code draws is the captured face's strokes, not the
// strokes of the built-in face the samples were taken from.
func TestCapturedFaceWrittenByRobots(t *testing.T) {
	h := start(t, app.Config{SimPlotters: 1})
	h.run()
	p, err := profile.Lookup("grbl-servo")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := plotsim.ForProfile(p, plotsim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := plotsim.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	remote, err := worker.New(worker.Config{
		Name: "remote-1", Profile: p, Lanes: []string{"a6-white"}, AutoFeed: true,
		Store: h.sys.Queue.RemoteCards("remote-1", 5*time.Second), Queue: h.sys.Queue,
		OpenPort:  func(context.Context) (serialstream.Port, error) { return serialstream.Open(sim.Path(), p.Baud) },
		OnWritten: h.log.record, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- remote.Run(ctx) }()
	defer func() { cancel(); <-done }()

	sans, err := font.Lookup("sans")
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := json.Marshal(capture.Synthesize(sans, capture.Plan(), "my-hand", 11))
	if err != nil {
		t.Fatal(err)
	}
	if code, m := h.api("POST", "/v1/faces", "face-1", sheet); code != http.StatusCreated || m["font"] != "my-hand@1" {
		t.Fatalf("create face: %d %v", code, m)
	}
	resp, err := http.NewRequest("GET", h.srv.URL+"/v1/faces/my-hand/font.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Set("Authorization", "Bearer "+h.key)
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	own, err := font.Parse(data)
	if err != nil {
		t.Fatalf("exported face: %v", err)
	}
	// Enough cards that both robots take some.
	var ids []string
	msgs := map[string]string{}
	for i := range 6 {
		msg := fmt.Sprintf("Liebe Anna,\nvielen Dank für Karte %d!\nHerzlich, Ben", i+1)
		body := fmt.Sprintf(`{"message":%q,"font":"my-hand","hand":"casual","stock":"a6-white",
		  "to":{"name":"Anna Roth","lines":["Hauptstraße 5"],"postal_code":"10115","city":"Berlin","country":"DE"}}`, msg)
		code, m := h.api("POST", "/v1/cards", fmt.Sprintf("card-%d", i), []byte(body))
		if code != http.StatusCreated || m["font"] != "my-hand@1" {
			t.Fatalf("card %d: %d %v", i, code, m)
		}
		ids = append(ids, m["id"].(string))
		msgs[m["id"].(string)] = msg
	}
	cards := h.waitAll(ids, patience)
	for id, c := range cards {
		if c.Status != store.StatusWritten {
			t.Errorf("card %s is %s", id, c.Status)
		}
	}
	h.log.mu.Lock()
	defer h.log.mu.Unlock()
	for robot, wcs := range h.log.cards {
		if len(wcs) == 0 {
			continue
		}
		t.Logf("%s wrote %d cards", robot, len(wcs))
		for _, wc := range wcs {
			c := cards[wc.id]
			drawn, err := gcode.Read(wc.prog.GCode.Lines, p)
			if err != nil {
				t.Fatal(err)
			}
			spec := cardspec.FromCard(c)
			mine, _, err := cardspec.RenderWith(spec, func(string) (*font.Face, string, error) { return own, c.Font, nil })
			if err != nil {
				t.Fatal(err)
			}
			spec.Font = "sans"
			theirs, err := cardspec.Render(spec)
			if err != nil {
				t.Fatal(err)
			}
			dMine, dTheirs := farthest(drawn, mine.Strokes), meanDist(drawn, theirs.Strokes)
			if dMine > 0.1 {
				t.Errorf("%s card %s: a drawn point lies %.3f mm from the captured face's strokes", robot, wc.id, dMine)
			}
			if dTheirs < 0.3 {
				t.Errorf("%s card %s: the drawing lies within %.3f mm of the built-in face's on average: not the captured hand", robot, wc.id, dTheirs)
			}
		}
	}
	if len(h.log.cards["remote-1"]) == 0 {
		t.Error("the robot without a database wrote none of the cards")
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
