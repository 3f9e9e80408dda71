// Package faces finds the face a card is written in by the name its order gives: one of the
// built-in faces, or one of the ordering account's own captured handwritings, read from the store
// and kept parsed in a small cache. An account's own face is personal data: only that account's
// live keys and its cards' robots reach it, never a test key or another account.
package faces

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/quillpost/quillpost/internal/cardspec"
	"github.com/quillpost/quillpost/internal/font"
	"github.com/quillpost/quillpost/internal/hand"
	"github.com/quillpost/quillpost/internal/store"
)

// Source reads a version of an account's face (store.FaceStore has it).
type Source interface {
	GetFace(ctx context.Context, accountID, name string, version int) (*store.Face, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, accountID, name string, version int) (*store.Face, error)

// GetFace calls f.
func (f SourceFunc) GetFace(ctx context.Context, accountID, name string, version int) (*store.Face, error) {
	return f(ctx, accountID, name, version)
}

// Split reads a stored font name: "name@3" is version 3 of an account's face "name"; a plain
// name has version 0 (the newest, or a built-in face).
func Split(stored string) (name string, version int) {
	name, v, ok := strings.Cut(stored, "@")
	if !ok {
		return stored, 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return stored, -1
	}
	return name, n
}

// Stored is the name a card keeps for a version of an account's face.
func Stored(name string, version int) string { return name + "@" + strconv.Itoa(version) }

// IsBuiltIn reports whether name is a built-in face's.
func IsBuiltIn(name string) bool {
	_, err := font.Lookup(name)
	return err == nil
}

func builtInNames() string {
	var names []string
	for _, f := range font.Faces() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// Cache keeps parsed versions of accounts' faces (they never change once stored), up to a
// bound, so that a campaign of thousands of cards parses its face once.
type Cache struct {
	mu    sync.Mutex
	max   int
	m     map[string]*font.Face // by face version id
	order []string              // ids, oldest use first
}

// NewCache returns a cache of at most max parsed faces (64 when max <= 0).
func NewCache(max int) *Cache {
	if max <= 0 {
		max = 64
	}
	return &Cache{max: max, m: map[string]*font.Face{}}
}

func (c *Cache) parsed(sf *store.Face) (*font.Face, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[sf.ID]; ok {
		c.touch(sf.ID)
		return f, nil
	}
	f, err := font.Parse(sf.Font)
	if err != nil {
		return nil, fmt.Errorf("the stored face %s@%d does not parse: %w", sf.Name, sf.Version, err)
	}
	if len(c.order) >= c.max {
		old := c.order[0]
		c.order = c.order[1:]
		hand.Forget(c.m[old])
		delete(c.m, old)
	}
	c.m[sf.ID] = f
	c.order = append(c.order, sf.ID)
	return f, nil
}

func (c *Cache) touch(id string) {
	for i, o := range c.order {
		if o == id {
			c.order = append(append(c.order[:i:i], c.order[i+1:]...), id)
			return
		}
	}
}

// ErrTestKey: a test key asked for an account's own face.
var ErrTestKey = errors.New("test keys cannot use an account's own handwriting")

// Finder returns the cardspec.FaceFinder of one account: built-in faces by name, and the
// account's own faces by name (the newest version) or name@version. With live false (a test
// key) only built-in faces are found: personal handwriting is not for tests.
func (c *Cache) Finder(ctx context.Context, src Source, accountID string, live bool) cardspec.FaceFinder {
	// A campaign's rows ask for the same name thousands of times: the first answer stands for
	// the finder's life (one request).
	type found struct {
		f      *font.Face
		stored string
	}
	var mu sync.Mutex
	memo := map[string]found{}
	find := c.finder(ctx, src, accountID, live)
	return func(name string) (*font.Face, string, error) {
		mu.Lock()
		fd, ok := memo[name]
		mu.Unlock()
		if ok {
			return fd.f, fd.stored, nil
		}
		f, stored, err := find(name)
		if err == nil {
			mu.Lock()
			memo[name] = found{f, stored}
			mu.Unlock()
		}
		return f, stored, err
	}
}

func (c *Cache) finder(ctx context.Context, src Source, accountID string, live bool) cardspec.FaceFinder {
	return func(name string) (*font.Face, string, error) {
		if !strings.Contains(name, "@") {
			if f, err := font.Lookup(name); err == nil {
				return f, name, nil
			}
		}
		base, version := Split(name)
		if version < 0 || base == "" {
			return nil, "", fmt.Errorf("there is no font called %q; the fonts are %s, or one of this account's own handwritings by name (name@version for an older version)", name, builtInNames())
		}
		if !live {
			return nil, "", fmt.Errorf("there is no font called %q for a test key: the fonts are %s (%w)", name, builtInNames(), ErrTestKey)
		}
		if src == nil {
			return nil, "", fmt.Errorf("there is no font called %q; the fonts are %s", name, builtInNames())
		}
		sf, err := src.GetFace(ctx, accountID, base, version)
		if errors.Is(err, store.ErrNotFound) {
			which := "this account has no handwriting of that name"
			if version > 0 {
				which = fmt.Sprintf("this account has no version %d of the handwriting %q", version, base)
			}
			return nil, "", fmt.Errorf("there is no font called %q: %s; the built-in fonts are %s", name, which, builtInNames())
		}
		if err != nil {
			return nil, "", fmt.Errorf("reading the handwriting %q: %w", name, err)
		}
		f, err := c.parsed(sf)
		if err != nil {
			return nil, "", err
		}
		return f, Stored(sf.Name, sf.Version), nil
	}
}
