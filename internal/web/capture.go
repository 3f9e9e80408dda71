package web

import (
	"encoding/json"
	"net/http"

	"github.com/quillpost/quillpost/internal/capture"
)

// The capture page (issue 18): a guided sample sheet on which a customer writes their own
// handwriting with a pen, a finger or the mouse. The page itself holds nothing personal; it
// speaks to the API with the account's live key, which the writer enters and the browser keeps
// for the session only, and keeps the half-finished sheet on the device so it can be resumed.

// capturePage serves the page in the visitor's language; what its script writes comes along
// as the catalogue's capture.js.* texts.
func (s *Server) capturePage(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	s.render(w, r, http.StatusOK, "capture.html", page{Page: "capture", Title: tr(lang, "capture.title"),
		Data: scriptWords(lang, "capture.js.")})
}

// capturePlan is the sheet the page lays out: every box, and the guides drawn in each.
type capturePlan struct {
	Boxes      []capture.PlanBox `json:"boxes"`
	Guides     capture.Guides    `json:"guides"`
	ReadyChars string            `json:"ready_chars"`
}

func (s *Server) capturePlanJSON(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(capturePlan{Boxes: capture.Plan(),
		Guides:     capture.Guides{Baseline: capture.SynthBaseline, XHeight: capture.SynthBaseline - capture.SynthXHeight},
		ReadyChars: capture.ReadyChars})
	if err != nil {
		http.Error(w, "plan", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(b)
}
