package main

import (
	"runtime/debug"
)

// Garbage collector settings, unless the operator set GOGC or GOMEMLIMIT.
//
// Ingest allocates fast and keeps little (decoded items, SQL arguments, JSON),
// so with Go's default GOGC=100 the collector ran so often that its
// preemptions and marking took about a sixth of ingest's CPU. Letting the
// heap grow to five times what is live before collecting cut ingest's CPU
// per item by about 15% (measured with `wiredesk bench --only ingest`, see
// BENCHMARKS.md). The soft limit makes the collector work harder again
// as the heap nears it, so a large backfill cannot take the process past
// the 200 MB issue 8 allows: at 192 MiB, the hostile-upstreams soak test
// saw the process reach 235 MiB resident while it ingested 15,000 items.
const (
	gcPercent   = 400
	memoryLimit = 128 << 20
)

// tuneGC applies the settings above where the environment does not set its
// own, and reports what it applied.
func tuneGC(getenv func(string) string) (percent int, limit int64) {
	percent, limit = -1, -1
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		percent = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		limit = memoryLimit
	}
	return percent, limit
}
