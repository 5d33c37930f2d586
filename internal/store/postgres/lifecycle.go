package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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
			state        = $1,
			state_reason = $2,
			published_at = COALESCE(published_at, $3),
			updated_at   = $4
		WHERE id = $5`
	tag, err := t.tx.Exec(ctx, q, string(p.State), p.Reason, published, at, p.StoryID)
	if err := oneRow(tag, err); err != nil {
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
		tag pgconn.CommandTag
		err error
	)
	if p.VersionID == 0 {
		const clear = `UPDATE stories SET pending_version_id = NULL WHERE id = $1`
		tag, err = t.tx.Exec(ctx, clear, p.StoryID)
	} else {
		const mark = `
			UPDATE stories SET pending_version_id = $1
			WHERE id = $2
			  AND EXISTS (SELECT 1 FROM story_versions WHERE id = $1 AND story_id = $2)`
		tag, err = t.tx.Exec(ctx, mark, p.VersionID, p.StoryID)
	}
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("mark version %d of story %d pending: %w", p.VersionID, p.StoryID, err)
	}
	return nil
}

// SetEditedBy records the editor who edited the story, which protects it
// from agency updates; an empty name lifts the protection.
func (t *tx) SetEditedBy(ctx context.Context, storyID int64, editor string) error {
	const q = `UPDATE stories SET edited_by = $1 WHERE id = $2`
	tag, err := t.tx.Exec(ctx, q, editor, storyID)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("set editor of story %d: %w", storyID, err)
	}
	return nil
}

// SetSection files the story under a section.
func (t *tx) SetSection(ctx context.Context, storyID int64, section string) error {
	const q = `UPDATE stories SET section = $1 WHERE id = $2`
	tag, err := t.tx.Exec(ctx, q, section, storyID)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("set section of story %d: %w", storyID, err)
	}
	return nil
}
