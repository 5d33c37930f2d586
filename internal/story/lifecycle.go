package story

import (
	"strings"
	"time"
)

// Current is what the lifecycle needs to know of a story before applying a
// new version to it.
type Current struct {
	State State
	// Item is the version on show (or last applied); nil for a new story.
	Item *Item
	// Protected is set once an editor has edited the story (DESIGN §4 rule
	// 8): agency updates then wait for an editor instead of replacing text.
	Protected bool
}

// Decision is what applying one incoming version does to its story.
type Decision struct {
	// Apply is true when the incoming version becomes the one on show.
	Apply bool
	// Pending is true when the version is newer but waits for an editor
	// because the story is protected ("agency update pending").
	Pending bool
	// State is the story's state afterwards (unchanged when nothing applies,
	// except that a kill always kills).
	State State
	// Reason says why, in words for logs and the desk.
	Reason string
}

// Decide is the lifecycle decision (DESIGN §4 rules 3 to 8) for a version
// the story does not hold yet; re-deliveries never get here. cur is nil for
// a new story; now is the time of applying.
//
// The rules are built so that the final state does not depend on the order
// the versions arrive in, whenever the versions can be ordered (Compare):
//   - a kill wins whenever it arrives, older or newer, and only an editor
//     restores the story, so "killed" is the same in every order;
//   - otherwise the newest version is on show, and its status and embargo
//     set the state (withheld hides until a newer usable version).
func Decide(cur *Current, in *Item, now time.Time) Decision {
	if cur == nil || cur.Item == nil {
		d := Decision{Apply: true, State: stateOf(in, now), Reason: "first version"}
		if cur != nil && cur.State == Killed {
			d.State = Killed // a story killed before any version was shown stays killed
		}
		return d
	}
	order, known := Compare(in, cur.Item)
	newer := !known || order > 0
	switch {
	case in.PubStatus == Canceled:
		// A kill is a legal or factual alarm: it takes the story down even
		// when it is older than what is shown, and even when an editor has
		// edited it.
		return Decision{Apply: newer && !cur.Protected, State: Killed, Reason: "agency canceled the story"}
	case cur.State == Killed:
		return Decision{State: Killed, Reason: "story was killed; only an editor can restore it"}
	case !newer:
		return Decision{State: cur.State, Reason: "older than the version on show"}
	case cur.Protected:
		return Decision{Pending: true, State: cur.State, Reason: "agency update pending: an editor has edited this story"}
	}
	return Decision{Apply: true, State: stateOf(in, now), Reason: "newer version"}
}

// stateOf is the state an applied version puts its story in.
func stateOf(in *Item, now time.Time) State {
	switch {
	case in.PubStatus == Canceled:
		return Killed
	case in.PubStatus == Withheld:
		return WithheldState
	case in.Embargoed != nil && in.Embargoed.After(now):
		return Embargoed
	}
	return Published
}

// Compare orders two versions of one story (DESIGN §4 rule 3): by the
// agency's version number when both are whole numbers (compared as numbers
// of any length, so Reuters' long opaque numbers order too), else by
// versioncreated when both have one. known is false when neither tells,
// and the caller falls back to arrival order. Equal numbers with different
// content are ordered by versioncreated, then left to arrival.
func Compare(a, b *Item) (order int, known bool) {
	if na, nb := digits(a.Version), digits(b.Version); na != "" && nb != "" {
		if c := compareDigits(na, nb); c != 0 {
			return c, true
		}
	}
	if a.VersionCreated != nil && b.VersionCreated != nil && !a.VersionCreated.Equal(*b.VersionCreated) {
		return a.VersionCreated.Compare(*b.VersionCreated), true
	}
	return 0, false
}

// digits returns v without leading zeros when v is a whole number, else "".
func digits(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return ""
		}
	}
	v = strings.TrimLeft(v, "0")
	if v == "" {
		return "0"
	}
	return v
}

func compareDigits(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
