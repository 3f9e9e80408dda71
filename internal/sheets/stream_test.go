package sheets

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"
)

func stream(t testing.TB, layout Layout, labels []Label, opts Options) ([]byte, *StreamResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Stream(context.Background(), &buf, layout, labels, opts, StreamLimits{})
	if err != nil {
		t.Fatalf("%s: %v", layout.Name, err)
	}
	if res.Bytes != int64(buf.Len()) {
		t.Errorf("StreamResult.Bytes %d, wrote %d", res.Bytes, buf.Len())
	}
	return buf.Bytes(), res
}

// TestStreamDrawsWhatRenderDraws: page by page, the streamed document has the same pages, text
// (read back through the font's ToUnicode map), positions, sizes and barcode modules as
// Render's, for a sheet with several pages and its manifest, postal order, outlines and an
// envelope.
func TestStreamDrawsWhatRenderDraws(t *testing.T) {
	cases := []struct {
		layout string
		n      int
		opts   Options
	}{
		{"zweckform-3475", 60, Options{Sender: "quillpost · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE", Title: "Dankeskarten Q3"}},
		{"avery-5160", 35, Options{SenderCountry: "US", Sort: SortPostal, Outlines: true}},
		{"envelope-c6", 3, Options{Sender: "Papierladen, Marktplatz 1, 80331 München", SenderCountry: "DE", NoManifest: true}},
	}
	for _, c := range cases {
		t.Run(c.layout, func(t *testing.T) {
			layout := mustLayout(t, c.layout)
			labels := manyLabels(c.n)
			want, wres := render(t, layout, labels, c.opts)
			got, gres := stream(t, layout, labels, c.opts)
			if gres.Pages != wres.Pages || gres.LabelPages != wres.LabelPages || gres.Labels != c.n {
				t.Fatalf("pages %d/%d labels %d, Render: %d/%d", gres.Pages, gres.LabelPages, gres.Labels, wres.Pages, wres.LabelPages)
			}
			wp, gp := readPDF(t, want), readPDF(t, got)
			if len(gp) != len(wp) {
				t.Fatalf("%d pages read back, Render's %d", len(gp), len(wp))
			}
			near := func(a, b float64) bool { return math.Abs(a-b) < 0.02 }
			for i := range wp {
				w, g := wp[i], gp[i]
				if !near(w.W, g.W) || !near(w.H, g.H) {
					t.Errorf("page %d: %.1f×%.1f mm, Render's %.1f×%.1f", i+1, g.W, g.H, w.W, w.H)
				}
				if len(g.Texts) != len(w.Texts) {
					t.Fatalf("page %d: %d texts, Render's %d", i+1, len(g.Texts), len(w.Texts))
				}
				for j := range w.Texts {
					a, b := w.Texts[j], g.Texts[j]
					if a.Text != b.Text || !near(a.X, b.X) || !near(a.Y, b.Y) || !near(a.Size, b.Size) {
						t.Errorf("page %d text %d: %+v, Render's %+v", i+1, j, b, a)
					}
				}
				if len(g.Rects) != len(w.Rects) {
					t.Fatalf("page %d: %d filled rectangles, Render's %d", i+1, len(g.Rects), len(w.Rects))
				}
				for j := range w.Rects {
					a, b := w.Rects[j], g.Rects[j]
					if !near(a.X, b.X) || !near(a.Y, b.Y) || !near(a.W, b.W) || !near(a.H, b.H) {
						t.Errorf("page %d rect %d: %+v, Render's %+v", i+1, j, b, a)
						break
					}
				}
			}
			if again, _ := stream(t, layout, labels, c.opts); !bytes.Equal(again, got) {
				t.Error("the same labels streamed twice differ")
			}
			if p, err := exec.LookPath("pdfinfo"); err == nil {
				f := filepath.Join(t.TempDir(), "labels.pdf")
				os.WriteFile(f, got, 0o600)
				out, err := exec.Command(p, f).CombinedOutput()
				if err != nil || strings.Contains(string(out), "Error") {
					t.Errorf("pdfinfo: %v\n%s", err, out)
				}
			}
		})
	}
}

