package worker

import (
	"context"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/store"
)

// faceCache keeps the accounts' own faces this process's robots wrote in lately, parsed.
var faceCache = faces.NewCache(16)

// findFace finds the face card is written in: a built-in face, or its account's own, read from
// the database or, for a robot without one, asked of serve for this card's job.
func (w *Worker) findFace(ctx context.Context, card *store.Card) cardspec.FaceFinder {
	var src faces.Source
	switch s := w.cfg.Store.(type) {
	case store.FaceStore:
		src = s
	case store.CardFaceReader:
		src = faces.SourceFunc(func(ctx context.Context, _, _ string, _ int) (*store.Face, error) {
			return s.CardFace(ctx, card.AccountID, card.ID)
		})
	}
	return faceCache.Finder(ctx, src, card.AccountID, !card.Test)
}
