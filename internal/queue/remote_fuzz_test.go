package queue

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// FuzzCardRequest: whatever a robot sends the card service, without the token of a job it was
// given it learns nothing and changes nothing: every answer is a refusal or a malformed-request
// error, and the card stays as it was.
func FuzzCardRequest(f *testing.F) {
	ctx := context.Background()
	e, err := StartEmbedded(f.TempDir(), "", slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	defer e.Shutdown()
	q, err := e.Queue(ctx, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	defer q.Close()
	s, err := sqlite.OpenDir(ctx, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	acc := storetest.NewAccount(f, s)
	card, err := s.CreateCard(ctx, storetest.SampleCard(acc.ID))
	if err != nil {
		f.Fatal(err)
	}
	other := jobToken([]byte("another deployment's key, 32 by"), q.names.Namespace, store.Job{CardID: card.ID, Attempt: 1})
	seed := func(method string, v any) {
		b, _ := json.Marshal(v)
		f.Add("quillpost.rpc.cards.robot-1."+method, b)
	}
	seed("get", getRequest{ID: card.ID, Attempt: 1})
	seed("get", getRequest{ID: card.ID, Attempt: 1, Token: other})
	seed("get", getRequest{AccountID: acc.ID, ID: card.ID, Attempt: 1, Token: "x"})
	seed("transition", transitionRequest{CardID: card.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "x"})
	seed("transition", transitionRequest{CardID: card.ID, From: store.StatusQueued, To: store.StatusPlotting, Attempt: 1, Cause: "x", Token: other})
	seed("transition", transitionRequest{CardID: card.ID, From: store.StatusQueued, To: store.StatusCancelled, Attempt: 1, Cause: "x"})
	f.Add("quillpost.rpc.cards.robot-1.get", []byte(`{"id":`))
	f.Add("quillpost.rpc.cards..transition", []byte(`null`))
	f.Add("quillpost.rpc.cards.robot-1.delete", []byte(`{}`))
	f.Add("other.rpc.cards.robot-1.get", []byte(`{}`))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		r, ok := q.reply(ctx, s, subject, data)
		if !ok {
			return
		}
		if r.Card != nil || r.Error == nil || (r.Error.Code != "forbidden" && r.Error.Code != "invalid") {
			t.Fatalf("%s %q answered %+v %+v", subject, data, r.Card, r.Error)
		}
		c, err := s.GetCard(ctx, store.AnyAccount, card.ID)
		if err != nil || c.Status != card.Status || c.Attempts != card.Attempts {
			t.Fatalf("%s %q changed the card: %+v %v", subject, data, c, err)
		}
	})
}
