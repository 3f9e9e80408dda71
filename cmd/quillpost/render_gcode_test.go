package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/gcode"
	"github.com/quillpost/quillpost/internal/geom"
	"github.com/quillpost/quillpost/internal/profile"
)

// TestRenderGCode: --profile writes a program that reads back into the card's ink, and --stats
// compares the optimised order with text order on the same robot.
func TestRenderGCode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "card.gcode")
	var stdout, stderr bytes.Buffer
	args := []string{"--text", "../../testdata/texts/en-thanks.txt", "--font", "script", "--seed", "3",
		"--profile", "grbl-servo", "-o", out, "--stats"}
	if err := runRender(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("render: %v (%s)", err, stderr.String())
	}
	var st struct {
		PenDownMM    float64 `json:"pen_down_mm"`
		PenLifts     int     `json:"pen_lifts"`
		PenUpMM      float64 `json:"pen_up_mm"`
		LowerBoundMM float64 `json:"pen_up_lower_bound_mm"`
		GCodeLines   int     `json:"gcode_lines"`
		GCodeBytes   int     `json:"gcode_bytes"`
		PlotSeconds  float64 `json:"plot_seconds"`
		TextOrder    struct {
			PenUpMM     float64 `json:"pen_up_mm"`
			PlotSeconds float64 `json:"plot_seconds"`
		} `json:"text_order"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatalf("--stats: %v\n%s", err, stdout.String())
	}
	if !(st.LowerBoundMM > 0 && st.LowerBoundMM <= st.PenUpMM && st.PenUpMM < st.TextOrder.PenUpMM) {
		t.Errorf("pen-up travel: bound %.1f, optimal %.1f, text order %.1f", st.LowerBoundMM, st.PenUpMM, st.TextOrder.PenUpMM)
	}
	if !(st.PlotSeconds > 0 && st.PlotSeconds < st.TextOrder.PlotSeconds) {
		t.Errorf("plot time: optimal %.1f s, text order %.1f s", st.PlotSeconds, st.TextOrder.PlotSeconds)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != st.GCodeLines || len(data) != st.GCodeBytes {
		t.Errorf("program has %d lines, %d bytes; stats say %d, %d", len(lines), len(data), st.GCodeLines, st.GCodeBytes)
	}
	p, _ := profile.Lookup("grbl-servo")
	strokes, err := gcode.Read(lines, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(strokes) != st.PenLifts {
		t.Errorf("program draws %d strokes, stats say %d pen lifts", len(strokes), st.PenLifts)
	}
	// Simplification within 0.05 mm and arcs change the ink length only slightly.
	if ink := geom.PenDownLength(strokes); ink < st.PenDownMM*0.98 || ink > st.PenDownMM*1.01 {
		t.Errorf("program draws %.1f mm of ink, the card has %.1f mm", ink, st.PenDownMM)
	}
	if err := runRender(context.Background(), []string{"--text", "../../testdata/texts/en-thanks.txt", "-o", out}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--profile") {
		t.Errorf("G-code without a profile: %v", err)
	}
}
