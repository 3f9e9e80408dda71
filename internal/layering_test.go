// Package internal_test guards the architecture: the packages that compute stay pure, so they can
// be tested and reused without a database, a network, a serial port or an HTTP server.
package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

// corePackages compute; they must never reach for I/O adapters.
var corePackages = []string{
	"internal/geom", "internal/font", "internal/hand", "internal/plan",
	"internal/gcode", "internal/profile", "internal/address", "internal/fwcheck", "internal/capture",
}

// forbidden are the adapter dependencies a core package must not import, directly or not.
var forbidden = []string{
	"net/http", "database/sql", "github.com/nats-io/", "go.bug.st/serial", "modernc.org/sqlite",
	"github.com/creack/pty", "github.com/jackc/",
	"github.com/quillpost/quillpost/internal/store", "github.com/quillpost/quillpost/internal/queue",
	"github.com/quillpost/quillpost/internal/serialstream", "github.com/quillpost/quillpost/internal/worker",
	"github.com/quillpost/quillpost/internal/intake",
}

func TestCorePackagesStayPure(t *testing.T) {
	for _, pkg := range corePackages {
		out, err := exec.Command("go", "list", "-deps", "github.com/quillpost/quillpost/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range forbidden {
				if dep == bad || strings.HasPrefix(dep, bad+"/") || (strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad)) {
					t.Errorf("%s depends on %s; core packages must not import adapters", pkg, dep)
				}
			}
		}
	}
}
