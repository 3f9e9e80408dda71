package queue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadRobots: robots.json never yields a robot whose name, namespace or lane could widen its
// NATS rights (a '.', '*' or '>' in a subject token).
func FuzzReadRobots(f *testing.F) {
	f.Add([]byte(`[{"name":"r1","namespace":"quillpost","lanes":["a6-white"],"public_key":"UCXLPAQQGQSLWIW7XAXXVIVBIDTY3XPOFMK32XKSJEGKKI7BC3ICD7KY"}]`))
	f.Add([]byte(`[{"name":"r1.>","namespace":"quillpost","lanes":["a6-white"],"public_key":"UCXLPAQQGQSLWIW7XAXXVIVBIDTY3XPOFMK32XKSJEGKKI7BC3ICD7KY"}]`))
	f.Add([]byte(`[{"name":"r1","namespace":"*","lanes":[">"],"public_key":"x"}]`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, robotsFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		rs, err := ReadRobots(dir)
		if err != nil {
			return
		}
		for _, r := range rs {
			for _, tok := range append([]string{r.Name, r.Namespace}, r.Lanes...) {
				if tok == "" || strings.ContainsAny(tok, ".*> \t\r\n") {
					t.Fatalf("robot %+v accepted with token %q", r, tok)
				}
			}
		}
	})
}
