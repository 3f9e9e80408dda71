package intake

import (
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// FuzzReadPeople feeds arbitrary uploads to the occasion recipients reader and checker: never a
// panic, every problem names a row, and every accepted person has a key and only valid dates.
func FuzzReadPeople(f *testing.F) {
	f.Add("text/csv", []byte("name;line1;postal_code;city;country;key;birthday\nAnna;Weg 1;10115;Berlin;DE;k1;17.05.1980\n"))
	f.Add("text/csv", []byte("\ufeffname,line1,city,country,email,date.x\nA,B,C,GB,a@b.c,--02-29\n"))
	f.Add("application/json", []byte(`[{"key":"k","to":{"name":"A","lines":["B"],"postal_code":"10115","city":"Berlin","country":"DE"},"dates":{"birthday":"2000-02-29"}}]`))
	f.Add("application/json", []byte(`[{"to":null},{}]`))
	p := &store.Principal{Account: store.Account{ID: "acc_x"}, Key: store.APIKey{Kind: store.KeyLive}}
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		rows, probs, aerr := readPeople(ctype, body)
		if aerr != nil {
			if aerr.Message == "" || aerr.Status < 400 {
				t.Fatalf("whole-request error without a message: %+v", aerr)
			}
			return
		}
		for _, pr := range probs {
			if pr.Row < 1 || pr.Reason == "" {
				t.Fatalf("problem without row or reason: %+v", pr)
			}
		}
		for _, pr := range rows {
			rec, probs := checkPerson(p, pr)
			for _, pb := range probs {
				if pb.Row != pr.row || pb.Reason == "" || pb.Code == "" {
					t.Fatalf("row %d: bad problem %+v", pr.row, pb)
				}
			}
			if len(probs) == 0 && rec.Key == "" {
				t.Fatalf("row %d accepted without a key", pr.row)
			}
		}
	})
}
