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

// startBoostable starts cmd for --lossless: lowered where its priority can
// be raised again while the relay waits for it (setGroupNice), which only
// a scheduling group's can, unprivileged; at normal priority elsewhere. It
// reports whether it lowered it.
func startBoostable(cmd *exec.Cmd) (bool, error) {
	if err := cmd.Start(); err != nil {
		return false, err
	}
	if b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled"); err != nil || strings.TrimSpace(string(b)) != "1" {
		return false, nil
	}
	return setGroupNice(cmd.Process.Pid, lowNice) == nil, nil
}

// setGroupNice sets the nice value of pid's autogroup, if the kernel
// groups by session (best effort: the thread priorities hold without it).
func setGroupNice(pid, nice int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/autogroup", pid), []byte(strconv.Itoa(nice)), 0)
}

// growPipe makes the pipe to the decoder's process hold as much as an
// unprivileged process may ask (1 MiB by default): the relay's process
// writes without waiting while the decoder's catches up.
func growPipe(f *os.File) {
	// Through Control, not Fd: Fd would make the pipe blocking, beyond the
	// reach of write deadlines.
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 1<<20) })
	}
}

// writev writes vec to f, a pipe the runtime polls (its write deadline
// holds), in as few system calls as the pipe's room allows, and says how
// much it wrote. Unless wait, it stops when the pipe is full.
func writev(f *os.File, vec [][]byte, wait bool) (int64, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	vec = append([][]byte(nil), vec...) // advanced below: the caller's stays
	var total int64
	for len(vec) > 0 {
		var n int
		var werr error
		part := vec[:min(len(vec), 1024)] // IOV_MAX
		err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), part)
			return werr != unix.EAGAIN || !wait
		})
		if err == nil {
			err = werr
		}
		if err == unix.EAGAIN { // full, and not waiting
			return total, nil
		}
		if err != nil {
			return total, err
		}
		total += int64(n)
		if !wait && werr == nil && n < vecLen(part) {
			// A short write: the pipe is full. Asking again would
			// only be told so (EAGAIN), a system call more.
			return total, nil
		}
		for n > 0 { // past what was written
			if n < len(vec[0]) {
				vec[0] = vec[0][n:]
				break
			}
			n -= len(vec[0])
			vec = vec[1:]
		}
		for len(vec) > 0 && len(vec[0]) == 0 {
			vec = vec[1:]
		}
	}
	return total, nil
}

// vecLen is the bytes in vec.
func vecLen(vec [][]byte) int {
	n := 0
	for _, b := range vec {
		n += len(b)
	}
	return n
}
