package corpus

// The vocabulary the generator writes with. Every list here was written for
// wiredesk: plain words of each language, made-up places and names, so that
// no agency's copy is reproduced and generated stories only resemble each
// other where the generator means them to (near-duplicates).

// lexicon is one language's words: function words that glue sentences
// together, and content words that make one story differ from another.
type lexicon struct {
	tag      string
	function []string
	content  []string
	// said ends a quote paragraph: "..., the minister said."
	said []string
	// by starts a byline.
	by string
	// killNote and the other notes are the editors' notes of versions.
	killNote, updateNote, correctionNote string
	killBody                             string
	months                               [12]string
}

var lexicons = map[string]*lexicon{
	"en": {
		tag: "en",
		by:  "By",
		function: []string{
			"the", "the", "the", "of", "of", "and", "and", "to", "to", "in", "in", "a", "a", "on", "for",
			"with", "at", "by", "from", "as", "that", "which", "after", "before", "over", "under", "its",
			"their", "was", "were", "is", "are", "has", "had", "have", "will", "would", "could", "not",
			"more", "than", "about", "into", "during", "while", "this", "those", "some", "most",
		},
		content: []string{
			"harbour", "council", "minister", "government", "budget", "election", "vote", "parliament", "court",
			"judge", "police", "officers", "residents", "workers", "union", "strike", "talks", "agreement", "deal",
			"company", "shares", "market", "prices", "inflation", "rates", "bank", "investors", "profit", "losses",
			"quarter", "growth", "exports", "imports", "trade", "tariffs", "factory", "plant", "jobs", "wages",
			"storm", "flooding", "rain", "winds", "coast", "river", "bridge", "road", "railway", "station",
			"ferry", "airport", "flights", "passengers", "hospital", "doctors", "patients", "vaccine", "clinic", "health",
			"school", "teachers", "students", "university", "research", "scientists", "study", "data", "report", "survey",
			"police", "investigation", "suspect", "charges", "trial", "verdict", "appeal", "sentence", "prison", "lawyers",
			"team", "match", "season", "coach", "players", "league", "final", "victory", "defeat", "goal",
			"festival", "museum", "exhibition", "artists", "film", "theatre", "concert", "audience", "book", "award",
			"energy", "power", "grid", "solar", "wind", "turbines", "fuel", "gas", "pipeline", "emissions",
			"climate", "drought", "harvest", "farmers", "fishermen", "forest", "wildfire", "water", "supply", "reservoir",
			"mayor", "district", "province", "region", "village", "city", "capital", "border", "neighbours", "officials",
			"spokeswoman", "spokesman", "statement", "announcement", "plan", "proposal", "law", "reform", "tax", "spending",
			"protest", "crowd", "march", "rally", "demands", "opposition", "coalition", "party", "leader", "candidate",
			"ministry", "agency", "committee", "board", "inquiry", "review", "audit", "contract", "tender", "project",
			"housing", "rents", "buyers", "construction", "builders", "homes", "families", "children", "pensioners", "volunteers",
			"rescue", "crews", "firefighters", "evacuation", "shelter", "damage", "repairs", "insurance", "claims", "costs",
			"early", "late", "new", "old", "local", "national", "regional", "public", "private", "former",
			"higher", "lower", "strong", "weak", "record", "annual", "monthly", "weekly", "first", "second",
			"said", "told", "announced", "warned", "agreed", "rejected", "approved", "opened", "closed", "raised",
			"cut", "rose", "fell", "reached", "expected", "planned", "delayed", "cancelled", "ordered", "signed",
			"morning", "evening", "night", "week", "month", "year", "Monday", "Tuesday", "Wednesday", "Thursday",
			"Friday", "Saturday", "Sunday", "percent", "million", "billion", "thousand", "hundreds", "dozens", "several",
		},
		said:           []string{"said", "told reporters", "said in a statement", "added", "wrote on its website"},
		killNote:       "Kill: the story is withdrawn. Do not use it; remove it from all platforms.",
		updateNote:     "Updates with new details throughout.",
		correctionNote: "Corrects a misspelled name in the second paragraph.",
		killBody:       "This story has been withdrawn by the agency. No replacement story will be sent.",
		months:         [12]string{"Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."},
	},
	"de": {
		tag: "de",
		by:  "Von",
		function: []string{
			"der", "die", "das", "den", "dem", "des", "und", "und", "in", "im", "mit", "von", "vom", "zu", "zur",
			"auf", "für", "nach", "vor", "bei", "über", "unter", "ein", "eine", "einen", "nicht", "auch", "noch",
			"hat", "haben", "ist", "sind", "war", "wurde", "werden", "soll", "kann", "mehr", "als", "am",
		},
		content: []string{
			"Hafen", "Stadtrat", "Ministerin", "Regierung", "Haushalt", "Wahl", "Abstimmung", "Landtag", "Gericht", "Richter",
			"Polizei", "Beamte", "Anwohner", "Beschäftigte", "Gewerkschaft", "Streik", "Gespräche", "Einigung", "Vertrag", "Unternehmen",
			"Aktien", "Markt", "Preise", "Inflation", "Zinsen", "Bank", "Anleger", "Gewinn", "Verluste", "Quartal",
			"Wachstum", "Export", "Handel", "Zölle", "Werk", "Arbeitsplätze", "Löhne", "Sturm", "Hochwasser", "Regen",
			"Küste", "Fluss", "Brücke", "Straße", "Bahn", "Bahnhof", "Fähre", "Flughafen", "Fahrgäste", "Krankenhaus",
			"Ärzte", "Patienten", "Schule", "Lehrkräfte", "Studierende", "Forschung", "Studie", "Bericht", "Umfrage", "Ermittlungen",
			"Verdächtige", "Anklage", "Prozess", "Urteil", "Mannschaft", "Spiel", "Saison", "Trainer", "Liga", "Finale",
			"Festival", "Museum", "Ausstellung", "Energie", "Strom", "Netz", "Windkraft", "Klima", "Dürre", "Ernte",
			"Landwirte", "Wald", "Wasser", "Bürgermeister", "Bezirk", "Region", "Dorf", "Grenze", "Sprecherin", "Erklärung",
			"Plan", "Gesetz", "Reform", "Steuer", "Protest", "Opposition", "Koalition", "Partei", "Wohnungen", "Mieten",
			"neue", "alte", "hohe", "niedrige", "erste", "zweite", "Montag", "Dienstag", "Mittwoch", "Prozent",
			"Millionen", "Milliarden", "sagte", "teilte", "mit", "kündigte", "an", "warnte", "stimmte", "zu",
		},
		said:           []string{"sagte sie", "sagte er", "teilte das Ministerium mit", "hieß es"},
		killNote:       "Die Meldung wird zurückgezogen. Bitte nicht verwenden und von allen Plattformen entfernen.",
		updateNote:     "Neufassung mit weiteren Einzelheiten.",
		correctionNote: "Berichtigung: Schreibweise eines Namens im zweiten Absatz.",
		killBody:       "Diese Meldung wurde von der Agentur zurückgezogen. Eine Ersatzmeldung folgt nicht.",
		months:         [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	},
	"fr": {
		tag: "fr",
		by:  "Par",
		function: []string{
			"le", "la", "les", "de", "des", "du", "et", "et", "à", "au", "aux", "en", "dans", "pour", "par",
			"sur", "avec", "après", "avant", "sous", "un", "une", "ne", "pas", "plus", "que", "qui", "a", "ont",
			"est", "sont", "était", "sera", "selon", "depuis", "contre", "entre", "son", "leur",
		},
		content: []string{
			"port", "conseil", "ministre", "gouvernement", "budget", "élection", "vote", "assemblée", "tribunal", "juge",
			"police", "agents", "habitants", "salariés", "syndicat", "grève", "négociations", "accord", "contrat", "entreprise",
			"actions", "marché", "prix", "inflation", "taux", "banque", "investisseurs", "bénéfice", "pertes", "trimestre",
			"croissance", "exportations", "commerce", "usine", "emplois", "salaires", "tempête", "inondations", "pluie", "côte",
			"fleuve", "pont", "route", "gare", "ferry", "aéroport", "passagers", "hôpital", "médecins", "patients",
			"école", "enseignants", "étudiants", "recherche", "étude", "rapport", "enquête", "suspect", "procès", "verdict",
			"équipe", "match", "saison", "entraîneur", "joueurs", "championnat", "finale", "festival", "musée", "exposition",
			"énergie", "électricité", "réseau", "éoliennes", "climat", "sécheresse", "récolte", "agriculteurs", "forêt", "eau",
			"maire", "quartier", "région", "village", "frontière", "porte-parole", "communiqué", "projet", "loi", "réforme",
			"impôt", "manifestation", "opposition", "coalition", "parti", "logements", "loyers", "nouveau", "ancien", "public",
			"lundi", "mardi", "mercredi", "jeudi", "vendredi", "pourcentage", "millions", "milliards", "annoncé", "déclaré",
		},
		said:           []string{"a-t-elle déclaré", "a-t-il indiqué", "selon un communiqué", "a précisé le ministère"},
		killNote:       "Cette dépêche est annulée. Ne pas l'utiliser et la retirer de toutes les plateformes.",
		updateNote:     "Nouvelle version avec des précisions.",
		correctionNote: "Correction de l'orthographe d'un nom au deuxième paragraphe.",
		killBody:       "Cette dépêche a été annulée par l'agence. Aucune dépêche de remplacement ne suivra.",
		months:         [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	},
	"es": {
		tag: "es",
		by:  "Por",
		function: []string{
			"el", "la", "los", "las", "de", "del", "y", "y", "en", "a", "al", "por", "para", "con", "sobre",
			"tras", "ante", "entre", "un", "una", "no", "más", "que", "se", "su", "sus", "ha", "han", "es",
			"son", "fue", "será", "según", "desde", "hasta", "como", "durante", "este", "esta",
		},
		content: []string{
			"puerto", "consejo", "ministra", "gobierno", "presupuesto", "elecciones", "votación", "congreso", "tribunal", "juez",
			"policía", "agentes", "vecinos", "trabajadores", "sindicato", "huelga", "negociaciones", "acuerdo", "contrato", "empresa",
			"acciones", "mercado", "precios", "inflación", "tipos", "banco", "inversores", "beneficio", "pérdidas", "trimestre",
			"crecimiento", "exportaciones", "comercio", "fábrica", "empleo", "salarios", "tormenta", "inundaciones", "lluvia", "costa",
			"río", "puente", "carretera", "estación", "aeropuerto", "pasajeros", "hospital", "médicos", "pacientes", "escuela",
			"profesores", "estudiantes", "investigación", "estudio", "informe", "encuesta", "sospechoso", "juicio", "sentencia", "equipo",
			"partido", "temporada", "entrenador", "jugadores", "liga", "final", "festival", "museo", "exposición", "energía",
			"electricidad", "red", "clima", "sequía", "cosecha", "agricultores", "bosque", "agua", "alcalde", "barrio",
			"región", "pueblo", "frontera", "portavoz", "comunicado", "proyecto", "ley", "reforma", "impuesto", "protesta",
			"oposición", "coalición", "viviendas", "alquileres", "nuevo", "antiguo", "público", "lunes", "martes", "miércoles",
			"jueves", "viernes", "porcentaje", "millones", "anunció", "declaró", "advirtió", "aprobó", "rechazó", "firmó",
		},
		said:           []string{"dijo", "declaró a la prensa", "según un comunicado", "añadió"},
		killNote:       "Esta noticia queda anulada. No la utilicen y retírenla de todas las plataformas.",
		updateNote:     "Nueva versión con más detalles.",
		correctionNote: "Corrige la grafía de un nombre en el segundo párrafo.",
		killBody:       "Esta noticia ha sido anulada por la agencia. No se enviará una noticia sustitutiva.",
		months:         [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	},
}

// places are made-up datelines.
var places = []string{
	"PORT ALDER", "KESTREL BAY", "NORTHMERE", "VALDORA", "SALTHAVEN", "GREYWATER", "LINDENFELD", "MARISCAL",
	"OSTRAVEN", "BRIARWOOD", "CALDERA SPRINGS", "HOLMSTEAD", "RIVA NUOVA", "TALLIS CROSS", "EMBERLY", "WESTPOINT",
	"SANTA LUZIA", "FJORDHAVN", "ASHCOMBE", "MIRAVAL",
}

// firstNames and lastNames make bylines.
var (
	firstNames = []string{
		"Mara", "Tobias", "Ines", "Oskar", "Leila", "Joaquin", "Hanne", "Rafael", "Noor", "Emil",
		"Claire", "Dario", "Sunniva", "Felix", "Amara", "Paulo", "Greta", "Idris", "Lucia", "Anton",
	}
	lastNames = []string{
		"Okafor", "Lindqvist", "Moreau", "Castellano", "Brandt", "Halloran", "Vidal", "Sorensen", "Achterberg", "Quintero",
		"Marchetti", "Nakamura", "Delacroix", "Whitcombe", "Rasmussen", "Ferreira", "Kowalczyk", "Adeyemi", "Lemaire", "Stroud",
	}
)

// mediaTopic is a top-level IPTC Media Topic.
type mediaTopic struct {
	code, name string
}

// mediaTopics are the top level of the IPTC Media Topics vocabulary
// (scheme medtop), code and English name as IPTC publishes them.
var mediaTopics = []mediaTopic{
	{"01000000", "arts, culture, entertainment and media"},
	{"02000000", "crime, law and justice"},
	{"03000000", "disaster, accident and emergency incident"},
	{"04000000", "economy, business and finance"},
	{"05000000", "education"},
	{"06000000", "environment"},
	{"07000000", "health"},
	{"08000000", "human interest"},
	{"09000000", "labour"},
	{"10000000", "lifestyle and leisure"},
	{"11000000", "politics"},
	{"12000000", "religion"},
	{"13000000", "science and technology"},
	{"14000000", "society"},
	{"15000000", "sport"},
	{"16000000", "conflict, war and peace"},
	{"17000000", "weather"},
}
