//go:build chaos

package chaos

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// The sheets are read back with a real PDF parser (cross-reference table, objects, Flate
// streams, content-stream tokenizer); the text runs are decoded through each font's ToUnicode map
// here, as internal/sheets' tests do, because the parser's own text extraction mangles code
// points above one byte.

// pdfTexts returns every text run of a PDF, page by page.
func pdfTexts(path string) (pages [][]string, err error) {
	defer func() {
		// The parser panics on some malformed files; a torn sheet is a finding, not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("sheet %s does not parse: %v", path, r)
		}
	}()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("sheet %s does not parse: %w", path, err)
	}
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		cmaps := map[string]map[uint16][]rune{}
		fonts := p.Resources().Key("Font")
		for _, name := range fonts.Keys() {
			cm, err := readToUnicode(fonts.Key(name).Key("ToUnicode"))
			if err != nil {
				return nil, fmt.Errorf("sheet %s page %d font %s: %w", path, i, name, err)
			}
			cmaps[name] = cm
		}
		var font string
		var derr error
		var texts []string
		pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
			args := make([]pdf.Value, stk.Len())
			for j := len(args) - 1; j >= 0; j-- {
				args[j] = stk.Pop()
			}
			switch op {
			case "Tf":
				font = args[0].Name()
			case "Tj", "TJ":
				var raw strings.Builder
				if op == "Tj" {
					raw.WriteString(args[0].RawString())
				} else {
					for k := 0; k < args[0].Len(); k++ {
						if v := args[0].Index(k); v.Kind() == pdf.String {
							raw.WriteString(v.RawString())
						}
					}
				}
				s, err := decodeCIDs(raw.String(), cmaps[font])
				if err != nil && derr == nil {
					derr = err
				}
				texts = append(texts, s)
			}
		})
		if derr != nil {
			return nil, fmt.Errorf("sheet %s page %d: %w", path, i, derr)
		}
		pages = append(pages, texts)
	}
	return pages, nil
}

var (
	cmapSection = regexp.MustCompile(`(?s)(\d+)\s+begin(bfchar|bfrange)(.*?)end(?:bfchar|bfrange)`)
	hexString   = regexp.MustCompile(`<([0-9A-Fa-f]*)>`)
)

// readToUnicode reads a ToUnicode CMap's bfchar and bfrange entries (two-byte codes).
func readToUnicode(v pdf.Value) (map[uint16][]rune, error) {
	if v.Kind() != pdf.Stream {
		return nil, fmt.Errorf("font has no ToUnicode map")
	}
	rc := v.Reader()
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("ToUnicode: %w", err)
	}
	m := map[uint16][]rune{}
	for _, sec := range cmapSection.FindAllStringSubmatch(string(data), -1) {
		hs := hexString.FindAllStringSubmatch(sec[3], -1)
		step := 2
		if sec[2] == "bfrange" {
			step = 3
		}
		for k := 0; k+step <= len(hs); k += step {
			lo, err := strconv.ParseUint(hs[k][1], 16, 16)
			if err != nil {
				return nil, fmt.Errorf("ToUnicode code %q: %w", hs[k][1], err)
			}
			hi, dst := lo, hs[k+1][1]
			if step == 3 {
				if hi, err = strconv.ParseUint(hs[k+1][1], 16, 16); err != nil {
					return nil, fmt.Errorf("ToUnicode code %q: %w", hs[k+1][1], err)
				}
				dst = hs[k+2][1]
			}
			base, err := utf16Runes(dst)
			if err != nil {
				return nil, err
			}
			for c := lo; c <= hi && len(base) > 0; c++ {
				rs := append([]rune(nil), base...)
				rs[len(rs)-1] += rune(c - lo)
				m[uint16(c)] = rs
			}
		}
	}
	return m, nil
}

func utf16Runes(h string) ([]rune, error) {
	b, err := hex.DecodeString(h)
	if err != nil || len(b)%2 != 0 {
		return nil, fmt.Errorf("bad UTF-16 hex %q", h)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return utf16.Decode(u), nil
}

// decodeCIDs maps a string of two-byte codes (Identity-H) through a font's ToUnicode map.
func decodeCIDs(raw string, cm map[uint16][]rune) (string, error) {
	if cm == nil {
		return "", fmt.Errorf("text in a font without a ToUnicode map")
	}
	if len(raw)%2 != 0 {
		return "", fmt.Errorf("odd-length Identity-H string %q", raw)
	}
	var out []rune
	for i := 0; i < len(raw); i += 2 {
		code := uint16(raw[i])<<8 | uint16(raw[i+1])
		rs, ok := cm[code]
		if !ok {
			return "", fmt.Errorf("code %04x missing from the ToUnicode map", code)
		}
		out = append(out, rs...)
	}
	return string(out), nil
}
