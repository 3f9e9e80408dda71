package web

import (
	"net/http"
)

// triggerConsole is GET /triggers/console: a page on which an account pastes a sender's payload
// and sees the card its trigger would order — the mapped address and variables and the proof — or
// which field of the payload is missing. The page's script talks to the API from the browser
// with the account's own key (POST /v1/triggers/{id}/test, POST /v1/cards/preview), so the web
// server holds no account keys and the console can do nothing the key could not.
func (s *Server) triggerConsole(w http.ResponseWriter, r *http.Request) {
	lang := language(w, r)
	s.render(w, r, http.StatusOK, "console.html", page{Page: "console", Title: tr(lang, "console.title"),
		Data: scriptWords(lang, "console.js.")})
}
