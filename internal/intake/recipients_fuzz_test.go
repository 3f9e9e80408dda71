package intake

import "testing"

// FuzzJSONRows: the streaming reader of a JSON recipients upload accepts exactly what decoding
// the whole array accepts, refuses the rest with the same error, and yields the same elements.
func FuzzJSONRows(f *testing.F) {
	f.Add([]byte(`[{"to":{"name":"A","lines":["B"],"postal_code":"10115","city":"Berlin","country":"DE"},"variables":{"count":"1"}}]`))
	f.Add([]byte(`[null, 1, {"to":null}]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[] []`))
	f.Add([]byte(`{"to":{}}`))
	f.Add([]byte(`[{"colour":"red"}]`))
	f.Add([]byte(` [ {} , {"email":"a@b"} ] `))
	f.Fuzz(func(t *testing.T, body []byte) {
		var whole []recipientRequest
		werr := decodeJSON(body, &whole)
		next, serr := jsonRows(body)
		if (werr == nil) != (serr == nil) {
			t.Fatalf("whole: %v, streamed: %v", werr, serr)
		}
		if werr != nil {
			if werr.Code != serr.Code || werr.Message != serr.Message || werr.Field != serr.Field {
				t.Fatalf("whole: %+v, streamed: %+v", werr, serr)
			}
			return
		}
		rows := 0
		for {
			rc, probs, ok := next()
			if !ok {
				break
			}
			rows++
			if probs == nil && rc.row != rows {
				t.Fatalf("element %d read as row %d", rows, rc.row)
			}
		}
		if rows != len(whole) {
			t.Fatalf("streamed %d elements, whole %d", rows, len(whole))
		}
	})
}
