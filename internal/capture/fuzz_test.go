package capture

import (
	"encoding/json"
	"testing"

	"github.com/quillpost/quillpost/internal/font"
)

// FuzzParse feeds arbitrary bytes to Parse and what it accepts to Process: an error or a face
// that parses as a font file, never a panic.
func FuzzParse(f *testing.F) {
	var plan []PlanBox
	for _, r := range "aiü." {
		plan = append(plan, PlanBox{Kind: KindChar, Text: string(r)})
	}
	plan = append(plan, PlanBox{Kind: KindWord, Text: "ai"}, PlanBox{Kind: KindSignature})
	face, err := font.Lookup("sans")
	if err != nil {
		f.Fatal(err)
	}
	good, err := json.Marshal(Synthesize(face, plan, "fuzz", 1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"quillpost-strokes/1","name":"x","boxes":[{"text":"a","guides":{"baseline":10,"x_height":0},"strokes":[{"points":[{"x":1,"y":1,"t":0}]}]}]}`))
	f.Add([]byte(`{"format":"quillpost-strokes/1","name":"x","boxes":[{"text":"a","guides":{"baseline":10,"x_height":0},"strokes":[{"points":[{"x":1,"y":1,"t":5},{"x":1,"y":1,"t":1}]}]}]}`))
	f.Add([]byte(`{"format":"quillpost-strokes/1","name":"x","boxes":[{"kind":"word","text":"ab","guides":{"baseline":1e300,"x_height":-1e300},"strokes":[]}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		res, err := Process(s)
		if err != nil {
			return
		}
		out, err := json.Marshal(res.File)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := font.Parse(out); err != nil {
			t.Fatalf("the made face does not parse: %v", err)
		}
	})
}
