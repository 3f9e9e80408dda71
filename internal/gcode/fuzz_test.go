package gcode

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"G1 X10.5 Y-3 F3000", "N12 G1 X1*97", "m03 s90.0 (pen down)", "; only a comment",
		"G2 X1 Y2 I-0.5 J0.25", "G1X1Y2", "(unclosed", "X", "G1 X1e5", "$H", "G1 X+-1", "*", "G0 X.5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		_ = Strip(line)
		blk, err := ParseLine(line)
		if err != nil {
			return
		}
		// Writing the words back out and parsing them again gives the same words.
		var b strings.Builder
		for _, w := range blk.Words {
			b.WriteByte(w.Letter)
			if w.Letter == '*' {
				b.WriteString(strconv.FormatInt(int64(w.Value), 10))
			} else {
				b.WriteString(strconv.FormatFloat(w.Value, 'f', -1, 64))
			}
			b.WriteByte(' ')
		}
		again, err := ParseLine(b.String())
		if err != nil {
			t.Fatalf("%q parsed, but its words %q do not: %v", line, b.String(), err)
		}
		if len(again.Words) != len(blk.Words) {
			t.Fatalf("%q: %v became %v", line, blk.Words, again.Words)
		}
		for i := range blk.Words {
			if again.Words[i] != blk.Words[i] {
				t.Fatalf("%q: %v became %v", line, blk.Words, again.Words)
			}
		}
		if blk.Canonical() != again.Canonical() {
			t.Fatalf("canonical forms differ: %q, %q", blk.Canonical(), again.Canonical())
		}
	})
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"grbl-servo", "grbl-z", "marlin-servo"} {
		p, _ := profile.Lookup(name)
		prog, err := Emit(goldenStrokes(), p, Options{Arcs: true})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(prog.Bytes()))
	}
	f.Add("G0 X30 Y150\nM3 S90\nG2 X40 Y150 R-5\nG91\nG3 X1 Y1 I0.5 J0.5\nG20\nG1 X1\n$H\nM5")
	f.Add("G0 X0 Y0 Z0\nG1 Z0 F600\nG1 X10 Z5\nG1 X5 Z-1\nG28\n")
	f.Add("G0 X30 Y150\nM3 S90\nG4 P-1\nG4 P1e400\nG20 G1 X1 F-3\nG1 X2 F1e400\nM5")
	profiles := profile.All()
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		for _, p := range profiles {
			d, err := ReadDrawn(lines, p)
			if err != nil {
				continue
			}
			strokes := d.Strokes
			if len(d.Feeds) != len(strokes) || len(d.Dwells) != len(strokes) {
				t.Fatalf("%s: %d strokes, %d feed lists, %d dwells", p.Name, len(strokes), len(d.Feeds), len(d.Dwells))
			}
			for i, s := range strokes {
				if len(d.Feeds[i]) != len(s) {
					t.Fatalf("%s: stroke %d has %d points and %d feeds", p.Name, i, len(s), len(d.Feeds[i]))
				}
				for _, f := range d.Feeds[i] {
					if !(f >= 0) {
						t.Fatalf("%s: feed %v", p.Name, f)
					}
				}
				if !(d.Dwells[i] >= 0) || math.IsInf(d.Dwells[i], 0) {
					t.Fatalf("%s: dwell %v", p.Name, d.Dwells[i])
				}
			}
			for _, s := range strokes {
				if len(s) == 0 {
					t.Fatal("Read returned an empty stroke")
				}
				for _, q := range s {
					if math.IsNaN(q.X) || math.IsNaN(q.Y) {
						t.Fatalf("%s: Read returned %v", p.Name, q)
					}
				}
			}
		}
	})
}

func FuzzSanitizeTitle(f *testing.F) {
	for _, s := range []string{"Frau Müller", "x)\nM3 S1000\n(", "; \r G0 X-999", "!~?\x18", "ÆØÅ ß œ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SanitizeTitle(s)
		if len(got) > MaxTitle || strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("SanitizeTitle(%q) = %q", s, got)
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(" .,:-_'/&+@", c) >= 0
			if !ok {
				t.Fatalf("SanitizeTitle(%q) = %q holds %q", s, got, c)
			}
		}
		blk, err := ParseLine("; title: " + got)
		if err != nil || len(blk.Words) != 0 {
			t.Fatalf("the title comment %q parses to %v, %v", got, blk.Words, err)
		}
	})
}

// FuzzEmitRead: any strokes either fail the bounds check or come back from Read as they went
// in, on any profile, with arcs on or off.
func FuzzEmitRead(f *testing.F) {
	f.Add([]byte{0, 10, 0, 10, 0, 20, 0, 10, 255, 255, 0, 0, 1, 0, 1, 0}, uint8(0), true)
	f.Add([]byte{200, 0, 100, 0, 200, 1, 100, 1, 200, 2, 100, 3, 200, 4, 100, 6}, uint8(3), false)
	profiles := profile.All()
	f.Fuzz(func(t *testing.T, data []byte, which uint8, arcs bool) {
		p := profiles[int(which)%len(profiles)]
		// Four bytes per point: x and y as uint16 over -20..230 mm; x = 0xffff ends a stroke.
		var strokes []geom.Stroke
		var cur geom.Stroke
		for i := 0; i+4 <= len(data); i += 4 {
			x, y := binary.BigEndian.Uint16(data[i:]), binary.BigEndian.Uint16(data[i+2:])
			if x == 0xffff {
				strokes, cur = append(strokes, cur), nil
				continue
			}
			cur = append(cur, geom.Point{X: float64(x)/65535*250 - 20, Y: float64(y)/65535*250 - 20})
		}
		strokes = append(strokes, cur)
		prog, err := Emit(strokes, p, Options{Arcs: arcs})
		if err != nil {
			var be *BoundsError
			if !errors.As(err, &be) {
				t.Fatalf("Emit: %v", err)
			}
			return
		}
		got, err := Read(prog.Lines, p)
		if err != nil {
			t.Fatalf("Read of an emitted program: %v", err)
		}
		tol := gridTol
		if arcs && p.Arcs {
			tol += p.Tolerance + ReadArcTolerance
		}
		sameStrokes(t, p.Name, strokes, got, gridTol, tol)
	})
}
