package proxy

import (
	"sync"
	"time"
)

// procName is a process's name as read at a time.
type procName struct {
	name string
	at   time.Time
}

// names caches processes' names by pid (cachedName).
var names struct {
	sync.Mutex
	m map[int]procName
}

// cachedName names process pid as ProcessName does, asking the OS at most
// once a second per pid: a client that opens connections by the thousand
// is one process, named once.
func cachedName(pid int) string {
	if pid <= 0 {
		return ""
	}
	now := time.Now()
	names.Lock()
	n, ok := names.m[pid]
	names.Unlock()
	if ok && now.Sub(n.at) < time.Second {
		return n.name
	}
	name := ProcessName(pid)
	names.Lock()
	if names.m == nil || len(names.m) > 1024 {
		names.m = map[int]procName{}
	}
	names.m[pid] = procName{name, now}
	names.Unlock()
	return name
}