// cancelAfter cancels its context once n bytes went through, like a client that leaves after
// the first pages.
type cancelAfter struct {
	n      int
	cancel func()
	wrote  int
}

func (c *cancelAfter) Write(b []byte) (int, error) {
	c.wrote += len(b)
	if c.wrote >= c.n {
		c.cancel()
	}
	return len(b), nil
}

// TestStreamStops: a cancelled request context stops the document at the next page; the limits
// refuse too many labels before anything is written and cut off a document too large.
func TestStreamStops(t *testing.T) {
	layout := mustLayout(t, "zweckform-3475")
	labels := manyLabels(24 * 40)
	ctx, cancel := context.WithCancel(context.Background())
	w := &cancelAfter{n: 1, cancel: cancel}
	_, err := Stream(ctx, w, layout, labels, Options{}, StreamLimits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	full, _ := stream(t, layout, labels, Options{})
	if w.wrote*10 > len(full) {
		t.Errorf("wrote %d of %d bytes after the client left", w.wrote, len(full))
	}
	var buf bytes.Buffer
	if _, err := Stream(context.Background(), &buf, layout, labels, Options{}, StreamLimits{MaxLabels: 100}); !errors.Is(err, ErrTooMany) || buf.Len() != 0 {
		t.Errorf("too many labels: %v, %d bytes written", err, buf.Len())
	}
	if _, err := Stream(context.Background(), &buf, layout, labels, Options{}, StreamLimits{MaxBytes: 50_000}); !errors.Is(err, ErrTooLarge) || buf.Len() > 50_000 {
		t.Errorf("too large: %v, %d bytes written", err, buf.Len())
	}
	bad := manyLabels(30)
	bad[29].To.PostalCode = ""
	buf.Reset()
	var le *LabelError
	if _, err := Stream(context.Background(), &buf, layout, bad, Options{}, StreamLimits{}); !errors.As(err, &le) || le.Index != 29 || buf.Len() != 0 {
		t.Errorf("bad label: %v, %d bytes written", err, buf.Len())
	}
}

// BenchmarkStream1000 is BenchmarkRender1000 streamed.
func BenchmarkStream1000(b *testing.B) {
	layout := mustLayout(b, "zweckform-3475")
	labels := manyLabels(1000)
	opts := Options{Sender: "quillpost · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE"}
	var size int64
	for b.Loop() {
		var buf bytes.Buffer
		res, err := Stream(context.Background(), &buf, layout, labels, opts, StreamLimits{})
		if err != nil {
			b.Fatal(err)
		}
		size = res.Bytes
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkStream100k streams a 100,000-label document to a file, reporting the peak live heap
// and the CPU it took, and checks that pdfinfo opens it (when poppler-utils is installed).
func BenchmarkStream100k(b *testing.B) {
	layout := mustLayout(b, "zweckform-3475")
	labels := manyLabels(100_000)
	opts := Options{Sender: "quillpost · Musterstraße 1 · 10115 Berlin", SenderCountry: "DE"}
	path := filepath.Join(b.TempDir(), "labels.pdf")
	var peak uint64
	var res *StreamResult
	cpu0 := cpuTime()
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		stop := peakHeap()
		res, err = Stream(context.Background(), f, layout, labels, opts, StreamLimits{})
		peak = max(peak, stop())
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(res.Bytes)/(1<<20), "pdf-MB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	if p, err := exec.LookPath("pdfinfo"); err == nil {
		out, err := exec.Command(p, path).CombinedOutput()
		if err != nil {
			b.Fatalf("pdfinfo: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Pages:") || strings.HasPrefix(line, "File size:") {
				b.Log(line)
			}
		}
	}
}

// peakHeap samples the live heap every 20 ms until stop is called, which returns the peak.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
