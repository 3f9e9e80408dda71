package intake_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/intake"
	"github.com/quillpost/quillpost/internal/store"
)

// codeRE finds the error codes a source file answers with: apiError literals and invalid(…) calls.
var codeRE = regexp.MustCompile(`Code: *"([a-z_]+)"( *\+)?|invalid\([^,()]+, *"([a-z_]+)"`)

// TestPageErrorCodesAreComplete: the lists the web pages translate hold every code the faces,
// trigger and key-checking code can answer with, so that no page falls back to English for a
// code it was never told about.
func TestPageErrorCodesAreComplete(t *testing.T) {
	for file, list := range map[string][]string{
		"auth.go":     intake.CommonErrorCodes,
		"errors.go":   intake.CommonErrorCodes,
		"faces.go":    slices.Concat(intake.CommonErrorCodes, intake.FaceErrorCodes),
		"triggers.go": slices.Concat(intake.CommonErrorCodes, intake.TriggerErrorCodes),
	} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range codeRE.FindAllStringSubmatch(string(src), -1) {
			code := m[1] + m[3]
			if m[2] != "" {
				// "trigger_" + t.State: one code per state a trigger can be in but active.
				for _, st := range []string{store.RulePaused, store.RuleCancelled} {
					if !slices.Contains(list, code+st) {
						t.Errorf("%s answers %s%s, which its page list lacks", file, code, st)
					}
				}
				continue
			}
			found++
			if code != "operator_only" && !slices.Contains(list, code) {
				t.Errorf("%s answers %q, which its page list lacks", file, code)
			}
		}
		if found == 0 {
			t.Errorf("%s: no error code found; has the error shape changed?", file)
		}
	}
}

// TestOpenAPIFaceRejection: the document's rejection shape names exactly the codes the capture
// package can give, and requires code and args next to the English reason.
func TestOpenAPIFaceRejection(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string `json:"required"`
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(intake.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Components.Schemas["FaceRejection"]
	if !ok {
		t.Fatal("openapi.json has no FaceRejection schema")
	}
	for _, f := range []string{"box", "text", "reason", "code", "args"} {
		if !slices.Contains(s.Required, f) {
			t.Errorf("FaceRejection does not require %q", f)
		}
	}
	got, want := slices.Sorted(slices.Values(s.Properties["code"].Enum)), slices.Sorted(slices.Values(capture.RejectionCodes))
	if !slices.Equal(got, want) {
		t.Errorf("FaceRejection codes %v, capture gives %v", got, want)
	}
}
