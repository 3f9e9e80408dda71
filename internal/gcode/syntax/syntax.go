// Package syntax parses single lines of G-code into words. It sits below both the gcode and the
// profile packages, so that a firmware profile can check its own commands with the very parser
// the G-code reader uses, without an import cycle between the two.
package syntax

import (
	"fmt"
	"strconv"
	"strings"
)

// Word is one letter-value pair of a G-code block, such as G1 or X12.5.
type Word struct {
	Letter byte // upper case
	Value  float64
}

// Block is one parsed line of G-code.
type Block struct {
	Words   []Word
	Comment string // text of a ( ) or ; comment, without the delimiters
}

// Get returns the value of the first word with the given letter.
func (b Block) Get(letter byte) (float64, bool) {
	for _, w := range b.Words {
		if w.Letter == letter {
			return w.Value, true
		}
	}
	return 0, false
}

// Has reports whether the block carries the word letter+value, such as G1 or M5.
func (b Block) Has(letter byte, value float64) bool {
	for _, w := range b.Words {
		if w.Letter == letter && w.Value == value {
			return true
		}
	}
	return false
}

// Count returns how many words carry the given letter; a block that sets an axis twice is
// ambiguous, and the profile validation rejects it.
func (b Block) Count(letter byte) int {
	n := 0
	for _, w := range b.Words {
		if w.Letter == letter {
			n++
		}
	}
	return n
}

// Canonical returns the block's words without line number and checksum, as letter and shortest
// number with no spaces: "m03 s90.0" and "N7 M3 S90*12" both give "M3S90". Comparing canonical
// forms is how a reader recognises a profile's own pen commands in any spelling.
func (b Block) Canonical() string {
	var sb strings.Builder
	for _, w := range b.Words {
		if w.Letter == 'N' || w.Letter == '*' {
			continue
		}
		sb.WriteByte(w.Letter)
		sb.WriteString(strconv.FormatFloat(w.Value, 'f', -1, 64))
	}
	return sb.String()
}

// Strip returns line without comments and white space: the bytes a controller actually needs,
// which is what GRBL's character-counting protocol must count.
func Strip(line string) string {
	var b strings.Builder
	b.Grow(len(line))
	paren := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case paren:
			if c == ')' {
				paren = false
			}
		case c == '(':
			paren = true
		case c == ';':
			return b.String()
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Parse parses one line of G-code. Line numbers (N) and checksums (*) are returned as words
// like any other, so a Marlin-style "N12 G1 X1*97" parses too.
func Parse(line string) (Block, error) {
	var blk Block
	if len(line) > 1 {
		// Room for a typical block's words in one allocation.
		blk.Words = make([]Word, 0, min(8, len(line)/2))
	}
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == ';':
			blk.Comment = strings.TrimSpace(line[i+1:])
			return blk, nil
		case c == '(':
			end := strings.IndexByte(line[i:], ')')
			if end < 0 {
				return blk, fmt.Errorf("unclosed comment at column %d", i+1)
			}
			blk.Comment = strings.TrimSpace(line[i+1 : i+end])
			i += end + 1
		case c == '*':
			// Marlin checksum: a word with letter '*'.
			j := i + 1
			for j < len(line) && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			v, err := strconv.Atoi(line[i+1 : j])
			if err != nil {
				return blk, fmt.Errorf("bad checksum at column %d", i+1)
			}
			blk.Words = append(blk.Words, Word{Letter: '*', Value: float64(v)})
			i = j
		case (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
			letter := c &^ 0x20
			j := i + 1
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			k := j
			for k < len(line) && (line[k] == '-' || line[k] == '+' || line[k] == '.' || (line[k] >= '0' && line[k] <= '9')) {
				k++
			}
			if k == j {
				return blk, fmt.Errorf("letter %c without a number at column %d", letter, i+1)
			}
			v, err := strconv.ParseFloat(line[j:k], 64)
			if err != nil {
				return blk, fmt.Errorf("bad number %q at column %d", line[j:k], j+1)
			}
			blk.Words = append(blk.Words, Word{Letter: letter, Value: v})
			i = k
		default:
			return blk, fmt.Errorf("unexpected %q at column %d", c, i+1)
		}
	}
	return blk, nil
}
