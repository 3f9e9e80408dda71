package store

import (
	"context"
	"encoding/json"
	"time"
)

// PrefixFace is the id prefix of a captured face version.
const PrefixFace Prefix = "fce"

// Face is one version of an account's own handwriting face: the sample sheet it was made from
// (personal data: the customer's handwriting) and the quillpost-font/1 file made of it.
type Face struct {
	ID        string          `json:"id"`
	AccountID string          `json:"account_id"`
	Name      string          `json:"name"`
	Version   int             `json:"version"`
	Title     string          `json:"title"`
	Sheet     json.RawMessage `json:"-"` // the uploaded quillpost-strokes/1 sheet
	Font      json.RawMessage `json:"-"` // the face file
	CreatedAt time.Time       `json:"created_at"`
}

// NewFace is the input to CreateFace.
type NewFace struct {
	AccountID   string
	Name, Title string
	Sheet, Font json.RawMessage
}

// FaceStore keeps captured faces, private to their account and versioned by name: creating a
// face under a name that exists adds its next version. Reads by another account are ErrNotFound.
type FaceStore interface {
	CreateFace(ctx context.Context, f NewFace) (*Face, error)
	// GetFace returns a version of the account's face, the newest when version is 0.
	GetFace(ctx context.Context, accountID, name string, version int) (*Face, error)
	// ListFaces returns the newest version of each of the account's faces, by name, without
	// their sheets and font files.
	ListFaces(ctx context.Context, accountID string) ([]Face, error)
	// DeleteFace erases every version of the face (sheet and font); ErrNotFound if none.
	DeleteFace(ctx context.Context, accountID, name string) error
}

// CardFaceReader reads the face a card is written in, for a robot given the card's job: a worker
// without database access (queue.RemoteCards) reaches through it only the face file of a card it
// holds a job for, never the samples it was made from.
type CardFaceReader interface {
	CardFace(ctx context.Context, accountID, cardID string) (*Face, error)
}
