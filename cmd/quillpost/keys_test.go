package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/store"
	"github.com/quillpost/quillpost/internal/store/sqlite"
)

// keys list shows every key; keys revoke stops one at once.
func TestKeysListAndRevoke(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := runKeys(ctx, []string{"create", "--account", "shop", "--data", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out.String())
	out.Reset()
	if err := runKeys(ctx, []string{"list", "--data", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "live") || !strings.HasSuffix(strings.TrimSpace(lines[1]), "-") {
		t.Fatalf("list:\n%s", out.String())
	}
	id := strings.Fields(lines[1])[0]
	if err := runKeys(ctx, []string{"revoke", "--data", dir, id}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, secret); err == nil {
		t.Error("the revoked key still authenticates")
	}
	k, err := st.GetKey(ctx, store.AnyAccount, id)
	if err != nil || k.RevokedAt.IsZero() {
		t.Errorf("key after revoke: %+v %v", k, err)
	}
	if err := runKeys(ctx, []string{"revoke", "--data", dir, "key_nonexistent"}, &out, &errOut); err == nil {
		t.Error("revoking an unknown key succeeded")
	}
}
