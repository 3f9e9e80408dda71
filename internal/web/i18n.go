package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// The pages' words live in one catalogue per language, messages/<lang>.json (key → text, with
// fmt verbs for the values), so that a translator edits one file and a test can check that a
// page shows nothing but its language's texts.
//
//go:embed messages/*.json
var messageFS embed.FS

// catalogues maps a language to its messages; languages lists them, German first: the shop's
// home market.
var catalogues, languages = loadCatalogues()

func loadCatalogues() (map[string]map[string]string, []string) {
	files, err := messageFS.ReadDir("messages")
	if err != nil {
		panic(err)
	}
	out := map[string]map[string]string{}
	var langs []string
	for _, f := range files {
		lang := strings.TrimSuffix(f.Name(), ".json")
		raw, err := messageFS.ReadFile(path.Join("messages", f.Name()))
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("web: messages/%s: %v", f.Name(), err)) // embedded: a broken file fails every test
		}
		out[lang] = m
		langs = append(langs, lang)
	}
	slices.SortFunc(langs, func(a, b string) int {
		if a == "de" || b == "de" {
			return map[bool]int{true: -1, false: 1}[a == "de"]
		}
		return strings.Compare(a, b)
	})
	return out, langs
}

// Catalogue returns a copy of one language's messages (for tests and translators' tools).
func Catalogue(lang string) map[string]string {
	out := map[string]string{}
	for k, v := range catalogues[lang] {
		out[k] = v
	}
	return out
}

// Languages returns the languages the pages speak.
func Languages() []string { return slices.Clone(languages) }

func known(lang string) bool { _, ok := catalogues[lang]; return ok }

// langCookie remembers a language chosen with ?lang=.
const langCookie = "qp_lang"

// language picks the page language: ?lang=, then the cookie, then Accept-Language, else English.
func language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); known(l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && known(c.Value) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if l, _, _ := strings.Cut(tag, "-"); known(l) {
			return l
		}
	}
	return "en"
}

// tr translates a message key; a key missing from the language's catalogue shows as the key,
// which the language test catches.
func tr(lang, key string, args ...any) string {
	s, ok := catalogues[lang][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// trOr translates key, or returns fallback when the catalogue has no such key (data that may
// grow faster than the catalogue: a new hand, a new card format).
func trOr(lang, key, fallback string) string {
	if s, ok := catalogues[lang][key]; ok {
		return s
	}
	return fallback
}

// scriptWords are the texts a page's script writes (catalogue keys starting with prefix, keyed
// without it), handed to the script as JSON in the page, so that what it says is in the page's
// language and comes from the same catalogue the language test checks.
func scriptWords(lang, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range catalogues[lang] {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}
