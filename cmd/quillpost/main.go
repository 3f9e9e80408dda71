// Command quillpost runs the handwritten-card system: the server, plotter workers and the tools
// around them. Each subcommand lives in its own file and only wires internal packages together.
//
// Every command answers -h and --help on stdout with exit status 0, in one format (see cli.go);
// a mistake in the command line exits 2 with one line on stderr, a failure of the work exits 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// runFunc runs a command with the arguments after its name.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// command is one subcommand; a group (keys) has subcommands of its own instead of a run.
type command struct {
	summary string
	run     runFunc
	subs    []subcommand
}

// subcommand is one command of a group, such as keys create.
type subcommand struct {
	name, summary string
	run           runFunc
}

var commands = map[string]command{}

// register is called from each subcommand file's init, so that adding a subcommand touches one file.
func register(name, summary string, run runFunc) {
	add(name, command{summary: summary, run: run})
}

// registerGroup registers a command whose first argument names one of subs.
func registerGroup(name, summary string, subs ...subcommand) {
	add(name, command{summary: summary, subs: subs})
}

func add(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("quillpost: subcommand registered twice: " + name)
	}
	commands[name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name, err := "", error(nil)
	switch {
	case len(args) == 0:
		err = usageErrorf("", "no command given")
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		printCommands(stdout, "", "<command> [flags]", "write handwritten cards with pen-plotter robots: the server, robot workers and their tools", sortedCommands())
		return exitOK
	case args[0] == "help" && len(args) == 1:
		return run(ctx, []string{"--help"}, stdout, stderr)
	case args[0] == "help":
		// quillpost help keys create == quillpost keys create --help
		return run(ctx, append(args[1:], "--help"), stdout, stderr)
	default:
		name = args[0]
		cmd, ok := commands[name]
		switch {
		case !ok:
			err = usageErrorf("", "unknown command %q", name)
			name = ""
		case cmd.subs != nil:
			err = runGroup(ctx, name, cmd, args[1:], stdout, stderr)
			if len(args) > 1 && slices.ContainsFunc(cmd.subs, func(s subcommand) bool { return s.name == args[1] }) {
				name += " " + args[1] // a failure of keys revoke says so
			}
		default:
			err = cmd.run(ctx, args[1:], stdout, stderr)
		}
	}
	return exitStatus(err, name, stderr)
}

// exitStatus reports err on stderr, one line, and says how the process should exit.
func exitStatus(err error, name string, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		path := ue.cmd
		if path == "" {
			path = name
		}
		prefix, help := "quillpost", "quillpost --help"
		if path != "" {
			prefix, help = "quillpost "+path, "quillpost "+path+" --help"
		}
		fmt.Fprintf(stderr, "%s: %s (see '%s')\n", prefix, oneLine(ue.msg), help)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "quillpost %s: %s\n", name, oneLine(err.Error()))
		return exitFailure
	}
}

// oneLine keeps a message on its line, so that each report is one line of a log.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// runGroup dispatches keys create, keys list, ... and answers keys --help.
func runGroup(ctx context.Context, name string, cmd command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf(name, "say which: %s", subNames(cmd.subs))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printCommands(stdout, name+" ", "<command> [flags]", cmd.summary, cmd.subs)
		return nil
	}
	for _, s := range cmd.subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], stdout, stderr)
		}
	}
	return usageErrorf(name, "unknown command %q: %s has %s", args[0], name, subNames(cmd.subs))
}

func subNames(subs []subcommand) string {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func sortedCommands() []subcommand {
	var out []subcommand
	for n, c := range commands {
		out = append(out, subcommand{name: n, summary: c.summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// printCommands is the usage of quillpost itself and of a group, in the format of cmdFlags.
func printCommands(w io.Writer, prefix, synopsis, summary string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: quillpost %s%s\n\n%s\n\nCommands:\n", prefix, synopsis, sentence(summary))
	width := 0
	for _, s := range subs {
		width = max(width, len(s.name))
	}
	for _, s := range subs {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'quillpost %s<command> --help' for a command's flags.\n", prefix)
}

// summaryOf finds the one-line summary of a command path: "plot", "keys create".
func summaryOf(path string) string {
	name, sub, _ := strings.Cut(path, " ")
	c := commands[name]
	for _, s := range c.subs {
		if s.name == sub {
			return s.summary
		}
	}
	return c.summary
}
