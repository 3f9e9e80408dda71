//go:build ignore

// gen_names writes names.json, the table of country names the formatter prints as the last line of
// international mail, from CLDR data in golang.org/x/text. It runs once by hand
// (go run gen_names.go > names.json); the JSON is the data the package uses and may be corrected by
// hand afterwards, which is why the generator is not run by go generate on every build.
package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// reserved are codes CLDR still names that ISO 3166-1 does not assign to a country today
// (exceptionally or transitionally reserved, withdrawn, or user-assigned), so an address must not use
// them. The address package maps the common aliases UK and EL itself.
var reserved = map[string]bool{}

func init() {
	for _, c := range strings.Fields("AC BU CP CQ CT DD DG DY EA EZ FX HV IC JT MI NH NQ PU PZ RH TA TP UK UN VD WK XK YD ZR") {
		reserved[c] = true
	}
}

func main() {
	langs := []string{"da", "de", "en", "es", "fr", "it", "nl", "pl"}
	out := map[string]map[string]string{}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || r.String() != code || !r.IsCountry() || r.IsPrivateUse() {
				continue
			}
			if reserved[code] {
				continue
			}
			names := map[string]string{}
			for _, l := range langs {
				n := display.Regions(language.MustParse(l)).Name(r)
				if n == "" {
					break
				}
				names[l] = n
			}
			if len(names) == len(langs) {
				out[code] = names
			}
		}
	}
	codes := make([]string, 0, len(out))
	for c := range out {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	fmt.Println("{")
	for i, c := range codes {
		b, _ := json.Marshal(out[c])
		sep := ","
		if i == len(codes)-1 {
			sep = ""
		}
		fmt.Printf("  %q: %s%s\n", c, b, sep)
	}
	fmt.Println("}")
}
