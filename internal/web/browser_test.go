package web_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quillpost/quillpost/internal/app"
	"github.com/quillpost/quillpost/internal/store"
)

// chrome starts a headless Chromium for one test, or skips the test when none is installed.
func chrome(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
	}
	if path == "" {
		t.Skip("internal/web browser tests need Chromium: apt-get install chromium (or set CHROMIUM=/path/to/chrome)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "en-GB"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*patience)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium at %s: %v", path, err)
	}
	return ctx
}

// screenshotDir, when set, receives the browser tests' full-page screenshots: the README's
// images are made with go test ./internal/web -run Browser -screenshots ../../testdata/readme.
var screenshotDir = flag.String("screenshots", "", "write full-page screenshots of the browser tests to this directory")

// screenshot saves a full-page screenshot when -screenshots is given.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshotDir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG (lower qualities are JPEG)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := *screenshotDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// setValue sets a form field's value by script (as pasting would).
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).value = %q, true)`, sel, v))(ctx, t)
		return chromedp.Void{}, err
	}
}

func clear(sel string) chromedp.Action[chromedp.Void] { return setValue(sel, "") }

// attr reads an attribute of the first element matching sel (empty if none).
func attr(ctx context.Context, sel, name string) (string, error) {
	js := fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, sel, name)
	return chromedp.Run(ctx, chromedp.Evaluate[string](js))
}

// waitAttr polls until the attribute of sel satisfies cond.
func waitAttr(t *testing.T, ctx context.Context, timeout time.Duration, sel, name string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		v, err := attr(ctx, sel, name)
		if err != nil {
			t.Fatalf("reading %s[%s]: %v", sel, name, err)
		}
		if cond(v) {
			return v
		}
		last = v
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting on %s[%s]; last %q", timeout, sel, name, last)
	return ""
}

func TestBrowserOrderPreviewAndWritten(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{SimPlotters: 1})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#preview svg"))); err != nil {
		t.Fatal(err)
	}
	first, _ := attr(ctx, "#preview", "data-hash")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#message"), "Dear Sam,\nthank you so much for your order.\nWarmly, Jo")); err != nil {
		t.Fatal(err)
	}
	typed := waitAttr(t, ctx, patience, "#preview", "data-hash", func(v string) bool { return v != "" && v != first })
	// A character the lettering lacks is named with its place, and the preview says so.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#message"), " ✈"), chromedp.WaitVisible(chromedp.CSS("#message-errors li"))); err != nil {
		t.Fatal(err)
	}
	problem, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message-errors")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(problem, "Line 3") || !strings.Contains(problem, "✈") {
		t.Errorf("missing-glyph message %q", problem)
	}
	// Beside the error the preview is not stale and not empty: it shows the text without the
	// character, marked as such; the error is said once, at the message.
	waitAttr(t, ctx, patience, "#preview", "data-state", func(v string) bool { return v == "partial" })
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("li, p, span")].filter(e => e.children.length === 0 && e.textContent.includes("✈")).length`)); n != 1 {
		t.Errorf("the missing character is named %d times on the page, want once", n)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("#preview svg path, #preview svg polyline")`)); !ok {
		t.Errorf("no strokes in the preview beside the error")
	}
	// An emoji with its variation selector is one problem, not two.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#message"), " ❤️")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the heart named", `document.querySelector("#message-errors").textContent.includes("❤")`)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#message-errors li").length`)); n != 2 {
		t.Errorf("%d problems for ✈ and ❤️, want 2: %q", n, mustEval(ctx, `document.querySelector("#message-errors").textContent`))
	}
	// Over 2,000 characters nothing is cut: the text stays whole and the page says why it cannot
	// be sent, with the counter.
	if err := chromedp.Do(ctx, setValue("#message", strings.Repeat("x", 2100)), chromedp.SendKeys(chromedp.CSS("#message"), "y")); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, "#preview", "data-state", func(v string) bool { return v == "error" })
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelector("#message").value).length`)); n != 2101 {
		t.Errorf("the text was cut to %d characters", n)
	}
	if c := mustEval(ctx, `document.querySelector("#counter").textContent`); c != "2101 / 2000 characters" {
		t.Errorf("counter %q", c)
	}
	if e := mustEval(ctx, `document.querySelector("#message-errors").textContent`); !strings.Contains(e, "2101") {
		t.Errorf("no refusal over 2,000 characters: %q", e)
	}
	if err := chromedp.Do(ctx,
		setValue("#message", "Dear Sam,\nthank you so much for your order.\nWarmly, Jo"),
		chromedp.SendKeys(chromedp.CSS("#message"), "!"),
	); err != nil {
		t.Fatal(err)
	}
	waitAttr(t, ctx, patience, "#preview", "data-hash", func(v string) bool { return v != "" && v != typed })
	if err := chromedp.Do(ctx,
		chromedp.WaitNotPresent(chromedp.CSS("#message-errors li")),
		chromedp.SendKeys(chromedp.CSS("[name=to_name]"), "Sam Taylor"),
		chromedp.SendKeys(chromedp.CSS("[name=to_line1]"), "Hauptstraße 5"),
		chromedp.SendKeys(chromedp.CSS("[name=to_postal_code]"), "1011"),
		chromedp.SendKeys(chromedp.CSS("[name=to_city]"), "Berlin"),
		chromedp.WaitVisible(chromedp.CSS(`[data-for=to_postal_code]`)), // the live address check names the problem
		clear("[name=to_postal_code]"),
		chromedp.SendKeys(chromedp.CSS("[name=to_postal_code]"), "10115"),
		chromedp.SendKeys(chromedp.CSS("[name=from_name]"), "Papierladen Jo"),
		chromedp.SendKeys(chromedp.CSS("[name=from_line1]"), "Marktplatz 1"),
		chromedp.SendKeys(chromedp.CSS("[name=from_postal_code]"), "80331"),
		chromedp.SendKeys(chromedp.CSS("[name=from_city]"), "München"),
		chromedp.Click(chromedp.CSS("h1"), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS("#preview.busy")),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "order-page.png")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#order button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#submit-order")),
		chromedp.Click(chromedp.CSS("#submit-order button")),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	); err != nil {
		t.Fatal(err)
	}
	status := waitAttr(t, ctx, patience, "#card-status", "data-status", func(v string) bool { return v == "written" })
	if status != "written" {
		t.Fatalf("status %q", status)
	}
	steps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(".timeline li.done")].map(li => li.dataset.step)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(steps, ",") != "accepted,queued,plotting,written" {
		t.Errorf("timeline done steps %v", steps)
	}
}

func TestBrowserDashboardConfirmCard(t *testing.T) {
	ctx := chrome(t)
	s := startSystem(t, app.Config{SimPlotters: 3, SimManualFeed: true, SimSpeed: 3})
	key := s.operatorKey()
	bctx := context.Background()
	acc, _ := s.sys.Store.CreateAccount(bctx, "shop")
	apiKey, _, _ := s.sys.Store.CreateKey(bctx, acc.ID, store.KeyLive)
	for i := range 5 {
		body := fmt.Sprintf(`{"message":"Danke, Nr. %d!","font":"felix","to":{"name":"Kundin %d","lines":["Hauptstraße %d"],"postal_code":"10115","city":"Berlin","country":"DE"}}`, i, i, i+1)
		req, _ := http.NewRequest("POST", s.srv.URL+"/v1/cards", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Idempotency-Key", fmt.Sprint("dash-", i))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("order %d: %v %v", i, err, resp)
		}
		resp.Body.Close()
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.srv.URL+"/operator?lang=en"),
		chromedp.SendKeys(chromedp.CSS("[name=key]"), key),
		chromedp.Submit(chromedp.CSS("[name=key]")),
		chromedp.WaitVisible(chromedp.CSS("#live")),
	); err != nil {
		t.Fatal(err)
	}
	// The robots take a job each and wait for a blank card: they are on top, needing a human.
	robot := `article[data-robot="sim-1"]`
	waitAttr(t, ctx, patience, robot, "data-state", func(v string) bool { return v == "waiting-for-card" })
	// Confirm the card; live updates (no reload) show the robot writing, with progress. Should
	// the simulated plotter fault (the card is spoiled and the robot waits for the next one),
	// confirm again.
	now := ""
	for deadline := time.Now().Add(patience); now == ""; {
		if time.Now().After(deadline) {
			t.Fatalf("the robot never showed progress")
		}
		state, err := attr(ctx, robot, "data-state")
		if err != nil {
			t.Fatal(err)
		}
		switch state {
		case "waiting-for-card":
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(robot+` button[data-cmd="card-loaded"]`)), chromedp.WaitVisible(chromedp.CSS("#flash"))); err != nil {
				t.Fatal(err)
			}
		case "plotting":
			if p, _ := attr(ctx, robot+" .progress", "aria-valuenow"); p != "" && p != "0" && p != "100" {
				now = p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(flash, "sim-1: Card is loaded") {
		t.Errorf("flash %q", flash)
	}
	waitAttr(t, ctx, patience, robot+" .progress", "aria-valuenow", func(v string) bool { return v != now })
	screenshot(t, ctx, "operator-dashboard.png")
	waitAttr(t, ctx, patience, robot, "data-state", func(v string) bool { return v == "waiting-for-card" || v == "idle" })
	// The robot's state comes from its heartbeat at once; its day's count from the store, which
	// the dashboard reads at most every few seconds: the live view must show it without a reload.
	today := ""
	for deadline := time.Now().Add(patience); today != "1" && time.Now().Before(deadline); time.Sleep(150 * time.Millisecond) {
		if today, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(robot+" .counters dd"))); err != nil {
			t.Fatal(err)
		}
	}
	if today != "1" {
		t.Errorf("cards written today by sim-1: %q after %v, want 1", today, patience)
	}
}
