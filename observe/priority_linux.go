package observe

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority puts the calling thread in the SCHED_IDLE class: it
// runs only on a core that no other thread of the machine (at any nice
// value) wants. The caller has locked its goroutine to the thread, which
// must end with the goroutine: an unprivileged thread cannot leave
// SCHED_IDLE again.
func lowerThreadPriority() error {
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_IDLE}
	return unix.SchedSetAttr(0, &attr, 0)
}

// threadPriority names the class lowerThreadPriority puts a thread in.
const threadPriority = "SCHED_IDLE"
