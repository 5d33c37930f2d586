package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wiredesk/wiredesk/internal/store"
)

func TestConfigWithDefaults(t *testing.T) {
	poll := func(context.Context, int64) error { return nil }
	var st store.Store // only compared for presence

	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{
			name: "zero values get defaults",
			in:   Config{Store: st, Poll: poll},
			want: Config{
				ScanInterval:      time.Second,
				FetchPollInterval: 250 * time.Millisecond,
				Workers:           4,
				StopTimeout:       10 * time.Second,
			},
		},
		{
			name: "set values are kept",
			in: Config{
				Store: st, Poll: poll,
				ScanInterval:      3 * time.Second,
				FetchPollInterval: 50 * time.Millisecond,
				Workers:           9,
				StopTimeout:       time.Minute,
			},
			want: Config{
				ScanInterval:      3 * time.Second,
				FetchPollInterval: 50 * time.Millisecond,
				Workers:           9,
				StopTimeout:       time.Minute,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.withDefaults()
			if got.Logger == nil {
				t.Errorf("withDefaults left Logger nil")
			}
			if got.Poll == nil {
				t.Errorf("withDefaults dropped Poll")
			}
			// Funcs, the logger and the store are checked above, not compared.
			got.Logger, got.Poll, got.Store = nil, nil, nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("withDefaults() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	poll := func(context.Context, int64) error { return nil }
	st := struct{ store.Store }{} // a non-nil Store; never called here
	valid := Config{Store: st, Poll: poll}.withDefaults()

	tests := []struct {
		name   string
		modify func(c *Config)
		// wantErr lists phrases the error must hold; empty means no error.
		wantErr []string
	}{
		{name: "defaults are valid", modify: func(*Config) {}},
		{name: "store missing", modify: func(c *Config) { c.Store = nil }, wantErr: []string{"Store is required"}},
		{name: "poll missing", modify: func(c *Config) { c.Poll = nil }, wantErr: []string{"Poll is required"}},
		{
			name:    "every problem is reported at once",
			modify:  func(c *Config) { c.Store, c.Poll = nil, nil },
			wantErr: []string{"Store is required", "Poll is required"},
		},
		{name: "negative scan interval", modify: func(c *Config) { c.ScanInterval = -time.Second }, wantErr: []string{"ScanInterval"}},
		{name: "sub-millisecond fetch poll", modify: func(c *Config) { c.FetchPollInterval = time.Microsecond }, wantErr: []string{"FetchPollInterval"}},
		{name: "negative workers", modify: func(c *Config) { c.Workers = -1 }, wantErr: []string{"Workers"}},
		{name: "negative poll workers", modify: func(c *Config) { c.PollWorkers = -1 }, wantErr: []string{"PollWorkers"}},
		{name: "negative event workers", modify: func(c *Config) { c.EventWorkers = -1 }, wantErr: []string{"EventWorkers"}},
		{name: "negative stop timeout", modify: func(c *Config) { c.StopTimeout = -time.Second }, wantErr: []string{"StopTimeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.modify(&c)
			err := c.validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("validate() = nil, want an error mentioning %q", tt.wantErr)
			}
			for _, phrase := range tt.wantErr {
				if !strings.Contains(err.Error(), phrase) {
					t.Errorf("validate() = %q, want it to mention %q", err, phrase)
				}
			}
		})
	}
}

func TestJobArgsInsertOpts(t *testing.T) {
	// The kinds are stored in River's tables, the unique states decide
	// whether a source can be polled twice at once, and the queues keep
	// polls and story events from waiting behind each other: contracts.
	type summary struct {
		Kind        string
		Queue       string
		MaxAttempts int
		ByArgs      bool
		ByState     []rivertype.JobState
	}
	summarize := func(args interface {
		Kind() string
		InsertOpts() river.InsertOpts
	}) summary {
		o := args.InsertOpts()
		states := slices.Clone(o.UniqueOpts.ByState)
		slices.Sort(states)
		return summary{args.Kind(), o.Queue, o.MaxAttempts, o.UniqueOpts.ByArgs, states}
	}
	queuedOrRunning := []rivertype.JobState{"available", "pending", "running", "scheduled"}

	tests := []struct {
		name string
		args interface {
			Kind() string
			InsertOpts() river.InsertOpts
		}
		want summary
	}{
		{name: "poll_source", args: PollSourceArgs{SourceID: 7}, want: summary{"poll_source", "poll", 1, true, queuedOrRunning}},
		// The scan waits behind nothing: not story events in the default
		// queue, where a burst of events stopped all polling, nor polls.
		{name: "schedule_polls", args: SchedulePollsArgs{}, want: summary{"schedule_polls", "schedule", 1, false, queuedOrRunning}},
		{name: "story_event", args: StoryEventArgs{}, want: summary{"story_event", "events", 0, false, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.args)); diff != "" {
				t.Errorf("insert opts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
