package faces

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/store"
)

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in   string
		name string
		v    int
	}{{"allure", "allure", 0}, {"my-hand@3", "my-hand", 3}, {"x@0", "x@0", -1}, {"x@a", "x@a", -1}, {"x@", "x@", -1}} {
		if n, v := Split(c.in); n != c.name || v != c.v {
			t.Errorf("Split(%q) = %q, %d; want %q, %d", c.in, n, v, c.name, c.v)
		}
	}
	if Stored("my-hand", 2) != "my-hand@2" {
		t.Error(Stored("my-hand", 2))
	}
}

// memFaces is an account's faces in memory, counting reads.
type memFaces struct {
	faces map[string]*store.Face // "account/name@version"
	reads int
}

func (m *memFaces) GetFace(_ context.Context, acc, name string, v int) (*store.Face, error) {
	m.reads++
	if v == 0 {
		v = 1
	}
	f, ok := m.faces[acc+"/"+Stored(name, v)]
	if !ok {
		return nil, store.ErrNotFound
	}
	return f, nil
}

func TestFinder(t *testing.T) {
	sans, err := font.Lookup("sans")
	if err != nil {
		t.Fatal(err)
	}
	res, err := capture.Process(capture.Synthesize(sans, capture.Plan()[:30], "mine", 1))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(res.File)
	src := &memFaces{faces: map[string]*store.Face{
		"acc_a/mine@1": {ID: "fce_1", AccountID: "acc_a", Name: "mine", Version: 1, Font: data},
		"acc_a/bad@1":  {ID: "fce_2", AccountID: "acc_a", Name: "bad", Version: 1, Font: []byte(`{}`)},
	}}
	c := NewCache(1)
	find := c.Finder(context.Background(), src, "acc_a", true)
	if f, stored, err := find("allure"); err != nil || stored != "allure" || f.Name != "allure" {
		t.Errorf("built-in: %v %q %v", f, stored, err)
	}
	f1, stored, err := find("mine")
	if err != nil || stored != "mine@1" || !f1.Covers("abc") {
		t.Fatalf("own face: %q %v", stored, err)
	}
	if _, _, err := find("mine@1"); err != nil || src.reads != 2 {
		t.Errorf("by version: %v, %d reads", err, src.reads)
	}
	if _, _, err := find("mine"); err != nil || src.reads != 2 {
		t.Errorf("a finder answers a name it found again without reading: %v, %d reads", err, src.reads)
	}
	// Another request finds the parsed face in the cache.
	if f2, _, _ := c.Finder(context.Background(), src, "acc_a", true)("mine"); f2 != f1 {
		t.Error("the cache parsed the face again")
	}
	if _, _, err := find("bad"); err == nil || !strings.Contains(err.Error(), "bad@1") {
		t.Errorf("a stored face that does not parse: %v", err)
	}
	// Names the account has not, or not in that version, are refused saying so; another
	// account and a test key reach nothing.
	for name, want := range map[string]string{"yours": "no handwriting of that name", "mine@2": "no version 2", "x@y": "there is no font"} {
		if _, _, err := find(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	if _, _, err := c.Finder(context.Background(), src, "acc_b", true)("mine"); err == nil {
		t.Error("another account found the face")
	}
	if _, _, err := c.Finder(context.Background(), src, "acc_a", false)("mine"); !errors.Is(err, ErrTestKey) {
		t.Errorf("test key: %v, want ErrTestKey", err)
	}
}
