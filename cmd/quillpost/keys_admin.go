package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/store"
)

// keysAdmin is what keys list and keys revoke share: the database, and --account to narrow to.
type keysAdmin struct {
	fs      *cmdFlags
	account *string
	db      storeFlags
}

func newKeysAdmin(action, synopsis, accountUsage string, stdout io.Writer) keysAdmin {
	fs := newFlags("keys "+action, synopsis, stdout)
	return keysAdmin{fs: fs, account: fs.String("account", "", accountUsage), db: fs.keysStoreFlags()}
}

// keyStore is a database that can also list keys, as both SQL stores can.
type keyStore interface {
	store.Store
	store.KeyAdmin
}

// open opens the database and finds the account of --account (store.AnyAccount without it).
func (k keysAdmin) open(ctx context.Context) (keyStore, string, error) {
	db, err := k.db.open(ctx)
	if err != nil {
		return nil, "", err
	}
	st, ok := db.(keyStore)
	if !ok {
		db.Close()
		return nil, "", fmt.Errorf("the database %T cannot list keys", db)
	}
	if *k.account == "" {
		return st, store.AnyAccount, nil
	}
	acc, err := st.AccountByName(ctx, *k.account)
	if err != nil {
		st.Close()
		return nil, "", fmt.Errorf("account %s: %w", *k.account, err)
	}
	return st, acc.ID, nil
}

// runKeysList lists keys, of every account or of --account.
func runKeysList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	k := newKeysAdmin("list", "[--account NAME] [--data DIR|--db URL]", "list only this account's keys", stdout)
	if err := k.fs.parse(args, 0); err != nil {
		return err
	}
	st, accountID, err := k.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := st.ListKeys(ctx, accountID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tKIND\tHINT\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if !k.RevokedAt.IsZero() {
			revoked = k.RevokedAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.AccountID, k.Kind, k.Hint, k.CreatedAt.Format("2006-01-02 15:04"), revoked)
	}
	return tw.Flush()
}

// runKeysRevoke revokes one key. Revocation takes effect with the next request: neither the API
// nor the operator pages cache keys.
func runKeysRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	k := newKeysAdmin("revoke", "[--data DIR|--db URL] KEY_ID", "revoke only if the key is this account's", stdout)
	if err := k.fs.parse(args, 1); err != nil {
		return err
	}
	if k.fs.NArg() != 1 {
		return k.fs.usageErr("give the id of the key to revoke (see 'quillpost keys list')")
	}
	st, accountID, err := k.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := st.GetKey(ctx, accountID, k.fs.Arg(0))
	if err != nil {
		return fmt.Errorf("key %s: %w", k.fs.Arg(0), err)
	}
	if err := st.RevokeKey(ctx, key.AccountID, key.ID); err != nil {
		return fmt.Errorf("revoking key %s: %w", key.ID, err)
	}
	fmt.Fprintf(stderr, "revoked %s key %s of account %s; it stops working with the next request\n", key.Kind, key.ID, key.AccountID)
	return nil
}
