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
