package store_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestTransitionTable keeps the status machine in a reviewed golden file, so any change to the
// allowed transitions shows up in review as a diff of testdata/transitions.golden.
func TestTransitionTable(t *testing.T) {
	var b strings.Builder
	for _, from := range store.Statuses {
		if !from.Valid() {
			t.Errorf("%s not valid", from)
		}
		next := from.Next()
		names := make([]string, len(next))
		for i, n := range next {
			names[i] = string(n)
			if !store.CanTransition(from, n) {
				t.Errorf("Next(%s) lists %s but CanTransition refuses", from, n)
			}
		}
		if len(next) == 0 {
			names = []string{"(terminal)"}
		}
		b.WriteString(string(from) + " -> " + strings.Join(names, ", ") + "\n")
	}
	got := b.String()
	path := filepath.Join("testdata", "transitions.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("transition table changed:\n%s\nwant:\n%s", got, want)
	}
	if store.Status("lost").Valid() || store.CanTransition("lost", store.StatusQueued) || store.CanTransition(store.StatusQueued, "lost") {
		t.Error("unknown statuses take part")
	}
	for _, st := range []store.Status{store.StatusPosted, store.StatusRejected, store.StatusCancelled} {
		if !st.Terminal() {
			t.Errorf("%s should be terminal", st)
		}
	}
	if store.StatusFailed.Terminal() || store.Status("lost").Terminal() {
		t.Error("failed waits for an operator; unknown is not terminal")
	}
}

func TestIDs(t *testing.T) {
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]string, 0, 2000)
			for range 2000 {
				local = append(local, store.NewID(store.PrefixCard))
			}
			if !slices.IsSorted(local) {
				t.Error("ids from one goroutine are not increasing")
			}
			mu.Lock()
			ids = append(ids, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if !store.ValidID(store.PrefixCard, id) || store.ValidID(store.PrefixCampaign, id) {
			t.Fatalf("ValidID wrong for %s", id)
		}
	}
	for _, bad := range []string{"", "crd_", "crd_01234567890123456789012345x",
		"crd_0123456789012345678901234I", "crd_81234567890123456789012345", "CRD_01234567890123456789012345"} {
		if store.ValidID(store.PrefixCard, bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestKeys(t *testing.T) {
	for _, kind := range []store.KeyKind{store.KeyLive, store.KeyTest, store.KeyOperator} {
		secret, err := store.GenerateKey(kind)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.ParseKey(secret)
		if err != nil || got != kind {
			t.Errorf("ParseKey(%q) = %q, %v", secret, got, err)
		}
		if h := store.HashKey(secret); len(h) != 64 || strings.Contains(h, secret) {
			t.Errorf("hash %q", h)
		}
		if hint := store.KeyHint(secret); !strings.HasPrefix(secret, strings.TrimSuffix(hint, "…")) || len(hint) > 20 {
			t.Errorf("hint %q for %q", hint, secret)
		}
	}
	if _, err := store.GenerateKey("admin"); err == nil {
		t.Error("unknown kind generated")
	}
}

func TestLanes(t *testing.T) {
	if store.Lane("a6-white", false) != "a6-white" || store.Lane("a6-white", true) != "test-a6-white" {
		t.Error("lanes")
	}
	for _, ok := range []string{"a6-white", "a5", "us5x7_cream", strings.Repeat("a", 48)} {
		if err := store.ValidateStock(ok); err != nil {
			t.Errorf("ValidateStock(%q): %v", ok, err)
		}
		if err := store.ValidateLane(store.Lane(ok, true)); err != nil {
			t.Errorf("test lane of %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A6", "a6.white", "a6 white", "-a6", "a6>", "test-a6", "a6*", strings.Repeat("a", 49)} {
		if err := store.ValidateStock(bad); err == nil {
			t.Errorf("ValidateStock(%q) accepted", bad)
		}
	}
}

// FuzzParseKey: the Authorization header is untrusted input. ParseKey never panics and accepts
// exactly the shape GenerateKey makes.
func FuzzParseKey(f *testing.F) {
	for _, kind := range []store.KeyKind{store.KeyLive, store.KeyTest, store.KeyOperator} {
		s, _ := store.GenerateKey(kind)
		f.Add(s)
	}
	f.Add("qp_live_")
	f.Add("qp_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("Bearer qp_test_x")
	f.Fuzz(func(t *testing.T, s string) {
		kind, err := store.ParseKey(s)
		if err != nil {
			return
		}
		if !kind.Valid() || !strings.HasPrefix(s, "qp_") || len(s) > 40 {
			t.Fatalf("accepted %q as %q", s, kind)
		}
		for _, c := range s[strings.LastIndexByte(s, '_')+1:] {
			if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
				t.Fatalf("accepted %q with %q", s, c)
			}
		}
		_ = store.HashKey(s)
	})
}

// FuzzValidID: ids arrive in URLs. ValidID never panics and accepts only prefix_ + 26 digits.
func FuzzValidID(f *testing.F) {
	f.Add(store.NewID(store.PrefixCard))
	f.Add("crd_")
	f.Add("crd_zzzzzzzzzzzzzzzzzzzzzzzzzz")
	f.Fuzz(func(t *testing.T, s string) {
		if store.ValidID(store.PrefixCard, s) && (len(s) != 30 || !strings.HasPrefix(s, "crd_")) {
			t.Fatalf("accepted %q", s)
		}
	})
}
