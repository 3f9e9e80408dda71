package main

import (
	"fmt"
	"os"

	"github.com/quillpost/quillpost/internal/font"
)

// readFontFile reads a face file from disk (render --font-file).
func readFontFile(path string) (*font.Face, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--font-file: %w", err)
	}
	f, err := font.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("--font-file %s: %w", path, err)
	}
	return f, nil
}
