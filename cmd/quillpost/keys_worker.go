package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/quillpost/quillpost/internal/queue"
	"github.com/quillpost/quillpost/internal/store"
)

// runKeysWorker gives a robot its own NATS credentials on serve's embedded server: a new NKey
// (replacing, and so revoking, the robot's previous one) allowed to pull its lanes' jobs and
// nothing more. The seed goes to a 0600 file for the robot's computer; serve picks the robot up
// within seconds.
func runKeysWorker(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys worker", "--robot NAME [--lanes STOCK,...] [flags]", stdout)
	robot := fs.String("robot", "", "robot name, as given to 'quillpost worker --name'; required")
	lanes := fs.String("lanes", "a6-white", "comma-separated card stocks the robot takes jobs for")
	data := fs.String("data", "quillpost-data", "data directory of 'quillpost serve' (its embedded NATS is in DIR/nats)")
	namespace := fs.namespaceFlag()
	out := fs.String("out", "", "credentials file to write (default NAME.creds)")
	perms := fs.Bool("print-permissions", false, "print the robot's NATS permissions (for an external cluster's user configuration) instead of writing credentials")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	if *robot == "" {
		return fs.usageErr("--robot is required")
	}
	var ls []string
	for _, l := range strings.Split(*lanes, ",") {
		l = strings.TrimSpace(l)
		// Test cards are for the simulated robots inside serve; a real robot never takes them.
		if err := store.ValidateStock(l); err != nil {
			return fs.badValue("lanes", err)
		}
		ls = append(ls, l)
	}
	if *perms {
		if err := queue.ValidateNamespace(*namespace); err != nil {
			return fs.badValue("namespace", err)
		}
		r := queue.Robot{Name: *robot, Namespace: *namespace, Lanes: ls, PublicKey: "-"}
		if err := r.Validate(); err != nil {
			return fs.usageErr("%v", err)
		}
		p := queue.RobotPermissions(*namespace, *robot, ls)
		list := func(subjects []string) string {
			q := make([]string, len(subjects))
			for i, s := range subjects {
				b, _ := json.Marshal(s)
				q[i] = strings.ReplaceAll(string(b), `\u003e`, ">")
			}
			return "[\n      " + strings.Join(q, ",\n      ") + "\n    ]"
		}
		// The nats-server configuration syntax, for the robot's user block.
		fmt.Fprintf(stdout, "permissions: {\n  publish: { allow: %s },\n  subscribe: { allow: %s },\n  allow_responses: { max: %d, expires: %q }\n}\n",
			list(p.Publish.Allow), list(p.Subscribe.Allow), p.Response.MaxMsgs, p.Response.Expires.String())
		return nil
	}
	if *out == "" {
		*out = *robot + ".creds"
	}
	dir := filepath.Join(*data, "nats")
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%s is not the data directory of 'quillpost serve' (no nats directory): %w", *data, err)
	}
	creds, err := queue.RegisterRobot(dir, queue.Robot{Name: *robot, Namespace: *namespace, Lanes: ls})
	if err != nil {
		return fmt.Errorf("registering robot %s: %w", *robot, err)
	}
	if err := os.WriteFile(*out, creds, 0o600); err != nil {
		return fmt.Errorf("writing the credentials: %w", err)
	}
	fmt.Fprintln(stdout, *out)
	fmt.Fprintf(stderr, "robot %s may now take %s cards; copy %s to its computer and run\n  quillpost worker --name %s --nats-creds %s --stock %s ...\n(any earlier credentials of %s no longer work)\n",
		*robot, strings.Join(ls, ", "), *out, *robot, filepath.Base(*out), ls[0], *robot)
	return nil
}
