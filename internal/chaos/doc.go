// Package chaos is quillpost's fault-injection suite: it builds the real `quillpost` binary (and a
// `nats-server` from the module cache), runs whole installations as separate processes on loopback
// ports, breaks them the way production breaks (kill -9, NATS outages, a NATS node lost, a
// PostgreSQL restart, robots left idle) and checks what a customer and an operator see afterwards:
// every card written exactly once or failed with a reason, none stranded, every written card on
// exactly one address sheet, and blanks spoiled only by a fault that hit that very card.
//
// The scenarios are behind the build tag "chaos", so `go test ./...` stays fast:
//
//	go test -tags chaos -count=1 -timeout 40m -v ./internal/chaos
//
// It is a step of .ci/run. -v prints each scenario's figures (cards written, failed, lost,
// duplicated, stranded, unlabelled; blanks spoiled; time until the fleet wrote again) and a
// table of all of them at the end.
//
// They observe the system only from outside (HTTP API, operator API, sheet PDFs), so they keep
// meaning the same thing while the code inside changes.
package chaos
