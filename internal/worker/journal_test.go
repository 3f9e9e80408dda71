package worker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
	"github.com/quillpost/quillpost/internal/store/storetest"
)

// FuzzParseOutcome: a journal file is read back after a crash; whatever is in it, the parser never
// panics and accepts only complete outcomes.
func FuzzParseOutcome(f *testing.F) {
	f.Add([]byte(`{"job":{"card_id":"crd_01m8x64jtt8vj2v5k22t7wjnyj","attempt":1},"kind":"written","pen_down_mm":169.5,"at":"2026-12-03T05:00:00Z"}`))
	f.Add([]byte(`{"job":{"card_id":"crd_01m8x64jtt8vj2v5k22t7wjnyj","attempt":0},"kind":"written"}`))
	f.Add([]byte(`{"job":{"card_id":"nope","attempt":2},"kind":"spoiled"}`))
	f.Add([]byte(`{"job":{"card_id":"crd_01m8x64jtt8vj2v5k22t7wjnyj","attempt":2},"kind":"eaten"}`))
	f.Add([]byte(`{"job":{"card_id":"crd_01m8x64jtt8vj2v5k22t7wjnyj","attempt":2},"kind":"spo`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseOutcome(b)
		if err != nil {
			return
		}
		if !store.ValidID(store.PrefixCard, o.Job.CardID) || o.Job.Attempt < 1 {
			t.Fatalf("accepted %+v", o)
		}
		back, _ := json.Marshal(o)
		if o2, err := parseOutcome(back); err != nil || o2.Job != o.Job || o2.Kind != o.Kind {
			t.Fatalf("round trip %+v → %s → %+v %v", o, back, o2, err)
		}
	})
}

// TestJournalSurvivesRestart: an outcome put in the journal is there for the next process; a file
// whose writing a crash interrupted is set aside, never acted on.
func TestJournalSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome{Job: store.Job{CardID: "crd_01m8x64jtt8vj2v5k22t7wjnyj", Attempt: 2}, Kind: outcomeWritten, At: time.Now().UTC()}
	if err := j.put(o); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "crd_01m8x64jtt8vj2v5k22t7wjnyk-1.json")
	if err := os.WriteFile(torn, []byte(`{"job":`), 0o640); err != nil {
		t.Fatal(err)
	}
	j2, _ := openJournal(dir) // the next process
	got, setAside, err := j2.pending()
	if err != nil || len(got) != 1 || got[0].Job != o.Job || got[0].Kind != outcomeWritten {
		t.Fatalf("pending after restart %+v %v", got, err)
	}
	if _, err := os.Stat(torn + ".bad"); err != nil || len(setAside) != 1 {
		t.Errorf("the torn file was not set aside: %v %q", err, setAside)
	}
	if err := j2.remove(o.Job); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := j2.pending(); len(got) != 0 {
		t.Errorf("pending after remove %+v", got)
	}
}

// TestSheetNamedButNotPrinted: a crash after a sheet was named in the store but before its PDF was
// recorded printed; the next start writes that same sheet, with the same labels, and starts the
// open sheet with the labels that were on none.
func TestSheetNamedButNotPrinted(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(t, st)
	var ids []string
	for range 3 {
		c, err := st.CreateCard(ctx, storetest.SampleCard(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Claim(ctx, st, store.Job{CardID: c.ID, Attempt: 1}, false, store.JobOptions{Worker: "r1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Transition(ctx, store.Change{CardID: c.ID, From: store.StatusPlotting, To: store.StatusWritten, Attempt: 1, Cause: CauseWritten, Worker: "r1"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if err := st.AssignSheet(ctx, "r1", "r1-sheet-a", ids[:2]); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sh, err := newOpenSheet("r1", SheetConfig{Dir: dir, Layout: "avery-l7163"}, st)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := sh.recover(ctx)
	if err != nil || len(paths) != 1 || filepath.Base(paths[0]) != "r1-sheet-a.pdf" {
		t.Fatalf("recovered %q %v", paths, err)
	}
	if b, err := os.ReadFile(paths[0]); err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Errorf("sheet PDF: %v", err)
	}
	if names, _ := st.UnprintedSheets(ctx, "r1"); len(names) != 0 {
		t.Errorf("still unprinted: %q", names)
	}
	if p := sh.recs; len(p) != 1 || p[0].CardID != ids[2] {
		t.Errorf("open sheet %+v, want the third card only", p)
	}
	// A second recovery (the worker's lazy retry) changes nothing.
	if paths, err := sh.recover(ctx); err != nil || len(paths) != 0 || len(sh.recs) != 1 {
		t.Errorf("second recover %q %v", paths, err)
	}
}

// TestJournalAndSheetsArePrivate: the outcome journal and the address sheets (people's names and
// addresses) are the owner's only, whatever the umask; each file appears whole (written under a
// temporary name and renamed), so no reader or crash ever sees half of one.
func TestJournalAndSheetsArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	root := t.TempDir()
	jdir, sdir := filepath.Join(root, "journal"), filepath.Join(root, "sheets")
	j, err := openJournal(jdir)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome{Job: store.Job{CardID: "crd_01m8x64jtt8vj2v5k22t7wjnyj", Attempt: 1}, Kind: outcomeWritten, At: time.Now().UTC()}
	if err := j.put(o); err != nil {
		t.Fatal(err)
	}
	sh, err := newOpenSheet("r1", SheetConfig{Dir: sdir, Layout: "avery-l7163"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := storetest.NewAccount(t, st)
	c, err := st.CreateCard(ctx, storetest.SampleCard(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sh.add(ctx, c); err != nil {
		t.Fatal(err)
	}
	pdf, err := sh.flush(ctx)
	if err != nil || pdf == "" {
		t.Fatalf("flush: %q %v", pdf, err)
	}
	check := func(path string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), m, want)
		}
	}
	check(jdir, 0o700)
	check(j.file(o.Job), 0o600)
	check(sdir, 0o700)
	check(pdf, 0o600)
	for _, dir := range []string{jdir, sdir} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") && !strings.HasSuffix(e.Name(), ".pdf") {
				t.Errorf("%s holds %s: a temporary file was left behind", dir, e.Name())
			}
		}
	}
}
