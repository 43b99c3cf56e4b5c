package split

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// startLowered starts cmd at the lowest priority. Linux gives
// priorities per thread, and a thread takes its creator's: cmd is started
// from a thread of lowered priority, which ends with it, so that every
// thread of the process is born lowered. With autogroup scheduling (a
// scheduling group per session: the default of most desktop kernels),
// priorities only order the threads of one session, so the process, in a
// session of its own (cmd.SysProcAttr.Setsid), also lowers its group's.
// It reports whether the group was lowered.
func startLowered(cmd *exec.Cmd) (grouped bool, err error) {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), lowNice); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	if err := <-errc; err != nil {
		return false, err
	}
	return setGroupNice(cmd.Process.Pid, lowNice) == nil, nil
}

// lowerThreads sets every thread of this process to the lowest priority:
// Linux gives priorities per thread, and a thread takes its creator's, so
// that threads made later are born lowered. It goes over the threads until
// it finds none it has not lowered (one may be made meanwhile).
func lowerThreads() error {
	done := map[int]bool{}
	for {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		more := false
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			done[tid], more = true, true
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, lowNice); err != nil && err != unix.ESRCH {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// startBoostable starts cmd for --lossless: lowered where its priority can
// be raised again while the relay waits for it (setGroupNice), which only
// a scheduling group's can, unprivileged; at normal priority elsewhere. It
// reports whether it lowered it.
func startBoostable(cmd *exec.Cmd) (bool, error) {
	if err := cmd.Start(); err != nil {
		return false, err
	}
	if !autogroups() {
		return false, nil
	}
	return setGroupNice(cmd.Process.Pid, lowNice) == nil, nil
}

// startRaised starts cmd at this process's priority, for a process that
// lowers itself (Config.showsFirst). It reports whether the process's
// scheduling group will be lowered, which raise can raise again.
func startRaised(cmd *exec.Cmd) (bool, error) {
	return autogroups(), cmd.Start()
}

// autogroups reports whether the kernel schedules by session.
func autogroups() bool {
	b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// setGroupNice sets the nice value of pid's autogroup, if the kernel
// groups by session (best effort: the thread priorities hold without it).
func setGroupNice(pid, nice int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/autogroup", pid), []byte(strconv.Itoa(nice)), 0)
}

// newShared makes the ring's shared memory: a file of memory only, which
// the decoder's process gets as a descriptor.
func newShared(size int) (*os.File, error) {
	fd, err := unix.MemfdCreate("sockscope-events", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "sockscope-events")
	if err := f.Truncate(int64(size)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
