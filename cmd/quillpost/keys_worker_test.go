package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/quillpost/quillpost/internal/queue"
)

// TestKeysWorker: the credentials file holds a usable NKey seed, 0600, registered with serve's
// embedded NATS for the robot's lanes; test lanes are refused; the printed permissions are a
// nats-server configuration that grants exactly the robot's rights.
func TestKeysWorker(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "nats"), 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r1.creds")
	var stdout, stderr bytes.Buffer
	if err := runKeys(context.Background(), []string{"worker", "--robot", "r1", "--lanes", "a6-white,a5-cream", "--data", data, "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("keys worker: %v (%s)", err, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("creds file: %v %v, want 0600", fi, err)
	}
	b, _ := os.ReadFile(out)
	kp, err := nkeys.ParseDecoratedNKey(b)
	if err != nil {
		t.Fatalf("creds file has no seed: %v", err)
	}
	pub, _ := kp.PublicKey()
	rs, err := queue.ReadRobots(filepath.Join(data, "nats"))
	if err != nil || len(rs) != 1 || rs[0].PublicKey != pub || !reflect.DeepEqual(rs[0].Lanes, []string{"a6-white", "a5-cream"}) {
		t.Fatalf("registered robots %+v %v", rs, err)
	}

	if err := runKeys(context.Background(), []string{"worker", "--robot", "r2", "--lanes", "test-a6-white", "--data", data}, &stdout, &stderr); err == nil {
		t.Error("a real robot was given the test lane")
	}

	stdout.Reset()
	if err := runKeys(context.Background(), []string{"worker", "--robot", "r1", "--lanes", "a6-white", "--print-permissions"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "nats.conf")
	user := "authorization: { users: [ { user: r1, password: secret, " + strings.ReplaceAll(stdout.String(), "\n", " ") + " } ] }\n"
	if err := os.WriteFile(conf, []byte(user), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats-server does not take the printed permissions: %v\n%s", err, user)
	}
	want := queue.RobotPermissions("quillpost", "r1", []string{"a6-white"})
	got := opts.Users[0].Permissions
	if !reflect.DeepEqual(got.Publish.Allow, want.Publish.Allow) || !reflect.DeepEqual(got.Subscribe.Allow, want.Subscribe.Allow) ||
		got.Response == nil || *got.Response != *want.Response {
		t.Errorf("parsed permissions %+v %+v %+v, want %+v %+v %+v", got.Publish, got.Subscribe, got.Response, want.Publish, want.Subscribe, want.Response)
	}
}
