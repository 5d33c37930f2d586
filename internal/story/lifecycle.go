package story

import "time"

// Decision is what applying one incoming version does to its story.
type Decision struct {
	// Apply is true when the incoming version becomes the one on show.
	Apply bool
	// State is the story's state after applying; meaningful when Apply.
	State State
	// Reason says why, in words for logs and the desk.
	Reason string
}

// Decide is the lifecycle decision for one incoming version of a story that
// does not yet hold this version key (re-deliveries never get here). now is
// the time of applying.
//
// This is the seam for DESIGN §4: today a new version is applied in arrival
// order and its pubstatus and embargo set the state; version ordering,
// kill permanence and editor protection refine this function and nothing
// else.
func Decide(in *Item, now time.Time) Decision {
	switch in.PubStatus {
	case Canceled:
		return Decision{Apply: true, State: Killed, Reason: "agency canceled the story"}
	case Withheld:
		return Decision{Apply: true, State: WithheldState, Reason: "agency withheld the story"}
	}
	if in.Embargoed != nil && in.Embargoed.After(now) {
		return Decision{Apply: true, State: Embargoed, Reason: "embargoed until " + in.Embargoed.UTC().Format(time.RFC3339)}
	}
	return Decision{Apply: true, State: Published, Reason: "new version"}
}
