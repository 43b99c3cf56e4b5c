package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"sockscope/observe"
	"sockscope/protocol"
	"sockscope/proxy"
	"sockscope/session"
	"sockscope/store"
	"sockscope/ui"
)

func newShowCmd() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show a session recorded with --record, in the UI or as --dump",
		Long: `show reads a session file and decodes it as if it were live: the same
framing, pairing and latencies (the recorded times), in the UI, or with
--dump as one JSON object per event. A file cut short by a crash is read up
to its last complete record.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.Context(), o, args[0])
		},
	}
	addFlags(cmd, &o, false)
	return cmd
}

func runShow(ctx context.Context, o options, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st := store.New(store.Config{MaxMessages: o.maxMessages, MaxBytes: o.maxBytes})
	var dump io.Writer
	if o.dump {
		dump = os.Stdout
	}
	obs := observe.New(observe.Config{Store: st, MaxFrame: o.maxFrame, Dump: dump})
	q := proxy.NewQueue(0, true)
	readErr := make(chan error, 1)
	go func() {
		readErr <- replay(session.NewReader(f), q)
		q.Close()
	}()
	obs.Run(q)
	if err := <-readErr; err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if o.dump || o.headless {
		fmt.Fprintf(os.Stderr, "sockscope: %s: %s\n", path, obs.Counts())
		return nil
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	return ui.Run(ctx, st, ui.Options{Listen: "session", Upstream: path})
}

// replay turns a session file's records back into the relay's events, each
// frame re-framed as it was on the wire, so the observer decodes them as it
// did live. Connection numbers of later segments are shifted past earlier
// ones.
func replay(r *session.Reader, q *proxy.Queue) error {
	var base, top uint64
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) || errors.Is(err, session.ErrTruncated) {
			return nil
		}
		if err != nil {
			return err
		}
		id := base + rec.Conn
		top = max(top, id)
		switch rec.Type {
		case session.TypeHeader:
			base = top
		case session.TypeOpen:
			q.Put(proxy.Event{Type: proxy.EventOpen, Conn: id, At: rec.At, Peer: &proxy.Peer{
				Client: rec.Client, Listen: rec.Listen, Upstream: rec.Upstream,
				PID: rec.PID, UID: rec.UID, Process: rec.Process,
			}})
		case session.TypeFrame:
			q.Put(proxy.Event{Type: proxy.EventData, Conn: id, Dir: rec.Dir, At: rec.At, Data: reframe(rec), Injected: rec.Injected})
		case session.TypeGap:
			q.Put(proxy.Event{Type: proxy.EventData, Conn: id, Dir: rec.Dir, At: rec.At, Gap: rec.Bytes})
		case session.TypeClose:
			var cerr error
			if rec.Err != "" {
				cerr = errors.New(rec.Err)
			}
			q.Put(proxy.Event{Type: proxy.EventClose, Conn: id, At: rec.At, Err: cerr})
		}
	}
}

// reframe puts a recorded payload back in its framing.
func reframe(rec session.Record) []byte {
	switch rec.Framing {
	case protocol.FramingContentLength.String():
		h := "Content-Length: " + strconv.Itoa(len(rec.Data)) + "\r\n\r\n"
		return append([]byte(h), rec.Data...)
	case protocol.FramingRaw.String():
		return rec.Data
	}
	if rec.Wire == rec.Size+2 {
		return append(rec.Data, '\r', '\n')
	}
	return append(rec.Data, '\n')
}
