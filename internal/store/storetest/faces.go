package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

// testFaces: captured faces are versioned by name, private to their account, listed newest
// version first, and deleted (every version) by name.
func testFaces(t *testing.T, s store.Store) {
	fs, ok := s.(store.FaceStore)
	if !ok {
		t.Fatal("the store does not keep captured faces (store.FaceStore)")
	}
	ctx := context.Background()
	a, b := NewAccount(t, s), NewAccount(t, s)
	nf := func(acc, name, title string) store.NewFace {
		return store.NewFace{AccountID: acc, Name: name, Title: title,
			Sheet: json.RawMessage(`{"format":"quillpost-strokes/1","name":"` + name + `","boxes":[]}`),
			Font:  json.RawMessage(`{"format":"quillpost-font/1","name":"` + name + `","title":"` + title + `"}`)}
	}
	f1, err := fs.CreateFace(ctx, nf(a.ID, "mine", "first"))
	if err != nil {
		t.Fatal(err)
	}
	f2, err := fs.CreateFace(ctx, nf(a.ID, "mine", "second"))
	if err != nil {
		t.Fatal(err)
	}
	if f1.Version != 1 || f2.Version != 2 || !store.ValidID(store.PrefixFace, f1.ID) {
		t.Fatalf("versions %d, %d (id %s), want 1, 2", f1.Version, f2.Version, f1.ID)
	}
	if _, err := fs.CreateFace(ctx, nf(b.ID, "mine", "other account")); err != nil {
		t.Fatal(err)
	}
	got, err := fs.GetFace(ctx, a.ID, "mine", 0)
	if err != nil || got.Version != 2 || got.Title != "second" || got.ID != f2.ID {
		t.Fatalf("newest: %+v, %v", got, err)
	}
	if string(got.Font) != string(nf(a.ID, "mine", "second").Font) || len(got.Sheet) == 0 {
		t.Errorf("font or sheet not kept: %s / %s", got.Font, got.Sheet)
	}
	got, err = fs.GetFace(ctx, a.ID, "mine", 1)
	if err != nil || got.Title != "first" {
		t.Fatalf("version 1: %+v, %v", got, err)
	}
	if _, err := fs.GetFace(ctx, a.ID, "mine", 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("version 3: %v, want ErrNotFound", err)
	}
	if _, err := fs.GetFace(ctx, a.ID, "yours", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown name: %v, want ErrNotFound", err)
	}
	// Concurrent uploads under one name get distinct versions.
	var wg sync.WaitGroup
	vs := make([]int, 4)
	for i := range vs {
		wg.Go(func() {
			f, err := fs.CreateFace(ctx, nf(a.ID, "busy", "v"))
			if err != nil {
				t.Error(err)
				return
			}
			vs[i] = f.Version
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for _, v := range vs {
		if seen[v] {
			t.Errorf("two uploads got version %d: %v", v, vs)
		}
		seen[v] = true
	}
	list, err := fs.ListFaces(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "busy" || list[0].Version != 4 || list[1].Name != "mine" || list[1].Version != 2 {
		t.Errorf("list %+v, want busy v4 and mine v2", list)
	}
	if list[1].Sheet != nil || list[1].Font != nil {
		t.Error("the list carries sheets or font files")
	}
	// Another account's face of the same name is its own.
	if err := fs.DeleteFace(ctx, b.ID, "busy"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting another account's face: %v, want ErrNotFound", err)
	}
	if err := fs.DeleteFace(ctx, a.ID, "mine"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{0, 1, 2} {
		if _, err := fs.GetFace(ctx, a.ID, "mine", v); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("version %d after delete: %v, want ErrNotFound", v, err)
		}
	}
	if got, err := fs.GetFace(ctx, b.ID, "mine", 0); err != nil || got.Title != "other account" {
		t.Errorf("the other account's face went too: %+v, %v", got, err)
	}
	if err := fs.DeleteFace(ctx, a.ID, "mine"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
}
