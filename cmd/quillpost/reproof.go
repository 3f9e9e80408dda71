package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/faces"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/reproof"
	"github.com/quillpost/quillpost/internal/store"
)

func init() {
	register("reproof", "after an upgrade, hold the cards whose approved proof the renderer no longer draws", runReproof)
}

// runReproof checks every card that may still be written against this binary's renderer: the
// ones whose strokes changed are held for their new proof's approval (their events and webhooks
// go out through serve's outbox), the others keep their proof.
func runReproof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reproof", "[--data DIR|--db URL] [--json]", stdout)
	db := fs.keysStoreFlags()
	asJSON := fs.jsonFlag("print the result as JSON for scripts")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	st, ok := s.(reproof.Store)
	if !ok {
		return fmt.Errorf("the database %T keeps no render versions", s)
	}
	var src faces.Source
	if fst, ok := s.(store.FaceStore); ok {
		src = fst
	}
	cache := faces.NewCache(0)
	find := func(ctx context.Context, c *store.Card) cardspec.FaceFinder {
		return cache.Finder(ctx, src, c.AccountID, !c.Test)
	}
	res, err := reproof.Run(ctx, st, find, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "render version %d: %d cards checked, %d keep their proof, %d held for approval of their new proof, %d changed meanwhile\n",
		hand.RenderVersion, res.Checked, res.Unchanged, res.Held, res.Skipped)
	for _, id := range res.HeldIDs {
		fmt.Fprintln(stdout, id)
	}
	return nil
}
