package console

import (
	"fmt"
	"path"
	"strconv"
	"time"
)

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func formatCPU(milli int64) string {
	if milli%1000 == 0 {
		return itoa(milli / 1000)
	}
	return itoa(milli) + "m"
}

func formatBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return itoa(b) + " B"
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.3g %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

func baseName(key string) string { return path.Base(key) }
