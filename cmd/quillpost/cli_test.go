package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// commandPaths lists every command as typed after "quillpost", the subcommands of groups
// included, from the registry: a command added later is tested without touching this file.
func commandPaths() []string {
	var paths []string
	for name, c := range commands {
		if c.subs == nil {
			paths = append(paths, name)
		}
		for _, s := range c.subs {
			paths = append(paths, name+" "+s.name)
		}
	}
	sort.Strings(paths)
	return paths
}

// runCLI runs a command line the way main does and returns its exit status and output.
func runCLI(t *testing.T, line ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), line, &out, &errb)
	return code, out.String(), errb.String()
}

// flagLine and indented are the two kinds of line of the Flags: section.
var (
	flagLine = regexp.MustCompile(`^  (-[a-z]|--[a-z][a-z0-9-]+)( [a-z0-9.]+)?$`)
	indented = regexp.MustCompile(`^        \S`)
)

// TestHelp: -h, --help and "quillpost help CMD" print every command's usage on stdout in one
// format (synopsis, the registered one-line summary, flags with defaults) and exit 0.
func TestHelp(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 15 {
		t.Fatalf("only %d commands registered: %v", len(paths), paths)
	}
	for _, path := range paths {
		words := strings.Fields(path)
		for _, line := range [][]string{
			append(append([]string{}, words...), "-h"),
			append(append([]string{}, words...), "--help"),
			append([]string{"help"}, words...),
		} {
			t.Run(strings.Join(line, " "), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, line...)
				if code != exitOK || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
				}
				lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
				if !strings.HasPrefix(lines[0], "Usage: quillpost "+path+" ") {
					t.Errorf("first line %q, want the synopsis of %s", lines[0], path)
				}
				if len(lines) < 3 || lines[1] != "" || lines[2] != sentence(summaryOf(path)) || summaryOf(path) == "" {
					t.Errorf("the description is not the summary %q:\n%s", summaryOf(path), stdout)
				}
				_, flags, ok := strings.Cut(stdout, "\nFlags:\n")
				if !ok {
					t.Fatalf("no Flags: section:\n%s", stdout)
				}
				fl := strings.Split(strings.TrimSuffix(flags, "\n"), "\n")
				for i, l := range fl {
					if !flagLine.MatchString(l) && !(i > 0 && indented.MatchString(l)) {
						t.Errorf("line %q of the flags is neither a flag nor its description", l)
					}
				}
			})
		}
	}
	for _, line := range [][]string{{"--help"}, {"-h"}, {"help"}, {"keys", "--help"}, {"help", "keys"}} {
		code, stdout, stderr := runCLI(t, line...)
		if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "Usage: quillpost ") || !strings.Contains(stdout, "\nCommands:\n") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", line, code, stderr, stdout)
		}
	}
	// Defaults are shown, in the flag's own units.
	_, stdout, _ := runCLI(t, "worker", "--help")
	for _, want := range []string{"  --max-attempts int\n", "(default 3)", "(default nats://127.0.0.1:4222)", "  -v\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("worker --help lacks %q:\n%s", want, stdout)
		}
	}
}

// usageLine is the one line a usage error prints.
func usageLine(path, reason string) *regexp.Regexp {
	prefix := "quillpost"
	if path != "" {
		prefix += " " + path
	}
	return regexp.MustCompile("^" + regexp.QuoteMeta(prefix+": ") + reason + regexp.QuoteMeta(" (see '"+prefix+" --help')") + "\n$")
}

