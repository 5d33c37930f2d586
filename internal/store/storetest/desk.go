package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// testDesk checks the desk's storage: accounts, sessions, sign-in attempts,
// the audit log and the desk's story list.
func testDesk(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Users", func(t *testing.T) { testDeskUsers(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testDeskSessions(t, open(t)) })
	t.Run("UpdateUserEndsSessions", func(t *testing.T) { testDeskUpdateUserEndsSessions(t, open(t)) })
	t.Run("LoginAttempts", func(t *testing.T) { testDeskLoginAttempts(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testDeskAudit(t, open(t)) })
	t.Run("AuditCommitsWithTx", func(t *testing.T) { testDeskAuditTx(t, open(t)) })
	t.Run("ListDeskStories", func(t *testing.T) { testListDeskStories(t, open(t)) })
}

func testDeskUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice, err := s.CreateUser(ctx, &store.CreateUserParams{Name: "alice", Role: store.RoleEditor, PasswordHash: "$h1", At: at})
	if err != nil {
		t.Fatal(err)
	}
	want := &store.User{ID: alice.ID, Name: "alice", Role: store.RoleEditor, PasswordHash: "$h1", CreatedAt: at.Truncate(time.Microsecond), UpdatedAt: at.Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, alice); diff != "" {
		t.Errorf("CreateUser (-want +got):\n%s", diff)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	if _, err := s.CreateUser(ctx, &store.CreateUserParams{Name: "alice", Role: store.RoleViewer, PasswordHash: "$h2"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateUser of a taken name: err = %v, want ErrExists", err)
	}
	for _, bad := range []*store.CreateUserParams{
		{Name: "", Role: store.RoleViewer, PasswordHash: "$h"},
		{Name: "bob", Role: "root", PasswordHash: "$h"},
		{Name: "bob", Role: store.RoleViewer, PasswordHash: ""},
	} {
		if _, err := s.CreateUser(ctx, bad); err == nil {
			t.Errorf("CreateUser(%+v) succeeded, want an error", bad)
		}
	}
	for _, name := range []string{"zed", "bob"} {
		if _, err := s.CreateUser(ctx, &store.CreateUserParams{Name: name, Role: store.RoleViewer, PasswordHash: "$h", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if diff := cmp.Diff([]string{"alice", "bob", "zed"}, names); diff != "" {
		t.Errorf("ListUsers names (-want +got):\n%s", diff)
	}
	if err := s.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after DeleteUser: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteUser twice: err = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateUser(ctx, &store.UpdateUserParams{Name: "nobody", Role: store.RoleAdmin}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser of a missing account: err = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateUser(ctx, &store.UpdateUserParams{Name: "alice", Role: "root"}); err == nil {
		t.Error("UpdateUser to an unknown role succeeded")
	}
	later := at.Add(time.Hour)
	u, err := s.UpdateUser(ctx, &store.UpdateUserParams{Name: "alice", Role: store.RoleAdmin, At: later})
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != store.RoleAdmin || u.PasswordHash != "$h1" || !u.UpdatedAt.Equal(later.Truncate(time.Microsecond)) {
		t.Errorf("UpdateUser of the role only: got role %s, hash %q, updated %s; want admin, the old hash, %s", u.Role, u.PasswordHash, u.UpdatedAt, later)
	}
	u, err = s.UpdateUser(ctx, &store.UpdateUserParams{Name: "alice", PasswordHash: "$new"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != store.RoleAdmin || u.PasswordHash != "$new" {
		t.Errorf("UpdateUser of the hash only: got role %s, hash %q; want admin, $new", u.Role, u.PasswordHash)
	}
}

func testDeskSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, err := s.CreateUser(ctx, &store.CreateUserParams{Name: "carol", Role: store.RoleViewer, PasswordHash: "$h", At: at})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.CreateSession(ctx, &store.CreateSessionParams{IDHash: "hash-1", UserID: u.ID, CSRFToken: "csrf-1", IP: "192.0.2.1", UserAgent: "test", At: at})
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Session{IDHash: "hash-1", User: u, CSRFToken: "csrf-1", IP: "192.0.2.1", UserAgent: "test",
		CreatedAt: at.Truncate(time.Microsecond), LastSeenAt: at.Truncate(time.Microsecond)}
	if diff := cmp.Diff(want, sess); diff != "" {
		t.Errorf("CreateSession (-want +got):\n%s", diff)
	}
	got, err := s.GetSession(ctx, "hash-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetSession (-want +got):\n%s", diff)
	}
	if _, err := s.CreateSession(ctx, &store.CreateSessionParams{IDHash: "hash-x", UserID: u.ID + 1000, CSRFToken: "c", At: at}); err == nil {
		t.Error("CreateSession for a missing user succeeded")
	}
	if _, err := s.GetSession(ctx, "hash-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession of an unknown hash: err = %v, want ErrNotFound", err)
	}

	// Touch moves last activity forward, never back.
	for _, tc := range []struct {
		at, want time.Time
	}{
		{at.Add(10 * time.Minute), at.Add(10 * time.Minute)},
		{at.Add(5 * time.Minute), at.Add(10 * time.Minute)},
	} {
		if err := s.TouchSession(ctx, &store.TouchSessionParams{IDHash: "hash-1", At: tc.at}); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetSession(ctx, "hash-1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.LastSeenAt.Equal(tc.want.Truncate(time.Microsecond)) {
			t.Errorf("after TouchSession at %s: LastSeenAt = %s, want %s", tc.at, got.LastSeenAt, tc.want)
		}
	}
	if err := s.TouchSession(ctx, &store.TouchSessionParams{IDHash: "hash-2", At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSession of an unknown hash: err = %v, want ErrNotFound", err)
	}

	// Expiry: hash-1 last seen at +10m, created at 0; hash-idle created
	// and last seen at +1m; hash-new created at +2h.
	for _, p := range []*store.CreateSessionParams{
		{IDHash: "hash-idle", UserID: u.ID, CSRFToken: "c2", At: at.Add(time.Minute)},
		{IDHash: "hash-new", UserID: u.ID, CSRFToken: "c3", At: at.Add(2 * time.Hour)},
	} {
		if _, err := s.CreateSession(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Idle before +5m removes hash-idle; created before +1s removes hash-1.
	n, err := s.DeleteExpiredSessions(ctx, &store.DeleteExpiredSessionsParams{IdleBefore: at.Add(5 * time.Minute), CreatedBefore: at.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("DeleteExpiredSessions removed %d, want 2", n)
	}
	for h, alive := range map[string]bool{"hash-1": false, "hash-idle": false, "hash-new": true} {
		_, err := s.GetSession(ctx, h)
		if alive && err != nil || !alive && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after DeleteExpiredSessions: GetSession(%s) err = %v, want alive = %v", h, err, alive)
		}
	}

	if err := s.DeleteSession(ctx, "hash-new"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, "hash-new"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteSession twice: err = %v, want ErrNotFound", err)
	}

	// Removing the account ends its sessions.
	if _, err := s.CreateSession(ctx, &store.CreateSessionParams{IDHash: "hash-last", UserID: u.ID, CSRFToken: "c4", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "hash-last"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession after DeleteUser: err = %v, want ErrNotFound", err)
	}
}

func testDeskUpdateUserEndsSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	var ids []int64
	for _, name := range []string{"dave", "erin"} {
		u, err := s.CreateUser(ctx, &store.CreateUserParams{Name: name, Role: store.RoleEditor, PasswordHash: "$h", At: at})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
		for i := range 2 {
			if _, err := s.CreateSession(ctx, &store.CreateSessionParams{IDHash: fmt.Sprintf("%s-%d", name, i), UserID: u.ID, CSRFToken: "c", At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.UpdateUser(ctx, &store.UpdateUserParams{Name: "dave", Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	for h, alive := range map[string]bool{"dave-0": false, "dave-1": false, "erin-0": true, "erin-1": true} {
		_, err := s.GetSession(ctx, h)
		if alive && err != nil || !alive && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after UpdateUser(dave): GetSession(%s) err = %v, want alive = %v", h, err, alive)
		}
	}
}

func testDeskLoginAttempts(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, a := range []store.RecordLoginAttemptParams{
		{Name: "frank", IP: "192.0.2.1", Success: false, At: at.Add(-time.Hour)}, // outside the window
		{Name: "frank", IP: "192.0.2.1", Success: false, At: at},
		{Name: "frank", IP: "192.0.2.2", Success: false, At: at.Add(time.Minute)},
		{Name: "frank", IP: "192.0.2.1", Success: true, At: at.Add(2 * time.Minute)}, // successes do not count
		{Name: "grace", IP: "192.0.2.1", Success: false, At: at.Add(3 * time.Minute)},
	} {
		if err := s.RecordLoginAttempt(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, ip string
		want     store.LoginFailures
	}{
		{"frank", "192.0.2.1", store.LoginFailures{ByName: 2, ByIP: 2}},
		{"frank", "192.0.2.9", store.LoginFailures{ByName: 2, ByIP: 0}},
		{"grace", "192.0.2.2", store.LoginFailures{ByName: 1, ByIP: 1}},
		{"nobody", "198.51.100.1", store.LoginFailures{}},
	} {
		got, err := s.CountLoginFailures(ctx, &store.CountLoginFailuresParams{Name: tc.name, IP: tc.ip, Since: at.Add(-15 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&tc.want, got); diff != "" {
			t.Errorf("CountLoginFailures(%s, %s) (-want +got):\n%s", tc.name, tc.ip, diff)
		}
	}
}

// normJSON re-encodes JSON so that backends keeping it differently
// (spacing) compare equal.
var normJSON = cmp.Transformer("normJSON", func(js json.RawMessage) any {
	if js == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		return string(js)
	}
	return v
})

func testDeskAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.AppendAudit(ctx, &store.AppendAuditParams{Actor: "", Action: "x"}); err == nil {
		t.Error("AppendAudit without an actor succeeded")
	}
	if _, err := s.AppendAudit(ctx, &store.AppendAuditParams{Actor: "a", Action: "x", Before: json.RawMessage("{not json")}); err == nil {
		t.Error("AppendAudit with invalid JSON succeeded")
	}
	rows := []store.AppendAuditParams{
		{At: at, Actor: "alice", Action: "story.kill", ObjectType: store.AuditStory, ObjectID: "7",
			Before: json.RawMessage(`{"state":"published"}`), After: json.RawMessage(`{"state":"killed","reason":"legal"}`), Note: "legal"},
		{At: at.Add(time.Hour), Actor: "bob", Action: "source.pause", ObjectType: store.AuditSource, ObjectID: "ap-top",
			Before: json.RawMessage(`{"paused":false}`), After: json.RawMessage(`{"paused":true}`)},
		{At: at.Add(24 * time.Hour), Actor: "alice", Action: "story.restore", ObjectType: store.AuditStory, ObjectID: "7"},
		{At: at.Add(48 * time.Hour), Actor: "alice", Action: "source.add", ObjectType: store.AuditSource, ObjectID: "dpa",
			After: json.RawMessage(`{"name":"dpa","note":"ünïcode <b>"}`)},
	}
	var all []*store.AuditEntry
	for i := range rows {
		e, err := s.AppendAudit(ctx, &rows[i])
		if err != nil {
			t.Fatal(err)
		}
		p := rows[i]
		want := &store.AuditEntry{ID: e.ID, At: p.At.Truncate(time.Microsecond), Actor: p.Actor, Action: p.Action,
			ObjectType: p.ObjectType, ObjectID: p.ObjectID, Before: p.Before, After: p.After, Note: p.Note}
		if diff := cmp.Diff(want, e, normJSON); diff != "" {
			t.Errorf("AppendAudit %d (-want +got):\n%s", i, diff)
		}
		all = append([]*store.AuditEntry{e}, all...) // newest first
	}
	since, until := at.Add(time.Hour), at.Add(48*time.Hour)
	for _, tc := range []struct {
		name string
		p    store.ListAuditParams
		want []*store.AuditEntry
	}{
		{"all newest first", store.ListAuditParams{}, all},
		{"by actor", store.ListAuditParams{Actor: "alice"}, []*store.AuditEntry{all[0], all[1], all[3]}},
		{"by action", store.ListAuditParams{Action: "source.pause"}, []*store.AuditEntry{all[2]}},
		{"by object", store.ListAuditParams{ObjectType: store.AuditStory, ObjectID: "7"}, []*store.AuditEntry{all[1], all[3]}},
		{"by date", store.ListAuditParams{Since: &since, Until: &until}, []*store.AuditEntry{all[1], all[2]}},
		{"limit", store.ListAuditParams{Limit: 2}, all[:2]},
		{"page", store.ListAuditParams{BeforeID: all[1].ID, Limit: 1}, all[2:3]},
		{"nothing", store.ListAuditParams{Actor: "mallory"}, nil},
	} {
		got, err := s.ListAudit(ctx, &tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got, normJSON); diff != "" {
			t.Errorf("ListAudit %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// An action and its audit row commit together or not at all.
func testDeskAuditTx(t *testing.T, s store.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.AppendAudit(ctx, &store.AppendAuditParams{At: at, Actor: "alice", Action: "story.kill", ObjectType: store.AuditStory, ObjectID: "1"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppendAudit(ctx, &store.AppendAuditParams{At: at, Actor: "alice", Action: "story.unpublish", ObjectType: store.AuditStory, ObjectID: "2"})
		return err
	})
	got, err := s.ListAudit(ctx, &store.ListAuditParams{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		actions = append(actions, e.Action)
	}
	if diff := cmp.Diff([]string{"story.unpublish"}, actions); diff != "" {
		t.Errorf("audit after a rolled back and a committed transaction (-want +got):\n%s", diff)
	}
}

func testListDeskStories(t *testing.T, s store.Store) {
	ctx := t.Context()
	published := at
	ids := map[string]int64{}
	for i, c := range []struct {
		uri, headline string
		state         story.State
	}{
		{"u1", "Harbour strike ends", story.Published},
		{"u2", "Court bans HARBOUR protest", story.Killed},
		{"u3", "100% turnout in vote", story.Unpublished},
		{"u4", "Weather: 10_000 without power", story.WithheldState},
	} {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "A", URI: c.uri, State: c.state, At: at})
			if err != nil {
				return err
			}
			v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1",
				Item: &story.Item{URI: c.uri, PubStatus: story.Usable, Headline: c.headline}, ReceivedAt: at, Applied: true})
			if err != nil {
				return err
			}
			ids[c.uri] = st.ID
			// Later stories are updated later, so the list order is known.
			return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: c.state, PublishedAt: &published, At: at.Add(time.Duration(i) * time.Minute)})
		})
	}
	for _, tc := range []struct {
		name string
		p    store.ListDeskStoriesParams
		want []string
	}{
		{"all, latest update first", store.ListDeskStoriesParams{}, []string{"u4", "u3", "u2", "u1"}},
		{"headline, any case", store.ListDeskStoriesParams{Query: "harbour"}, []string{"u2", "u1"}},
		{"state", store.ListDeskStoriesParams{State: story.Killed}, []string{"u2"}},
		{"headline and state", store.ListDeskStoriesParams{Query: "Harbour", State: story.Published}, []string{"u1"}},
		{"percent is literal", store.ListDeskStoriesParams{Query: "0%"}, []string{"u3"}},
		{"underscore is literal", store.ListDeskStoriesParams{Query: "0_0"}, []string{"u4"}},
		{"id", store.ListDeskStoriesParams{Query: fmt.Sprint(ids["u2"])}, []string{"u2"}},
		{"limit", store.ListDeskStoriesParams{Limit: 1}, []string{"u4"}},
		{"nothing", store.ListDeskStoriesParams{Query: "zebra"}, nil},
	} {
		got, err := s.ListDeskStories(ctx, &tc.p)
		if err != nil {
			t.Fatal(err)
		}
		var uris []string
		for _, st := range got {
			uris = append(uris, st.URI)
		}
		if diff := cmp.Diff(tc.want, uris); diff != "" {
			t.Errorf("ListDeskStories %s (-want +got):\n%s", tc.name, diff)
		}
	}
}
