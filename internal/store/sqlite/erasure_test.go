package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// Finding 5: after an erasure, SQLite's free space and WAL still held the person's data. Now the
// database directory's files hold no byte of it.
func TestErasureLeavesNoCopyInTheFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acc, err := s.CreateAccount(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	const name, street, note = "Quirinus Zabelsky", "Xylophonweg 17", "Geheimnis Ypsilon"
	var ids []string
	for i := range 20 {
		c, err := s.CreateCard(ctx, store.NewCard{AccountID: acc.ID, Message: "Liebe Frau " + name + ", " + note, Font: "allure", Hand: "neat",
			Stock: "a6-white", Format: "a6", StrokeHash: "h", IdempotencyKey: "k" + string(rune('a'+i)),
			To:       []byte(`{"name":"` + name + `","lines":["` + street + `"],"postal_code":"10115","city":"Berlin","country":"DE"}`),
			Metadata: map[string]string{"email": "quirinus@example.org"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	found := func() []string {
		var hits []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{name, street, note, "quirinus@example.org"} {
				if bytes.Contains(b, []byte(secret)) {
					hits = append(hits, e.Name()+": "+secret)
				}
			}
		}
		return hits
	}
	if len(found()) == 0 {
		t.Fatal("the data is not in the files before erasure; the test shows nothing")
	}
	res, err := s.EraseCards(ctx, acc.ID, ids, "test.erasure")
	if err != nil || res.Erased != 20 {
		t.Fatalf("erase: %+v %v", res, err)
	}
	if hits := found(); len(hits) > 0 {
		t.Errorf("erased data still in the database files: %s", strings.Join(hits, "; "))
	}
}

// Finding 9: the database file was world-readable.
func TestDatabaseFilesOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) < 2 {
		t.Fatalf("expected the database and its WAL, found %v", entries)
	}
	for _, e := range entries {
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	// An existing world-readable database is tightened when opened.
	old := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if fi, _ := os.Stat(old); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing database left at %v", fi.Mode().Perm())
	}
}

// TestMigrationScrubsRefusalReasons: reasons of refused trigger calls stored before schema 62
// quoted the payload's values; the migration keeps only the fields.
func TestMigrationScrubsRefusalReasons(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := store.TriggerStore(s)
	acc, err := s.CreateAccount(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ts.CreateTrigger(ctx, store.Trigger{AccountID: acc.ID, Name: "shop", Secret: "s3cret-s3cret-s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []store.TriggerEvent{
		{EventID: "order-1", Outcome: store.TriggerRefused, Field: "shipping_address.zip",
			Reason: "postal code Q7X9 is not a German postal code: it needs 5 digits (to.postal_code, from the payload's shipping_address.zip)"},
		{EventID: "order-2", Outcome: store.TriggerRefused, Reason: "the body is not JSON: near 'Quirinus Zabelsky'"},
		{EventID: "order-3", Outcome: store.TriggerPaused, Reason: "the trigger is paused"},
	} {
		ev.TriggerID, ev.AccountID = tr.ID, acc.ID
		if _, err := ts.BeginTriggerEvent(ctx, ev, store.TriggerCaps{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 62`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = sqlite.OpenDir(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, _, err := store.TriggerStore(s).ListTriggerEvents(ctx, acc.ID, "", store.OccasionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.EventID+": "+e.Reason)
	}
	want := "order-3: the trigger is paused|order-2: the payload was refused|order-1: the payload was refused (shipping_address.zip)"
	if strings.Join(got, "|") != want {
		t.Errorf("reasons after the migration:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}
