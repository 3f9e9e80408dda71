package fontgen

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/quillpost/quillpost/internal/geom"
)

// JHFGlyph is one record of a Hershey .jhf file in its own units: x to the right, y DOWN,
// origin at the glyph's centre line, baseline of the roman and script sets at y=9. Left and
// Right are the spacing limits; Strokes are polylines.
type JHFGlyph struct {
	ID          int
	Left, Right int
	Strokes     [][]geom.Point
}

// ParseJHF reads a Hershey font file. A record is: 5-column id, 3-column vertex count (the
// spacing pair counts as one vertex), then pairs of characters, each coordinate being its
// byte minus 'R'; " R" lifts the pen. Long records continue on the next lines.
func ParseJHF(data []byte) ([]JHFGlyph, error) {
	var out []JHFGlyph
	sc := bufio.NewScanner(bytes.NewReader(data))
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(line) < 10 {
			return nil, fmt.Errorf("line %d: record too short", lineNo)
		}
		id, err := strconv.Atoi(strings.TrimSpace(line[0:5]))
		if err != nil {
			return nil, fmt.Errorf("line %d: bad glyph id %q", lineNo, line[0:5])
		}
		n, err := strconv.Atoi(strings.TrimSpace(line[5:8]))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("line %d: bad vertex count %q", lineNo, line[5:8])
		}
		body := line[8:]
		for len(body) < 2*n {
			if !sc.Scan() {
				return nil, fmt.Errorf("line %d: record %d ends early: want %d characters, have %d", lineNo, id, 2*n, len(body))
			}
			lineNo++
			body += strings.TrimRight(sc.Text(), "\r")
		}
		body = body[:2*n]
		g := JHFGlyph{ID: id, Left: int(body[0]) - 'R', Right: int(body[1]) - 'R'}
		var cur []geom.Point
		for i := 2; i+1 < len(body); i += 2 {
			if body[i] == ' ' && body[i+1] == 'R' {
				if len(cur) > 0 {
					g.Strokes = append(g.Strokes, cur)
				}
				cur = nil
				continue
			}
			cur = append(cur, geom.Point{X: float64(int(body[i]) - 'R'), Y: float64(int(body[i+1]) - 'R')})
		}
		if len(cur) > 0 {
			g.Strokes = append(g.Strokes, cur)
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
