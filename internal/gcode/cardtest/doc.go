// Package cardtest holds the round-trip test of real rendered cards through every firmware
// profile. It is a package of its own so that the gcode package's tests do not depend on the
// handwriting renderer: a change there can fail this test, never the emitter's own.
package cardtest
