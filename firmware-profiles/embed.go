// Package firmwareprofiles embeds the firmware profile files (one TOML file per kind of plotter
// robot), so that the binary carries them; package profile parses and validates them. README.md
// documents every field.
package firmwareprofiles

import "embed"

// FS holds the *.toml profiles at its root.
//
//go:embed *.toml
var FS embed.FS
