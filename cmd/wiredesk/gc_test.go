package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGCLeavesOperatorSettings: GOGC and GOMEMLIMIT, when set, win over
// wiredesk's own collector settings.
func TestTuneGCLeavesOperatorSettings(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tests := []struct {
		name                 string
		env                  map[string]string
		wantPercent          int
		wantLimit            int64
		wantGOGC, wantMemLim int64
	}{
		{"nothing set", nil, gcPercent, memoryLimit, gcPercent, memoryLimit},
		{"GOGC set", map[string]string{"GOGC": "50"}, -1, memoryLimit, 77, memoryLimit},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, gcPercent, -1, gcPercent, 123 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// What the runtime had before: the operator's setting, which
			// tuneGC must leave alone when the variable is set.
			debug.SetGCPercent(77)
			debug.SetMemoryLimit(123 << 20)
			gotPercent, gotLimit := tuneGC(envFunc(tt.env))
			if gotPercent != tt.wantPercent || gotLimit != tt.wantLimit {
				t.Errorf("tuneGC = %d, %d; want %d, %d", gotPercent, gotLimit, tt.wantPercent, tt.wantLimit)
			}
			if got := int64(debug.SetGCPercent(-1)); got != tt.wantGOGC {
				t.Errorf("GC percent after tuneGC = %d, want %d", got, tt.wantGOGC)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.wantMemLim {
				t.Errorf("memory limit after tuneGC = %d, want %d", got, tt.wantMemLim)
			}
		})
	}
}
