package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// runKeysAdmin lists keys (keys list [--account NAME]) or revokes one (keys revoke KEY_ID).
// Revocation takes effect with the next request: neither the API nor the operator pages cache keys.
func runKeysAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	action := args[0]
	fs := flag.NewFlagSet("keys "+action, flag.ContinueOnError)
	fs.SetOutput(stderr)
	account := fs.String("account", "", "only this account's keys (list)")
	data := fs.String("data", "quillpost-data", "data directory holding quillpost.db")
	db := fs.String("db", "", "PostgreSQL URL (postgres://…) of serve's --db, instead of SQLite in --data")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	admin, ok := st.(store.KeyAdmin)
	if !ok {
		return fmt.Errorf("keys %s: this store cannot list keys", action)
	}
	accountID := store.AnyAccount
	if *account != "" {
		acc, err := st.AccountByName(ctx, *account)
		if err != nil {
			return fmt.Errorf("keys %s: account %s: %w", action, *account, err)
		}
		accountID = acc.ID
	}
	switch action {
	case "list":
		keys, err := admin.ListKeys(ctx, accountID)
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
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("usage: quillpost keys revoke [--data DIR] KEY_ID")
		}
		k, err := admin.GetKey(ctx, accountID, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		if err := st.RevokeKey(ctx, k.AccountID, k.ID); err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		fmt.Fprintf(stderr, "revoked %s key %s of account %s; it stops working with the next request\n", k.Kind, k.ID, k.AccountID)
		return nil
	}
	return fmt.Errorf("keys: unknown action %q", action)
}
