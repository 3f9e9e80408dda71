package gcode

import (
	"math"
	"strconv"
	"strings"
)

// pow10 holds the exact scales for the precisions a profile may ask for (2 to 6 decimals).
var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// grid holds machine coordinates as integers in units of 10^-precision mm. Snapping to it once,
// before the bounds check, makes the checked value exactly the value written: no later
// formatting step can round a coordinate past a bound.
type grid struct {
	prec  int
	unit  int64
	scale float64
}

func newGrid(prec int) grid {
	return grid{prec: prec, unit: pow10[prec], scale: float64(pow10[prec])}
}

// ipt is a machine point on the grid.
type ipt struct{ x, y int64 }

// maxGrid keeps grid values far inside int64 and exactly representable as float64.
const maxGrid = 1 << 50

// snap rounds a machine coordinate to the grid; false for NaN, infinities and absurd values.
func (g grid) snap(v float64) (int64, bool) {
	r := math.Round(v * g.scale)
	if math.IsNaN(r) || r > maxGrid || r < -maxGrid {
		return 0, false
	}
	return int64(r), true
}

// mm returns the grid value in millimetres; float64(n)/scale is the correctly rounded quotient,
// the same double strconv.ParseFloat returns for the decimal format writes.
func (g grid) mm(n int64) float64 { return float64(n) / g.scale }

// format writes a grid value as a decimal without trailing zeros: 12.5, -0.001, 300.
// Integer arithmetic only, so the text is the same on every platform.
func (g grid) format(n int64) string { return string(g.appendTo(nil, n)) }

func (g grid) appendTo(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/g.unit, 10)
	frac := n % g.unit
	if frac == 0 {
		return b
	}
	digits := g.prec
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	b = append(b, '.')
	var d [8]byte
	for i := digits - 1; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:digits]...)
}

// formatNumber writes a non-grid value (a feed, a dwell) with at most prec decimals and no
// trailing zeros.
func formatNumber(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