// TestUsageErrors: a mistake in the command line exits 2 with one line on stderr that names it
// and points to --help, and prints nothing on stdout.
func TestUsageErrors(t *testing.T) {
	type usageCase struct {
		line   []string
		path   string // the command whose --help the line points to
		reason string // regexp
	}
	var cases []usageCase
	for _, path := range commandPaths() {
		cases = append(cases, usageCase{append(strings.Fields(path), "--bogus-flag"), path, `unknown flag --bogus-flag`})
	}
	cases = append(cases,
		usageCase{nil, "", `no command given`},
		usageCase{[]string{"scribble"}, "", `unknown command "scribble"`},
		usageCase{[]string{"keys"}, "keys", `say which: create, list, revoke, worker`},
		usageCase{[]string{"keys", "rotate"}, "keys", `unknown command "rotate": keys has create, list, revoke, worker`},
		usageCase{[]string{"plot", "--baud", "fast"}, "plot", `--baud: "fast" is not a whole number`},
		usageCase{[]string{"plotsim", "--speed", "x"}, "plotsim", `--speed: "x" is not a number`},
		usageCase{[]string{"hands", "--json=perhaps"}, "hands", `--json: "perhaps" is not true or false`},
		usageCase{[]string{"serve", "--addr"}, "serve", `--addr needs a value`},
		usageCase{[]string{"serve", "--public-url", "cards.example.org"}, "serve", `--public-url: "cards.example.org" must start with https:// \(or http://\)`},
		usageCase{[]string{"serve", "--pen-wear-m", "0"}, "serve", `--pen-wear-m: "0" must be a distance in metres above 0`},
		usageCase{[]string{"serve", "--pen-wear-m", "lots"}, "serve", `--pen-wear-m: "lots" is not a number`},
		usageCase{[]string{"plotsim", "--fault", "melt@3"}, "plotsim", `--fault: "melt@3" is not valid: .+`},
		usageCase{[]string{"plot", "--port", "/dev/null"}, "plot", `need --port and --profile`},
		usageCase{[]string{"plot", "--port", "/dev/null", "--profile", "grbl-servo"}, "plot", `give the G-code file to plot \(- for standard input\)`},
		usageCase{[]string{"origin", "--port", "/dev/null", "--profile", "etch-a-sketch"}, "origin", `--profile: .*"etch-a-sketch".*`},
		usageCase{[]string{"worker", "--port", "/dev/null", "--profile", "grbl-servo", "--order", "random"}, "worker", `--order: .+`},
		usageCase{[]string{"fonts", "extra"}, "fonts", `unexpected argument "extra": fonts takes none`},
		usageCase{[]string{"render"}, "render", `--text is required: .+`},
		usageCase{[]string{"render", "--text", "a.txt", "--stats", "--hand", "sloppy"}, "render", `--hand: .*sloppy.*`},
		usageCase{[]string{"render", "--stats", "--ext", "pdf", "a.txt"}, "render", `--ext: "pdf" is not svg, png or gcode`},
		usageCase{[]string{"sheets", "a.csv"}, "sheets", `give one CSV file \(or - for standard input\) and -o for the PDF`},
		usageCase{[]string{"sheets", "--layout", "napkin", "-o", "x.pdf", "a.csv"}, "sheets", `--layout: .+`},
		usageCase{[]string{"keys", "create"}, "keys create", `--account is required`},
		usageCase{[]string{"keys", "revoke"}, "keys revoke", `give the id of the key to revoke \(see 'quillpost keys list'\)`},
		usageCase{[]string{"keys", "worker", "--robot", "r1", "--lanes", "test-a6-white", "--print-permissions"}, "keys worker", `--lanes: .+`},
	)
	for _, tc := range cases {
		t.Run(strings.Join(tc.line, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.line...)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !usageLine(tc.path, tc.reason).MatchString(stderr) {
				t.Errorf("stderr %q, want one line matching %s", stderr, usageLine(tc.path, tc.reason))
			}
		})
	}
}

// TestRuntimeFailure: a failure of the work itself exits 1 with one plain sentence.
func TestRuntimeFailure(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		line []string
		want string
	}{
		{[]string{"render", "--stats", "--text", filepath.Join(dir, "missing.txt")}, "quillpost render: reading the text: open "},
		{[]string{"sheets", "-o", filepath.Join(dir, "x.pdf"), filepath.Join(dir, "missing.csv")}, "quillpost sheets: reading addresses: open "},
		{[]string{"keys", "revoke", "--data", dir, "key_nonexistent"}, "quillpost keys revoke: key key_nonexistent: "},
	} {
		code, stdout, stderr := runCLI(t, tc.line...)
		if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and one line starting %q", tc.line, code, stdout, stderr, tc.want)
		}
	}
}

// TestFlagsAnywhere: flags may follow the positional arguments, and -- ends the flags.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(csv, []byte("name;line1;postal_code;city;country\nJürgen Weiß;Große Burgstraße 3;06667;Weißenfels;DE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "labels.pdf")
	if code, stdout, stderr := runCLI(t, "sheets", csv, "-o", pdf, "--no-manifest"); code != 0 || !strings.Contains(stdout, "1 label on 1 sheet") {
		t.Fatalf("sheets CSV -o PDF: exit %d, %s%s", code, stdout, stderr)
	}
	fs := newFlags("test", "[flags] ARG...", &bytes.Buffer{})
	v := fs.Bool("v", false, "")
	if err := fs.parse([]string{"a", "-v", "b", "--", "-c", "d"}, -1); err != nil {
		t.Fatal(err)
	}
	if !*v || strings.Join(fs.Args(), " ") != "a b -c d" || fs.NArg() != 4 || fs.Arg(2) != "-c" || fs.Arg(9) != "" {
		t.Errorf("v=%v args %q", *v, fs.Args())
	}
}

