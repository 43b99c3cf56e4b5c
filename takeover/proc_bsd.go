//go:build unix && !linux && !darwin

package takeover

// processName returns the program name of pid and whether it is a zombie,
// with ok false when the system does not say (always, on these systems).
func processName(pid int) (name string, zombie, ok bool) {
	return "", false, false
}
