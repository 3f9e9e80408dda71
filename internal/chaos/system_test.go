//go:build chaos

package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Settings shared by the scenarios: small campaigns on fast simulated robots, so that a scenario
// finishes in a few minutes on a busy two-core machine, while each card still takes long enough
// (seconds) for a fault to land in the middle of one.
const (
	simSpeed   = "20"
	simProfile = "grbl-servo"
	stock      = "a6-white"
	// settleTimeout is how long the system may take, after the last fault was cleared, to finish
	// or fail every card. It is generous: a lease or ack wait of a minute must fit in it, and on
	// a two-core machine shared with builds a campaign takes several times its idle duration.
	// It bounds a wait for a condition; nothing asserts that settling was quick.
	settleTimeout = 8 * time.Minute
	readyTimeout  = 3 * time.Minute
)

// harness is one scenario's installation: its directories, processes and API keys, and the
// faults injected so far.
type harness struct {
	t      *testing.T
	dir    string            // everything the scenario writes
	logs   string            // process logs
	data   string            // serve's --data
	port   int               // serve's HTTP port, kept across restarts
	base   string            // http://127.0.0.1:port
	key    string            // the customer's live API key: its cards go to real robots (worker processes)
	test   string            // the customer's test key: its cards go to serve's simulated robots
	keyOf  map[string]string // the key each card was ordered with
	opKey  string            // an operator key ("" where the keys command cannot reach the database)
	serve  *proc
	args   []string // serve's arguments, for restarts
	faults []fault
	ids    []string // the cards the customer was promised
	robots []*proc  // workers in their own processes, stopped gracefully at the end of the shift
	client *http.Client
}

// fault is one injected fault. hits says which robots' cards it can physically spoil (the robot's
// driver died with it): nil for a NATS or database outage, which cannot spoil any. cleared is when
// an outage ended (zero for a fault that is over the instant it happens, such as a kill).
type fault struct {
	what    string
	at      time.Time
	cleared time.Time
	hits    func(robot string) bool
}

// Which robots a fault can hit: serve's simulated ones (named sim-N) die with serve; a worker
// process takes its own robot with it.
func serveRobots(robot string) bool { return strings.HasPrefix(robot, "sim-") }
func robotNamed(name string) func(string) bool {
	return func(robot string) bool { return robot == name }
}

