//go:build linux

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// perfScriptSample is `perf script -F tid,event,trace` output as perf 6.1
// prints it, with the system call numbers of this GOARCH.
var perfScriptSample = fmt.Sprintf(`   4101 raw_syscalls:sys_enter: NR %[1]d (3, c000200000, 40000, 0, 0, 0)
   4101 raw_syscalls:sys_enter: NR %[1]d (3, c000200000, 40000, 0, 0, 0)
   4102 raw_syscalls:sys_enter: NR %[2]d (5, c000300000, 40, 0, 0, 0)
   4102 raw_syscalls:sys_enter: NR %[3]d (7, c000400000, 2, 0, 0, 0)
   4103 raw_syscalls:sys_enter: NR %[4]d (4f3a28, 80, 0, 0, 0, 0)
   4101     sched:sched_switch: prev_comm=sockscope prev_pid=4101 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
   4102     sched:sched_switch: prev_comm=sockscope prev_pid=4102 prev_prio=120 prev_state=R ==> next_comm=sockbench next_pid=4000 next_prio=120
   4102     sched:sched_switch: prev_comm=sockscope prev_pid=4102 prev_prio=120 prev_state=R+ ==> next_comm=sockbench next_pid=4000 next_prio=120
   4103     sched:sched_switch: prev_comm=a prev_pid=9 prev_pid=4103 prev_prio=120 prev_state=D ==> next_comm=prev_state=S next_pid=4000 next_prio=120
   4101     sched:sched_switch: prev_comm=sockscope prev_pid=4101 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120

   4103     sched:sched_switch: prev_comm=json service prev_pid=4000 prev_prio=120 prev_state=S ==> next_comm=sockscope next_pid=4103 next_prio=120
`, syscall.SYS_READ, syscall.SYS_WRITEV, syscall.SYS_WRITE, syscall.SYS_FUTEX)

func TestParsePerfScript(t *testing.T) {
	c, err := parsePerfScript(strings.NewReader(perfScriptSample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int64{syscall.SYS_READ: 2, syscall.SYS_WRITEV: 1, syscall.SYS_WRITE: 1, syscall.SYS_FUTEX: 1}
	if fmt.Sprint(c.syscalls) != fmt.Sprint(want) {
		t.Errorf("system calls %v, want %v", c.syscalls, want)
	}
	if c.allSyscalls() != 5 {
		t.Errorf("all system calls %d, want 5", c.allSyscalls())
	}
	// The last prev_pid before next_comm counts (a command name with spaces
	// and "=" in it comes before), and a switch to the thread (next_pid)
	// does not.
	if c.sleeping != 2 || c.preempted != 2 || c.other != 1 || c.switches() != 5 {
		t.Errorf("switches: sleeping %d, preempted %d, other %d; want 2, 2, 1", c.sleeping, c.preempted, c.other)
	}
}

func TestParsePerfScriptRefuses(t *testing.T) {
	for _, bad := range []string{
		"4101 raw_syscalls:sys_enter: (3, 0)",
		"4101 raw_syscalls:sys_enter: NR x (3, 0)",
		"4101 sched:sched_switch: prev_comm=a prev_prio=120 ==> next_comm=b next_pid=1",
		"4101 sched:sched_wakeup: comm=a pid=7",
		"4101 nothing",
	} {
		if _, err := parsePerfScript(strings.NewReader(bad + "\n")); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	d, err := parseSchedstat("123456789 2000 31\n")
	if err != nil || d != 123456789*time.Nanosecond {
		t.Errorf("parseSchedstat = %v, %v", d, err)
	}
	if _, err := parseSchedstat("12 34\n"); err == nil {
		t.Error("two fields: no error")
	}
}
