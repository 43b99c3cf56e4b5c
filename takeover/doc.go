// Package takeover lets sockscope sit in front of a Unix socket that a server
// is already listening on, without restarting the server or reconfiguring its
// clients: it moves the server's socket aside, listens at the original path
// itself, and puts everything back when it is done.
//
// Typical use, by the caller that owns the process (main):
//
//	t, err := takeover.Take("/run/app.sock")
//	if err != nil {
//		return err // says what is wrong; nothing was changed
//	}
//	for _, n := range t.Notes {
//		fmt.Fprintln(os.Stderr, n) // e.g. a leftover that was restored first
//	}
//	defer t.Restore() // normal exit, `q`, and a panic in this goroutine
//	sig := make(chan os.Signal, 1)
//	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
//	go func() { <-sig; t.Restore(); os.Exit(130) }()
//	// Clients arrive on t.Listener; forward them to "unix:" + t.Moved.
//
// Restore is idempotent and safe to call from several places at once. A panic
// in a goroutine other than the one holding the defer ends the process
// without running deferred calls, and SIGKILL cannot be caught at all: for
// those, the marker file written before anything is renamed lets the next
// Take of the same path (or `sockscope restore PATH`, which calls [Restore])
// put the server's socket back before doing anything else.
//
// The swap leaves no gap: sockscope's listener is created at a hidden
// temporary name in the same directory with the original's mode and owner,
// the server's socket gets its second name Moved by a hard link, and the
// temporary socket is renamed over the path, atomically. Where the hard link
// is not allowed, the server's socket is renamed aside instead and clients
// may find the path missing for the instant between two renames. Restore
// likewise renames the server's socket back over sockscope's.
//
// Take-over needs rename(2) on a socket file, so it exists only on Unix; on
// Windows, named pipes cannot be renamed and Take returns [ErrUnsupported].
package takeover
