package observe

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lowPriority is the priority a yielding decoder's thread is put at:
// SOCKSCOPE_DECODER_PRIORITY=idle (the SCHED_IDLE class: it runs only on a
// core no other thread wants) or =nice (nice 19); "" (normal, the default)
// otherwise. See lowDecoder for why it is off by default.
func lowPriority() string {
	switch p := os.Getenv("SOCKSCOPE_DECODER_PRIORITY"); p {
	case "idle", "nice":
		return p
	}
	return ""
}

// lowerThreadPriority puts the calling thread at priority prio (lowPriority).
// The caller has locked its goroutine to the thread, which must end with
// the goroutine: an unprivileged thread cannot raise its priority again.
func lowerThreadPriority(prio string) error {
	if prio == "nice" {
		return unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
	}
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_IDLE}
	return unix.SchedSetAttr(0, &attr, 0)
}

// onMainThread reports whether the calling thread is the process's first.
func onMainThread() bool { return unix.Gettid() == os.Getpid() }
