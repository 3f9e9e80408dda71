// Package gcode emits G-code programs for a firmware profile and reads them back into pen paths.
package gcode

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

// ParseLine parses one line of G-code. Line numbers (N) and checksums (*) are returned as words
// like any other, so a Marlin-style "N12 G1 X1*97" parses too.
func ParseLine(line string) (Block, error) {
	var blk Block
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
