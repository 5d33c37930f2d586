package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/ninjs"
)

// Events a subscriber can receive.
const (
	EventPublished = "published"
	EventUpdated   = "updated"
	EventCorrected = "corrected"
	EventKilled    = "killed"
)

// Events lists every event, in the order a story meets them.
var Events = []string{EventPublished, EventUpdated, EventCorrected, EventKilled}

// EventFor names the webhook event of a story event (apply.EventKind):
// withheld and an editor's unpublish are delivered as killed, since the
// story leaves every output just the same, and restored as published,
// since it comes back. It returns "" for a story event subscribers do not
// hear of.
func EventFor(storyEvent string) string {
	switch storyEvent {
	case "published", "restored":
		return EventPublished
	case "updated":
		return EventUpdated
	case "corrected":
		return EventCorrected
	case "killed", "withheld", "unpublished":
		// Each takes the story off every output: a receiver that
		// republished it must take it down too. The payload's state
		// says which it was.
		return EventKilled
	}
	return ""
}

// ParseEvents reads a comma-separated list of events. An empty list means
// every event.
func ParseEvents(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !slices.Contains(Events, e) {
			return nil, fmt.Errorf("events: %q is not one of %s", e, strings.Join(Events, ", "))
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Wants reports whether a subscriber with this events filter receives
// event: an empty filter takes every event.
func Wants(filter []string, event string) bool {
	return len(filter) == 0 || slices.Contains(filter, event)
}

// Payload is the body of a webhook delivery.
type Payload struct {
	Event   string `json:"event"`
	StoryID int64  `json:"story_id"`
	// State is the story's state the event left it in: "withheld" tells a
	// withhold, delivered as killed, from a kill.
	State string `json:"state"`
	// At is when the change was made.
	At string `json:"at"`
	// URL is the story's public page; absent for killed.
	URL string `json:"url,omitempty"`
	// Reason is why the story was killed or withheld, when given.
	Reason string `json:"reason,omitempty"`
	// Item is the version the event is about, as ninjs 2.1; absent for
	// killed, whose subscribers must take the story down, not show it.
	Item *ninjs.Document `json:"item,omitempty"`
}

// PayloadParams is what a payload is built from.
type PayloadParams struct {
	// StoryEvent is the apply.EventKind.
	StoryEvent string
	StoryID    int64
	At         time.Time
	// URL is the story's public page.
	URL string
	// Item is the version the event is about; ignored for a kill.
	Item *story.Item
	// Reason is the story's state reason, for a kill.
	Reason string
}

// BuildPayload returns the event name and the JSON body of a delivery.
func BuildPayload(p *PayloadParams) (event string, body []byte, err error) {
	event = EventFor(p.StoryEvent)
	if event == "" {
		return "", nil, fmt.Errorf("build webhook payload: story event %q is not delivered", p.StoryEvent)
	}
	pl := Payload{Event: event, StoryID: p.StoryID, At: p.At.UTC().Format(time.RFC3339Nano)}
	switch p.StoryEvent {
	case "killed":
		pl.State, pl.Reason = string(story.Killed), p.Reason
	case "withheld":
		pl.State, pl.Reason = string(story.WithheldState), p.Reason
	default:
		if p.Item == nil {
			return "", nil, fmt.Errorf("build webhook payload for %s of story %d: no item", event, p.StoryID)
		}
		pl.State, pl.URL, pl.Item = string(story.Published), p.URL, ninjs.ToNinjs21(p.Item)
	}
	body, err = json.Marshal(pl)
	if err != nil {
		return "", nil, fmt.Errorf("build webhook payload for %s of story %d: %w", event, p.StoryID, err)
	}
	return event, body, nil
}

// StoryPath is the path of a story's page on the site, as the site builds
// it: /story/{id}/{slug}, with the slugs the site keeps for its own pages
// suffixed; /story/{id}, which redirects to it, when there is no slug.
func StoryPath(st *story.Story) string {
	switch st.Slug {
	case "":
		return fmt.Sprintf("/story/%d", st.ID)
	case "original", "history":
		return fmt.Sprintf("/story/%d/%s-story", st.ID, st.Slug)
	}
	return fmt.Sprintf("/story/%d/%s", st.ID, url.PathEscape(st.Slug))
}
