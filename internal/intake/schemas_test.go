package intake_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/quillpost/quillpost/internal/webhook"
)

// TestEventSchemas: every event type has a JSON Schema and an example, and the example decodes
// strictly into the envelope the dispatcher sends, with the type and status the schema fixes.
func TestEventSchemas(t *testing.T) {
	for _, typ := range webhook.EventTypes() {
		raw, err := os.ReadFile(filepath.Join("schemas", typ+".schema.json"))
		if err != nil {
			t.Errorf("%s: no schema: %v", typ, err)
			continue
		}
		var schema struct {
			Title      string
			Properties struct {
				Type struct{ Const string }
			}
		}
		if err := json.Unmarshal(raw, &schema); err != nil || schema.Properties.Type.Const != typ {
			t.Errorf("%s: schema %v, type const %q", typ, err, schema.Properties.Type.Const)
		}
		ex, err := os.ReadFile(filepath.Join("schemas", "examples", typ+".json"))
		if err != nil {
			t.Errorf("%s: no example: %v", typ, err)
			continue
		}
		var env webhook.Envelope
		dec := json.NewDecoder(bytes.NewReader(ex))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&env); err != nil || env.Type != typ {
			t.Errorf("%s: example envelope: %v (type %q)", typ, err, env.Type)
			continue
		}
		var data webhook.CardEvent
		dec = json.NewDecoder(bytes.NewReader(env.Data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&data); err != nil || webhook.EventType(data.To) != typ || data.Card.Status != data.To {
			t.Errorf("%s: example data: %v (to %q)", typ, err, data.To)
		}
	}
}
