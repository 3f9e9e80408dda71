package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Exit codes: the conventions of the Go tools and most Unix commands, so scripts can tell a
// mistyped call (fix the command line) from a failure of the work itself (look at the system).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in the command line: an unknown flag, a bad value, a missing argument.
// run prints it as one line with a pointer to the command's --help and exits 2.
type usageError struct {
	cmd string // "plot", "keys create"; empty: the command run dispatched to
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usageErrorf makes a usage error for a command whose flags are not at hand (groups, run itself).
func usageErrorf(cmd, format string, a ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, a...)}
}

// cmdFlags is a command's flag set. It prints the one usage format of every command to stdout on
// -h or --help, turns the flag package's complaints into usage errors, and takes flags after
// positional arguments too (quillpost sheets addresses.csv -o labels.pdf).
type cmdFlags struct {
	*flag.FlagSet
	path     string // command path after "quillpost": "plot", "keys create"
	synopsis string // what follows the path in the usage line
	notes    string // optional paragraph after the summary
	stdout   io.Writer
	args     []string
}

// newFlags starts the flag set of the command at path (as typed after "quillpost"); synopsis is
// the rest of the usage line, such as "[flags] --port PATH --profile NAME card.gcode".
func newFlags(path, synopsis string, stdout io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	// The flag package would print its own error and usage to this; parse reports both itself.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, path: path, synopsis: synopsis, stdout: stdout}
}

// parse parses the arguments, flags anywhere ("--" ends them), and allows at most maxArgs
// positional arguments (-1: any number). On -h or --help it prints the usage to stdout and
// returns an error wrapping flag.ErrHelp, which run turns into exit status 0.
func (f *cmdFlags) parse(args []string, maxArgs int) error {
	f.args = nil
	for {
		err := f.FlagSet.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(f.stdout)
			return fmt.Errorf("%s: %w", f.path, flag.ErrHelp)
		}
		if err != nil {
			return f.usageErr("%s", flagMessage(f.FlagSet, err))
		}
		rest := f.FlagSet.Args()
		if len(rest) == 0 {
			break
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			f.args = append(f.args, rest...)
			break
		}
		f.args = append(f.args, rest[0])
		args = rest[1:]
	}
	if maxArgs >= 0 && len(f.args) > maxArgs {
		if maxArgs == 0 {
			return f.usageErr("unexpected argument %q: %s takes none", f.args[0], f.path)
		}
		return f.usageErr("unexpected argument %q: %s takes at most %d", f.args[maxArgs], f.path, maxArgs)
	}
	return nil
}

// Args, NArg and Arg are the positional arguments of all of the command line, not only those
// after the last flag as in flag.FlagSet.
func (f *cmdFlags) Args() []string { return f.args }
func (f *cmdFlags) NArg() int      { return len(f.args) }
func (f *cmdFlags) Arg(i int) string {
	if i < 0 || i >= len(f.args) {
		return ""
	}
	return f.args[i]
}

// usageErr reports a mistake in this command's command line (exit status 2).
func (f *cmdFlags) usageErr(format string, a ...any) error {
	return usageErrorf(f.path, format, a...)
}

// badValue reports a flag value that its package refused (an unknown profile, layout or order)
// as a usage error naming the flag.
func (f *cmdFlags) badValue(name string, err error) error {
	return f.usageErr("%s: %v", dashed(name), err)
}

// printUsage writes the one usage format: the synopsis line, the command's one-line summary,
// optional notes, then every flag with its default.
func (f *cmdFlags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: quillpost %s %s\n\n%s\n", f.path, f.synopsis, sentence(summaryOf(f.path)))
	if f.notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(f.notes))
	}
	first := true
	f.VisitAll(func(fl *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		kind, usage := flag.UnquoteUsage(fl)
		line := "  " + dashed(fl.Name)
		if kind != "" {
			line += " " + kind
		}
		if def := shownDefault(fl); def != "" {
			usage += " (default " + def + ")"
		}
		fmt.Fprintf(w, "%s\n        %s\n", line, strings.ReplaceAll(usage, "\n", "\n        "))
	})
}

// shownDefault is the default worth printing: none for a false, zero or empty one.
func shownDefault(fl *flag.Flag) string {
	switch fl.DefValue {
	case "", "false", "0", "0s", "[]":
		return ""
	}
	return fl.DefValue
}

// dashed writes a flag as people type it: -o, --port.
func dashed(name string) string {
	if utf8.RuneCountInString(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// sentence makes a command summary ("list serial ports") the usage's description line.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// flagMessage rewrites the flag package's complaints as plain sentences naming the flag.
func flagMessage(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + dashed(name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return dashed(name) + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("%q is not a flag", rest)
	}
	// invalid value "x" for flag -baud: parse error
	// invalid boolean value "x" for -json: parse error
	for _, pre := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, pre)
		if !ok {
			continue
		}
		i := strings.LastIndex(rest, " for ")
		if i < 0 {
			break
		}
		value := rest[:i]
		nameAndWhy := strings.TrimPrefix(strings.TrimPrefix(rest[i+len(" for "):], "flag "), "-")
		name, why, _ := strings.Cut(nameAndWhy, ": ")
		return fmt.Sprintf("%s: %s %s", dashed(name), value, valueReason(fs.Lookup(name), why))
	}
	return msg
}

// valueReason says what a refused flag value should have been.
func valueReason(fl *flag.Flag, why string) string {
	if fl != nil && (why == "parse error" || why == "value out of range") {
		if g, ok := fl.Value.(flag.Getter); ok {
			switch reflect.TypeOf(g.Get()).Kind() {
			case reflect.Bool:
				return "is not true or false"
			case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
				if reflect.TypeOf(g.Get()).String() == "time.Duration" {
					return "is not a duration such as 90s or 5m"
				}
				if why == "value out of range" {
					return "is out of range"
				}
				return "is not a whole number"
			case reflect.Float64:
				return "is not a number"
			}
		}
	}
	return "is not valid: " + why
}
