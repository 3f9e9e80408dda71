package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSheetsCommand(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "a.csv")
	csv := "\ufeffname;company;line1;line2;postal_code;city;region;country;card_id\n" +
		"Jürgen Weiß;;Große Burgstraße 3;;06667;Weißenfels;;DE;c-1\n" +
		"Bad;;Hauptstr 1;;1234;Berlin;;DE;c-2\n" +
		"Jane Doe;Acme;20 W 34th St;Suite 1000;10001;New York;NY;US;c-3\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(dir, "labels.pdf")
	var stdout, stderr bytes.Buffer

	err := runSheets(context.Background(), []string{"-o", pdfPath, csvPath}, &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "row 3, postal_code: postal code 1234 is not a German postal code") {
		t.Fatalf("bad row: err %v, stderr %q", err, stderr.String())
	}
	if _, err := os.Stat(pdfPath); !os.IsNotExist(err) {
		t.Fatal("a PDF was written although a row was refused")
	}

	stdout.Reset()
	err = runSheets(context.Background(), []string{"--skip-bad", "--from", "DE", "--layout", "avery-l7163", "-o", pdfPath, csvPath}, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "wrote "+pdfPath+": 2 labels on 1 sheet (avery-l7163, written order), 2 pages") {
		t.Errorf("stdout %q", stdout.String())
	}
	b, err := os.ReadFile(pdfPath)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("PDF: %v", err)
	}

	stdout.Reset()
	if err := runSheets(context.Background(), []string{"--layouts"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zweckform-3475", "zweckform-3422", "avery-l7160", "avery-l7163", "avery-5160", "envelope-c6", "envelope-dl"} {
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("--layouts lacks %s", name)
		}
	}
	if err := runSheets(context.Background(), []string{"--layout", "nope", "-o", pdfPath, csvPath}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "there is no label layout") {
		t.Errorf("unknown layout: %v", err)
	}
}

// TestSheetsFromDefault: like serve and worker, the command posts from Germany unless told
// otherwise, so a domestic label has no country line and a foreign one is named in German.
func TestSheetsFromDefault(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "a.csv")
	csv := "name,line1,postal_code,city,region,country,card_id\n" +
		"Jürgen Weiß,Große Burgstraße 3,06667,Weißenfels,,DE,c-1\n" +
		"Jane Doe,20 W 34th St,10001,New York,NY,US,c-3\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	render := func(name string, flags ...string) []byte {
		t.Helper()
		p := filepath.Join(dir, name)
		var stdout, stderr bytes.Buffer
		if err := runSheets(context.Background(), append(flags, "--no-manifest", "-o", p, csvPath), &stdout, &stderr); err != nil {
			t.Fatalf("sheets %v: %v (%s)", flags, err, stderr.String())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	def, de, none := render("default.pdf"), render("de.pdf", "--from", "DE"), render("none.pdf", "--from", "")
	if !bytes.Equal(def, de) {
		t.Error("the labels made without --from differ from those made with --from DE")
	}
	if bytes.Equal(def, none) {
		t.Error("--from \"\" makes the same labels as the default; the default should post from DE")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed; the country lines are not read")
	}
	out, err := exec.Command("pdftotext", filepath.Join(dir, "default.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	if !strings.Contains(text, "06667 Weißenfels") || !strings.Contains(text, "NEW YORK NY 10001") {
		t.Fatalf("the labels lack the addresses:\n%s", text)
	}
	if strings.Contains(strings.ToUpper(text), "GERMANY") || strings.Contains(strings.ToUpper(text), "DEUTSCHLAND") {
		t.Errorf("a domestic label carries a country line:\n%s", text)
	}
	if !strings.Contains(text, "USA") && !strings.Contains(text, "VEREINIGTE STAATEN") {
		t.Errorf("the US label has no country line in German:\n%s", text)
	}
	if strings.Contains(text, "UNITED STATES") {
		t.Errorf("the US label is named in English although the mail is posted in Germany:\n%s", text)
	}
}
