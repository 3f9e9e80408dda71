package web

import (
	"fmt"
	"net/http"
	"strings"
)

// Languages the pages speak. German first: the shop's home market.
var languages = []string{"de", "en"}

// langCookie remembers a language chosen with ?lang=.
const langCookie = "qp_lang"

// language picks the page language: ?lang=, then the cookie, then Accept-Language, else English.
func language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "de" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "de" || c.Value == "en") {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "de"):
			return "de"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// tr translates a message key; missing keys show as the key, which the tests catch.
func tr(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "de" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// messages maps a key to its English and German text.
var messages = map[string][2]string{
	"brand.tagline":             {"Handwritten cards, written by robots with real pens", "Handgeschriebene Karten, von Robotern mit echter Tinte geschrieben"},
	"order.title":               {"Send a handwritten card", "Eine handgeschriebene Karte senden"},
	"order.lead":                {"Write your message, pick a hand, and a robot writes it with a real pen and posts it for you.", "Schreiben Sie Ihre Nachricht, wählen Sie eine Handschrift – ein Roboter schreibt sie mit echter Tinte und schickt die Karte ab."},
	"order.step.card":           {"Card", "Karte"},
	"order.step.hand":           {"Handwriting", "Handschrift"},
	"order.step.msg":            {"Message", "Nachricht"},
	"order.step.to":             {"Recipient", "Empfänger"},
	"order.step.from":           {"Return address (optional)", "Absender (optional)"},
	"order.font":                {"Lettering", "Schrift"},
	"order.hand":                {"Hand", "Hand"},
	"order.cursive":             {"joined-up", "verbunden"},
	"order.print":               {"print", "Druckschrift"},
	"order.message":             {"Your message", "Ihre Nachricht"},
	"order.message.ph":          {"Dear Sam,\nthank you so much for your order!\nWarmly, Jo", "Liebe Frau Müller,\nvielen Dank für Ihre Bestellung!\nHerzliche Grüße"},
	"order.align":               {"Centre the text", "Text zentrieren"},
	"order.preview":             {"Preview", "Vorschau"},
	"order.preview.upd":         {"The preview follows as you type: this is exactly what the robot writes.", "Die Vorschau folgt beim Tippen: genau das schreibt der Roboter."},
	"order.preview.ok":          {"%d lines, %d letters, x-height %.1f mm", "%d Zeilen, %d Buchstaben, x-Höhe %.1f mm"},
	"order.review":              {"Review order", "Bestellung prüfen"},
	"order.fix":                 {"Please correct the marked fields.", "Bitte korrigieren Sie die markierten Felder."},
	"review.title":              {"Check your card", "Ihre Karte prüfen"},
	"review.lead":               {"This is the card the robot will write. Nothing is sent until you place the order.", "So schreibt der Roboter Ihre Karte. Erst mit „Verbindlich bestellen“ wird sie in Auftrag gegeben."},
	"review.edit":               {"Change", "Ändern"},
	"review.submit":             {"Place order", "Verbindlich bestellen"},
	"review.to":                 {"Goes to", "Geht an"},
	"review.from":               {"From", "Von"},
	"review.style":              {"Style", "Stil"},
	"review.nofrom":             {"no return address", "ohne Absender"},
	"addr.country":              {"Country", "Land"},
	"addr.name":                 {"Name", "Name"},
	"addr.company":              {"Company (optional)", "Firma (optional)"},
	"addr.line1":                {"Street and number", "Straße und Hausnummer"},
	"addr.line2":                {"Address line 2 (optional)", "Adresszusatz (optional)"},
	"addr.postal":               {"Postal code", "Postleitzahl"},
	"addr.city":                 {"City", "Ort"},
	"addr.region":               {"Region", "Region"},
	"addr.optional":             {"optional", "optional"},
	"err.message.empty":         {"Please write a message for the card.", "Bitte schreiben Sie eine Nachricht für die Karte."},
	"err.glyph":                 {"Line %d, character %d: the lettering %s cannot write “%s”. Please replace it or choose another lettering.", "Zeile %d, Zeichen %d: Die Schrift %s kann „%s“ nicht schreiben. Bitte ersetzen Sie das Zeichen oder wählen Sie eine andere Schrift."},
	"err.char":                  {"Line %d, character %d: %s.", "Zeile %d, Zeichen %d: %s."},
	"err.toolong":               {"The text is too long for the %s: it needs %d lines, the card holds %d even in the smallest writing. Shorten it by about %d%% or choose a larger card.", "Der Text ist zu lang für die Karte (%s): Er braucht %d Zeilen, Platz ist selbst in der kleinsten Schrift für %d. Kürzen Sie ihn um etwa %d %% oder wählen Sie eine größere Karte."},
	"err.toolong.word":          {"A word is too long for a line of this card: %s", "Ein Wort ist zu lang für eine Zeile dieser Karte: %s"},
	"err.toolong.chars":         {"The message has %d characters; a card holds at most %d.", "Die Nachricht hat %d Zeichen; auf eine Karte passen höchstens %d."},
	"err.field":                 {"%s", "%s"},
	"err.internal":              {"Something went wrong on our side; your order was not placed. Please try again.", "Bei uns ist etwas schiefgegangen; Ihre Bestellung wurde nicht aufgegeben. Bitte versuchen Sie es noch einmal."},
	"err.expired":               {"The form expired. Please check your entries and send again.", "Das Formular ist abgelaufen. Bitte prüfen Sie Ihre Angaben und senden Sie erneut."},
	"status.title":              {"Your card", "Ihre Karte"},
	"status.lead":               {"Order %s. This page updates by itself.", "Bestellung %s. Diese Seite aktualisiert sich selbst."},
	"status.accepted":           {"Accepted", "Angenommen"},
	"status.queued":             {"Waiting for a robot", "Wartet auf einen Roboter"},
	"status.plotting":           {"Being written", "Wird geschrieben"},
	"status.written":            {"Written", "Geschrieben"},
	"status.posted":             {"Posted", "Verschickt"},
	"status.cancelled":          {"Cancelled", "Storniert"},
	"status.failed":             {"Needs our attention", "Wird von uns geprüft"},
	"status.spoiled":            {"Card spoiled, writing it again on a fresh card", "Karte verdorben, wird auf einer neuen Karte noch einmal geschrieben"},
	"status.rejected":           {"Rejected", "Abgelehnt"},
	"status.received":           {"Received", "Eingegangen"},
	"status.new":                {"Order another card", "Noch eine Karte bestellen"},
	"status.notfound":           {"There is no order with this number.", "Es gibt keine Bestellung mit dieser Nummer."},
	"notfound.title":            {"Page not found", "Seite nicht gefunden"},
	"notfound.lead":             {"This page does not exist.", "Diese Seite gibt es nicht."},
	"op.title":                  {"Robot room", "Roboterraum"},
	"op.login":                  {"Operator login", "Anmeldung für das Team"},
	"op.login.lead":             {"Sign in with an operator key (qp_op_…). Create one with: quillpost keys create --operator", "Melden Sie sich mit einem Operator-Schlüssel (qp_op_…) an. Anlegen mit: quillpost keys create --operator"},
	"op.key":                    {"Operator key", "Operator-Schlüssel"},
	"op.signin":                 {"Sign in", "Anmelden"},
	"op.signout":                {"Sign out", "Abmelden"},
	"op.throttled":              {"Too many failed sign-ins from here; wait a minute and try again.", "Zu viele fehlgeschlagene Anmeldungen von hier; bitte eine Minute warten."},
	"err.ratelimited":           {"Too many orders from here in a short time; please wait a minute and send again.", "Zu viele Bestellungen von hier in kurzer Zeit; bitte eine Minute warten und erneut senden."},
	"err.ratelimited.preview":   {"Too many previews from here; the preview resumes in a moment.", "Zu viele Vorschauen von hier; die Vorschau geht gleich weiter."},
	"op.badkey":                 {"That key is not a valid operator key.", "Dieser Schlüssel ist kein gültiger Operator-Schlüssel."},
	"op.robots":                 {"Robots", "Roboter"},
	"op.needhuman":              {"Need you now", "Brauchen Sie jetzt"},
	"op.working":                {"Working and idle", "Arbeiten oder warten"},
	"op.norobots":               {"No robot has reported yet. Start a worker: quillpost worker", "Noch kein Roboter hat sich gemeldet. Starten Sie einen Worker: quillpost worker"},
	"op.allfine":                {"Nothing needs you right now.", "Gerade braucht Sie niemand."},
	"op.state.idle":             {"idle", "bereit"},
	"op.state.waiting-for-card": {"waiting for a blank card", "wartet auf eine leere Karte"},
	"op.state.plotting":         {"writing", "schreibt"},
	"op.state.paused":           {"paused", "pausiert"},
	"op.state.error":            {"error", "Fehler"},
	"op.state.needs-setup":      {"needs a human: setup", "braucht einen Menschen: Einrichtung"},
	"op.cmd.check-setup":        {"Settings fixed: check again", "Einstellungen korrigiert: erneut prüfen"},
	"op.cmd.set-origin":         {"Set origin here", "Nullpunkt hier setzen"},
	"op.state.offline":          {"offline", "offline"},
	"op.card":                   {"Card", "Karte"},
	"op.eta":                    {"about %s left", "noch etwa %s"},
	"op.today":                  {"written today", "heute geschrieben"},
	"op.pen":                    {"pen since change", "Stift seit Wechsel"},
	"op.cmd.card-loaded":        {"Card is loaded", "Karte eingelegt"},
	"op.cmd.pause":              {"Pause", "Pause"},
	"op.cmd.resume":             {"Resume", "Weiter"},
	"op.cmd.abort":              {"Abort card", "Karte abbrechen"},
	"op.cmd.pen-changed":        {"Pen changed", "Stift gewechselt"},
	"op.cmd.ok":                 {"%s: %s – done.", "%s: %s – erledigt."},
	"op.queue":                  {"Queue", "Warteschlange"},
	"op.lane.pending":           {"waiting", "wartend"},
	"op.lane.inflight":          {"at a robot", "beim Roboter"},
	"op.noqueue":                {"No lanes yet.", "Noch keine Warteschlangen."},
	"op.perhour":                {"cards in the last hour", "Karten in der letzten Stunde"},
	"op.writtentoday":           {"cards written today", "Karten heute geschrieben"},
	"op.attention":              {"robots need you", "Roboter brauchen Sie"},
	"op.failed":                 {"Failed cards", "Fehlgeschlagene Karten"},
	"op.nofailed":               {"No failed cards.", "Keine fehlgeschlagenen Karten."},
	"op.retry":                  {"Retry", "Neu versuchen"},
	"op.cancel":                 {"Cancel", "Stornieren"},
	"op.spoiled":                {"Spoiled today", "Heute verdorben"},
	"op.nospoiled":              {"No card was spoiled today.", "Heute wurde keine Karte verdorben."},
	"op.then.queued":            {"queued again", "neu eingereiht"},
	"op.then.failed":            {"failed", "fehlgeschlagen"},
	"op.sheets":                 {"Address sheets", "Adressbögen"},
	"op.sheets.lead":            {"%d written cards wait to be posted.", "%d geschriebene Karten warten auf den Versand."},
	"op.sheets.none":            {"No written card waits to be posted.", "Keine geschriebene Karte wartet auf den Versand."},
	"op.sheets.open":            {"%d labels not yet on a sheet", "%d Etiketten noch auf keinem Bogen"},
	"op.sheets.close":           {"Close sheet and print", "Bogen abschließen und drucken"},
	"op.sheets.print":           {"Print", "Drucken"},
	"op.sheets.reprint":         {"Reprint", "Erneut drucken"},
	"op.sheets.printed":         {"printed", "gedruckt"},
	"op.sheets.unprinted":       {"not printed yet", "noch nicht gedruckt"},
	"op.sheets.count":           {"%d labels, %d posted", "%d Etiketten, %d verschickt"},
	"op.sheets.markposted":      {"Mark sheet posted", "Bogen als verschickt markieren"},
	"op.sheets.posted":          {"Sheet %s is marked posted; newly posted: %d.", "Bogen %s ist als verschickt markiert; neu verschickt: %d."},
	"op.sheets.already":         {"Sheet %s was printed already. Use Reprint to print it again on purpose.", "Bogen %s wurde schon gedruckt. Mit „Erneut drucken“ drucken Sie ihn bewusst noch einmal."},
	"op.sheets.notfound":        {"There is no sheet %s.", "Es gibt keinen Bogen %s."},
	"op.sheets.nothing":         {"Sheet %s has no label left to print (its cards were erased).", "Bogen %s hat kein druckbares Etikett mehr (die Karten wurden gelöscht)."},
	"op.sheets.empty":           {"Robot %s has no labels waiting for a sheet.", "Roboter %s hat keine Etiketten, die auf einen Bogen warten."},
	"op.sheets.failed":          {"The address sheet could not be printed.", "Der Adressbogen konnte nicht gedruckt werden."},
	"op.post.label":             {"Posted: scan a label's barcode or type card numbers", "Verschickt: Barcode eines Etiketts scannen oder Kartennummern eingeben"},
	"op.post.button":            {"Mark posted", "Als verschickt markieren"},
	"op.post.done":              {"Marked posted: %d.", "Als verschickt markiert: %d."},
	"op.post.already":           {"Already posted: %s.", "Schon verschickt: %s."},
	"op.post.notwritten":        {"Card %s cannot be posted: its status is “%s”. Only written cards can be posted; nothing was marked.", "Karte %s kann nicht verschickt werden: ihr Status ist „%s“. Nur geschriebene Karten können verschickt werden; nichts wurde markiert."},
	"op.post.notfound":          {"There is no card %s; nothing was marked.", "Es gibt keine Karte %s; nichts wurde markiert."},
	"op.post.none":              {"Enter or scan a card number.", "Bitte eine Kartennummer eingeben oder scannen."},
	"op.live":                   {"live", "live"},
	"op.updated":                {"updated %s", "aktualisiert %s"},
	"op.retried":                {"Card %s is queued again.", "Karte %s ist neu eingereiht."},
	"op.cancelled":              {"Card %s is cancelled.", "Karte %s ist storniert."},
}
