package web

import (
	"net/http"
)

// triggerConsole is GET /triggers/console: a page on which an account pastes a sender's payload
// and sees the card its trigger would order — the mapped address and variables and the proof — or
// which field of the payload is missing. The page is static: it talks to the API from the
// browser with the account's own key (POST /v1/triggers/{id}/test, POST /v1/cards/preview), so
// the web server holds no account keys and the console can do nothing the key could not.
func (s *Server) triggerConsole(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/console.html")
	if err != nil {
		http.Error(w, "console missing", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}
