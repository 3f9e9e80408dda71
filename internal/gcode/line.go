// Package gcode emits G-code programs for a firmware profile and reads them back into pen paths.
package gcode

import "github.com/quillpost/quillpost/internal/gcode/syntax"

// The line parser lives in package syntax so that package profile can validate its commands with
// it without importing gcode (which imports profile). These aliases keep gcode's API whole.

// Word is one letter-value pair of a G-code block, such as G1 or X12.5.
type Word = syntax.Word

// Block is one parsed line of G-code.
type Block = syntax.Block

// Strip returns line without comments and white space: the bytes a controller actually needs,
// which is what GRBL's character-counting protocol must count.
func Strip(line string) string { return syntax.Strip(line) }

// ParseLine parses one line of G-code. Line numbers (N) and checksums (*) are returned as words
// like any other, so a Marlin-style "N12 G1 X1*97" parses too.
func ParseLine(line string) (Block, error) { return syntax.Parse(line) }
