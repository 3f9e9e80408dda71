package gcode

import (
	"math/rand/v2"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
)

// benchCard is a card-sized input: 300 handwriting-like strokes, about 15,000 points.
func benchCard() []geom.Stroke {
	rng := rand.New(rand.NewPCG(11, 12))
	var strokes []geom.Stroke
	for range 300 {
		start := geom.Point{X: 10 + rng.Float64()*(cardW-20), Y: 10 + rng.Float64()*(cardH-20)}
		path := geom.Path{Start: start}
		cur := start
		for range 4 {
			d := func() geom.Point { return geom.Point{X: rng.NormFloat64() * 2.5, Y: rng.NormFloat64() * 2.5} }
			c1, c2, end := cur.Add(d()), cur.Add(d()), cur.Add(d())
			path.Segs = append(path.Segs, geom.Seg{Kind: geom.Cubic, P: [3]geom.Point{c1, c2, end}})
			cur = end
		}
		s := path.Flatten(0.04, nil)
		for i := range s {
			s[i] = clampCard(s[i])
		}
		strokes = append(strokes, s)
	}
	return strokes
}

func TestBenchCardSize(t *testing.T) {
	n := 0
	for _, s := range benchCard() {
		n += len(s)
	}
	if n < 12000 || n > 18000 {
		t.Fatalf("the benchmark card has %d points, want about 15,000", n)
	}
}

func benchmarkEmit(b *testing.B, arcs bool) {
	p := mustProfile(b, "grbl-servo")
	strokes := benchCard()
	var prog *Program
	for b.Loop() {
		var err error
		prog, err = Emit(strokes, p, Options{Arcs: arcs, Title: "bench"})
		if err != nil {
			b.Fatal(err)
		}
	}
	st := prog.Stats()
	b.ReportMetric(float64(st.Lines), "lines")
	b.ReportMetric(float64(st.Bytes), "bytes")
}

func BenchmarkEmit(b *testing.B)     { benchmarkEmit(b, false) }
func BenchmarkEmitArcs(b *testing.B) { benchmarkEmit(b, true) }

func benchmarkRead(b *testing.B, arcs bool) {
	p := mustProfile(b, "grbl-servo")
	prog, err := Emit(benchCard(), p, Options{Arcs: arcs})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Read(prog.Lines, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B)     { benchmarkRead(b, false) }
func BenchmarkReadArcs(b *testing.B) { benchmarkRead(b, true) }
