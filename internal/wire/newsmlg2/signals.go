package newsmlg2

import (
	"regexp"
	"strings"
)

// Words in editors' notes that state what a version is. Only whole words
// count, and only these: a note says much else besides.
var (
	// dpa marks a flash "Eilmeldung"; its corrections "Berichtigung" or
	// "Korrektur"; English-language agencies "correction"/"corrects".
	noteFlash      = regexp.MustCompile(`(?i)\beilmeldung\b`)
	noteCorrection = regexp.MustCompile(`(?i)\b(berichtigung|korrektur|correction|corrects|corrected)\b`)
	noteWritethru  = regexp.MustCompile(`(?i)\bwrite-?thru\b`)
)

// Take keys in sluglines: AP ends its slugline with one after a comma
// ("BC-US--Earns-Nutrisystem, 1st Ld-Writethru"); Reuters puts
// "(UPDATE 1)" or "(CORRECTED)" in the slugline.
var (
	reutersUpdate    = regexp.MustCompile(`\(UPDATE \d+\)`)
	reutersCorrected = regexp.MustCompile(`\bCORRECTED\b`)
	apTakeWritethru  = regexp.MustCompile(`(?i)\bwrite-?thru\b`)
	apTakeCorrection = regexp.MustCompile(`(?i)\bcorrect(ion|ive|s|ed)?\b`)
)

// noteSignals returns the signals an editor's note states.
func noteSignals(note string) []string {
	var out []string
	if noteFlash.MatchString(note) {
		out = append(out, "flash")
	}
	if noteCorrection.MatchString(note) {
		out = append(out, "correction")
	}
	if noteWritethru.MatchString(note) {
		out = append(out, "writethru")
	}
	return out
}

// sluglineSignals returns the signals a slugline's take key states.
func sluglineSignals(slug string) []string {
	var out []string
	if reutersUpdate.MatchString(slug) {
		out = append(out, "update")
	}
	if reutersCorrected.MatchString(slug) {
		out = append(out, "correction")
	}
	// An AP take key is what follows the last comma; the words before it
	// are the story's keywords, where "Correction" may be a topic.
	if i := strings.LastIndex(slug, ","); i >= 0 {
		take := slug[i+1:]
		if apTakeWritethru.MatchString(take) {
			out = append(out, "writethru")
		}
		if apTakeCorrection.MatchString(take) {
			out = append(out, "correction")
		}
	}
	return out
}

// signalFromQcode maps an itemMeta signal to a signal word: the IPTC
// signal vocabulary (sig:correction, sig:update...) and the signal codes
// some agencies send under sic: (sic:TABLE) give their code in lower case.
// Agencies' product codes sent as signals (prodId:, pmt:, apsig:...) are
// not editorial signals and give "".
func signalFromQcode(qcode string) string {
	scheme, code := splitQcode(qcode)
	switch strings.ToLower(scheme) {
	case "sig", "sic":
		return strings.ToLower(strings.TrimSpace(code))
	}
	return ""
}

// addSignals appends signals not yet in list.
func addSignals(list []string, add ...string) []string {
	for _, s := range add {
		if s == "" {
			continue
		}
		seen := false
		for _, have := range list {
			if have == s {
				seen = true
				break
			}
		}
		if !seen {
			list = append(list, s)
		}
	}
	return list
}
