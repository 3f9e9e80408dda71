package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/preview"
	"github.com/quillpost/quillpost/internal/store"
)

// An account's own handwriting (issue 18): a sample sheet recorded on the capture page, or sent
// by another tool, becomes a face the account's cards and campaigns use by name. It is personal
// data: test keys can neither create nor read it, other accounts never see it, and deleting it
// erases every version.

// findFace finds the faces p may write in: the built-in ones, and with a live key the account's
// own.
func (s *Server) findFace(ctx context.Context, p *store.Principal) cardspec.FaceFinder {
	var src faces.Source
	if s.faceStore != nil {
		src = s.faceStore
	}
	return s.faceCache.Finder(ctx, src, p.Account.ID, !testOnly(p))
}

// faceResponse is a face version as the API shows it.
type faceResponse struct {
	Object    string            `json:"object"`
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Version   int               `json:"version"`
	Font      string            `json:"font"` // what a card's "font" names to be written in this version
	Title     string            `json:"title"`
	CreatedAt time.Time         `json:"created_at"`
	Coverage  *capture.Coverage `json:"coverage,omitempty"`
	// From creation only: the samples left out and what was measured of the hand.
	Rejected []capture.Rejection `json:"rejected,omitempty"`
	Cursive  *bool               `json:"cursive,omitempty"`
	Slant    *float64            `json:"slant_degrees,omitempty"`
}

func newFaceResponse(f *store.Face, cov *capture.Coverage) faceResponse {
	return faceResponse{Object: "face", ID: f.ID, Name: f.Name, Version: f.Version, Font: faces.Stored(f.Name, f.Version),
		Title: f.Title, CreatedAt: f.CreatedAt, Coverage: cov}
}

var errFacesTestKey = &apiError{Status: http.StatusForbidden, Type: "authentication", Code: "live_key_required",
	Message: "An account's own handwriting is personal data: test keys can neither create nor read it. Use a live key of the account."}

// faceAccess answers the request's refusal when p may not reach faces here, and reports whether
// it may.
func (s *Server) faceAccess(w http.ResponseWriter, p *store.Principal) bool {
	if testOnly(p) {
		writeError(w, errFacesTestKey)
		return false
	}
	if s.faceStore == nil {
		writeError(w, &apiError{Status: http.StatusNotImplemented, Type: "api_error", Code: "faces_unavailable",
			Message: "This server's database keeps no handwriting faces."})
		return false
	}
	return true
}

