package fontgen

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// OFLText builds the licence file of an EMS face: the copyright lines of the EMS conversion
// (from the SVG's metadata) and of its upstream design, then the SIL OFL 1.1 exactly as the
// inkscape package ships it in svg_fonts/OFL.txt, whose placeholder copyright lines it replaces.
func OFLText(spec Spec, svg *SVGFont, oflTemplate []byte) (string, error) {
	tmpl := strings.ReplaceAll(string(oflTemplate), "\r\n", "\n")
	_, body, ok := strings.Cut(tmpl, "\n\n")
	if !ok || !strings.Contains(body, "SIL OPEN FONT LICENSE Version 1.1") {
		return "", fmt.Errorf("the OFL template does not look like the SIL OFL 1.1")
	}
	var b strings.Builder
	if svg.MetadataField("Font name") == "" {
		return "", fmt.Errorf("%s has no EMS metadata block to credit", spec.SVG)
	}
	b.WriteString("The EMS font, as its SVG metadata describes it:\n\n")
	for _, line := range strings.Split(svg.Metadata, "\n") {
		b.WriteString("    " + strings.TrimSpace(line) + "\n")
	}
	b.WriteString("\nCopyright of the upstream design:\n")
	if spec.Upstream == "" {
		return "", fmt.Errorf("spec %s has no upstream copyright lines", spec.Name)
	}
	b.WriteString(strings.TrimSpace(spec.Upstream) + "\n\n")
	fmt.Fprintf(&b, "Converted to quillpost's single-stroke format (face %q) by quillpost's fontgen;\n", spec.Name)
	b.WriteString("the Reserved Font Name of the upstream design is not used.\n\n")
	b.WriteString(body)
	return b.String(), nil
}

// HersheyText builds the licence file of a Hershey face: a note on where the data came from,
// then the Hershey Fonts licence with its acknowledgements verbatim, as Debian's
// hershey-fonts-data records it in its copyright file (the "License: hershey-license" stanza,
// with the one-space continuation indent removed).
func HersheyText(spec Spec, svg *SVGFont, debianCopyright []byte) (string, error) {
	notice, err := hersheyStanza(debianCopyright)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "quillpost face %q: %s, from the Hershey SVG fonts that Windell H. Oskay\n", spec.Name, svg.Family)
	b.WriteString("(Evil Mad Scientist Laboratories) converted from the Hershey data for inkscape")
	if spec.JHF != "" {
		what := "the characters " + spec.JHFRunes
		if spec.JHFRunes == printableASCII {
			what = "printable ASCII"
		}
		fmt.Fprintf(&b, ",\nwith %s taken from the Hershey data file %s\n(Debian package hershey-fonts-data)", what, spec.JHF)
	}
	b.WriteString(".\n\nThe Hershey Fonts licence:\n\n")
	b.WriteString(notice)
	return b.String(), nil
}

func hersheyStanza(copyright []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(copyright))
	var out strings.Builder
	in := false
	for sc.Scan() {
		line := sc.Text()
		if in {
			if !strings.HasPrefix(line, " ") {
				break
			}
			line = line[1:]
			if line == "." {
				line = ""
			}
			out.WriteString(line + "\n")
			continue
		}
		if strings.TrimSpace(line) == "License: hershey-license" {
			in = true
		}
	}
	text := out.String()
	if !strings.Contains(text, "A. V. Hershey") || !strings.Contains(text, "James Hurt") {
		return "", fmt.Errorf("the copyright file has no hershey-license stanza with the acknowledgements")
	}
	return text, nil
}
