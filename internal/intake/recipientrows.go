package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/quillpost/quillpost/internal/address"
)

// personRow is one row of a people upload (occasion recipients), read from CSV or JSON with the
// same per-row checks and error shapes as campaign recipients: the address is validated by
// address.ReadCSV or checkAddress, each problem reported with row, field and reason.
//
// Campaign uploads (campaigns.go) keep their own reader; this one is the boundary occasions use,
// so that changes to how campaigns ingest (streaming, batches) do not reach it.
type personRow struct {
	row      int
	key      string
	to       address.Address
	vars     map[string]string
	metadata map[string]string
	email    string
	// dates holds the raw date columns (date.NAME or a known occasion name) by occasion name,
	// with the field name to report an error under.
	dates map[string]rawDate
}

type rawDate struct{ field, value string }

// personJSON is one entry of a JSON people upload.
type personJSON struct {
	Key       string            `json:"key"`
	To        *address.Address  `json:"to"`
	Variables map[string]string `json:"variables"`
	Metadata  map[string]string `json:"metadata"`
	Email     string            `json:"email"`
	Dates     map[string]string `json:"dates"`
}

// knownDateColumns are CSV columns read as dates without the "date." prefix.
var knownDateColumns = map[string]bool{"birthday": true, "customer_since": true, "anniversary": true, "first_order": true}

// readPeople parses a CSV (any separator, BOM or not) or JSON array upload. A whole-request error
// (bad header, bad JSON, too many rows) comes back as *apiError; row errors as problems.
func readPeople(ctype string, body []byte) ([]personRow, []rowProblem, *apiError) {
	var (
		rows     []personRow
		problems []rowProblem
	)
	switch ctype {
	case "text/csv", "application/csv":
		recs, errs := address.ReadCSV(bytes.NewReader(body))
		for _, e := range errs {
			problems = append(problems, rowProblem{Row: e.Row, Field: e.Field, Code: "row_invalid", Reason: sentence(e.Reason)})
		}
		if len(recs) == 0 && len(errs) == 1 && errs[0].Row == 1 {
			e := invalid(errs[0].Field, "csv_header_invalid", sentence(errs[0].Reason))
			e.Row = 1
			return nil, nil, e
		}
		for _, rec := range recs {
			pr := personRow{row: rec.Row, to: rec.Address, vars: map[string]string{}, dates: map[string]rawDate{}}
			for k, v := range rec.Extra {
				switch name := normVarName(k); {
				case name == "key" || name == "id":
					pr.key = strings.TrimSpace(v)
				case name == "email":
					pr.email = strings.TrimSpace(v)
					pr.vars["email"] = v
				case strings.HasPrefix(name, "metadata."):
					if pr.metadata == nil {
						pr.metadata = map[string]string{}
					}
					pr.metadata[strings.TrimPrefix(k, "metadata.")] = v
				case strings.HasPrefix(name, "date."):
					if strings.TrimSpace(v) != "" {
						pr.dates[strings.TrimPrefix(name, "date.")] = rawDate{k, v}
					}
				case knownDateColumns[name]:
					if strings.TrimSpace(v) != "" {
						pr.dates[name] = rawDate{k, v}
					}
				default:
					pr.vars[name] = v
				}
			}
			rows = append(rows, pr)
		}
	case "application/json":
		var reqs []personJSON
		if aerr := decodeJSON(body, &reqs); aerr != nil {
			return nil, nil, aerr
		}
		if len(reqs) > address.MaxCSVRows {
			return nil, nil, invalid("", "too_many_recipients", fmt.Sprintf("At most %d recipients fit in one request; split the upload.", address.MaxCSVRows))
		}
		for i, rq := range reqs {
			row := i + 1
			if rq.To == nil {
				problems = append(problems, rowProblem{Row: row, Field: "to", Code: "address_missing", Reason: "The recipient address (to) is missing."})
				continue
			}
			if aerr := checkAddress("to", *rq.To); aerr != nil {
				for _, p := range aerr.Problems {
					problems = append(problems, rowProblem{Row: row, Field: p.Field, Code: aerr.Code, Reason: p.Reason})
				}
				continue
			}
			pr := personRow{row: row, key: strings.TrimSpace(rq.Key), to: *rq.To, vars: rq.Variables, metadata: rq.Metadata,
				email: strings.TrimSpace(rq.Email), dates: map[string]rawDate{}}
			for name, v := range rq.Dates {
				pr.dates[normVarName(name)] = rawDate{"dates." + name, v}
			}
			rows = append(rows, pr)
		}
	default:
		return nil, nil, &apiError{Status: http.StatusUnsupportedMediaType, Type: "invalid_request", Code: "content_type_unsupported",
			Message: "Send recipients as application/json (an array) or text/csv."}
	}
	return rows, problems, nil
}

// jsonObject marshals v for a store column.
func jsonObject(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
