package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderCommand(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "card.txt")
	if err := os.WriteFile(text, []byte("Liebe Oma,\n\ndanke für die Socken!\nDein Paul"), 0o644); err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(dir, "card.svg")
	var out, errb bytes.Buffer
	if err := runRender(context.Background(), []string{"--text", text, "--hand", "casual", "--seed", "7", "-o", svg, "--stats"}, &out, &errb); err != nil {
		t.Fatalf("render: %v (%s)", err, errb.String())
	}
	var st map[string]any
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("--stats is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"glyphs", "strokes", "pen_down_mm", "bbox"} {
		if _, ok := st[k]; !ok {
			t.Errorf("--stats lacks %q: %s", k, out.String())
		}
	}
	data, err := os.ReadFile(svg)
	if err != nil || !bytes.Contains(data, []byte(`width="148mm" height="105mm"`)) {
		t.Fatalf("SVG not written as an A6 card: %v", err)
	}

	// Standard input, PNG, another card, centred; stats only → no file.
	renderStdin = strings.NewReader("Happy birthday!")
	defer func() { renderStdin = os.Stdin }()
	pngPath := filepath.Join(dir, "card.png")
	out.Reset()
	if err := runRender(context.Background(), []string{"--text", "-", "--card", "us4x6", "--align", "center", "--dpi", "60", "-o", pngPath}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 360 {
		t.Fatalf("PNG: %v, %v", err, img.Bounds())
	}
	if out.Len() != 0 {
		t.Errorf("stdout without --stats: %q", out.String())
	}
}

func TestRenderCommandErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "t.txt")
	os.WriteFile(good, []byte("Hallo"), 0o644)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("Hallo\nKrankenhaus ☃"), 0o644)
	long := filepath.Join(dir, "long.txt")
	os.WriteFile(long, bytes.Repeat([]byte("Vielen Dank für alles! "), 300), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--text is required"},
		{[]string{"--text", good}, "nothing to do"},
		{[]string{"--text", good, "-o", filepath.Join(dir, "x.gif")}, "unknown file type"},
		{[]string{"--text", good, "--card", "a9", "--stats"}, "known formats"},
		{[]string{"--text", good, "--font", "comic", "--stats"}, "comic"},
		{[]string{"--text", good, "--hand", "sloppy", "--stats"}, "known hands"},
		{[]string{"--text", good, "--hand-json", `{"slant_deg": 90}`, "--stats"}, "slant_deg"},
		{[]string{"--text", good, "--hand-json", `{"nope": 1}`, "--stats"}, "nope"},
		{[]string{"--text", good, "--align", "right", "--stats"}, "alignment"},
		{[]string{"--text", bad, "--stats"}, "at 2:13"},
		{[]string{"--text", long, "--stats"}, "lines, the A6 postcard holds"},
		{[]string{"--text", filepath.Join(dir, "missing.txt"), "--stats"}, "reading the text"},
	} {
		var out, errb bytes.Buffer
		err := runRender(context.Background(), tc.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestHandsCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runHands(context.Background(), nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"neat", "casual", "hurried"} {
		if !strings.Contains(out.String(), n) {
			t.Errorf("hands output lacks %s:\n%s", n, out.String())
		}
	}
	out.Reset()
	if err := runHands(context.Background(), []string{"--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var hs []map[string]any
	if err := json.Unmarshal(out.Bytes(), &hs); err != nil || len(hs) != 3 || hs[0]["name"] != "neat" || hs[0]["slant_deg"] == nil {
		t.Fatalf("hands --json: %v\n%s", err, out.String())
	}
}

// TestRenderBatch: text files as arguments write one card each into -o DIR, each with its own
// seed, --stats prints one JSON line per card, and a log (not a terminal) gets no progress for
// quick work.
func TestRenderBatch(t *testing.T) {
	dir := t.TempDir()
	var texts []string
	for _, name := range []string{"oma", "paul", "jane"} {
		p := filepath.Join(dir, name+".txt")
		if err := os.WriteFile(p, []byte("Danke, "+name+"!"), 0o644); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p)
	}
	outDir := filepath.Join(dir, "cards")
	code, stdout, stderr := runCLI(t, append([]string{"render", "--seed", "10", "--stats", "-o", outDir, "--ext", "svg"}, texts...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 JSON lines, got:\n%s", stdout)
	}
	for i, line := range lines {
		var st struct {
			Text, Output string
			Seed         uint64
			Strokes      int
		}
		if err := json.Unmarshal([]byte(line), &st); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		want := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(texts[i]), ".txt")+".svg")
		if st.Text != texts[i] || st.Output != want || st.Seed != uint64(10+i) || st.Strokes == 0 {
			t.Errorf("line %d: %+v", i, st)
		}
		svg, err := os.ReadFile(want)
		if err != nil || !bytes.Contains(svg, []byte(`width="148mm" height="105mm"`)) {
			t.Errorf("%s: %v", want, err)
		}
	}
	// The same text with the same seed as a batch card writes the same strokes as one card alone.
	single := filepath.Join(dir, "paul.svg")
	if code, _, stderr := runCLI(t, "render", "--seed", "11", "--text", texts[1], "-o", single); code != 0 {
		t.Fatalf("single card: %s", stderr)
	}
	a, _ := os.ReadFile(single)
	b, _ := os.ReadFile(filepath.Join(outDir, "paul.svg"))
	if !bytes.Equal(a, b) {
		t.Error("the batch's second card differs from the same text rendered alone with --seed 11")
	}
	// G-code needs a profile; the failing text is named.
	code, _, stderr = runCLI(t, append([]string{"render", "-o", outDir, "--ext", "gcode"}, texts...)...)
	if code != exitFailure || !strings.Contains(stderr, texts[0]+": --profile is needed") {
		t.Errorf("gcode without --profile: exit %d, %q", code, stderr)
	}
}
