// Package fsutil writes files that must survive a crash whole and stay private: credentials,
// outcome journals, address sheets (people's addresses). One helper, so that every such file gets
// the same guarantees.
package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrivateDir and PrivateFile are the modes of directories and files that hold secrets or
// personal data: the owner only.
const (
	PrivateDir  os.FileMode = 0o700
	PrivateFile os.FileMode = 0o600
)

// WriteFileAtomic writes b to path so that after a crash at any moment path holds either its old
// content or all of b, never a part: the bytes go to a temporary file in the same directory
// (owner-only from its creation), which is fsynced and renamed over path; the directory is then
// fsynced, so the rename itself is durable once WriteFileAtomic returns.
func WriteFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp makes the file 0600 before a byte is written: no reader ever sees it wider.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The umask cannot widen 0600, but a caller's umask of 0 and CreateTemp's documented 0600 are
	// both assumptions; say the mode explicitly.
	if err := tmp.Chmod(PrivateFile); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SyncDir fsyncs a directory, making the creation, renaming or removal of its entries durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
