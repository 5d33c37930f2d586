package dedup

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
)

// This file generates plausible wire copy for the evaluation: stories from
// four templates (automated earnings, storms, court cases, football
// matches) filled from word lists, the datelines of several agencies and
// the markup of several feed formats. Everything is deterministic from the
// *rand.Rand it is given.

// draft is one generated story before it is rendered for a feed.
type draft struct {
	Topic    string
	Headline string
	// Place, Region and Date make the dateline; each agency writes them its
	// own way.
	Place, Region string
	Month         string
	Day           int
	// BodyHeadline, when set, is a headline carried at the top of the
	// body, as AP's NITF repeats hl1 inside body.content.
	BodyHeadline string
	// OwnDateline is the dateline real copy came with (agencyOwn).
	OwnDateline string
	// Paras is the body without dateline, lead first.
	Paras []string
	// Spare is copy of the same story that this version does not carry: a
	// writethru adds from it.
	Spare []string
}

var (
	places   = []string{"Port Alder", "Millbrook", "Cedar Falls", "Riverton", "Westhaven", "Lakeview", "Granite City", "Fairmont", "Eastbridge", "Oakridge", "Kingsport", "Bayfield", "Northgate", "Silverton", "Ashford", "Brookhaven", "Marlow Bay", "Pine Bluff Harbor", "Stonebridge", "Clearwater Point"}
	regions  = []string{"Ore.", "Pa.", "Md.", "Tenn.", "Ohio", "Calif.", "Texas", "Fla.", "N.C.", "Va.", "Ga.", "Mich.", "Wash.", "La.", "S.C."}
	months   = []string{"Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"}
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	first    = []string{"Maria", "James", "Aisha", "Daniel", "Helen", "Tomas", "Priya", "Robert", "Ingrid", "Samuel", "Chen", "Laura", "Kofi", "Elena", "Marcus", "Yuki", "Omar", "Grace", "Pavel", "Nadia"}
	last     = []string{"Okafor", "Lindqvist", "Moreno", "Hargreaves", "Patel", "Novak", "Brennan", "Castillo", "Whitfield", "Yamamoto", "Adeyemi", "Kowalski", "Delgado", "Fairbanks", "Ostrowski", "Mbeki", "Sorensen", "Achterberg", "Quinlan", "Ferreira"}
	comp1    = []string{"Harbor", "Summit", "Bluewater", "Ironwood", "Keystone", "Northstar", "Redfield", "Crescent", "Evergreen", "Granite", "Meridian", "Silverline", "Oakmont", "Pinnacle", "Westbrook", "Lakeshore", "Sterling", "Brightpath", "Cobalt", "Frontier"}
	comp2    = []string{"Foods", "Logistics", "Hospitality", "Networks", "Biosciences", "Materials", "Energy", "Apparel", "Semiconductor", "Realty", "Health", "Insurance", "Media", "Outdoor", "Pharmaceuticals"}
	suffixes = []string{"Inc.", "Corp.", "Co.", "Holdings Inc.", "Group Inc.", "Ltd."}
	quarters = []string{"first-quarter", "second-quarter", "third-quarter", "fourth-quarter"}
	storms   = []string{"Alba", "Bertrand", "Celeste", "Dorian", "Esme", "Fabian", "Greta", "Hector", "Ilse", "Joaquin", "Katla", "Leopold", "Mireille", "Nestor", "Odile", "Pascal"}
	rivers   = []string{"Alder", "Willow", "Stony", "Black", "Mill", "Crooked", "Cedar", "Fox", "Grand", "Little Bear"}
	charges  = []string{"second-degree murder", "fraud", "arson", "embezzlement", "manslaughter", "armed robbery", "money laundering", "bribery", "kidnapping", "tax evasion", "vehicular homicide", "conspiracy to commit wire fraud"}
	jobs     = []string{"accountant", "police officer", "city councilman", "nurse", "bank manager", "real estate developer", "school principal", "contractor", "pharmacist", "youth coach"}
	clubs    = []string{"Port Alder Rovers", "Millbrook Athletic", "Riverton United", "Westhaven City", "Cedar Falls FC", "Kingsport Wanderers", "Northgate Town", "Bayfield Albion", "Silverton Rangers", "Ashford Borough", "Eastbridge Dynamo", "Oakridge Celtic"}
	quotes   = []string{
		"We are doing everything we can, and we ask people to be patient",
		"This is a day that nobody here will forget",
		"The numbers speak for themselves, and we are pleased with the direction",
		"There are still a lot of questions that need answers",
		"We will review the decision carefully before deciding on the next step",
		"I have never seen anything like it in thirty years",
		"Our thoughts are with the families who have lost so much",
		"It was a difficult night but the team showed real character",
		"We expect the situation to improve over the coming days",
		"Nobody is above the law, and today shows that",
	}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func person(r *rand.Rand) string { return pick(r, first) + " " + pick(r, last) }

// money formats a random amount between lo and hi with one decimal.
func money(r *rand.Rand, lo, hi float64) string {
	return fmt.Sprintf("%.1f", lo+r.Float64()*(hi-lo))
}

// genEarnings writes an automated earnings story: one fixed template,
// filled with a company's figures. Two of them about different companies
// share most of their words: the trap for duplicate detection.
func genEarnings(r *rand.Rand) draft {
	name := pick(r, comp1) + " " + pick(r, comp2)
	company := name + " " + pick(r, suffixes)
	ticker := strings.ToUpper(name[:2] + string(name[len(name)-1]))
	industry := strings.ToLower(pick(r, comp2))
	day := pick(r, weekdays)
	place, region := pick(r, places), pick(r, regions)
	eps, adj, est := 10+r.IntN(90), 10+r.IntN(90), 10+r.IntN(90)
	verdict := "missed"
	if adj > est {
		verdict = "beat"
	} else if adj == est {
		verdict = "matched"
	}
	up := pick(r, []string{"risen", "fallen"})
	paras := []string{
		fmt.Sprintf("%s (%s) on %s posted %s net income of $%s million.", company, ticker, day, pick(r, quarters), money(r, 2, 400)),
		fmt.Sprintf("The %s, %s-based %s company said earnings came to %d cents per share. Adjusted for one-time items, earnings were %d cents per share.", place, region, industry, eps, adj),
		fmt.Sprintf("That result %s analyst forecasts. The consensus estimate of %d analysts polled by Ledger Research called for %d cents per share.", verdict, 2+r.IntN(12), est),
		fmt.Sprintf("The %s company reported quarterly revenue of $%s million, compared with the $%s million analysts had expected.", industry, money(r, 50, 2000), money(r, 50, 2000)),
		fmt.Sprintf("Shares of %s have %s %d percent since the start of the year. They closed at $%s on %s, a change of %d percent over the past 12 months.", name, up, 1+r.IntN(40), money(r, 5, 300), day, 1+r.IntN(60)),
		fmt.Sprintf("This story was produced automatically by Quillbot Newsdesk from data supplied by Ledger Research. A Ledger Research report on %s is available at https://ledger.example/%s", ticker, strings.ToLower(ticker)),
	}
	spare := []string{
		fmt.Sprintf("For the full year, %s reported profit of $%s million, or $%s per share, on revenue of $%s million.", name, money(r, 10, 900), money(r, 1, 9), money(r, 200, 8000)),
		fmt.Sprintf("The company forecast revenue for the current quarter between $%s million and $%s million.", money(r, 50, 500), money(r, 500, 900)),
		fmt.Sprintf("It expects full-year earnings of $%s to $%s per share.", money(r, 1, 4), money(r, 4, 8)),
	}
	// Full-year results come in a writethru ("Adds full-year results"): the
	// first version may or may not carry them already.
	if r.IntN(2) == 0 {
		paras = append(paras[:4:4], append(spare[:1], paras[4:]...)...)
		spare = spare[1:]
	}
	return draft{
		Topic:    "earnings",
		Headline: fmt.Sprintf("%s %s %s earnings expectations", name, verdict, pick(r, quarters)),
		Place:    place, Region: region, Month: pick(r, months), Day: 1 + r.IntN(28),
		Paras: paras, Spare: spare,
	}
}

// genStorm writes a storm story: a pool of paragraphs with two wordings
// each, of which a story carries the lead and a shuffled selection.
func genStorm(r *rand.Rand) draft {
	name, place, region := pick(r, storms), pick(r, places), pick(r, regions)
	day, day2 := pick(r, weekdays), pick(r, weekdays)
	official, governor := person(r), person(r)
	wind, rain := 45+r.IntN(100), 2+r.IntN(14)
	lead := pick(r, []string{
		fmt.Sprintf("Storm %s slammed into %s on %s, bringing winds of up to %d mph and %d inches of rain, forecasters said.", name, place, day, wind, rain),
		fmt.Sprintf("%s made landfall near %s early %s as a Category %d storm with sustained winds of %d mph, the National Hurricane Center said.", name, place, day, 1+r.IntN(4), wind),
	})
	pool := []string{
		pick(r, []string{
			fmt.Sprintf("More than %d homes and businesses lost power, according to %s Electric, which said crews could need %d days to restore service.", 1000*(5+r.IntN(300)), pick(r, comp1), 2+r.IntN(6)),
			fmt.Sprintf("About %d customers were without electricity on %s evening, and the utility warned that some outages could last until %s.", 1000*(5+r.IntN(300)), day, day2),
		}),
		fmt.Sprintf("%s, the mayor of %s, urged residents to stay off the roads. \"%s,\" %s said at a briefing on %s afternoon.", official, place, pick(r, quotes), official, day),
		fmt.Sprintf("The National Weather Service issued a %s warning for %s County until %d p.m. %s.", pick(r, []string{"flood", "storm surge", "tornado", "high wind"}), pick(r, last), 1+r.IntN(11), day2),
		pick(r, []string{
			fmt.Sprintf("Authorities reported %d deaths linked to the storm, including a %d-year-old %s struck by a falling tree in %s.", 1+r.IntN(9), 20+r.IntN(70), pick(r, []string{"man", "woman"}), pick(r, places)),
			fmt.Sprintf("No deaths had been reported by %s night, but rescue crews pulled %d people from flooded cars in %s, officials said.", day, 3+r.IntN(60), pick(r, places)),
		}),
		fmt.Sprintf("Schools in %d districts were closed and %s Regional Airport canceled %d flights.", 2+r.IntN(30), pick(r, places), 10+r.IntN(400)),
		fmt.Sprintf("Shelters opened at %d locations and housed about %d people overnight, the Red Cross said.", 2+r.IntN(40), 50*(1+r.IntN(60))),
		fmt.Sprintf("The storm was expected to weaken as it moved %s toward %s by %s morning.", pick(r, []string{"north", "inland", "east", "northeast"}), pick(r, places), day2),
		fmt.Sprintf("Forecasters said %d to %d inches of additional rain could fall in some areas, raising the risk of flash flooding along the %s River.", 1+r.IntN(4), 5+r.IntN(6), pick(r, rivers)),
		fmt.Sprintf("Governor %s declared a state of emergency for %d counties on %s and deployed %d National Guard members.", governor, 3+r.IntN(40), day, 100*(1+r.IntN(30))),
		fmt.Sprintf("%s is the %s named storm of the season, which forecasters had predicted would be %s than usual.", name, pick(r, []string{"fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}), pick(r, []string{"busier", "quieter"})),
		fmt.Sprintf("\"%s,\" said %s, a resident of %s who spent the night in a shelter with %s family.", pick(r, quotes), person(r), place, pick(r, []string{"his", "her"})),
		fmt.Sprintf("Insurers estimated damage at $%s billion, most of it from wind and flooding in low-lying neighborhoods near the coast.", money(r, 1, 30)),
	}
	return shuffledDraft(r, "storm", fmt.Sprintf("Storm %s hits %s", name, place), place, region, lead, pool)
}

// genCourt writes a court story in the same way as genStorm.
func genCourt(r *rand.Rand) draft {
	defendant, judge, lawyer, prosecutor, victim := person(r), person(r), person(r), person(r), person(r)
	place, region, day := pick(r, places), pick(r, regions), pick(r, weekdays)
	charge := pick(r, charges)
	surname := defendant[strings.IndexByte(defendant, ' ')+1:]
	lead := pick(r, []string{
		fmt.Sprintf("A jury in %s on %s found %s guilty of %s in the %d death of %s.", place, day, defendant, charge, 2015+r.IntN(10), victim),
		fmt.Sprintf("%s, a %d-year-old former %s, was sentenced on %s to %d years in prison for %s.", defendant, 25+r.IntN(50), pick(r, jobs), day, 2+r.IntN(38), charge),
		fmt.Sprintf("A federal judge in %s on %s dismissed the %s case against %s, citing problems with the evidence.", place, day, charge, defendant),
	})
	pool := []string{
		fmt.Sprintf("Prosecutors said %s %s over a period of %d months before investigators were alerted by a %s.", surname, pick(r, []string{"took money from clients", "planned the attack", "falsified records", "hid the payments", "threatened witnesses"}), 2+r.IntN(40), pick(r, []string{"whistleblower", "bank", "neighbor", "former employee", "tax auditor"})),
		fmt.Sprintf("Judge %s told the court that the %s was %s. \"%s,\" the judge said.", judge, pick(r, []string{"evidence", "testimony", "defense"}), pick(r, []string{"overwhelming", "troubling", "insufficient", "credible"}), pick(r, quotes)),
		fmt.Sprintf("Defense lawyer %s said %s client would appeal. \"%s,\" %s told reporters outside the courthouse.", lawyer, pick(r, []string{"his", "her"}), pick(r, quotes), lawyer),
		fmt.Sprintf("The trial lasted %d days and included testimony from %d witnesses, among them %s.", 3+r.IntN(40), 4+r.IntN(50), pick(r, []string{"two police detectives", "a forensic accountant", "the victim's sister", "a former business partner", "a medical examiner"})),
		fmt.Sprintf("Sentencing is scheduled for %s %d. %s faces up to %d years in prison.", pick(r, months), 1+r.IntN(28), surname, 5+r.IntN(30)),
		fmt.Sprintf("%s, the district attorney, said the %s showed that %s.", prosecutor, pick(r, []string{"verdict", "sentence", "outcome"}), pick(r, []string{"no one is above the law", "the community can trust the courts", "victims will be heard", "the investigation was thorough"})),
		fmt.Sprintf("The case drew attention in %s after %s, and %d people attended a vigil outside the courthouse on %s.", place, pick(r, []string{"local newspapers reported the missing money", "video of the incident circulated online", "the victim's family spoke at a council meeting", "a second suspect was arrested"}), 20+r.IntN(400), day),
		fmt.Sprintf("%s had pleaded not guilty and remained free on $%d bail until the verdict.", surname, 10000*(1+r.IntN(100))),
		fmt.Sprintf("Jurors deliberated for %d hours over %d days before reaching their decision.", 2+r.IntN(30), 1+r.IntN(4)),
		fmt.Sprintf("A spokesperson for %s declined to comment, citing the ongoing %s.", pick(r, []string{"the county sheriff's office", "the state attorney general", "the defendant's former employer", "the police department"}), pick(r, []string{"appeal", "civil lawsuit", "investigation"})),
		fmt.Sprintf("Court records show %s was previously convicted of %s in %d and served %d months.", surname, pick(r, charges), 2000+r.IntN(15), 6+r.IntN(40)),
	}
	return shuffledDraft(r, "court", fmt.Sprintf("Verdict in %s case in %s", charge, place), place, region, lead, pool)
}

// genMatch writes a football match report in the same way as genStorm.
func genMatch(r *rand.Rand) draft {
	home, away := pick(r, clubs), pick(r, clubs)
	for away == home {
		away = pick(r, clubs)
	}
	place, region, day := pick(r, places), pick(r, regions), pick(r, weekdays)
	hg, ag := r.IntN(5), r.IntN(5)
	scorer, scorer2, coach := person(r), person(r), person(r)
	lead := pick(r, []string{
		fmt.Sprintf("%s beat %s %d-%d on %s, with %s scoring in the %dth minute.", home, away, hg, ag, day, scorer, 10+r.IntN(80)),
		fmt.Sprintf("%s and %s played out a %d-%d draw on %s in front of %d fans.", home, away, hg, ag, day, 5000+r.IntN(40000)),
	})
	pool := []string{
		fmt.Sprintf("%s opened the scoring with a %s after %d minutes, and %s added a second %s.", scorer, pick(r, []string{"header", "low shot", "penalty", "free kick", "volley"}), 5+r.IntN(40), scorer2, pick(r, []string{"before halftime", "early in the second half", "in stoppage time", "on the counterattack"})),
		fmt.Sprintf("The result moves %s to %s place in the table, %d points behind the leaders with %d games left.", home, pick(r, []string{"second", "third", "fifth", "eighth", "11th"}), 1+r.IntN(15), 3+r.IntN(20)),
		fmt.Sprintf("\"%s,\" %s coach %s said after the game.", pick(r, quotes), away, coach),
		fmt.Sprintf("%s had %d shots on goal but could not find a way past goalkeeper %s.", away, 2+r.IntN(15), person(r)),
		fmt.Sprintf("Defender %s was sent off in the %dth minute for a second yellow card.", person(r), 30+r.IntN(60)),
		fmt.Sprintf("The teams meet again in the cup quarterfinals on %s %d.", pick(r, months), 1+r.IntN(28)),
		fmt.Sprintf("%s was making %s %dth appearance for the club and received a standing ovation when substituted.", scorer, pick(r, []string{"his", "her"}), 100+r.IntN(400)),
		fmt.Sprintf("Attendance at the stadium was %d, the %s of the season.", 5000+r.IntN(40000), pick(r, []string{"highest", "lowest", "second-highest"})),
		fmt.Sprintf("%s's next match is away at %s on %s.", home, pick(r, clubs), pick(r, weekdays)),
		fmt.Sprintf("Injuries to %s and %s left the visitors short of options in midfield.", person(r), person(r)),
	}
	return shuffledDraft(r, "match", fmt.Sprintf("%s %d, %s %d", home, hg, away, ag), place, region, lead, pool)
}

// shuffledDraft takes the lead and 5 to 8 paragraphs from pool in random
// order; the rest of the pool is the spare copy.
func shuffledDraft(r *rand.Rand, topic, headline, place, region, lead string, pool []string) draft {
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	n := 5 + r.IntN(4)
	return draft{
		Topic: topic, Headline: headline, Place: place, Region: region,
		Month: pick(r, months), Day: 1 + r.IntN(28),
		Paras: append([]string{lead}, pool[:n]...), Spare: pool[n:],
	}
}

// Agencies, as their datelines write them. The last two are a newspaper
// dateline without a credit and a feed that dropped the dateline.
const (
	agencyHWS = iota
	agencyAP
	agencyReuters
	agencyAFP
	agencyDPA
	agencyYonhap
	agencyNewspaper
	agencyNone
	agencies
	// agencyOwn is real copy's own dateline; never drawn at random.
	agencyOwn = agencies
)

// dateline is the prefix agency a puts on the first paragraph of d, in
// feed style style (AP's ANPA copy uses an underscore for the dash).
func dateline(d *draft, agency, style int) string {
	up := strings.ToUpper(d.Place)
	switch agency {
	case agencyHWS:
		return fmt.Sprintf("%s, %s %d (HWS) - ", up, d.Month, d.Day)
	case agencyAP:
		dash := "\u2014"
		if style == styleANPA {
			dash = "_"
		}
		return fmt.Sprintf("%s, %s (AP) %s ", up, d.Region, dash)
	case agencyReuters:
		return fmt.Sprintf("%s, %s %d (Reuters) - ", up, d.Month, d.Day)
	case agencyAFP:
		return fmt.Sprintf("%s, %s %d, 2026 (AFP) - ", up, d.Month, d.Day)
	case agencyDPA:
		return d.Place + " (dpa) - "
	case agencyYonhap:
		return fmt.Sprintf("%s, %s. %d (Yonhap) -- ", up, d.Month, d.Day)
	case agencyNewspaper:
		return up + " \u2014 "
	case agencyOwn:
		return d.OwnDateline
	}
	return ""
}

// Feed styles: the markup the same words arrive in.
const (
	styleHTML      = iota // <p> per paragraph, one per line
	styleSmartHTML        // compact <p class>, curly quotes, entities
	stylePlain            // paragraphs between blank lines
	styleANPA             // hard-wrapped, indented, CRLF
	styleNITF             // <block>, dpa's dateline and credit spans
	styleBreaks           // one block with <br/><br/> between paragraphs
	styles
)

// render writes d as agency's copy in feed style style.
func render(d *draft, agency, style int) string {
	dl := dateline(d, agency, style)
	paras := d.Paras
	var b strings.Builder
	if hl := d.BodyHeadline; hl != "" {
		switch style {
		case styleHTML, styleSmartHTML:
			fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(hl))
		case styleNITF:
			fmt.Fprintf(&b, "<hedline><hl1>%s</hl1></hedline>\n", html.EscapeString(hl))
		case styleBreaks:
			fmt.Fprintf(&b, "<b>%s</b><br/>", html.EscapeString(hl))
		case styleANPA:
			b.WriteString(hl + "\r\n")
		default:
			b.WriteString(hl + "\n\n")
		}
	}
	switch style {
	case styleHTML:
		for i, p := range paras {
			if i == 0 {
				p = dl + p
			}
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
		}
	case styleSmartHTML:
		for i, p := range paras {
			if i == 0 {
				p = dl + p
			}
			p = strings.ReplaceAll(html.EscapeString(smartQuotes(p)), "&#39;", "&#8217;")
			fmt.Fprintf(&b, `<p class="body">%s</p>`, p)
		}
	case stylePlain:
		for i, p := range paras {
			if i == 0 {
				p = dl + p
			}
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(p)
		}
	case styleANPA:
		for i, p := range paras {
			if i == 0 {
				p = dl + p
			}
			b.WriteString(wrap("\t   "+p, 68))
			b.WriteString(" \r\n")
		}
	case styleNITF:
		b.WriteString("<block>\n")
		for i, p := range paras {
			if i == 0 && dl != "" {
				// dpa's XHTML marks the dateline and credit up; the words
				// must come out the same as from plain text.
				place, credit, ok := strings.Cut(dl, " (")
				if ok {
					credit, dash, _ := strings.Cut(credit, ")")
					fmt.Fprintf(&b, `  <p><span class="dateline">%s <span class="credit">(%s)</span>%s</span>%s</p>`+"\n", html.EscapeString(place), credit, dash, html.EscapeString(p))
					continue
				}
				p = dl + p
			}
			fmt.Fprintf(&b, "  <p>%s</p>\n", html.EscapeString(p))
		}
		b.WriteString("</block>")
	case styleBreaks:
		for i, p := range paras {
			if i == 0 {
				p = dl + p
			} else {
				b.WriteString("<br/><br/>")
			}
			b.WriteString(html.EscapeString(p))
		}
	}
	return b.String()
}

// smartQuotes turns straight double quotes into alternating curly ones and
// apostrophes into right single quotes, as some feeds do.
func smartQuotes(s string) string {
	var b strings.Builder
	open := true
	for _, r := range s {
		switch r {
		case '"':
			if open {
				b.WriteRune('\u201c')
			} else {
				b.WriteRune('\u201d')
			}
			open = !open
		case '\'':
			b.WriteRune('\u2019')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wrap breaks s into CRLF lines of at most width bytes at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Split(s, " ") {
		if i > 0 {
			if line+1+len(w) > width {
				b.WriteString("\r\n")
				line = 0
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}
