package fsutil_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/quillpost/quillpost/internal/fsutil"
)

func TestWriteFileAtomicIsPrivateAndWhole(t *testing.T) {
	// A permissive umask must not widen the file.
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.json")
	// An existing file readable by everyone is replaced, not rewritten in place: its mode goes.
	if err := os.WriteFile(path, []byte("old content that is longer than the new one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fsutil.WriteFileAtomic(path, []byte(`{"new":1}`)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"new":1}` {
		t.Errorf("content %q, want the new bytes only", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("mode %v, want 0600", m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want the file alone (no temporary left behind)", names)
	}
}

func TestWriteFileAtomicFailsWithoutDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "f")
	if err := fsutil.WriteFileAtomic(path, []byte("x")); err == nil {
		t.Fatal("no error writing into a directory that does not exist")
	}
}

func TestWriteFileAtomicKeepsOldContentOnFailure(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := fsutil.WriteFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := fsutil.WriteFileAtomic(path, []byte("new")); err == nil {
		t.Fatal("no error writing into a read-only directory")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("content %q after a failed write, want the old content", got)
	}
}
