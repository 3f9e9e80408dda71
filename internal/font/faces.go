package font

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/quillpost/quillpost/fonts"
)

// faces parses the embedded faces once. An embedded face that fails to parse is a build defect
// (the package's tests parse every one), so it panics with the reason instead of hiding a face.
var faces = sync.OnceValue(func() []*Face {
	out, err := loadEmbedded()
	if err != nil {
		panic("font: " + err.Error())
	}
	return out
})

// loadEmbedded parses every face embedded by package fonts, sorted by name.
func loadEmbedded() ([]*Face, error) {
	names, err := fs.Glob(fonts.FS, "*.json")
	if err != nil {
		return nil, fmt.Errorf("listing embedded faces: %w", err)
	}
	out := make([]*Face, 0, len(names))
	for _, n := range names {
		data, err := fonts.FS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("reading embedded face %s: %w", n, err)
		}
		f, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("embedded face %s: %w", n, err)
		}
		if want := strings.TrimSuffix(path.Base(n), ".json"); f.Name != want {
			return nil, fmt.Errorf("embedded face %s is named %q", n, f.Name)
		}
		if _, err := fonts.FS.ReadFile(f.LicenseFile); err != nil {
			return nil, fmt.Errorf("embedded face %s: licence file %q is not embedded", n, f.LicenseFile)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *Face) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Faces returns every embedded face sorted by name. They are parsed on first use and shared.
func Faces() []*Face { return slices.Clone(faces()) }

// Lookup returns the embedded face called name.
func Lookup(name string) (*Face, error) {
	all := faces()
	names := make([]string, len(all))
	for i, f := range all {
		if f.Name == name {
			return f, nil
		}
		names[i] = f.Name
	}
	return nil, fmt.Errorf("there is no font called %q; the fonts are %s", name, strings.Join(names, ", "))
}
