package plan

import (
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/geom"
)

// BenchmarkOptimizeCard optimises a synthetic A6 card of 300 print-style strokes.
func BenchmarkOptimizeCard(b *testing.B) {
	pg := synthHand(1, cardPrint)
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		Optimize(pg.Strokes, geom.Point{}, Options{})
	}
	reportCPU(b, c0)
}

// BenchmarkOptimizeA4 optimises a dense A4 page of about 10,000 strokes (target: under 200 ms).
func BenchmarkOptimizeA4(b *testing.B) {
	pg := synthHand(1, a4Dense)
	b.ReportMetric(float64(len(pg.Strokes)), "strokes")
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		Optimize(pg.Strokes, geom.Point{}, Options{})
	}
	reportCPU(b, c0)
}

func BenchmarkGreedyA4(b *testing.B) {
	pg := synthHand(1, a4Dense)
	b.ReportAllocs()
	for b.Loop() {
		Greedy(pg.Strokes, geom.Point{})
	}
}

func BenchmarkEstimateCard(b *testing.B) {
	pg := synthHand(1, cardCursive)
	s := Optimize(pg.Strokes, geom.Point{}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		Estimate(s, geom.Point{}, grblServo)
	}
}

func BenchmarkBoundsCard(b *testing.B) {
	pg := synthHand(1, cardPrint)
	b.ReportAllocs()
	for b.Loop() {
		PenUpLowerBound(pg.Strokes)
		PenUpTreeBound(pg.Strokes)
	}
}

// reportCPU adds the process CPU time per operation (GC included), which stays meaningful when
// other jobs share the machine and stretch the wall clock.
func reportCPU(b *testing.B, c0 time.Duration) {
	if c := cpuTime(); c > 0 && b.N > 0 {
		b.ReportMetric(float64(c-c0)/1e6/float64(b.N), "cpu-ms/op")
	}
}
