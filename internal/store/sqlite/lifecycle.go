package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// SetState changes a story's state and its reason without changing the
// version on show. The first move to a visible state publishes the story at
// p.At; later moves keep that first publication time.
func (t *tx) SetState(ctx context.Context, p *store.SetStateParams) error {
	if p.State == "" {
		return fmt.Errorf("set state of story %d: empty state", p.StoryID)
	}
	at := dbTime(orNow(p.At))
	var published *time.Time
	if p.State.Visible() {
		published = &at
	}
	const q = `
		UPDATE stories SET
			state        = ?,
			state_reason = ?,
			published_at = COALESCE(published_at, ?),
			updated_at   = ?
		WHERE id = ?`
	res, err := t.ExecContext(ctx, q, string(p.State), p.Reason, formatTimePtr(published), formatTime(at), p.StoryID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set state of story %d to %s: %w", p.StoryID, p.State, err)
	}
	return nil
}

// MarkPending records p.VersionID, a version of the same story, as the
// agency update waiting for an editor; store.ErrNotFound when the story has
// no such version. VersionID 0 clears the mark (an editor dismissed the
// update). What is on show, and when the story was updated, do not change:
// readers see nothing of a pending update.
func (t *tx) MarkPending(ctx context.Context, p *store.MarkPendingParams) error {
	var (
		res sql.Result
		err error
	)
	if p.VersionID == 0 {
		const clear = `UPDATE stories SET pending_version_id = NULL WHERE id = ?`
		res, err = t.ExecContext(ctx, clear, p.StoryID)
	} else {
		const mark = `
			UPDATE stories SET pending_version_id = ?1
			WHERE id = ?2
			  AND EXISTS (SELECT 1 FROM story_versions WHERE id = ?1 AND story_id = ?2)`
		res, err = t.ExecContext(ctx, mark, p.VersionID, p.StoryID)
	}
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("mark version %d of story %d pending: %w", p.VersionID, p.StoryID, err)
	}
	return nil
}

// SetEditedBy records the editor who edited the story, which protects it
// from agency updates; an empty name lifts the protection.
func (t *tx) SetEditedBy(ctx context.Context, storyID int64, editor string) error {
	const q = `UPDATE stories SET edited_by = ? WHERE id = ?`
	res, err := t.ExecContext(ctx, q, editor, storyID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set editor of story %d: %w", storyID, err)
	}
	return nil
}

// SetSection files the story under a section.
func (t *tx) SetSection(ctx context.Context, storyID int64, section string) error {
	const q = `UPDATE stories SET section = ? WHERE id = ?`
	res, err := t.ExecContext(ctx, q, section, storyID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set section of story %d: %w", storyID, err)
	}
	return nil
}
