package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sockscope/proxy"
	"sockscope/replay"
	"sockscope/store"
)

// serveOptions are the flags of `sockscope serve`.
type serveOptions struct {
	listen   string
	match    string
	ignore   []string
	miss     string
	ids      string
	mode     string
	maxBytes int64
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve FILE --listen ADDR",
		Short: "Stand in for the recorded server: answer clients from a session file",
		Long: `serve listens at ADDR and answers each client as the recorded server did:
the recorded greeting on connect (the seed's register, QMP's greeting),
each request with the recorded reply to the same request, carrying the
incoming request's id, and what the server sent after a request (its
notifications, its own requests) after it. LSP's exit ends the connection.
A JSON-RPC batch the recording has none like is answered from the
requests recorded one by one; when one of them misses, --miss forward
sends the whole batch to the real server. What is not JSON gets
JSON-RPC's -32700 Parse error, JSON that is no request -32600 Invalid
Request. DAP replies are numbered (seq) 1, 2, 3, … on each connection.

--match method-params (the default) matches by method and params, leaving
out --ignore's paths and keys, LSP's processId and the GOGCCFLAGS of
gopls -remote's go env; identical requests get the recorded replies in
order. sequential takes the recorded requests of
the connection in order, checking only the method; strict as sequential,
each request equal to the recorded one but for its id and what
method-params leaves out. There a request that misses takes its place:
the next one is compared with the next recorded request. HTTP requests
match by method, target and body, RESP commands by name and arguments,
msgpack-RPC calls (Neovim's) by method and params, their replies addressed
to the caller's msgid.

A request with no match gets, per --miss: an error reply in the
protocol's shape naming the method and the closest recorded request (in
order: the recorded one at its place, and how they differ) (error), a
closed connection (close), or the real server's reply (forward:ADDR; JSON
protocols only), after the client's own handshake on that connection,
opened at the first miss: at start serve only looks that a socket is at
ADDR's path (or that its host name resolves).

Exit status: 0 when stopped (SIGINT, SIGTERM), 1 for an error (reading
FILE, listening), 2 for bad flags or arguments.`,
		Example: `  sockscope serve session.jsonl --listen /tmp/app.sock
  sockscope serve lsp.jsonl --listen /tmp/gopls.sock --miss forward:/tmp/real-gopls.sock
  sockscope serve session.jsonl -l :9000 --match sequential --ignore timestamp`,
		Args:          argsWithUsage(cobra.ExactArgs(1)),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.listen == "" { // not MarkFlagRequired: cobra's check ends the process with 1
				return usage(errors.New(`required flag(s) "listen" not set`))
			}
			return runServe(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.listen, "listen", "l", "", "where clients connect (`ADDR`)")
	f.StringVar(&o.match, "match", "method-params", "method-params|sequential|strict")
	f.StringArrayVar(&o.ignore, "ignore", nil, "leave `PATH` ($.params.time) or a bare KEY out of the matching; repeatable")
	f.StringVar(&o.miss, "miss", "error", "error|close|forward:ADDR: what a request with no recorded reply gets")
	f.StringVar(&o.ids, "id", "", "JSON `FIELDS` that carry the request id (default: the ones the file was recorded with)")
	f.StringVar(&o.mode, "mode", "0600", "file mode of a Unix socket created by --listen")
	f.Int64Var(&o.maxBytes, "max-bytes", store.DefaultMaxBytes, "bytes of the recording held in memory (it must fit)")
	return usageStatus(cmd, usageExit)
}

// forwardResolve bounds the look-up at start of the host name of
// --miss forward:HOST:PORT.
const forwardResolve = 2 * time.Second

// lookForward says why nothing may answer at a, the server of --miss
// forward, looking without connecting to it: a server that takes one
// client at a time (QEMU's QMP) or only one (socat without fork) would
// count a connection as a client's session. It looks that a socket is at
// a Unix socket's path (one in Linux's abstract namespace has none) and
// that a TCP host name resolves; a Windows pipe is not looked at (to open
// its name is to connect). Whether a server listens is known at the first
// miss, which says so.
func lookForward(ctx context.Context, a proxy.Addr) error {
	switch a.Network {
	case "unix":
		if strings.HasPrefix(a.Address, "@") {
			return nil
		}
		fi, err := os.Stat(a.Address)
		if err != nil {
			return err
		}
		if runtime.GOOS != "windows" && fi.Mode()&os.ModeSocket == 0 {
			return fmt.Errorf("%s is not a socket", a.Address)
		}
	case "tcp":
		host, _, err := net.SplitHostPort(a.Address)
		if err != nil || host == "" || net.ParseIP(host) != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(ctx, forwardResolve)
		defer cancel()
		_, err = net.DefaultResolver.LookupHost(ctx, host)
		return err
	}
	return nil
}

func runServe(ctx context.Context, o serveOptions, file string) error {
	var cfg replay.ServeConfig
	var err error
	if cfg.Match, err = replay.ParseMatch(o.match); err != nil {
		return usage(err)
	}
	if cfg.Ignore, err = replay.ParseIgnore(o.ignore); err != nil {
		return usage(err)
	}
	miss, fwd, err := replay.ParseMiss(o.miss)
	if err != nil {
		return usage(err)
	}
	cfg.Miss, cfg.Log = miss, os.Stderr
	var fwdAddr proxy.Addr
	if miss == replay.MissForward {
		if fwdAddr, err = proxy.ParseAddr(fwd); err != nil {
			return usage(fmt.Errorf("--miss: %w", err))
		}
		cfg.Forward = proxy.DialFunc(fwdAddr)
	}
	la, lc, err := listenConfig(o.listen, o.mode, "")
	if err != nil {
		return usage(err)
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	rec, err := loadRecording(ctx, file, replay.ClientSide, o.ids, o.maxBytes)
	if err != nil {
		return err
	}
	if rec.Damaged != nil {
		fmt.Fprintf(os.Stderr, "sockscope serve: %s: %v: answering from the rest\n", file, rec.Damaged)
	}
	s, err := replay.NewServer(rec, cfg)
	if err != nil {
		return err
	}
	if miss == replay.MissForward {
		// Looked at once, without connecting, so that a wrong ADDR is said
		// at start, not at the first miss; the real server may start
		// later, so serve goes on (a miss meanwhile gets an error reply
		// that says why).
		if err := lookForward(ctx, fwdAddr); err != nil {
			fmt.Fprintf(os.Stderr, "sockscope serve: --miss %s: no server there now (%v); until one listens there, a miss gets an error reply that says so\n", o.miss, err)
		}
	}
	ln, err := lc.Listen(la)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "sockscope serve: listening on %s, answering from %s (%d recorded requests)\n", ln.Addr(), file, s.Requests())
	err = s.Serve(ctx, ln)
	fmt.Fprintln(os.Stderr, s.Summary())
	return err
}
