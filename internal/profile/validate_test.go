package profile

import (
	"strings"
	"testing"

	firmwareprofiles "github.com/quillpost/quillpost/firmware-profiles"
)

func embeddedText(t testing.TB, name string) string {
	t.Helper()
	data, err := firmwareprofiles.FS.ReadFile(name + ".toml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestValidationErrors breaks one field at a time in a real profile and checks that the error
// names the file, the field and the reason.
func TestValidationErrors(t *testing.T) {
	cases := []struct {
		profile, old, new, want string
	}{
		{"grbl-servo", "draw_feed = 3000 ", "draw_feed = -3 ", "grbl-servo.toml: draw_feed: must be positive, got -3"},
		{"grbl-servo", "travel_feed = 8000 ", "travel_feed = 0 ", "grbl-servo.toml: travel_feed: must be positive, got 0"},
		{"grbl-servo", "travel_feed = 8000 ", "travel_feed = 1e9 ", "grbl-servo.toml: travel_feed: must be at most 100000, got 1e+09"},
		{"grbl-servo", "accel = 500 ", "accel = nan ", "grbl-servo.toml: accel: must be positive, got NaN"},
		{"grbl-servo", "junction_deviation = 0.01 ", "junction_deviation = 2.0 ", "grbl-servo.toml: junction_deviation: must be at most 1, got 2"},
		{"grbl-servo", "min_gap = 0.4 ", "min_gap = -0.1 ", "grbl-servo.toml: min_gap: must be between 0 and 5, got -0.1"},
		{"grbl-servo", "tolerance = 0.01 ", "tolerance = 0 ", "grbl-servo.toml: tolerance: must be between 0.001 and 0.5, got 0"},
		{"grbl-servo", "precision = 3 ", "precision = 9 ", "grbl-servo.toml: precision: must be between 2 and 6 decimals, got 9"},
		{"grbl-z", "tolerance = 0.01 ", "precision = 2\ntolerance = 0.02 ", "grbl-z.toml: precision: 2 decimals round by up to 0.005 mm, too coarse for tolerance 0.02"},
		{"grbl-servo", `name = "grbl-servo"`, `name = "grbl"`, `grbl-servo.toml: name: must be "grbl-servo" to match the file name, got "grbl"`},
		{"grbl-servo", `dialect = "grbl"`, `dialect = "smoothie"`, `grbl-servo.toml: dialect: must be grbl, marlin, fluidnc or klipper, got "smoothie"`},
		{"grbl-servo", "baud = 115200", "baud = 115000", "grbl-servo.toml: baud: must be a standard rate such as 115200 or 250000, got 115000"},
		{"grbl-servo", "baud = 115200", `baud = "fast"`, `grbl-servo.toml: line 14 (last key "baud"): incompatible types: TOML value has type string; destination has type integer`},
		{"grbl-servo", "draw_feed = 3000 ", "draw_fed = 3000 ", "grbl-servo.toml: draw_fed: unknown field"},
		{"grbl-servo", "[pen.down]\n", "[pen.down]\nangle = 3\n", "grbl-servo.toml: pen.down.angle: unknown field"},
		{"grbl-servo", "accel = 500 ", "", "grbl-servo.toml: accel: missing"},
		{"grbl-servo", "flip_y = true", "", "grbl-servo.toml: card.flip_y: missing"},
		{"grbl-servo", "max_x = 300.0", "max_x = 300.0\nmax_x = 301.0", "grbl-servo.toml: line 46: work_area.max_x: Key 'work_area.max_x' has already been defined."},
		{"grbl-servo", `kind = "char-count"`, `kind = "line-checksum"`, `grbl-servo.toml: protocol.kind: grbl speaks [char-count send-wait], got "line-checksum"`},
		{"grbl-servo", "rx_buffer = 128 ", "rx_buffer = 16 ", "grbl-servo.toml: protocol.rx_buffer: char-count needs the controller's serial receive buffer in bytes (GRBL: 128), between 96 and 65536, got 16"},
		{"grbl-servo", "rx_buffer = 128 ", "rx_buffer = 128\nqueue_depth = 4", "grbl-servo.toml: protocol.queue_depth: only line-checksum uses it, got 4 with char-count"},
		{"marlin-servo", "queue_depth = 4 ", "queue_depth = 0 ", "marlin-servo.toml: protocol.queue_depth: line-checksum needs the controller's command queue depth (Marlin BUFSIZE: 4), between 1 and 64, got 0"},
		{"grbl-servo", "max_x = 300.0", "max_x = 5.0", "grbl-servo.toml: work_area.max_x: must exceed min_x 0 by at least 10 mm, got 5"},
		{"grbl-servo", "max_y = 210.0", "max_y = 1e6", "grbl-servo.toml: work_area.max_y: must be between -10000 and 10000, got 1e+06"},
		{"grbl-servo", "rotation = 0", "rotation = 45", "grbl-servo.toml: card.rotation: must be 0, 90, 180 or 270, got 45"},
		{"grbl-servo", "offset_x = 20.0", "offset_x = 320.0", "grbl-servo.toml: card.offset_x: the card's corner must lie in the work area (0 to 300), got 320"},
		{"grbl-servo", `actuator = "servo"`, `actuator = "solenoid"`, `grbl-servo.toml: pen.actuator: must be servo or z, got "solenoid"`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S90 X5"]`, `grbl-servo.toml: pen.down.commands: line 1 "M3 S90 X5": X is not a parameter of M3`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["G0 X5"]`, `grbl-servo.toml: pen.down.commands: line 1 "G0 X5": pen commands may not move X or Y`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S90 (down!)"]`, `grbl-servo.toml: pen.down.commands: line 1 "M3 S90 (down!)": character '(' is not allowed`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S90\nM5"]`, `grbl-servo.toml: pen.down.commands: line 1 "M3 S90\nM5": character '\n' is not allowed`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S{title}"]`, `grbl-servo.toml: pen.down.commands: line 1 "M3 S{title}": character '{' is not allowed`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["G92 X0"]`, `grbl-servo.toml: pen.down.commands: line 1 "G92 X0": G92 is not a command quillpost sends to grbl (allowed: $H G0 G1 G17 G21 G4 G90 G94 M3 M5)`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["G4 P0.1"]`, `grbl-servo.toml: pen.down.commands: needs a servo command (M3 S<n> or M5)`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S79"]`, `grbl-servo.toml: pen.down.commands: must differ from pen.up.commands by at least one line each way`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = []`, `grbl-servo.toml: pen.down.commands: must hold 1 to 8 lines, got 0`},
		{"grbl-servo", `commands = ["M3 S90"]`, `commands = ["M3 S90 M5"]`, `grbl-servo.toml: pen.down.commands: line 1 "M3 S90 M5": must hold exactly one G or M command`},
		{"grbl-servo", "position = 63.5 ", "position = 200.0 ", "grbl-servo.toml: pen.down.position: must be between 0 and 180, got 200"},
		{"grbl-servo", "position = 63.5 ", "position = 55.76 ", "grbl-servo.toml: pen.up.position: must differ from pen.down.position 55.76"},
		{"grbl-servo", "settle_seconds = 0.08", "settle_seconds = -1", "grbl-servo.toml: pen.down.settle_seconds: must be between 0 and 5, got -1"},
		{"grbl-servo", "speed = 400.0              # degrees/s, an SG90 under a pen's load", "speed = 0.0", "grbl-servo.toml: pen.up.speed: must be positive, got 0"},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$H", "G90"]`, "grbl-servo.toml: start: must contain G21 (millimetres)"},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$H", "G21"]`, "grbl-servo.toml: start: must contain G90 (absolute coordinates)"},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$H", "G0 X10 Y10", "G21", "G90"]`, `grbl-servo.toml: start: line 2 "G0 X10 Y10": moves before G21 and G90 have set millimetres and absolute coordinates`},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$H", "G21", "G91", "G90"]`, `grbl-servo.toml: start: line 3 "G91": G91 is not a command quillpost sends to grbl`},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$H", "G21", "G90", "M3 S90"]`, `grbl-servo.toml: start: line 4 "M3 S90": would lower the pen`},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["$X", "G21", "G90"]`, `grbl-servo.toml: start: line 1 "$X": character '$' is not allowed`},
		{"grbl-servo", `end = ["G0 X0 Y200"]`, `end = ["G0 X0 Y250"]`, `grbl-servo.toml: end: line 1 "G0 X0 Y250": Y250 lies outside the work area (0 to 210)`},
		{"grbl-servo", `end = ["G0 X0 Y200"]`, `end = ["G0 X0 Y200 Z5"]`, `grbl-servo.toml: end: line 1 "G0 X0 Y200 Z5": Z moves do not belong to a servo pen`},
		{"grbl-servo", `end = ["G0 X0 Y200"]`, `end = ["G0 X0 X1"]`, `grbl-servo.toml: end: line 1 "G0 X0 X1": X appears twice`},
		{"grbl-z", `end = ["G0 Z10", "G0 X0 Y0"]`, `end = ["G0 Z0.5", "G0 X0 Y0"]`, `grbl-z.toml: end: line 1 "G0 Z0.5": Z0.5 is below pen.up.position 1; start and end must keep the pen up`},
		{"grbl-z", `commands = ["G1 Z0 F600"]`, `commands = ["G1 Z0"]`, `grbl-z.toml: pen.down.commands: line 1 "G1 Z0": a G1 pen move needs its own F, or it runs at whatever feed came before`},
		{"grbl-z", `commands = ["G1 Z0 F600"]`, `commands = ["G1 Z0 F1200"]`, `grbl-z.toml: pen.down.speed: must match F1200 of "G1 Z0 F1200" (20 mm/s), got 10`},
		{"grbl-z", `commands = ["G1 Z0 F600"]`, `commands = ["G1 Z-1 F600"]`, `grbl-z.toml: pen.down.position: must equal the Z-1 of "G1 Z-1 F600", got 0`},
		{"grbl-z", `commands = ["G1 Z0 F600"]`, `commands = ["M5"]`, `grbl-z.toml: pen.down.commands: needs exactly one Z move to pen.down.position, got 0`},
		{"grbl-z", "position = 1.0 ", "position = -2.0 ", "grbl-z.toml: pen.up.position: Z up must be above Z down (0), got -2"},
		// The rest position parks the pen beyond its travel height, never towards the card.
		{"grbl-servo", "position = 0.0\n", "position = 56.0\n", "grbl-servo.toml: pen.rest.position: must lie at or beyond pen.up.position 55.76, away from pen.down.position 63.5, got 56"},
		{"grbl-servo", "position = 0.0\n", "position = 190.0\n", "grbl-servo.toml: pen.rest.position: must be between 0 and 180, got 190"},
		{"grbl-servo", "position = 0.0\n", "", "grbl-servo.toml: pen.rest.position: missing"},
		{"grbl-servo", `commands = ["M5"]`, `commands = ["M3 S90"]`, `grbl-servo.toml: pen.rest.commands: "M3 S90" lowers the pen`},
		{"grbl-servo", `commands = ["M5"]`, `commands = ["G4 P1"]`, `grbl-servo.toml: pen.rest.commands: needs a servo command (M3 S<n> or M5)`},
		{"grbl-servo", `commands = ["M5"]`, `commands = ["M5", "G0 X3"]`, `grbl-servo.toml: pen.rest.commands: line 2 "G0 X3": pen commands may not move X or Y`},
		{"grbl-servo", "[pen.rest]", "[pen.rest]\nspeed = 100.0", "grbl-servo.toml: pen.rest: give only commands and position"},
		{"marlin-servo", `commands = ["M400", "M280 P0 S50"]`, `commands = ["M280 P0 S50"]`, `marlin-servo.toml: pen.down.commands: line 1 "M280 P0 S50": Marlin runs M280 as soon as it reads it, while earlier moves still run; put M400 before it`},
		{"marlin-servo", `commands = ["M400", "M280 P0 S50"]`, `commands = ["M400", "M280 P0 S45"]`, `marlin-servo.toml: pen.down.position: must equal the angle S45 of "M280 P0 S45", got 50`},
		{"marlin-servo", `commands = ["M400", "M280 P0 S50"]`, `commands = ["M400", "M3 S50"]`, `marlin-servo.toml: pen.down.commands: line 2 "M3 S50": M3 is not a command quillpost sends to marlin`},
		{"marlin-servo", `start = ["M400", "M280 P0 S90", "G28 X0 Y0", "G21", "G90"]`, `start = ["G28 X0 Y0", "G21", "G90"]`, `marlin-servo.toml: start: line 1 "G28 X0 Y0": homes before the pen is raised; put the pen-up commands first`},
		{"marlin-servo", `start = ["M400", "M280 P0 S90", "G28 X0 Y0", "G21", "G90"]`, `start = ["$H", "G21", "G90"]`, `marlin-servo.toml: start: line 1 "$H": $H is GRBL's homing command; marlin homes with G28`},
		{"marlin-servo", `"G28 X0 Y0"`, `"G28 X1 Y0"`, `marlin-servo.toml: start: line 3 "G28 X1 Y0": G28 axis letters are flags; write X0`},
		{"klipper", `kind = "send-wait"`, `kind = "char-count"`, `klipper.toml: protocol.kind: klipper speaks [send-wait], got "char-count"`},
		{"klipper", `actuator = "z"`, `actuator = "servo"`, `klipper.toml: pen.actuator: klipper profiles lift the pen on Z: Klipper's SET_SERVO is not plain G-code`},
		{"klipper", `commands = ["G1 Z0 F1200"]`, `commands = ["SET_SERVO SERVO=pen ANGLE=40"]`, `klipper.toml: pen.down.commands: line 1 "SET_SERVO SERVO=pen ANGLE=40": character '_' is not allowed`},
		{"fluidnc", `title = "FluidNC A3 belt plotter, pen servo as an RC-servo Z axis"`, `title = ""`, "fluidnc.toml: title: must be 1 to 100 characters, got 0"},
		{"grbl-servo", `homing = "required"`, `homing = "sometimes"`, `grbl-servo.toml: homing: must be required, optional or none, got "sometimes"`},
		{"grbl-servo", `homing = "required"`, `homing = "none"`, `grbl-servo.toml: homing: none, but start homes; remove the homing line from start or set homing = "required"`},
		{"grbl-servo", `start = ["$H", "G21", "G90", "G94", "G17"]`, `start = ["G21", "G90"]`, `grbl-servo.toml: homing: required, but start has no homing line ($H or G28); add one or set homing = "none"`},
		{"grbl-servo", `spindle_max = 255 `, `spindle_max = -1 `, `grbl-servo.toml: controller.spindle_max: must be between 1 and 100000, got -1`},
		{"grbl-servo", `laser_mode = false`, `laser_mode = true`, `grbl-servo.toml: controller.laser_mode: must be false for a pen on the spindle output`},
		{"grbl-servo", `spindle_min = 0 `, `spindle_min = 0 ` + "\nwork_offset_x = -300.0", `grbl-servo.toml: controller.work_offset_y: missing (work_offset_x and work_offset_y go together)`},
		{"grbl-servo", `spindle_min = 0 `, `spindle_min = 0 ` + "\nwork_offset_x = -300.0\nwork_offset_y = 1e6", `grbl-servo.toml: controller.work_offset_y: must be between -10000 and 10000, got 1e+06`},
		{"grbl-servo", `spindle_min = 0 `, `spindle_min = 0 ` + "\nwork_ofset_x = 1", `grbl-servo.toml: controller.work_ofset_x: unknown field`},
		{"marlin-servo", `[protocol]`, "[controller]\nwork_offset_x = 0.0\nwork_offset_y = 0.0\n[protocol]", `marlin-servo.toml: controller.work_offset_x: only GRBL and FluidNC machines set work offsets (G54); marlin-servo is marlin`},
	}
	for _, c := range cases {
		text := embeddedText(t, c.profile)
		if !strings.Contains(text, c.old) {
			t.Fatalf("%s.toml does not contain %q; fix the test", c.profile, c.old)
		}
		_, err := Parse(c.profile+".toml", []byte(strings.Replace(text, c.old, c.new, 1)))
		if err == nil {
			t.Errorf("%s: %q -> %q: no error, want %q", c.profile, c.old, c.new, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %q -> %q:\n got  %v\n want %s", c.profile, c.old, c.new, err, c.want)
		}
	}
}

func TestValidateCodeBuiltProfile(t *testing.T) {
	p, _ := Lookup("fluidnc")
	p.Card.Rotation = 30
	if err := p.Validate(); err == nil || err.Error() != "fluidnc.toml: card.rotation: must be 0, 90, 180 or 270, got 30" {
		t.Fatalf("Validate = %v", err)
	}
	if err := (&Profile{}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "profile: name:") {
		t.Fatalf("Validate of an empty profile = %v", err)
	}
}
