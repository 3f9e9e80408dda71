package serialstream_test

import (
	"strings"
	"testing"

	"github.com/quillpost/quillpost/internal/serialstream"
)

func TestParseStatus(t *testing.T) {
	st, err := serialstream.ParseStatus("<Hold:1|MPos:12.000,-3.500,0.250|Bf:14,120|FS:3000,90|Ln:42|Pn:XZ|Ov:100,100,100>")
	if err != nil {
		t.Fatal(err)
	}
	want := serialstream.Status{State: "Hold", SubState: 1, MPos: [3]float64{12, -3.5, 0.25}, HasMPos: true,
		Blocks: 14, RX: 120, HasBf: true, Feed: 3000, Spindle: 90, HasFS: true, Line: 42}
	if st != want {
		t.Errorf("got %+v\nwant %+v", st, want)
	}
	// WPos plus WCO gives MPos, as GRBL reports when $10 asks for work positions.
	st, err = serialstream.ParseStatus("<Idle|WPos:1.000,2.000,3.000|F:500|WCO:10.000,20.000,30.000>")
	if err != nil || st.MPos != [3]float64{11, 22, 33} || !st.HasMPos || st.Feed != 500 || st.HasBf {
		t.Errorf("WPos+WCO: %+v, %v", st, err)
	}
	for _, bad := range []string{"Idle|MPos:0,0,0>", "<Walking|MPos:0,0,0>", "<Idle|MPos:0,0>", "<Idle|Bf:-1,128>", "<Idle|Bf:1.5,128>", "<Hold:x>", "<Idle|FS:NaN,0>"} {
		if _, err := serialstream.ParseStatus(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		line string
		kind serialstream.ReplyKind
		code int
	}{
		{"ok", serialstream.ReplyOK, 0},
		{"ok T:0.00 /0.00", serialstream.ReplyOK, 0},
		{"error:22", serialstream.ReplyError, 22},
		{"ALARM:2", serialstream.ReplyAlarm, 2},
		{"<Idle|MPos:0.000,0.000,0.000|Bf:15,128|FS:0,0>", serialstream.ReplyStatus, 0},
		{"Grbl 1.1h ['$' for help]", serialstream.ReplyBanner, 0},
		{"Grbl 3.7 [FluidNC v3.7.8 (wifi) '$' for help]", serialstream.ReplyBanner, 0},
		{"[MSG:Reset to continue]", serialstream.ReplyMessage, 0},
		{"Resend: 12", serialstream.ReplyResend, 12},
		{"rs 7", serialstream.ReplyResend, 7},
		{"Error:checksum mismatch, Last Line: 11", serialstream.ReplyMarlinError, 0},
		{"echo:busy: processing", serialstream.ReplyBusy, 0},
		{`echo:Unknown command: "M12345"`, serialstream.ReplyUnknownCommand, 0},
		{"start", serialstream.ReplyStart, 0},
		{"// Klipper state: Ready", serialstream.ReplyEcho, 0},
		{"!! Move out of range: 400.000 0.000 0.000 [0.000]", serialstream.ReplyKlipperError, 0},
		{"<Idle|garbage", serialstream.ReplyOther, 0},
		{"error:x", serialstream.ReplyMarlinError, 0},
	} {
		r := serialstream.ParseReply(tc.line)
		got := r.Code
		if r.Kind == serialstream.ReplyResend {
			got = r.Line
		}
		if r.Kind != tc.kind || got != tc.code {
			t.Errorf("%q: kind %d code %d, want %d %d", tc.line, r.Kind, got, tc.kind, tc.code)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{
		"<Idle|MPos:0.000,0.000,0.000|Bf:15,128|FS:0,0>", "<Hold:1|MPos:12.000,-3.500,0.250|Bf:14,120|FS:3000,90|Ln:42>",
		"<Idle|WPos:1,2,3|F:500|WCO:10,20,30>", "<Alarm|MPos:0,0,0,0,0,0>", "<Door:3|Pn:P>", "<>", "<Run|Bf:0,0|Ov:1,2,3>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		st, err := serialstream.ParseStatus(line)
		if err != nil {
			return
		}
		if st.State == "" || st.Blocks < 0 || st.RX < 0 || st.SubState < -1 || st.SubState > 9 {
			t.Fatalf("%q parsed as %+v", line, st)
		}
		if !strings.HasPrefix(strings.TrimSpace(line), "<"+st.State) {
			t.Fatalf("%q: state %q is not the report's", line, st.State)
		}
	})
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"ok", "error:9", "ALARM:3", "Resend: 4", "rs 5", "Error:Line Number is not Last Line Number+1, Last Line: 3",
		"<Idle|MPos:0,0,0|Bf:15,128>", "Grbl 1.1h ['$' for help]", "!! oops", "echo:busy: processing", "[GC:G0 G54]", "start"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r := serialstream.ParseReply(line)
		switch r.Kind {
		case serialstream.ReplyStatus:
			if r.Status.State == "" {
				t.Fatalf("%q: a status without a state", line)
			}
		case serialstream.ReplyResend:
			if r.Line < 0 {
				t.Fatalf("%q: resend of line %d", line, r.Line)
			}
		case serialstream.ReplyError, serialstream.ReplyAlarm:
			if r.Code < 0 {
				t.Fatalf("%q: code %d", line, r.Code)
			}
		}
	})
}

func BenchmarkParseStatus(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serialstream.ParseStatus("<Run|MPos:123.456,78.900,0.000|Bf:14,97|FS:3000,90>"); err != nil {
			b.Fatal(err)
		}
	}
}
