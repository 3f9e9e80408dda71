package plotsim

import (
	"fmt"
	"testing"
	"time"
)

// FuzzDevice feeds arbitrary bytes to both dialects' controllers: they must never panic, never
// hold more than their receive buffer or planner, and keep answering.
func FuzzDevice(f *testing.F) {
	f.Add(byte(0), []byte("G1 X10 Y10 F3000\n?$$\n$X\nG2 X20 Y10 I5 J0\n!~\x18"))
	f.Add(byte(1), []byte("N1 G1 X10*99\nM110 N0\nM280 P0 S50\nG1 X5\nM400\nM112\nM999\n"))
	f.Add(byte(0), []byte("G0 X500\n\x18$X\n$H\n$J=G91 X5 F100\n$C\nG1X1F1\n$C\n$131=50\nG92 X0\nG10 L20 P1 Y3\n"))
	f.Add(byte(1), []byte("G28\nG4 P10\nM114\nM115\nM105\nG20 G91 G1 X1 F10\nG3 X1 Y1 R-1\n"))
	f.Fuzz(func(t *testing.T, dialect byte, data []byte) {
		cfg := Config{Speed: float64(dialect>>1) * 100, RXBuffer: 64, Planner: 4,
			Faults: []Fault{{Kind: FaultDrop, Line: 2, Offset: -1}, {Kind: FaultCorrupt, Line: 3}, {Kind: FaultLoseOK, Line: 4}}}
		if dialect&1 == 1 {
			cfg.Dialect = DialectMarlin
		}
		s, err := newSim(cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for i := 0; i < len(data); i += 7 {
			now = now.Add(time.Millisecond)
			s.receive(data[i:min(i+7, len(data))], now)
			s.step(now)
			if len(s.rx) > cfg.RXBuffer || len(s.ex.planner) > cfg.Planner-1 {
				t.Fatalf("rx %d bytes, planner %d blocks", len(s.rx), len(s.ex.planner))
			}
		}
		s.step(now.Add(time.Hour))
		_ = s.stateName()
		_ = s.ex.recording()
	})
}

func FuzzParseNumbered(f *testing.F) {
	f.Add("N12 G1 X1*97")
	f.Add("n-3 M110 N5 *  ")
	f.Add("*")
	f.Add("N99999999999999999999 G1*9999999999999")
	f.Fuzz(func(t *testing.T, line string) {
		nl := parseNumbered(line)
		if !nl.hasN {
			return
		}
		framed := fmt.Sprintf("N%d %s", nl.n, nl.body)
		framed = fmt.Sprintf("%s*%d", framed, Checksum(framed))
		back := parseNumbered(framed)
		if back.n != nl.n || back.sum != back.cs || !back.hasCS {
			t.Fatalf("%q framed as %q parsed back as %+v", line, framed, back)
		}
	})
}

func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"error@12:33", "drop@40:-1", "lose-ok@7", "stall@1", "corrupt@3:5", "alarm@2:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := ParseFault(s)
		if err != nil {
			return
		}
		back, err := ParseFault(ft.String())
		if err != nil || back != ft {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, ft, ft.String(), back, err)
		}
	})
}

// BenchmarkDevice measures the controller model alone (no terminal): one G1 line per op, parsed,
// planned, executed instantly and recorded.
func BenchmarkDevice(b *testing.B) {
	s, err := newSim(Config{})
	if err != nil {
		b.Fatal(err)
	}
	s.receive([]byte("M3 S90\n"), time.Now())
	lines := [][]byte{[]byte("G1 X10.125 Y20.5 F3000\n"), []byte("G1 X11.25 Y21.375\n")}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := time.Now()
		s.receive(lines[i&1], now)
		s.step(now)
		s.outbox = s.outbox[:0]
		i++
		if i%4096 == 0 {
			s.ex.strokes = nil // keep the recording from growing without bound
			s.ex.stroke = s.ex.stroke[:1]
		}
	}
}
