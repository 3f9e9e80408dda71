// Package cardtest streams real rendered cards (the handwriting renderer, the G-code emitter, the
// firmware profiles) through the serial sender into the virtual plotter, and benchmarks the link
// utilisation of the streaming protocols on them. It is a package of its own so that the sender's
// own tests do not depend on the renderer.
package cardtest
