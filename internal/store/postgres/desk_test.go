package postgres_test

import (
	"strings"
	"testing"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// The audit log is append-only in the database itself, whoever connects.
func TestAuditLogRefusesChange(t *testing.T) {
	s := dbtest.Postgres(t)
	ctx := t.Context()
	if _, err := s.AppendAudit(ctx, &store.AppendAuditParams{Actor: "alice", Action: "story.kill", ObjectType: store.AuditStory, ObjectID: "1"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET actor = 'mallory'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		_, err := s.Pool().Exec(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	got, err := s.ListAudit(ctx, &store.ListAuditParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Actor != "alice" {
		t.Errorf("audit log after refused changes = %+v, want alice's one row", got)
	}
}
