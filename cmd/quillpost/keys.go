package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/quillpost/quillpost/internal/store"
)

func init() {
	registerGroup("keys", "API keys of accounts and NATS credentials of robots",
		subcommand{"create", "create an API key for an account (made if missing) and print its secret once", runKeysCreate},
		subcommand{"list", "list the API keys, of every account or of one", runKeysList},
		subcommand{"revoke", "revoke an API key: it stops working with the next request", runKeysRevoke},
		subcommand{"worker", "give a robot its own NATS credentials for serve's embedded NATS", runKeysWorker},
	)
}

// runKeys runs keys create|list|revoke|worker, as the command line does.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runGroup(ctx, "keys", commands["keys"], args, stdout, stderr)
}

// runKeysCreate creates an API key for an account (made if missing) in serve's database and
// prints the secret, which is shown only this once.
func runKeysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys create", "--account NAME [--test|--operator] [--data DIR|--db URL]", stdout)
	account := fs.String("account", "", "account name (created if it does not exist); required")
	test := fs.Bool("test", false, "a test key: its cards go to simulated plotters only")
	operator := fs.Bool("operator", false, "an operator key, for the operator endpoints")
	db := fs.keysStoreFlags()
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	if *account == "" {
		return fs.usageErr("--account is required")
	}
	if *test && *operator {
		return fs.usageErr("choose --test or --operator, not both")
	}
	kind := store.KeyLive
	switch {
	case *test:
		kind = store.KeyTest
	case *operator:
		kind = store.KeyOperator
	}
	st, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	acc, err := st.AccountByName(ctx, *account)
	if errors.Is(err, store.ErrNotFound) {
		acc, err = st.CreateAccount(ctx, *account)
	}
	if err != nil {
		return fmt.Errorf("account %s: %w", *account, err)
	}
	secret, key, err := st.CreateKey(ctx, acc.ID, kind)
	if err != nil {
		return fmt.Errorf("creating the key: %w", err)
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "created %s key %s for account %s (%s); the secret above is shown only once\n", kind, key.ID, acc.Name, acc.ID)
	return nil
}
