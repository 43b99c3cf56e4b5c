package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"sockscope/demo"
	"sockscope/proxy"
)

func newDemoCmd() *cobra.Command {
	var o options
	var dur time.Duration
	var clients int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a built-in seed-protocol service and clients with sockscope in front",
		Long: `demo starts, on temporary Unix sockets that are removed on exit, a service
speaking the seed protocol (register; add; time, which answers after 1 s; an
unknown method; a method that never answers; an error without rid) and a few
clients calling it, with sockscope in front.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), o, dur, clients)
		},
	}
	addFlags(cmd, &o, false)
	cmd.Flags().DurationVar(&dur, "for", 0, "stop after this long (0: until q, Ctrl-C or a signal)")
	cmd.Flags().IntVar(&clients, "clients", 3, "how many demo clients call the service (0: none, connect your own to the socket the UI names)")
	return cmd
}

func runDemo(ctx context.Context, o options, dur time.Duration, clients int) error {
	if clients < 0 {
		return fmt.Errorf("--clients %d: 0 or more (0: none, connect your own)", clients)
	}
	ctx, cancel := signalContext(ctx)
	defer cancel()
	if dur > 0 {
		ctx, cancel = context.WithTimeout(ctx, dur)
		defer cancel()
	}
	dir, err := os.MkdirTemp("", "sockscope-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	svc := filepath.Join(dir, "service.sock")
	svcLn, err := net.Listen("unix", svc)
	if err != nil {
		return err
	}
	defer svcLn.Close()
	go demo.Serve(ctx, svcLn)

	front := proxy.Addr{Network: "unix", Address: filepath.Join(dir, "sockscope.sock")}
	ln, err := proxy.Listen(front, 0o600)
	if err != nil {
		return err
	}
	run, err := startCapture(ctx, o, ln, proxy.Addr{Network: "unix", Address: svc}, "")
	if err != nil {
		ln.Close()
		return err
	}
	if clients > 0 {
		go demo.RunClients(ctx, proxy.DialFunc(front), demo.ClientOptions{Clients: clients})
	}
	return run()
}
