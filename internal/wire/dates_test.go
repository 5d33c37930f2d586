package wire

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want string // RFC 3339 in UTC; "" means not a date
	}{
		// RFC 1123 / 822 as RSS sends them.
		{"RFC 1123 numeric zone", "Sun, 17 Dec 2023 00:58:40 -0500", nil, "2023-12-17T05:58:40Z"},
		{"RFC 1123 GMT", "Wed, 31 Jan 2018 07:26:05 GMT", nil, "2018-01-31T07:26:05Z"},
		{"RFC 822 no seconds", "Wed, 31 Jan 2018 07:26 +0100", nil, "2018-01-31T06:26:00Z"},
		{"RFC 822 two-digit year", "Wed, 31 Jan 18 07:26:05 EST", nil, "2018-01-31T12:26:05Z"},
		{"no day name", "31 Jan 2018 07:26:05 +0000", nil, "2018-01-31T07:26:05Z"},
		{"single-digit day", "Thu, 1 Feb 2018 07:26:05 +0000", nil, "2018-02-01T07:26:05Z"},
		{"full month and day names", "Thursday, 01 February 2018 07:26:05 +0000", nil, "2018-02-01T07:26:05Z"},
		{"offset with colon", "Thu, 01 Feb 2018 07:26:05 +01:00", nil, "2018-02-01T06:26:05Z"},
		{"UT zone", "Thu, 01 Feb 2018 07:26:05 UT", nil, "2018-02-01T07:26:05Z"},
		{"PDT zone", "Thu, 01 Feb 2018 07:26:05 PDT", nil, "2018-02-01T14:26:05Z"},
		{"CEST zone", "Thu, 01 Feb 2018 07:26:05 CEST", nil, "2018-02-01T05:26:05Z"},
		{"GMT with offset", "Thu, 01 Feb 2018 07:26:05 GMT+2", nil, "2018-02-01T05:26:05Z"},
		{"extra spaces", "  Sun,  17 Dec  2023 00:58:40   -0500 ", nil, "2023-12-17T05:58:40Z"},
		// RFC 3339 and ISO 8601.
		{"RFC 3339 Z", "2019-07-31T11:54:28Z", nil, "2019-07-31T11:54:28Z"},
		{"RFC 3339 offset", "2016-02-01T17:22:00+01:00", nil, "2016-02-01T16:22:00Z"},
		{"RFC 3339 fraction", "2019-07-31T11:54:28.123456Z", nil, "2019-07-31T11:54:28.123456Z"},
		{"ISO offset without colon", "2016-02-01T17:22:00+0100", nil, "2016-02-01T16:22:00Z"},
		{"ISO space separator", "2016-01-12 12:35:40 +13:00", nil, "2016-01-11T23:35:40Z"},
		{"ISO no seconds", "2016-02-01T17:22+01:00", nil, "2016-02-01T16:22:00Z"},
		{"ISO compact (NITF)", "20131020T192751+1100", nil, "2013-10-20T08:27:51Z"},
		{"ISO date only", "2016-02-01", nil, "2016-02-01T00:00:00Z"},
		// No zone: the source's zone.
		{"no zone in UTC", "2016-01-12 12:35:40", nil, "2016-01-12T12:35:40Z"},
		{"no zone in Berlin", "2016-01-12 12:35:40", berlin, "2016-01-12T11:35:40Z"},
		{"US 12-hour clock without zone (NBC)", "Sat, Dec 16 2023 02:02:33 PM", nil, "2023-12-16T14:02:33Z"},
		{"US 12-hour clock in New York", "Sat, Dec 16 2023 02:02:33 PM", newYork, "2023-12-16T19:02:33Z"},
		{"US with comma", "December 16, 2023 2:02 PM EST", nil, "2023-12-16T19:02:00Z"},
		{"Unix date", "Sat Dec 16 14:02:33 UTC 2023", nil, "2023-12-16T14:02:33Z"},
		{"ANSI C", "Sat Dec 16 14:02:33 2023", nil, "2023-12-16T14:02:33Z"},
		{"Unix seconds", "1702735353", nil, "2023-12-16T14:02:33Z"},
		// Localized names.
		{"German abbreviations", "Mi, 13 Mär 2024 10:00:00 +0100", nil, "2024-03-13T09:00:00Z"},
		{"German written out", "Mittwoch, 13. März 2024, 10:30 Uhr", berlin, "2024-03-13T09:30:00Z"},
		{"German numeric", "13.03.2024 10:30", berlin, "2024-03-13T09:30:00Z"},
		{"German Dez. abbreviation", "Fr., 6. Dez. 2024 08:15:00 +0100", nil, "2024-12-06T07:15:00Z"},
		{"French", "mer., 13 mars 2024 10:00:00 +0100", nil, "2024-03-13T09:00:00Z"},
		{"French written out", "mercredi 13 mars 2024 à 10h30", berlin, "2024-03-13T09:30:00Z"},
		{"French accents", "13 février 2024 10:00 +0100", nil, "2024-02-13T09:00:00Z"},
		{"French mardi abbreviation is not March", "mar., 13 févr. 2024 10:00 +0100", nil, "2024-02-13T09:00:00Z"},
		{"Spanish", "miércoles, 13 de marzo de 2024 10:00 +0100", nil, "2024-03-13T09:00:00Z"},
		{"Spanish abbreviations", "Mié, 13 Dic 2023 10:00:00 +0100", nil, "2023-12-13T09:00:00Z"},
		{"Dutch", "wo, 13 mrt 2024 10:00:00 +0100", nil, "2024-03-13T09:00:00Z"},
		{"Dutch written out", "woensdag 13 maart 2024 om 10:00", berlin, "2024-03-13T09:00:00Z"},
		{"Italian", "mer, 13 mag 2024 10:00:00 +0200", nil, "2024-05-13T08:00:00Z"},
		{"Italian written out", "13 ottobre 2024 alle ore 10:00", berlin, "2024-10-13T08:00:00Z"},
		// Localized RFC 822 as real feeds write it.
		{"German Mo Okt", "Mo, 28 Okt 2018 10:00:00 +0100", nil, "2018-10-28T09:00:00Z"},
		{"German Mo. 28. Okt.", "Mo., 28. Okt. 2018 10:00 +0100", nil, "2018-10-28T09:00:00Z"},
		{"French lun. oct.", "lun., 28 oct. 2018 10:00:00 +0100", nil, "2018-10-28T09:00:00Z"},
		{"French dim. janv.", "dim., 6 janv. 2019 10:00:00 +0100", nil, "2019-01-06T09:00:00Z"},
		{"Spanish Dom Oct", "Dom, 28 Oct 2018 10:00:00 +0100", nil, "2018-10-28T09:00:00Z"},
		{"Spanish sáb ago", "sáb, 4 ago 2018 10:00:00 +0200", nil, "2018-08-04T08:00:00Z"},
		{"Portuguese Dom Out", "Dom, 28 Out 2018 10:00:00 -0300", nil, "2018-10-28T13:00:00Z"},
		{"Portuguese seg dez", "seg, 3 dez 2018 10:00:00 -0200", nil, "2018-12-03T12:00:00Z"},
		{"Portuguese written out with -feira", "segunda-feira, 29 de outubro de 2018 10:00 -0300", nil, "2018-10-29T13:00:00Z"},
		{"Portuguese março", "qua, 13 março 2024 10:00 +0000", nil, "2024-03-13T10:00:00Z"},
		{"Italian dom ott", "dom, 28 ott 2018 10:00:00 +0100", nil, "2018-10-28T09:00:00Z"},
		{"Italian gio dic", "gio, 6 dic 2018 10:00:00 +0100", nil, "2018-12-06T09:00:00Z"},
		{"Dutch zo okt", "zo, 28 okt 2018 10:00:00 +0100", nil, "2018-10-28T09:00:00Z"},
		// Offsets and zones.
		{"offset without colon", "Sun, 28 Oct 2018 10:00:00 +0530", nil, "2018-10-28T04:30:00Z"},
		{"offset with colon", "Sun, 28 Oct 2018 10:00:00 +05:30", nil, "2018-10-28T04:30:00Z"},
		{"negative offset with colon", "Sun, 28 Oct 2018 10:00:00 -03:30", nil, "2018-10-28T13:30:00Z"},
		{"GMT", "Sun, 28 Oct 2018 10:00:00 GMT", nil, "2018-10-28T10:00:00Z"},
		{"UTC", "Sun, 28 Oct 2018 10:00:00 UTC", nil, "2018-10-28T10:00:00Z"},
		{"EST", "Sun, 28 Oct 2018 10:00:00 EST", nil, "2018-10-28T15:00:00Z"},
		{"EDT", "Sun, 28 Oct 2018 10:00:00 EDT", nil, "2018-10-28T14:00:00Z"},
		{"CST", "Sun, 28 Oct 2018 10:00:00 CST", nil, "2018-10-28T16:00:00Z"},
		{"MDT", "Sun, 28 Oct 2018 10:00:00 MDT", nil, "2018-10-28T16:00:00Z"},
		{"PST", "Sun, 28 Oct 2018 10:00:00 PST", nil, "2018-10-28T18:00:00Z"},
		{"PDT lower case", "Sun, 28 Oct 2018 10:00:00 pdt", nil, "2018-10-28T17:00:00Z"},
		{"CET", "Sun, 28 Oct 2018 10:00:00 CET", nil, "2018-10-28T09:00:00Z"},
		{"CEST", "Sun, 28 Oct 2018 10:00:00 CEST", nil, "2018-10-28T08:00:00Z"},
		{"MEZ", "So, 28 Okt 2018 10:00:00 MEZ", nil, "2018-10-28T09:00:00Z"},
		{"JST", "Sun, 28 Oct 2018 10:00:00 JST", nil, "2018-10-28T01:00:00Z"},
		{"military Z", "Sun, 28 Oct 2018 10:00:00 Z", nil, "2018-10-28T10:00:00Z"},
		{"military letter read as -0000 (RFC 5322)", "Sun, 28 Oct 2018 10:00:00 N", nil, "2018-10-28T10:00:00Z"},
		{"military letter J is no zone", "Sun, 28 Oct 2018 10:00:00 J", nil, ""},
		{"no zone: the source's zone", "Sun, 28 Oct 2018 10:00:00", berlin, "2018-10-28T09:00:00Z"},
		{"no zone, across a DST change", "Sat, 27 Oct 2018 10:00:00", berlin, "2018-10-27T08:00:00Z"},
		// ISO 8601 without seconds.
		{"ISO no seconds, Z", "2018-10-28T10:30Z", nil, "2018-10-28T10:30:00Z"},
		{"ISO no seconds, offset without colon", "2018-10-28T10:30+0100", nil, "2018-10-28T09:30:00Z"},
		{"ISO no seconds, no zone", "2018-10-28T10:30", berlin, "2018-10-28T09:30:00Z"},
		{"ISO no seconds, space", "2018-10-28 10:30", berlin, "2018-10-28T09:30:00Z"},
		// Placeholders and garbage: unknown, not guessed.
		{"MySQL zero date", "0000-00-00 00:00:00", nil, ""},
		{"MySQL zero date only", "0000-00-00", nil, ""},
		{"before 1980", "1979-12-31T23:59:59Z", nil, ""},
		{"1980 itself", "1980-01-01T00:00:00Z", nil, "1980-01-01T00:00:00Z"},
		{"far future placeholder", "9999-12-31T23:59:59Z", nil, ""},
		{"more than ten years ahead", time.Now().AddDate(11, 0, 0).UTC().Format(time.RFC3339), nil, ""},
		{"next year is fine (embargo)", time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second).Format(time.RFC3339), nil,
			time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second).Format(time.RFC3339)},
		{"now is not a date", "now", nil, ""},
		{"today is not a date", "today", nil, ""},
		{"zero time", "0001-01-01T00:00:00Z", nil, ""},
		{"Unix epoch", "1970-01-01T00:00:00Z", nil, ""},
		{"Unix epoch RFC 1123", "Thu, 01 Jan 1970 00:00:00 +0000", nil, ""},
		{"epoch in a western zone", "Wed, 31 Dec 1969 19:00:00 -0500", nil, ""},
		{"zero Unix seconds", "0000000000", nil, ""},
		{"empty", "", nil, ""},
		{"spaces", "   ", nil, ""},
		{"words", "yesterday", nil, ""},
		{"unknown zone is not guessed", "Thu, 01 Feb 2018 07:26:05 XYZ", nil, ""},
		{"month out of range", "2018-13-01T00:00:00Z", nil, ""},
		{"day out of range", "31 Feb 2018 07:26:05 +0000", nil, ""},
		{"offset out of range", "2018-02-01T07:26:05+2500", nil, ""},
		{"too long", "Thu, 01 Feb 2018 07:26:05 +0000" + string(make([]byte, 200)), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseDate(tt.in, tt.loc)
			if tt.want == "" {
				if ok {
					t.Errorf("ParseDate(%q) = %v, want unknown", tt.in, got)
				}
				return
			}
			if !ok {
				t.Fatalf("ParseDate(%q) = unknown, want %s", tt.in, tt.want)
			}
			if s := got.UTC().Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("ParseDate(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

// TestParseDateKeepsOffset checks that a parsed date keeps the offset the
// feed wrote (the canonical JSON shows it), and that a zoneless date takes
// the source's zone.
func TestParseDateKeepsOffset(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want string // RFC 3339 as ParseDate's result formats itself
	}{
		{"Sun, 28 Oct 2018 10:00:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"Sun, 28 Oct 2018 10:00:00 +05:30", nil, "2018-10-28T10:00:00+05:30"},
		{"Sun, 28 Oct 2018 10:00:00 EST", nil, "2018-10-28T10:00:00-05:00"},
		{"Sun, 28 Oct 2018 10:00:00 GMT", nil, "2018-10-28T10:00:00Z"},
		{"Sun, 28 Oct 2018 10:00:00 -0000", nil, "2018-10-28T10:00:00Z"},
		{"lun., 28 oct. 2018 10:00:00 CET", nil, "2018-10-28T10:00:00+01:00"},
		{"2016-02-01T17:22:00+01:00", nil, "2016-02-01T17:22:00+01:00"},
		{"2016-02-01T17:22+01:00", nil, "2016-02-01T17:22:00+01:00"},
		{"2016-02-01 17:22:00", berlin, "2016-02-01T17:22:00+01:00"},
		{"2016-07-01 17:22:00", berlin, "2016-07-01T17:22:00+02:00"},
		{"2016-07-01 17:22:00", nil, "2016-07-01T17:22:00Z"},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in, tt.loc)
		if !ok {
			t.Errorf("ParseDate(%q) = unknown, want %s", tt.in, tt.want)
			continue
		}
		if s := got.Format(time.RFC3339); s != tt.want {
			t.Errorf("ParseDate(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

// FuzzParseDate checks that ParseDate never panics, never returns a
// placeholder date, and returns an instant that survives a round trip
// through RFC 3339.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 17 Dec 2023 00:58:40 -0500", "2019-07-31T11:54:28Z", "20131020T192751+1100",
		"Sat, Dec 16 2023 02:02:33 PM", "Mittwoch, 13. März 2024, 10:30 Uhr", "13 de marzo de 2024",
		"mar., 13 févr. 2024 10:00 +0100", "0001-01-01T00:00:00Z", "1702735353", "GMT+", "10h", "12. ",
		"segunda-feira, 29 de outubro de 2018 10:00 -0300", "Sun, 28 Oct 2018 10:00:00 N", "0000-00-00 00:00:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDate(s, time.UTC)
		if !ok {
			if !got.IsZero() {
				t.Errorf("ParseDate(%q) = %v with ok false, want the zero time", s, got)
			}
			return
		}
		if got.Unix() < earliestRealDate || got.After(time.Now().AddDate(latestRealDateYears, 0, 1)) {
			t.Errorf("ParseDate(%q) = %v, a placeholder date", s, got)
		}
		back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Errorf("ParseDate(%q) = %v does not survive RFC 3339: %v", s, got, err)
		}
	})
}
