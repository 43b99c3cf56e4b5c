package feed

// umask does nothing on Windows.
func umask(m int) int { return 0 }
