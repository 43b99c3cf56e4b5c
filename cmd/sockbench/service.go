//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// Services a scenario can run against.
const (
	serviceEcho = "echo" // echo.go
	// serviceJSON is the echo service decoding each request and encoding
	// each reply with encoding/json, as real services do (-json).
	serviceJSON = "json"
	serviceDemo = "demo" // package demo
)

// startService serves svc on a unix socket at path, and stop ends it; pid
// is the service's process (0 when it runs in this one). The
// service runs as a real server does: in a process of its own (this
// program again, with SOCKBENCH_SERVE set) in a session of its own, so
// that the load, the service and each relay are scheduled as separate
// programs. With inproc, it runs in this process instead.
func startService(svc, path string, replySize int, inproc bool) (stop func(), pid int, err error) {
	if inproc {
		stop, err = serveHere(svc, path, replySize)
		return stop, 0, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	env := []string{"SOCKBENCH_SERVE=" + svc + ":" + strconv.Itoa(replySize) + ":" + path}
	r, err := startProcess(svc+" service", path, env, exe)
	if err != nil {
		return nil, 0, err
	}
	return func() { r.stop() }, r.cmd.Process.Pid, nil
}

// serveHere serves svc at path in this process.
func serveHere(svc, path string, replySize int) (stop func(), err error) {
	switch svc {
	case serviceEcho, serviceJSON:
		e, err := startEcho(path, replySize, svc == serviceJSON)
		if err != nil {
			return nil, err
		}
		return e.close, nil
	case serviceDemo:
		return startDemo(path)
	}
	return nil, fmt.Errorf("unknown service %q", svc)
}

// serveFromEnv is the service process's side of startService: when
// SOCKBENCH_SERVE is "NAME:REPLYSIZE:PATH", it serves until SIGTERM or
// SIGINT and reports true.
func serveFromEnv() (bool, error) {
	v, ok := os.LookupEnv("SOCKBENCH_SERVE")
	if !ok {
		return false, nil
	}
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return true, fmt.Errorf("SOCKBENCH_SERVE=%q: want NAME:REPLYSIZE:PATH", v)
	}
	reply, err := strconv.Atoi(parts[1])
	if err != nil {
		return true, fmt.Errorf("SOCKBENCH_SERVE=%q: %v", v, err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	stop, err := serveHere(parts[0], parts[2], reply)
	if err != nil {
		return true, err
	}
	<-ctx.Done()
	stop()
	return true, nil
}
