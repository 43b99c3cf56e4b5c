//go:build !linux

package cpuload

import "errors"

// readStat has no source here: a Meter never finds the machine busy.
func readStat() (stat, error) { return stat{}, errors.ErrUnsupported }
