// Package split runs the observer in a process of its own, at the lowest
// priority, so that decoding takes only the CPU the relay and the peers
// leave: the relay's process hands the decoder's every event through a ring
// of shared memory (a binary stream: wire.go, ring.go), and the two answer
// each other's questions over a control link (the decoder's UI's and
// feed's resend and inject, and the UI's interceptor, go to the relay's
// engine: remote.go; the relay's control port asks what the decoder knows
// of a connection: capture.Decoded; and the relay's process tells what
// the UI must warn of: Decoder.Warn). The decoder's process shows the UI,
// when there is one, on the relay's process's terminal (terminal.go).
//
// Sharing a process would not do: a Go program stops all its goroutines
// for parts of each garbage collection and waits for every thread running
// Go code, and a starved decoder thread of low priority held the relay
// stopped for up to 1.6 s under load. And with the Linux autogroup
// scheduler, thread priorities order only the threads of one session.
//
// The relay's side:
//
//	d, feed, err := split.Start(split.Config{Setup: setup})
//	e, err := capture.New(capture.Config{Decoder: d, ...})
//	d.Serve(e)
//	e.Start(ctx, relay)
//	...
//	e.Stop() // ends the events: the decoder's process finishes and exits
//	err = d.Wait()
//
// The decoder's (the same binary, started with Env set):
//
//	src, err := split.Child(&setup) // nil when this process is no decoder's
//	e, err := capture.New(capture.Config{Lossless: true, Dropped: src.Dropped, ...})
//	e.Start(ctx, src)
//	src.Ready(capture.StoreDecoded(e.Store, framing), progress, "feed at ...")
//	e.Wait(ctx)
package split

// Env is the environment variable that makes sockscope the decoder's
// process of a relay's: it holds the setup, as JSON.
const Env = "SOCKSCOPE_DECODER_SETUP"
