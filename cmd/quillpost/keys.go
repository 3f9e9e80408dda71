package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

func init() {
	register("keys", "API keys (keys create|list|revoke --data DIR) and robot NATS credentials (keys worker --robot NAME --lanes ...)", runKeys)
}

// runKeys creates an API key for an account (made if missing) in the SQLite store of a data
// directory and prints the secret, which is shown only this once.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "list" || args[0] == "revoke") {
		return runKeysAdmin(ctx, args, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "worker" {
		return runKeysWorker(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: quillpost keys create --account NAME [--test|--operator] [--data DIR | --db URL]")
		return errors.New("keys: the only action is create")
	}
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	account := fs.String("account", "", "account name (created if it does not exist)")
	test := fs.Bool("test", false, "a test key: its cards go to simulated plotters only")
	operator := fs.Bool("operator", false, "an operator key, for the operator endpoints")
	data := fs.String("data", "quillpost-data", "data directory holding quillpost.db")
	db := fs.String("db", "", "PostgreSQL URL (postgres://…) of serve's --db, instead of SQLite in --data")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *account == "" {
		return errors.New("keys create: --account is required")
	}
	if *test && *operator {
		return errors.New("keys create: choose --test or --operator, not both")
	}
	kind := store.KeyLive
	switch {
	case *test:
		kind = store.KeyTest
	case *operator:
		kind = store.KeyOperator
	}
	st, err := app.OpenStore(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	acc, err := st.AccountByName(ctx, *account)
	if errors.Is(err, store.ErrNotFound) {
		acc, err = st.CreateAccount(ctx, *account)
	}
	if err != nil {
		return fmt.Errorf("keys create: account %s: %w", *account, err)
	}
	secret, key, err := st.CreateKey(ctx, acc.ID, kind)
	if err != nil {
		return fmt.Errorf("keys create: %w", err)
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "created %s key %s for account %s (%s); the secret above is shown only once\n", kind, key.ID, acc.Name, acc.ID)
	return nil
}
