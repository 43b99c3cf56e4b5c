package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
)

// startProfile writes a CPU profile to $SOCKSCOPE_CPUPROFILE, and an
// allocation profile to $SOCKSCOPE_MEMPROFILE, if set, until the returned
// function is called: for measuring sockscope under the benchmark
// command's load. A "%p" in a path becomes the process id, so that several
// sockscopes (the benchmark's --headless and UI runs, and a relay's
// decoder's process) each write their own.
func startProfile() (stop func()) {
	stopCPU := startCPUProfile()
	path := profilePath("SOCKSCOPE_MEMPROFILE")
	if path == "" {
		return stopCPU
	}
	runtime.MemProfileRate = 4096 // a sample every 4 KiB allocated, on average
	return func() {
		stopCPU()
		runtime.GC() // the profile is of the last collection: include what came since
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sockscope: memory profile:", err)
		}
	}
}

func startCPUProfile() (stop func()) {
	path := profilePath("SOCKSCOPE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
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

// profilePath is the path in environment variable name, with %p replaced
// by the process id: "" if unset.
func profilePath(name string) string {
	return strings.ReplaceAll(os.Getenv(name), "%p", strconv.Itoa(os.Getpid()))
}
