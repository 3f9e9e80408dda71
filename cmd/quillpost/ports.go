package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"go.bug.st/serial/enumerator"
)

func init() {
	register("ports", "list serial ports, with USB vendor and product IDs", runPorts)
}

func runPorts(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ports", "[flags]", stdout)
	usbOnly := fs.Bool("usb", false, "list only USB serial ports (where plotters are)")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return fmt.Errorf("cannot list the serial ports: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	n := 0
	for _, p := range ports {
		if *usbOnly && !p.IsUSB {
			continue
		}
		if n == 0 {
			fmt.Fprintln(tw, "PORT\tUSB VID:PID\tSERIAL\tMANUFACTURER\tPRODUCT")
		}
		n++
		id := "-"
		if p.IsUSB {
			id = p.VID + ":" + p.PID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, id, dash(p.SerialNumber), dash(p.Manufacturer), dash(p.Product))
	}
	if n == 0 {
		fmt.Fprintln(stdout, "no serial ports found (a virtual plotter's pseudo-terminal is not listed: quillpost plotsim prints its path)")
		return nil
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
