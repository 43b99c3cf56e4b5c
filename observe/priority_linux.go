package observe

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority lowers the calling thread's scheduling priority: by
// default to the SCHED_IDLE class, where it runs only on a core that no
// other thread of the machine (at any nice value) wants. The caller has
// locked its goroutine to the thread, which must end with the goroutine:
// an unprivileged thread cannot raise its priority again.
//
// SOCKSCOPE_DECODER_PRIORITY=nice puts it at nice 19 instead (a small
// share of a busy core rather than none), and =normal leaves it; the
// benchmark command compares the three.
func lowerThreadPriority() (string, error) {
	switch os.Getenv("SOCKSCOPE_DECODER_PRIORITY") {
	case "normal":
		return "normal", nil
	case "nice":
		return "nice 19", unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
	}
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_IDLE}
	return "SCHED_IDLE", unix.SchedSetAttr(0, &attr, 0)
}

// onMainThread reports whether the calling thread is the process's first.
func onMainThread() bool { return unix.Gettid() == os.Getpid() }
