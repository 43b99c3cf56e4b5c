package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// startProfile writes a CPU profile to $SOCKSCOPE_CPUPROFILE, if set, until
// the returned function is called: for measuring sockscope under the
// benchmark command's load. A "%p" in the path becomes the process id, so
// that several sockscopes (the benchmark's --headless and UI runs, and a
// relay's decoder's process) each write their own.
func startProfile() (stop func()) {
	path := os.Getenv("SOCKSCOPE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	path = strings.ReplaceAll(path, "%p", strconv.Itoa(os.Getpid()))
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockscope: cpu profile:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
