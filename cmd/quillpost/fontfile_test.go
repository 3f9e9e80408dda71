package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/capture"
	"github.com/quillpost/quillpost/internal/font"
)

// TestRenderFontFile writes a card in a captured face read from its exported file: the strokes
// differ from the built-in face the samples were taken from, and a bad file is named.
func TestRenderFontFile(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "card.txt")
	if err := os.WriteFile(text, []byte("Liebe Oma,\ndanke für die Socken!\nDein Paul"), 0o644); err != nil {
		t.Fatal(err)
	}
	sans, err := font.Lookup("sans")
	if err != nil {
		t.Fatal(err)
	}
	res, err := capture.Process(capture.Synthesize(sans, capture.Plan(), "pauls-hand", 3))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res.File)
	if err != nil {
		t.Fatal(err)
	}
	ff := filepath.Join(dir, "pauls-hand.json")
	if err := os.WriteFile(ff, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stats := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		if err := runRender(context.Background(), append([]string{"--text", text, "--seed", "5", "--stats"}, args...), &out, &errb); err != nil {
			t.Fatalf("render %v: %v (%s)", args, err, errb.String())
		}
		var st map[string]any
		if err := json.Unmarshal(out.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	own, builtIn := stats("--font-file", ff), stats("--font", "sans")
	if own["glyphs"] != builtIn["glyphs"] || own["pen_down_mm"] == builtIn["pen_down_mm"] {
		t.Errorf("captured face: %v glyphs, %v mm of ink; sans: %v, %v", own["glyphs"], own["pen_down_mm"], builtIn["glyphs"], builtIn["pen_down_mm"])
	}
	if err := os.WriteFile(ff, []byte(`{"format":"quillpost-font/1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err = runRender(context.Background(), []string{"--text", text, "--font-file", ff, "--stats"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--font-file "+ff) {
		t.Errorf("bad font file: %v", err)
	}
}