func newHarness(t *testing.T) *harness {
	dir := t.TempDir()
	h := &harness{t: t, dir: dir, logs: filepath.Join(dir, "logs"), data: filepath.Join(dir, "data"),
		client: &http.Client{Timeout: 15 * time.Second}, keyOf: map[string]string{}}
	for _, d := range []string{h.logs, h.data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.port = freePort(t)
	h.base = fmt.Sprintf("http://127.0.0.1:%d", h.port)
	return h
}

// operatorKeyIn makes an operator key in the PostgreSQL database at url with the keys command an
// operator uses. It runs after serve started, which set up the database's tables.
func (h *harness) operatorKeyIn(url string) {
	h.t.Helper()
	h.opKey = strings.TrimSpace(runCmd(h.t, nil, bins.quillpost, "keys", "create", "--account", "ops", "--operator", "--db", url))
}

// createKeys makes the customer's live and test keys and an operator key in serve's SQLite
// database, before serve starts, with the keys command an operator uses.
func (h *harness) createKeys() {
	h.key = strings.TrimSpace(runCmd(h.t, nil, bins.quillpost, "keys", "create", "--account", "shop", "--data", h.data))
	h.test = strings.TrimSpace(runCmd(h.t, nil, bins.quillpost, "keys", "create", "--account", "shop", "--test", "--data", h.data))
	h.opKey = strings.TrimSpace(runCmd(h.t, nil, bins.quillpost, "keys", "create", "--account", "ops", "--operator", "--data", h.data))
}

// startServe starts `quillpost serve` with the harness's data directory and HTTP port and the
// given flags, and waits until it is ready. The flags are kept for restarts.
func (h *harness) startServe(flags ...string) {
	h.t.Helper()
	h.args = append([]string{"serve", "--data", h.data, "--addr", fmt.Sprintf("127.0.0.1:%d", h.port)}, flags...)
	h.restartServe()
}

// restartServe starts serve again with the same flags and data (after a crash or a stop).
func (h *harness) restartServe() {
	h.t.Helper()
	h.serve = startProc(h.t, h.logs, "serve", bins.quillpost, h.args...)
	h.waitReady(h.serve)
	if n := len(h.faults); n > 0 {
		h.t.Logf("serve is ready again %.1fs after the fault", time.Since(h.faults[n-1].at).Seconds())
	}
	if h.key == "" && h.test == "" {
		b, err := os.ReadFile(filepath.Join(h.data, "demo-key.txt"))
		if err != nil {
			h.t.Fatalf("serve made no demo key: %v", err)
		}
		h.test = strings.TrimSpace(string(b))
	}
}

func (h *harness) waitReady(p *proc) {
	h.t.Helper()
	waitFor(h.t, readyTimeout, "serve answers /readyz", func() bool {
		if p.exited() {
			p.dumpLog(30)
			h.t.Fatalf("serve exited while starting: %v", p.err)
		}
		resp, err := h.client.Get(h.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// killServe kills serve with SIGKILL (and, with it, its embedded NATS and simulated robots).
func (h *harness) killServe() {
	h.fault("kill -9 serve", serveRobots)
	h.serve.kill()
}

// fault records that a fault is being injected now; hits names the robots whose cards it can
// spoil (nil: none).
func (h *harness) fault(what string, hits func(robot string) bool) {
	h.faults = append(h.faults, fault{what: what, at: time.Now(), hits: hits})
	h.t.Logf("FAULT: %s", what)
}

// clear records that the latest fault, an outage, ends now: the broken part is being started
// again, so nothing can have recovered from it before this instant.
func (h *harness) clear() {
	f := &h.faults[len(h.faults)-1]
	f.cleared = time.Now()
	h.t.Logf("FAULT CLEARED: %s (after %v)", f.what, f.cleared.Sub(f.at).Round(100*time.Millisecond))
}

// endShift stops the robots' workers and then serve gracefully, as an operator does at the end
// of a shift; each writes its open address sheet.
func (h *harness) endShift() {
	ps := h.robots
	if h.serve != nil {
		ps = append(ps, h.serve)
	}
	for _, p := range ps {
		// A process that died by itself during the scenario is a finding of its own.
		if p.exited() && !p.killed {
			h.t.Errorf("%s exited by itself during the scenario: %v", p.name, p.err)
			p.dumpLog(15)
		}
	}
	for _, p := range ps {
		p.stop(3 * time.Minute)
	}
}

// startPlotsim starts a virtual plotter in its own process (the robot) and returns its device.
func (h *harness) startPlotsim(name string) (*proc, string) {
	h.t.Helper()
	p := startProc(h.t, h.logs, name, bins.quillpost, "plotsim", "--profile", simProfile, "--speed", simSpeed)
	return p, p.firstLine(readyTimeout)
}

// robotCreds gives a robot its NATS credentials on serve's embedded NATS with the operator's
// command (`keys worker`), where the installation has robot credentials; "" where it has none.
func (h *harness) robotCreds(robot string) string {
	path := filepath.Join(h.dir, robot+".creds")
	out, err := exec.Command(bins.quillpost, "keys", "worker", "--robot", robot, "--lanes", stock, "--data", h.data, "--out", path).CombinedOutput()
	if err != nil {
		h.t.Logf("no NATS credentials for %s (keys worker: %v: %s); the worker connects without", robot, err, bytes.TrimSpace(out))
		return ""
	}
	return path
}

// startWorker starts `quillpost worker` for a robot on device, against NATS at natsURL (with
// credentials creds, if not ""), keeping its address sheets in sheets.
func (h *harness) startWorker(name, device, natsURL, creds, sheets string) *proc {
	h.t.Helper()
	args := []string{"worker", "--port", device, "--profile", simProfile,
		"--stock", stock, "--nats", natsURL, "--sheets", sheets, "--name", name, "--auto-feed"}
	if creds != "" {
		args = append(args, "--nats-creds", creds)
	}
	// The harness restarts a worker that exits on start for a reason that passes, as a
	// supervisor (systemd) would: serve admits new robot credentials within seconds of 'keys
	// worker', and a robot's identity stays claimed for a while after its process was killed.
	// Any other exit on start is finding 10 (a worker must retry the connection and say what it
	// waits for). The wait is for a condition (the robot connected, or the process exited), with
	// a deadline generous enough for a loaded machine.
	start := time.Now()
	for {
		p := startProc(h.t, h.logs, name, bins.quillpost, args...)
		var up bool
		waitFor(h.t, readyTimeout, "worker "+name+" connects its robot or exits", func() bool {
			up = p.logContains("robot connected")
			return up || p.exited()
		})
		if up {
			if d := time.Since(start); d > 10*time.Second {
				h.t.Logf("worker %s was up after %v (supervisor restarts)", name, d.Round(time.Second))
			}
			h.robots = append(h.robots, p)
			return p
		}
		passing := p.logContains("Authorization Violation") || p.logContains("identity taken")
		if !passing {
			h.t.Errorf("finding 10: worker %s exited on start (%v) instead of retrying; started again", name, p.err)
			p.dumpLog(10)
		}
		if time.Since(start) > readyTimeout {
			p.dumpLog(20)
			h.t.Fatalf("worker %s kept exiting on start for %v", name, readyTimeout)
		}
		time.Sleep(2 * time.Second)
	}
}

// call makes one API request with the customer's key.
func (h *harness) call(key, method, path, ctype, idem string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, h.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// mustCall is call for requests that must succeed now (the system is up).
func (h *harness) mustCall(key, method, path, ctype, idem string, body []byte, want int) []byte {
	h.t.Helper()
	code, out, err := h.call(key, method, path, ctype, idem, body)
	if err != nil || code != want {
		h.t.Fatalf("%s %s: %d %v %.300s", method, path, code, err, out)
	}
	return out
}

// campaign orders n cards the way a CRM does, with key (h.key: live cards for real robots;
// h.test: test cards for simulated ones): a campaign, a CSV of recipients, activation. It returns
// the card ids.
func (h *harness) campaign(key string, n int) []string {
	h.t.Helper()
	if key == "" {
		h.t.Fatal("campaign: no API key")
	}
	out := h.mustCall(key, "POST", "/v1/campaigns", "application/json", "",
		[]byte(`{"name":"Chaos","template":"Hallo {{vorname|Freund}},\ndanke für alles!","hand":"casual","font":"allure","stock":"`+stock+`"}`), 201)
	var camp struct{ ID string }
	if err := json.Unmarshal(out, &camp); err != nil || camp.ID == "" {
		h.t.Fatalf("campaign: %v %s", err, out)
	}
	var csv strings.Builder
	csv.WriteString("name;line1;postal_code;city;country;vorname\n")
	for i := range n {
		fmt.Fprintf(&csv, "Kundin %s-%03d;Hauptstraße %d;10115;Berlin;DE;Anna\n", camp.ID[len(camp.ID)-4:], i, i+1)
	}
	out = h.mustCall(key, "POST", "/v1/campaigns/"+camp.ID+"/recipients", "text/csv; charset=utf-8", "rcpt-"+camp.ID, []byte(csv.String()), 201)
	var batch struct {
		Accepted int
		Cards    []struct{ ID string }
	}
	if err := json.Unmarshal(out, &batch); err != nil || batch.Accepted != n || len(batch.Cards) != n {
		h.t.Fatalf("recipients: %v %.500s", err, out)
	}
	h.mustCall(key, "POST", "/v1/campaigns/"+camp.ID+"/activate", "application/json", "", nil, 200)
	var ids []string
	for _, c := range batch.Cards {
		ids = append(ids, c.ID)
		h.keyOf[c.ID] = key
	}
	h.ids = append(h.ids, ids...)
	return ids
}

// card is what the API shows the customer of one card.
type card struct {
	ID       string
	Status   string
	Attempts int
	Events   []event
	missing  bool // the API says there is no such card
}

type event struct {
	From, To, Cause, Detail string
	Attempt                 int
	CreatedAt               time.Time `json:"created_at"`
}

// cards reads every promised card with its history through the API; an error means the API did
// not answer (serve is down or restarting).
func (h *harness) cards() (map[string]*card, error) {
	out := map[string]*card{}
	for _, id := range h.ids {
		code, body, err := h.call(h.keyOf[id], "GET", "/v1/cards/"+id, "", "", nil)
		for tries := 0; err == nil && code == http.StatusTooManyRequests && tries < 50; tries++ {
			time.Sleep(200 * time.Millisecond) // the API's per-key rate limit
			code, body, err = h.call(h.keyOf[id], "GET", "/v1/cards/"+id, "", "", nil)
		}
		if err != nil {
			return nil, err
		}
		switch code {
		case http.StatusOK:
			var c card
			if err := json.Unmarshal(body, &c); err != nil {
				return nil, fmt.Errorf("card %s: %w", id, err)
			}
			out[id] = &c
		case http.StatusNotFound:
			out[id] = &card{ID: id, missing: true}
		default:
			return nil, fmt.Errorf("card %s: HTTP %d %.200s", id, code, body)
		}
	}
	return out, nil
}

// statuses lists the customer's cards with each key used (one request a page, no histories) and
// returns the status of each promised card; a card the lists lack is "missing".
func (h *harness) statuses() (map[string]string, error) {
	all := map[string]string{}
	keys := map[string]bool{}
	for _, k := range h.keyOf {
		keys[k] = true
	}
	for k := range keys {
		if err := h.list(k, all); err != nil {
			return nil, err
		}
	}
	out := map[string]string{}
	for _, id := range h.ids {
		if st, ok := all[id]; ok {
			out[id] = st
		} else {
			out[id] = "missing"
		}
	}
	return out, nil
}

// list adds the status of every card the key's list shows to all.
func (h *harness) list(key string, all map[string]string) error {
	after := ""
	for {
		path := "/v1/cards?limit=1000"
		if after != "" {
			path += "&after=" + after
		}
		code, body, err := h.call(key, "GET", path, "", "", nil)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("list cards: HTTP %d %.200s", code, body)
		}
		var page struct {
			Data []struct{ ID, Status string }
			Next string
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("list cards: %w", err)
		}
		for _, c := range page.Data {
			all[c.ID] = c.Status
		}
		if page.Next == "" {
			return nil
		}
		after = page.Next
	}
}

// counts is the number of cards in each status.
func counts(sts map[string]string) map[string]int {
	m := map[string]int{}
	for _, st := range sts {
		m[st]++
	}
	return m
}
func done(status string) bool { return status == "written" || status == "posted" || status == "failed" }

// waitWriting waits until at least n cards are written and a robot is writing another one: the
// moment to inject a fault "mid-campaign, mid-card".
func (h *harness) waitWriting(n int) {
	h.t.Helper()
	var last map[string]int
	waitFor(h.t, 4*time.Minute, fmt.Sprintf("%d cards are written and another is plotting", n), func() bool {
		sts, err := h.statuses()
		if err != nil {
			return false
		}
		last = counts(sts)
		return last["written"] >= n && last["plotting"] > 0
	})
	h.t.Logf("cards before the fault: %v", last)
}

// settle waits until every card is written or failed, or settleTimeout passes, and returns the
// cards with their histories as the customer then sees them.
func (h *harness) settle() map[string]*card {
	h.t.Helper()
	var last map[string]string
	start := time.Now()
	ok := poll(settleTimeout, func() bool {
		sts, err := h.statuses()
		if err != nil {
			return false
		}
		last = sts
		for _, st := range sts {
			if !done(st) {
				return false
			}
		}
		return true
	})
	if last == nil {
		h.t.Fatalf("the API did not answer for %v after the faults", settleTimeout)
	}
	if ok {
		h.t.Logf("settled in %v: %v", time.Since(start).Round(time.Second), counts(last))
	} else {
		h.t.Logf("not settled after %v: %v", settleTimeout, counts(last))
	}
	var cs map[string]*card
	waitFor(h.t, time.Minute, "the API shows every card's history", func() bool {
		var err error
		cs, err = h.cards()
		return err == nil
	})
	return cs
}

// operatorFailed lists the failed cards in the operator's list, with the operator key.
func (h *harness) operatorFailed() (map[string]bool, bool) {
	if h.opKey == "" {
		return nil, false
	}
	ids := map[string]bool{}
	after := ""
	for {
		path := "/v1/operator/cards?status=failed&limit=200"
		if after != "" {
			path += "&after=" + after
		}
		out := h.mustCall(h.opKey, "GET", path, "", "", nil, 200)
		var page struct {
			Data []struct{ ID string }
			Next string
		}
		if err := json.Unmarshal(out, &page); err != nil {
			h.t.Fatalf("operator list: %v", err)
		}
		for _, c := range page.Data {
			ids[c.ID] = true
		}
		if page.Next == "" {
			return ids, true
		}
		after = page.Next
	}
}

// labels reads every address sheet PDF the scenario's processes wrote (anywhere under the
// scenario's directory, so that sheets rebuilt elsewhere count too) and returns, per card id, how
// many labels carry it and on which sheets.
func (h *harness) labels() map[string][]string {
	h.t.Helper()
	var files []string
	filepath.WalkDir(h.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".pdf") {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	want := map[string]bool{}
	for _, id := range h.ids {
		want[id] = true
	}
	found := map[string][]string{}
	for _, f := range files {
		pages, err := pdfTexts(f)
		if err != nil {
			h.t.Errorf("address sheet: %v", err)
			continue
		}
		rel, _ := filepath.Rel(h.dir, f)
		labelled := map[string]bool{}
		for _, texts := range pages {
			// The sheet's manifest pages list the labels again (in cells that may shorten an
			// id): only the label pages count, where each label prints its card id once.
			manifest := slices.Contains(texts, "Barcode")
			for _, s := range texts {
				for _, w := range strings.Fields(s) {
					if !want[w] {
						continue
					}
					if !manifest {
						found[w] = append(found[w], rel)
					}
					labelled[w] = true
				}
			}
		}
		for id := range labelled {
			if !slices.Contains(found[id], rel) {
				found[id] = append(found[id], rel) // listed, though not on a label page
			}
		}
	}
	return found
}

// nobody returns credentials for an unprivileged user that owns dir, for programs that refuse to
// run as root (PostgreSQL). ok is false when the tests do not run as root.
func unprivileged(t *testing.T, dir string) (*syscall.Credential, bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, false
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, true
	}
	t.Skip("running as root and neither user postgres nor nobody exists to run PostgreSQL")
	return nil, false
}

// waitPlottingOn waits until the robot named robot is writing a card (its claim is the card's
// latest event) and returns the card.
func (h *harness) waitPlottingOn(robot string) string {
	h.t.Helper()
	var id string
	waitFor(h.t, 4*time.Minute, robot+" is writing a card", func() bool {
		sts, err := h.statuses()
		if err != nil {
			return false
		}
		for cid, st := range sts {
			if st != "plotting" {
				continue
			}
			code, body, err := h.call(h.keyOf[cid], "GET", "/v1/cards/"+cid, "", "", nil)
			var c card
			if err != nil || code != http.StatusOK || json.Unmarshal(body, &c) != nil || len(c.Events) == 0 {
				continue
			}
			if e := c.Events[len(c.Events)-1]; e.To == "plotting" && strings.Contains(e.Detail, robot) {
				id = cid
				return true
			}
		}
		return false
	})
	return id
}