// createFace is POST /v1/faces: the body is a quillpost-strokes/1 sample sheet.
func (s *Server) createFace(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !s.faceAccess(w, p) {
		return
	}
	body, aerr := s.readBodyLimit(w, r, s.maxCSV)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.idempotent(w, r, p, body, func() (int, any) {
		sheet, err := capture.Parse(body)
		var ie *capture.InputError
		if errors.As(err, &ie) {
			e := invalid(ie.Field, "sheet_invalid", sentence(ie.Reason))
			return e.Status, errorBody(e)
		}
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		if faces.IsBuiltIn(sheet.Name) {
			e := invalid("name", "name_taken", fmt.Sprintf("The name %q is a built-in face's; choose another name for your handwriting.", sheet.Name))
			return e.Status, errorBody(e)
		}
		res, err := capture.Process(sheet)
		if errors.As(err, &ie) {
			e := invalid(ie.Field, "sheet_unusable", sentence(ie.Reason))
			return e.Status, errorBody(e)
		}
		if err != nil {
			s.log.Error("process face", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		fontJSON, err := json.Marshal(res.File)
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		face, err := font.Parse(fontJSON)
		if err != nil {
			s.log.Error("made face does not parse", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		sheetJSON, err := json.Marshal(sheet)
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		sf, err := s.faceStore.CreateFace(r.Context(), store.NewFace{AccountID: p.Account.ID, Name: sheet.Name,
			Title: res.File.Title, Sheet: sheetJSON, Font: fontJSON})
		if err != nil {
			s.log.Error("create face", "account", p.Account.ID, "err", err)
			return http.StatusInternalServerError, nil
		}
		cov := capture.CoverageOf(face)
		out := newFaceResponse(sf, &cov)
		out.Rejected, out.Cursive, out.Slant = res.Rejected, &res.Cursive, &res.Slant
		s.log.Info("face created", "account", p.Account.ID, "face", out.Font, "chars", cov.Written, "rejected", len(res.Rejected))
		return http.StatusCreated, out
	})
}

func (s *Server) listFaces(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !s.faceAccess(w, p) {
		return
	}
	list, err := s.faceStore.ListFaces(r.Context(), p.Account.ID)
	if err != nil {
		s.log.Error("list faces", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	out := make([]faceResponse, 0, len(list))
	for i := range list {
		out = append(out, newFaceResponse(&list[i], nil))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
}

// faceOr404 reads the face named in the path, at the version in ?version= (newest without).
func (s *Server) faceOr404(w http.ResponseWriter, r *http.Request, p *store.Principal) (*store.Face, *font.Face, bool) {
	if !s.faceAccess(w, p) {
		return nil, nil, false
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, invalid("version", "version_invalid", "The version must be a whole number from 1."))
			return nil, nil, false
		}
		version = n
	}
	name := r.PathValue("name")
	sf, err := s.faceStore.GetFace(r.Context(), p.Account.ID, name, version)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "face_not_found",
			Message: fmt.Sprintf("This account has no handwriting called %q.", name)})
		return nil, nil, false
	}
	if err != nil {
		s.log.Error("get face", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return nil, nil, false
	}
	face, err := font.Parse(sf.Font)
	if err != nil {
		s.log.Error("stored face does not parse", "face", sf.ID, "err", err)
		writeError(w, internalError())
		return nil, nil, false
	}
	return sf, face, true
}

func (s *Server) getFace(w http.ResponseWriter, r *http.Request) {
	sf, face, ok := s.faceOr404(w, r, principalFrom(r.Context()))
	if !ok {
		return
	}
	cov := capture.CoverageOf(face)
	writeJSON(w, http.StatusOK, newFaceResponse(sf, &cov))
}

// exportFaceJSON is the face file, which `quillpost render --font-file` reads.
func (s *Server) exportFaceJSON(w http.ResponseWriter, r *http.Request) {
	sf, _, ok := s.faceOr404(w, r, principalFrom(r.Context()))
	if !ok {
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d.json"`, sf.Name, sf.Version))
	writeRaw(w, http.StatusOK, sf.Font)
}

func (s *Server) exportFaceSVG(w http.ResponseWriter, r *http.Request) {
	sf, face, ok := s.faceOr404(w, r, principalFrom(r.Context()))
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d.svg"`, sf.Name, sf.Version))
	w.WriteHeader(http.StatusOK)
	w.Write(capture.SVGFont(face))
}

// deleteFace erases every version of the face: its samples and the face made of them. Cards
// accepted in it and not yet written fail when a robot takes them, saying why.
func (s *Server) deleteFace(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if !s.faceAccess(w, p) {
		return
	}
	name := r.PathValue("name")
	err := s.faceStore.DeleteFace(r.Context(), p.Account.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, &apiError{Status: http.StatusNotFound, Type: "not_found", Code: "face_not_found",
			Message: fmt.Sprintf("This account has no handwriting called %q.", name)})
		return
	}
	if err != nil {
		s.log.Error("delete face", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	s.log.Info("face erased", "account", p.Account.ID, "face", name)
	writeJSON(w, http.StatusOK, map[string]any{"object": "face", "name": name, "deleted": true})
}

// SampleCard is what the capture page's live preview writes in a face being made.
const SampleCard = "Liebe Anna,\nvielen Dank für deine Karte!\nHerzlich, Ben"

// previewFace is POST /v1/faces/preview: the sheet as written so far is processed (not stored)
// and, once it has enough characters, a sample card is written in it. Live keys only: the body
// is the writer's handwriting.
func (s *Server) previewFace(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if testOnly(p) {
		writeError(w, errFacesTestKey)
		return
	}
	body, aerr := s.readBodyLimit(w, r, s.maxCSV)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	sheet, err := capture.Parse(body)
	var ie *capture.InputError
	if errors.As(err, &ie) {
		writeError(w, invalid(ie.Field, "sheet_invalid", sentence(ie.Reason)))
		return
	}
	if err != nil {
		writeError(w, internalError())
		return
	}
	out := facePreview{Object: "face_preview", Rejected: []capture.Rejection{}}
	res, err := capture.Process(sheet)
	if err != nil {
		// Nothing usable written yet: no face, nothing to show.
		writeJSON(w, http.StatusOK, out)
		return
	}
	out.Rejected = res.Rejected
	fontJSON, err := json.Marshal(res.File)
	if err != nil {
		writeError(w, internalError())
		return
	}
	face, err := font.Parse(fontJSON)
	if err != nil {
		s.log.Error("previewed face does not parse", "account", p.Account.ID, "err", err)
		writeError(w, internalError())
		return
	}
	// This face lives for one request: the renderer must not keep what it worked out of it.
	defer hand.Forget(face)
	cov := capture.CoverageOf(face)
	out.Coverage = &cov
	if cov.Ready {
		text := writableSample(face, SampleCard)
		card, _, err := cardspec.RenderWith(cardspec.Spec{Message: text, Font: sheet.Name, Hand: cardspec.DefaultHand, Stock: cardspec.DefaultStock, Seed: 1},
			func(string) (*font.Face, string, error) { return face, sheet.Name, nil })
		if err == nil {
			var buf bytes.Buffer
			if err := preview.SVG(&buf, card.Format, card.Strokes, preview.DefaultPenWidth); err == nil {
				out.SVG, out.Message = buf.String(), text
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type facePreview struct {
	Object   string              `json:"object"`
	Coverage *capture.Coverage   `json:"coverage,omitempty"`
	Rejected []capture.Rejection `json:"rejected"`
	// SVG is the sample card, once the coverage is ready; Message is its text as written (what
	// the face cannot write yet left out, capitals it lacks in lower case).
	SVG     string `json:"svg,omitempty"`
	Message string `json:"message,omitempty"`
}

// writableSample is text with what face cannot write yet replaced by a lower-case letter or
// left out.
func writableSample(face *font.Face, text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r == '\n' || face.Covers(string(r)):
			b.WriteRune(r)
		case face.Covers(string(unicode.ToLower(r))):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
