package cpuload

import "os"

func readStat() (stat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return stat{}, err
	}
	return parseStat(b)
}
