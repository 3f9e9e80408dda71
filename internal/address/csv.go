package address

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Record is one data row of an address file.
type Record struct {
	Row     int               // line of the file the row starts on; the header is line 1
	Address Address           // as given; Validate has accepted it
	Extra   map[string]string // columns other than the address's, by lower-case header name
}

// RowError is a problem with one row (or the header, row 1) of an address file.
type RowError struct {
	Row    int    `json:"row"`
	Field  string `json:"field,omitempty"` // the CSV column: line1, postal_code, ...
	Reason string `json:"reason"`
}

func (e RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, %s: %s", e.Row, e.Field, e.Reason)
}

// CSVHeader is the header an address file has; columns may come in any order, company, line2 to
// line4 and region may be left out, and other columns (order_id, card_id, ...) are passed on in
// Record.Extra.
const CSVHeader = "name,company,line1,line2,postal_code,city,region,country"

var requiredColumns = []string{"name", "line1", "postal_code", "city", "country"}

// MaxCSVRows bounds a file, so that a wrong upload cannot exhaust memory.
const MaxCSVRows = 100_000

// ReadCSV reads an address file: UTF-8 with or without a byte-order mark, separated by commas or
// semicolons (whichever the header uses), with a header row naming the columns. It returns the
// rows that are valid addresses and, for every other row, its line number, column and reason;
// an unusable header is one RowError for row 1 and no records.
func ReadCSV(r io.Reader) ([]Record, []RowError) {
	cr, herr := NewCSVReader(r)
	if herr != nil {
		return nil, []RowError{*herr}
	}
	var recs []Record
	var errs []RowError
	for {
		rec, rerrs, ok := cr.Next()
		errs = append(errs, rerrs...)
		if !ok {
			return recs, errs
		}
		if rerrs == nil {
			recs = append(recs, rec)
		}
	}
}

// CSVReader reads an address file row by row (see ReadCSV), so that a large file is never held
// parsed in memory as a whole.
type CSVReader struct {
	cr     *csv.Reader
	header []string
	col    map[string]int
	n      int // lines read after the header
	done   bool
}

// NewCSVReader reads the header of an address file; an unusable header is returned as the
// RowError of row 1.
func NewCSVReader(r io.Reader) (*CSVReader, *RowError) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3) // cannot fail: the bytes were just peeked
	}
	first, err := br.Peek(4096)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, &RowError{Row: 1, Reason: fmt.Sprintf("the file cannot be read: %v", err)}
	}
	headerLine, _, _ := bytes.Cut(first, []byte("\n"))
	cr := csv.NewReader(br)
	cr.Comma = sniffSeparator(headerLine)
	cr.FieldsPerRecord = -1 // short rows are reported with their line, not as a parse error
	cr.ReuseRecord = false

	header, err := cr.Read()
	if err == io.EOF {
		return nil, &RowError{Row: 1, Reason: "the file is empty; it needs the header " + CSVHeader}
	}
	if err != nil {
		return nil, &RowError{Row: 1, Reason: "the header cannot be read: " + csvReason(err)}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return nil, &RowError{Row: 1, Field: h, Reason: fmt.Sprintf("the header names column %s twice", h)}
		}
		col[h] = i
	}
	var missing []string
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, &RowError{Row: 1, Reason: fmt.Sprintf("the header has no %s column; expected %s (with %q or %q between names)",
			strings.Join(missing, ", "), CSVHeader, ",", ";")}
	}
	return &CSVReader{cr: cr, header: header, col: col}, nil
}

// Next reads the next row. It returns the row's record when errs is nil, or the row's problems;
// ok is false at the end of the file (errs may then still hold a last problem). Blank lines are
// skipped.
func (c *CSVReader) Next() (rec Record, errs []RowError, ok bool) {
	for !c.done {
		line := 0
		fields, err := c.cr.Read()
		idx := c.n
		c.n++ // every line read counts toward MaxCSVRows, blank and unreadable ones too
		if err == io.EOF {
			c.done = true
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			} else {
				c.done = true // not a parse error: the reader failed, nothing more can be read
			}
			return Record{}, []RowError{{Row: line, Reason: "the row cannot be read: " + csvReason(err)}}, !c.done
		}
		line, _ = c.cr.FieldPos(0)
		if idx >= MaxCSVRows {
			c.done = true
			return Record{}, []RowError{{Row: line, Reason: fmt.Sprintf("the file has more than %d addresses; split it", MaxCSVRows)}}, false
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // a blank line
		}
		if len(fields) > len(c.header) {
			return Record{}, []RowError{{Row: line, Reason: fmt.Sprintf("the row has %d fields but the header %d; a separator inside a field needs quotes", len(fields), len(c.header))}}, true
		}
		get := func(name string) string {
			if i, ok := c.col[name]; ok && i < len(fields) {
				return fields[i]
			}
			return ""
		}
		a := Address{Name: get("name"), Company: get("company"), PostalCode: get("postal_code"),
			City: get("city"), Region: get("region"), Country: get("country")}
		for _, col := range []string{"line1", "line2", "line3", "line4"} {
			if _, ok := c.col[col]; ok {
				a.Lines = append(a.Lines, get(col))
			}
		}
		problems := Validate(a)
		if len(problems) > 0 {
			errs := make([]RowError, 0, len(problems))
			for _, p := range problems {
				errs = append(errs, RowError{Row: line, Field: csvColumn(p.Field), Reason: p.Reason})
			}
			return Record{}, errs, true
		}
		rec := Record{Row: line, Address: a}
		for name, i := range c.col {
			if isAddressColumn(name) || name == "" || i >= len(fields) {
				continue
			}
			if rec.Extra == nil {
				rec.Extra = map[string]string{}
			}
			rec.Extra[name] = strings.TrimSpace(fields[i])
		}
		return rec, nil, true
	}
	return Record{}, nil, false
}

// sniffSeparator picks ';' when the header line has more semicolons than commas outside quotes,
// as spreadsheets write CSV in locales whose decimal separator is a comma.
func sniffSeparator(line []byte) rune {
	commas, semis := 0, 0
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				commas++
			}
		case ';':
			if !quoted {
				semis++
			}
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return "a quote is not closed or stands inside an unquoted field"
		}
		return pe.Err.Error()
	}
	if !utf8.ValidString(err.Error()) {
		return "unreadable input"
	}
	return err.Error()
}

// csvColumn maps an Address field name to the CSV column it came from: lines[0] -> line1.
func csvColumn(field string) string {
	if rest, ok := strings.CutPrefix(field, "lines["); ok {
		var n int
		if _, err := fmt.Sscanf(rest, "%d]", &n); err == nil {
			return fmt.Sprintf("line%d", n+1)
		}
	}
	if field == "lines" {
		return "line1"
	}
	return field
}

func isAddressColumn(name string) bool {
	switch name {
	case "name", "company", "line1", "line2", "line3", "line4", "postal_code", "city", "region", "country":
		return true
	}
	return false
}
