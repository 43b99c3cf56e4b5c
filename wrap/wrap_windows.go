package wrap

import (
	"context"
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// sysChild holds the Job object the child is in: closing its last handle
// (sockscope exits, however it exits) kills the child.
type sysChild struct{ job windows.Handle }

// start starts the child and puts it in a Job object that kills it when
// sockscope goes.
func (ch *Child) start() error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return err
	}
	if err := ch.cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return err
	}
	ch.sys.job = job
	if h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(ch.cmd.Process.Pid)); err == nil {
		windows.AssignProcessToJobObject(job, h)
		windows.CloseHandle(h)
	}
	go func() { ch.setStatus(ch.cmd.Wait()) }()
	return nil
}

// signalOf: on Windows a process ends with an exit code only.
func signalOf(*os.ProcessState) os.Signal { return nil }

// Forwarded is empty on Windows: the console sends Ctrl-C to every process
// attached to it, the child included.
var Forwarded []os.Signal

// ForwardSignals does nothing: there is nothing to forward on Windows.
func (ch *Child) ForwardSignals(context.Context) {}

// Kill ends the child (and what it started, through the Job object).
func (ch *Child) Kill() {
	select {
	case <-ch.exited:
		return
	default:
	}
	if ch.sys.job != 0 {
		windows.TerminateJobObject(ch.sys.job, 1)
		return
	}
	ch.cmd.Process.Kill()
}

// Exit ends sockscope with the child's exit code.
func Exit(st Status) {
	if st.Err != nil || st.Code < 0 {
		os.Exit(1)
	}
	os.Exit(st.Code)
}

// isErrClosed reports a read from a closed file.
func isErrClosed(err error) bool { return errors.Is(err, os.ErrClosed) }
