package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/story"
)

// The example of the Standard Webhooks specification.
func TestSignatureSpecExample(t *testing.T) {
	got := Signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestCheckSecret(t *testing.T) {
	tests := []struct {
		secret, wantErr string
	}{
		{NewSecret(), ""},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""},
		{"a plain secret of enough bytes", ""},
		{"whsec_%%%", "secret: the part after whsec_ is not base64"},
		{"whsec_c2hvcnQ=", "secret: the key is 5 bytes, want 24 to 64"},
		{"short", "secret: 5 bytes is too short, want at least 24 (or a whsec_ secret)"},
	}
	for _, tt := range tests {
		err := CheckSecret(tt.secret)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("CheckSecret(%q) = %q, want %q", tt.secret, got, tt.wantErr)
		}
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		res  Result
		want Verdict
	}{
		{Result{Status: 200}, Delivered},
		{Result{Status: 204}, Delivered},
		{Result{Status: 301, Err: errors.New("HTTP 301")}, Retry},
		{Result{Status: 400, Err: errors.New("HTTP 400")}, Refused},
		{Result{Status: 404, Err: errors.New("HTTP 404")}, Refused},
		{Result{Status: 408, Err: errors.New("HTTP 408")}, Retry},
		{Result{Status: 410, Err: errors.New("HTTP 410")}, Refused},
		{Result{Status: 429, Err: errors.New("HTTP 429")}, Retry},
		{Result{Status: 500, Err: errors.New("HTTP 500")}, Retry},
		{Result{Err: errors.New("connection refused")}, Retry},
	}
	for _, tt := range tests {
		if got := tt.res.Verdict(); got != tt.want {
			t.Errorf("Verdict of %d %v = %d, want %d", tt.res.Status, tt.res.Err, got, tt.want)
		}
	}
}

// Send signs with the headers Standard Webhooks names, reads Retry-After,
// and refuses a private address unless allowed.
func TestSend(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	now := time.Unix(1700000000, 0)
	s := New(Config{Now: func() time.Time { return now }})
	defer s.CloseIdleConnections()
	body := []byte(`{"event":"published"}`)
	res := s.Send(t.Context(), &Message{URL: srv.URL, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID: "msg_1", Body: body, AllowPrivate: true})
	if res.Status != 429 || res.RetryAfter != 7*time.Second || res.Verdict() != Retry {
		t.Errorf("Send = status %d, retry after %s, verdict %d; want 429, 7s, retry", res.Status, res.RetryAfter, res.Verdict())
	}
	want := map[string]string{
		"Webhook-Id":        "msg_1",
		"Webhook-Timestamp": "1700000000",
		"Webhook-Signature": Signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1700000000, body),
		"Content-Type":      "application/json",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
	res = s.Send(t.Context(), &Message{URL: srv.URL, Secret: "x", ID: "msg_2", Body: body})
	var blocked *fetch.BlockedAddressError
	if !errors.As(res.Err, &blocked) || res.Status != 0 {
		t.Errorf("Send to loopback without AllowPrivate: %v, want a BlockedAddressError", res.Err)
	}
	res = s.Send(t.Context(), &Message{URL: "file:///etc/passwd", Secret: "x", ID: "msg_3", Body: body, AllowPrivate: true})
	if res.Err == nil || !strings.Contains(res.Err.Error(), `scheme "file" is not http or https`) {
		t.Errorf("Send to a file URL: %v", res.Err)
	}
}

func TestBuildPayload(t *testing.T) {
	at := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	it := &story.Item{URI: "urn:x:1", Version: "2", PubStatus: story.Usable, Headline: "Harbour reopens", Source: story.ItemSource{Agency: "HWS"}}
	tests := []struct {
		storyEvent string
		want       string
	}{
		{"published", `{"event":"published","story_id":5,"state":"published","at":"2026-11-29T06:00:00Z","url":"https://n.example/story/5/x","item":{"uri":"urn:x:1","version":"2","pubstatus":"usable","headlines":[{"role":"main","value":"Harbour reopens"}],"infosources":[{"name":"HWS"}],"standard":{"name":"ninjs","version":"2.1","schema":"http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"}}}`},
		{"restored", `{"event":"published","story_id":5,"state":"published","at":"2026-11-29T06:00:00Z","url":"https://n.example/story/5/x","item":{"uri":"urn:x:1","version":"2","pubstatus":"usable","headlines":[{"role":"main","value":"Harbour reopens"}],"infosources":[{"name":"HWS"}],"standard":{"name":"ninjs","version":"2.1","schema":"http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"}}}`},
		{"killed", `{"event":"killed","story_id":5,"state":"killed","at":"2026-11-29T06:00:00Z","reason":"Legal"}`},
		{"withheld", `{"event":"killed","story_id":5,"state":"withheld","at":"2026-11-29T06:00:00Z","reason":"Legal"}`},
	}
	for _, tt := range tests {
		_, body, err := BuildPayload(&PayloadParams{StoryEvent: tt.storyEvent, StoryID: 5, At: at, URL: "https://n.example/story/5/x", Item: it, Reason: "Legal"})
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		json.Unmarshal(body, &got)
		json.Unmarshal([]byte(tt.want), &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s payload (-want +got):\n%s", tt.storyEvent, diff)
		}
	}
	if _, _, err := BuildPayload(&PayloadParams{StoryEvent: "embargoed"}); err == nil {
		t.Error("payload for an event not delivered: no error")
	}
}

func TestParseEvents(t *testing.T) {
	got, err := ParseEvents(" killed, published,killed ")
	if err != nil || !cmp.Equal(got, []string{"killed", "published"}) {
		t.Errorf("ParseEvents = %q, %v", got, err)
	}
	if _, err := ParseEvents("published,deleted"); err == nil {
		t.Error("ParseEvents accepted deleted")
	}
	if got, _ := ParseEvents(""); got != nil || !Wants(got, EventKilled) {
		t.Errorf("empty filter = %q, want nil, taking every event", got)
	}
}

func TestStoryPath(t *testing.T) {
	for _, tt := range []struct {
		slug, want string
	}{
		{"harbour-reopens", "/story/9/harbour-reopens"},
		{"", "/story/9"},
		{"history", "/story/9/history-story"},
		{"original", "/story/9/original-story"},
	} {
		if got := StoryPath(&story.Story{ID: 9, Slug: tt.slug}); got != tt.want {
			t.Errorf("StoryPath(slug %q) = %s, want %s", tt.slug, got, tt.want)
		}
	}
}

func TestEventFor(t *testing.T) {
	for story, want := range map[string]string{
		"published": EventPublished, "restored": EventPublished,
		"updated": EventUpdated, "corrected": EventCorrected,
		"killed": EventKilled, "withheld": EventKilled, "unpublished": EventKilled,
		"held": "", "spiked": "",
	} {
		if got := EventFor(story); got != want {
			t.Errorf("EventFor(%q) = %q, want %q", story, got, want)
		}
	}
}