// TestProgress: a bar redrawn in place on a terminal, at most every 100 ms but always at the
// end; off a terminal, a plain line every 10 %, and nothing for short work.
func TestProgress(t *testing.T) {
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }

	var tty bytes.Buffer
	p := &progress{w: &tty, tty: true, unit: "labels", now: now, lastTenth: -1, start: clock, stepStart: clock}
	p.count("drawing", 1, 4)
	clock = clock.Add(50 * time.Millisecond)
	p.count("drawing", 2, 4) // too soon after the last redraw
	clock = clock.Add(2 * time.Second)
	p.count("drawing", 3, 4)
	p.count("drawing", 4, 4) // the end is always drawn
	p.done()
	want := "\r[#######.......................]  25.0%  drawing  1/4 labels  ETA --\x1b[K" +
		"\r[######################........]  75.0%  drawing  3/4 labels  ETA 1s\x1b[K" +
		"\r[##############################] 100.0%  drawing  4/4 labels  ETA 0s\x1b[K\n"
	if tty.String() != want {
		t.Errorf("terminal:\n%q\nwant\n%q", tty.String(), want)
	}

	var log bytes.Buffer
	clock = clock.Add(time.Hour)
	p = &progress{w: &log, unit: "cards", now: now, lastTenth: -1, start: clock, stepStart: clock, quiet: 2 * time.Second}
	p.count("", 1, 20) // within the quiet time: nothing
	clock = clock.Add(3 * time.Second)
	for i := 2; i <= 20; i++ {
		p.count("", i, 20)
	}
	p.done()
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 10 || lines[0] != " 10.0%  2/20 cards  ETA 27s" || lines[9] != "100.0%  20/20 cards  ETA 0s" {
		t.Errorf("log:\n%s", log.String())
	}
	if strings.ContainsAny(log.String(), "\r\x1b") {
		t.Errorf("control characters in a log: %q", log.String())
	}
}

// FuzzParse: any command line either parses, asks for help, or is a usage error of one line;
// positional arguments keep their order whatever flags stand between them.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-o x.pdf a.csv", "a.csv --layout=avery-l7163 -v", "--baud 9x", "--json=maybe", "-- -v a",
		"---x", "-", "--help", "-h b", "--speed=1e400", "--seed -1", "a -- --", "--fault melt@3", "-=x", "--o",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, " ")
		var help bytes.Buffer
		fs := newFlags("fuzz", "[flags] ARG...", &help)
		fs.String("o", "", "output")
		fs.Bool("v", false, "verbose")
		fs.Int("baud", 0, "baud")
		fs.Uint64("seed", 1, "seed")
		fs.Float64("speed", 1, "speed")
		fs.Duration("wait", 0, "wait")
		var faults faultFlags
		fs.Var(&faults, "fault", "faults")
		err := fs.parse(args, -1)
		var ue *usageError
		switch {
		case err == nil:
			// Every positional argument is one of the words, in order.
			i := 0
			for _, a := range fs.Args() {
				for i < len(args) && args[i] != a {
					i++
				}
				if i == len(args) {
					t.Fatalf("%q: argument %q is not among the words in order", line, a)
				}
				i++
			}
		case errors.Is(err, flag.ErrHelp):
			if !strings.HasPrefix(help.String(), "Usage: quillpost fuzz ") {
				t.Fatalf("%q: help %q", line, help.String())
			}
		case errors.As(err, &ue):
			if ue.cmd != "fuzz" || ue.msg == "" {
				t.Fatalf("%q: usage error %+v", line, ue)
			}
			var out bytes.Buffer
			if code := exitStatus(err, "fuzz", &out); code != exitUsage || strings.Count(out.String(), "\n") != 1 {
				t.Fatalf("%q: exit %d, %q", line, code, out.String())
			}
		default:
			t.Fatalf("%q: %v is neither help nor a usage error", line, err)
		}
	})
}

// BenchmarkProgressCount is the cost of reporting one label or card to a bar on a terminal.
func BenchmarkProgressCount(b *testing.B) {
	p := newProgress(io.Discard, "labels")
	p.tty = true
	i := 0
	for b.Loop() {
		i++
		p.count("drawing", i, 1<<40)
	}
}
