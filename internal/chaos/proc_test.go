//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bins holds the binaries built once per test run.
var bins struct {
	dir       string
	quillpost string

	natsOnce sync.Once
	nats     string
	natsErr  error
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "quillpost-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	bins.quillpost = filepath.Join(dir, "quillpost")
	// The package directory is internal/chaos; the command is two levels up.
	out, err := exec.Command("go", "build", "-o", bins.quillpost, "../../cmd/quillpost").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: go build quillpost: %v\n%s", err, out)
		return 1
	}
	code := m.Run()
	printReport(os.Stdout)
	return code
}

// natsServerBin builds nats-server from the module cache (the version go.mod pins), offline.
func natsServerBin(t *testing.T) string {
	t.Helper()
	bins.natsOnce.Do(func() {
		bins.nats = filepath.Join(bins.dir, "nats-server")
		out, err := exec.Command("go", "build", "-o", bins.nats, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			bins.natsErr = fmt.Errorf("go build nats-server: %v\n%s", err, out)
		}
	})
	if bins.natsErr != nil {
		t.Fatal(bins.natsErr)
	}
	return bins.nats
}

// proc is a process the test started. Every proc is killed (with its process group) when the
// test ends, whatever happened.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	logDir string
	log    string // stderr and stdout, interleaved
	stdout string // stdout alone (plotsim prints its device path there)
	done   chan struct{}
	err    error
	killed bool // the test killed or stopped it (it did not die by itself)
}

var procSeq struct {
	sync.Mutex
	n int
}

// startProc starts bin with args, logging to files in logDir. The process gets its own process
// group so that killing it also kills anything it started.
// It runs in logDir's parent, so that nothing it writes by default lands in the source tree.
func startProc(t *testing.T, logDir, name, bin string, args ...string) *proc {
	t.Helper()
	return startProcAs(t, logDir, filepath.Dir(logDir), name, nil, bin, args...)
}

// startProcAs is startProc for a process run as another user (cred) in workDir, which that user
// must be able to enter.
func startProcAs(t *testing.T, logDir, workDir, name string, cred *syscall.Credential, bin string, args ...string) *proc {
	t.Helper()
	procSeq.Lock()
	procSeq.n++
	n := procSeq.n
	procSeq.Unlock()
	p := &proc{t: t, name: name, logDir: logDir, done: make(chan struct{}),
		log:    filepath.Join(logDir, fmt.Sprintf("%02d-%s.log", n, name)),
		stdout: filepath.Join(logDir, fmt.Sprintf("%02d-%s.stdout", n, name))}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	outf, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = workDir
	p.cmd.Stdout = outf
	p.cmd.Stderr = logf
	// Pdeathsig: should the test binary itself die (a -timeout panic, a kill), the kernel kills
	// the process too, so that no serve, nats-server or PostgreSQL outlives the run on a machine
	// others share. t.Cleanup covers every other ending.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		outf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	t.Logf("started %s (pid %d): %s %s", name, p.cmd.Process.Pid, filepath.Base(bin), strings.Join(args, " "))
	go func() {
		p.err = p.cmd.Wait()
		logf.Close()
		outf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			p.dumpLog(40)
		}
	})
	return p
}

// kill sends SIGKILL to the process group and waits for the process to be reaped.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	p.killed = true
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	p.cmd.Process.Kill()
	<-p.done
}

// stop asks the process to shut down (SIGTERM) and waits for it, killing it after grace.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	p.killed = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.t.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, grace)
		p.kill()
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// dumpLog shows the last lines of the process's log in the test output.
func (p *proc) dumpLog(lines int) {
	b, _ := os.ReadFile(p.log)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	p.t.Logf("--- last lines of %s (%s):\n%s", p.name, p.log, strings.Join(all, "\n"))
}

// logContains reports whether the process's log has a line containing s.
func (p *proc) logContains(s string) bool {
	b, _ := os.ReadFile(p.log)
	return bytes.Contains(b, []byte(s))
}

// firstLine waits for the process's first line on stdout.
func (p *proc) firstLine(timeout time.Duration) string {
	p.t.Helper()
	var line string
	waitFor(p.t, timeout, p.name+" prints its first line", func() bool {
		f, err := os.Open(p.stdout)
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			line = strings.TrimSpace(sc.Text())
		}
		if line == "" && p.exited() {
			p.dumpLog(20)
			p.t.Fatalf("%s exited before printing anything: %v", p.name, p.err)
		}
		return line != ""
	})
	return line
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("timed out after %v waiting until %s", timeout, what)
	}
}

// poll polls cond every 250 ms until it holds (true) or timeout passes (false).
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ports hands out listening ports, each once per run.
var ports struct {
	sync.Mutex
	used map[int]bool
}

// freePort returns a loopback TCP port that is free now and was handed to no other process of
// this run. It is picked below the kernel's ephemeral range (net.ipv4.ip_local_port_range): a
// port from that range (what listening on port 0 gives) can be taken by any outgoing connection
// of this busy machine between now and the moment the process meant to listen on it starts, and
// serve must get its port back after each restart.
func freePort(t *testing.T) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.used == nil {
		ports.used = map[int]bool{}
	}
	lo, hi := 20000, ephemeralLow()
	for range 2000 {
		p := lo + rand.IntN(hi-lo)
		if ports.used[p] {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue // someone listens there
		}
		l.Close()
		ports.used[p] = true
		return p
	}
	t.Fatalf("no free port between %d and %d", lo, hi)
	return 0
}

// ephemeralLow is the start of the kernel's ephemeral port range (32768 when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 21000 {
		return 32768
	}
	return n
}

// listening reports whether something accepts TCP connections on 127.0.0.1:port.
func listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// runCmd runs a short command and returns its stdout, failing the test on error.
func runCmd(t *testing.T, cred *syscall.Credential, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		errors.As(err, &ee)
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
