package qrcode

import "math"

// Code is a QR code's modules, without the quiet zone.
type Code struct {
	dimension int
	// data[x*dimension+y] is the module in column x, row y: dark = true.
	data []bool
}

// Size is the number of modules on a side.
func (qr *Code) Size() int { return qr.dimension }

// Get reports whether the module in column x, row y is dark.
func (qr *Code) Get(x, y int) bool {
	return qr.data[x*qr.dimension+y]
}

func (qr *Code) Set(x, y int, val bool) {
	qr.data[x*qr.dimension+y] = val
}

// The penalty rules are the original package's, reading the modules from a slice of bools rather
// than a bit list through a method call each (which made choosing the mask most of the time a
// label sheet takes): the same penalties, so the same mask and the same code.

func (qr *Code) calcPenalty() uint {
	return qr.calcPenaltyRule1() + qr.calcPenaltyRule2() + qr.calcPenaltyRule3() + qr.calcPenaltyRule4()
}

func (qr *Code) calcPenaltyRule1() uint {
	var result uint
	dim, d := qr.dimension, qr.data
	for x := 0; x < dim; x++ {
		checkForX := false
		var cntX uint
		checkForY := false
		var cntY uint

		for y := 0; y < dim; y++ {
			if d[x*dim+y] == checkForX {
				cntX++
			} else {
				checkForX = !checkForX
				if cntX >= 5 {
					result += cntX - 2
				}
				cntX = 1
			}

			if d[y*dim+x] == checkForY {
				cntY++
			} else {
				checkForY = !checkForY
				if cntY >= 5 {
					result += cntY - 2
				}
				cntY = 1
			}
		}

		if cntX >= 5 {
			result += cntX - 2
		}
		if cntY >= 5 {
			result += cntY - 2
		}
	}

	return result
}

func (qr *Code) calcPenaltyRule2() uint {
	var result uint
	dim, d := qr.dimension, qr.data
	for x := 0; x < dim-1; x++ {
		for y := 0; y < dim-1; y++ {
			check := d[x*dim+y]
			if d[x*dim+y+1] == check && d[(x+1)*dim+y] == check && d[(x+1)*dim+y+1] == check {
				result += 3
			}
		}
	}
	return result
}

// penaltyPattern1 and penaltyPattern2 are the finder-like runs 1:1:3:1:1 with four light modules
// after or before them, as 11-bit words (first module in the highest bit).
const (
	penaltyPattern1 = 0b10111010000
	penaltyPattern2 = 0b00001011101
	patternLen      = 11
)

// calcPenaltyRule3 counts, as the original does, every start x (0 ≤ x ≤ dim-11) and line y where
// the 11 modules from (x, y) along x, or from (y, x) along y, read pattern 1 or 2: 40 each. The
// 11 modules are kept as a sliding 11-bit window per line.
func (qr *Code) calcPenaltyRule3() uint {
	var result uint
	dim, d := qr.dimension, qr.data
	const mask = 1<<patternLen - 1
	for y := 0; y < dim; y++ {
		var wx, wy uint
		for i := 0; i < dim; i++ {
			// Along x: modules (i, y); along y: modules (y, i).
			wx = (wx<<1 | b2u(d[i*dim+y])) & mask
			wy = (wy<<1 | b2u(d[y*dim+i])) & mask
			if i < patternLen-1 {
				continue
			}
			if wx == penaltyPattern1 || wx == penaltyPattern2 {
				result += 40
			}
			if wy == penaltyPattern1 || wy == penaltyPattern2 {
				result += 40
			}
		}
	}
	return result
}

func b2u(b bool) uint {
	if b {
		return 1
	}
	return 0
}

func (qr *Code) calcPenaltyRule4() uint {
	totalNum := len(qr.data)
	trueCnt := 0
	for _, v := range qr.data {
		if v {
			trueCnt++
		}
	}
	percDark := float64(trueCnt) * 100 / float64(totalNum)
	floor := math.Abs(math.Floor(percDark/5) - 10)
	ceil := math.Abs(math.Ceil(percDark/5) - 10)
	return uint(math.Min(floor, ceil) * 10)
}

func newCode(dim int) *Code {
	return &Code{dimension: dim, data: make([]bool, dim*dim)}
}
