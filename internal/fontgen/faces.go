package fontgen

// Faces are the faces quillpost ships. Upstream copyright lines are those of the original
// designs as published in github.com/google/fonts (ofl/<family>/OFL.txt) when the EMS fonts
// were made; the EMS SVG files themselves carry only the metadata block.
var Faces = []Spec{
	{
		Name: "allure", Title: "EMS Allure", SVG: "EMSAllure.svg", Cursive: true, License: "OFL-1.1",
		Upstream: "Allura: Copyright (c) 2011 TypeSETit, LLC (typesetit@att.net),\nwith Reserved Font Name \"Allura\".",
	},
	{
		Name: "script", Title: "Hershey Script 1", SVG: "HersheyScript1.svg", Cursive: true, License: "Hershey",
		// The SVG draws digits and many symbols with doubled or tripled lines (Hershey's complex
		// script); cursive.jhf is the single-stroke script, so all of printable ASCII comes
		// from it. Its letters are the very glyphs the SVG's letters and accented letters use.
		JHF: "cursive.jhf", JHFRunes: printableASCII,
	},
	{
		Name: "felix", Title: "EMS Felix", SVG: "EMSFelix.svg", License: "OFL-1.1",
		Upstream: "Felipa: Copyright (c) 2011 Fontstage (info@fontstage.com), with Reserved Font Names, 'Felipa'.",
	},
	{
		Name: "readability", Title: "EMS Readability Italic", SVG: "EMSReadabilityItalic.svg", License: "OFL-1.1",
		Upstream: "Source Sans Pro: Copyright 2010, 2012, 2014 Adobe Systems Incorporated (http://www.adobe.com/),\nwith Reserved Font Name 'Source'.",
	},
	{
		Name: "sans", Title: "Hershey Sans 1", SVG: "HersheySans1.svg", License: "Hershey",
	},
}

// printableASCII is U+0021 to U+007E; the space stays the SVG's.
const printableASCII = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
