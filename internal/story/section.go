package story

import (
	"strings"
)

// DefaultSection is where a story goes when nothing about it names a
// section.
const DefaultSection = "news"

// topLevelSections names the section of each IPTC top-level subject: the
// first two digits of an IPTC Subject Code or of a top-level Media Topic
// (01000000 to 17000000, the same numbering in both vocabularies).
var topLevelSections = map[string]string{
	"01": "culture",
	"02": "crime",
	"03": "disasters",
	"04": "business",
	"05": "education",
	"06": "environment",
	"07": "health",
	"08": "human-interest",
	"09": "business", // labour
	"10": "lifestyle",
	"11": "politics",
	"12": "religion",
	"13": "science",
	"14": "society",
	"15": "sport",
	"16": "conflict",
	"17": "weather",
}

// categorySections maps the one- or two-letter category codes of ANPA 1312,
// IPTC 7901, AP and dpa to sections. Codes not listed say nothing.
var categorySections = map[string]string{
	"s": "sport", "q": "sport", "sp": "sport", // sports, sports results, dpa Sport
	"f": "business", "wi": "business", // financial, dpa Wirtschaft
	"e": "culture", "ku": "culture", // entertainment, dpa Kultur
	"p": "politics", "w": "politics", "pl": "politics", // politics, Washington, dpa Politik
	"i": "world", // international
	"l": "lifestyle",
}

// subjectNameSections maps words found in subject names to sections, for
// vocabularies with opaque codes (AP's subject ids, genres).
var subjectNameSections = map[string]string{
	"sport": "sport", "sports": "sport", "football": "sport", "soccer": "sport", "baseball": "sport",
	"business": "business", "economy": "business", "finance": "business", "earnings": "business",
	"politics": "politics", "election": "politics", "elections": "politics",
	"health": "health", "science": "science", "technology": "science",
	"weather": "weather", "crime": "crime", "culture": "culture", "entertainment": "culture",
}

// SectionFor is the section an item is filed under when no routing rule
// names one: from its IPTC subject codes first, then from category codes,
// then from subject names, else DefaultSection. It is a pure function of
// the item, so every node files a story alike.
func SectionFor(it *Item) string {
	if it == nil {
		return DefaultSection
	}
	for _, s := range it.Subjects {
		if sec := iptcSection(s); sec != "" {
			return sec
		}
	}
	for _, s := range it.Subjects {
		if isCategoryScheme(s.Scheme) {
			if sec := categorySections[strings.ToLower(strings.TrimSpace(s.Code))]; sec != "" {
				return sec
			}
		}
	}
	for _, s := range it.Subjects {
		for _, w := range strings.FieldsFunc(strings.ToLower(s.Name), func(r rune) bool {
			return !(r >= 'a' && r <= 'z')
		}) {
			if sec := subjectNameSections[w]; sec != "" {
				return sec
			}
		}
	}
	return DefaultSection
}

// iptcSection reads an IPTC Subject Code or Media Topic code: eight digits
// whose first two name the top-level subject. Media Topics below the top
// level (20000000 and up) are not numbered by their parent and say nothing.
func iptcSection(e Entity) string {
	scheme := strings.ToLower(e.Scheme)
	if !strings.Contains(scheme, "subj") && !strings.Contains(scheme, "medtop") && !strings.Contains(scheme, "mediatopic") {
		return ""
	}
	code := e.Code
	if i := strings.LastIndexAny(code, ":/"); i >= 0 {
		code = code[i+1:]
	}
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		return ""
	}
	if strings.Contains(scheme, "medtop") || strings.Contains(scheme, "mediatopic") {
		if code[2:] != "000000" {
			return ""
		}
	}
	return topLevelSections[code[:2]]
}

func isCategoryScheme(scheme string) bool {
	s := strings.ToLower(scheme)
	return strings.Contains(s, "categor") || strings.Contains(s, "dpacat") || s == ""
}
