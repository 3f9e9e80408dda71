package plotsim

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/plotsim/simtest"
)

// cardProgram is a card-sized drawing: 120 strokes of handwriting-like detail.
func cardProgram() []string {
	return simtest.Program(simtest.Strokes(7, 120, geom.Rect{Min: geom.Point{X: 10, Y: 10}, Max: geom.Point{X: 140, Y: 100}}),
		simtest.SpindlePen, 3000, 0)
}

// writeCards feeds n cards to the controller line by line, as a sender waiting for each ok would.
func writeCards(s *Sim, prog []string, n int) {
	now := time.Now()
	for range n {
		for _, l := range prog {
			now = now.Add(time.Millisecond)
			s.receive([]byte(l+"\n"), now)
			s.step(now)
			s.outbox = s.outbox[:0] // the link's writer would have sent the answers
		}
	}
	s.step(now.Add(time.Hour))
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryFlatOverCards is finding 8: a simulated plotter in a long run (serve with simulated
// robots, a soak) kept every stroke it drew, about 22 KB per card, without bound. With KeepStrokes
// and the drawing streamed to Record, the memory it holds does not grow with the number of cards;
// the whole drawing still reaches the recorder. Kept everything, the same run grows by the
// drawing's size: the measurement would catch the leak.
func TestMemoryFlatOverCards(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 220 cards")
	}
	prog := cardProgram()
	growth := func(cfg Config) (perCard float64, recorded int) {
		rec, err := NewSVGRecorder(io.Discard, geom.Rect{Max: geom.Point{X: 300, Y: 220}}, 0.4)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Record = func(st geom.Stroke) { recorded++; rec.Stroke(st) }
		s, err := newSim(cfg)
		if err != nil {
			t.Fatal(err)
		}
		writeCards(s, prog, 10) // warm up: buffers reach their working size
		before := heapAfterGC()
		writeCards(s, prog, 100)
		after := heapAfterGC()
		runtime.KeepAlive(s)
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
		return (float64(after) - float64(before)) / 100, recorded
	}
	kept, all := growth(Config{KeepStrokes: 200})
	if all != 110*120 {
		t.Errorf("recorded %d strokes, want %d: the recorder must get the whole drawing", all, 110*120)
	}
	leaky, _ := growth(Config{})
	t.Logf("heap growth per card: %.0f B keeping 200 strokes, %.0f B keeping all", kept, leaky)
	if kept > 512 {
		t.Errorf("heap grows %.0f B per card with KeepStrokes: want flat", kept)
	}
	if leaky < 4096 {
		t.Errorf("keeping every stroke grew only %.0f B per card: the measurement cannot see the leak", leaky)
	}
}

// BenchmarkCard measures one card through the controller with a bounded, streamed recording:
// B/op and allocs/op stay the same however many cards ran before (compare -benchtime 100x and
// 2000x).
func BenchmarkCard(b *testing.B) {
	prog := cardProgram()
	rec, err := NewSVGRecorder(io.Discard, geom.Rect{Max: geom.Point{X: 300, Y: 220}}, 0.4)
	if err != nil {
		b.Fatal(err)
	}
	s, err := newSim(Config{KeepStrokes: 200, Record: rec.Stroke})
	if err != nil {
		b.Fatal(err)
	}
	writeCards(s, prog, 5)
	b.ReportAllocs()
	for b.Loop() {
		writeCards(s, prog, 1)
	}
}
