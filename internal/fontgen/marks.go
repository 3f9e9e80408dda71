package fontgen

// markKind is a diacritic fontgen knows how to draw and place.
type markKind int

const (
	markAcute markKind = iota
	markGrave
	markCircumflex
	markDiaeresis
	markTilde
	markRing
	markCedilla
	markCaron
	markBreve
	markDotAbove
	markDoubleAcute
	markOgonek
)

// below reports whether the mark hangs under the letter rather than sitting above it.
func (m markKind) below() bool { return m == markCedilla || m == markOgonek }

// decomposition says which base letter and mark make up an accented letter. It is the part of
// Unicode's canonical decomposition fontgen needs (Latin-1 and the Latin Extended-A letters of
// the sources and of the extra faces' coverage), kept here to avoid a normalisation dependency.
type decomposition struct {
	base rune
	mark markKind
}

var decompositions = map[rune]decomposition{
	'À': {'A', markGrave}, 'Á': {'A', markAcute}, 'Â': {'A', markCircumflex}, 'Ã': {'A', markTilde},
	'Ä': {'A', markDiaeresis}, 'Å': {'A', markRing}, 'Ç': {'C', markCedilla},
	'È': {'E', markGrave}, 'É': {'E', markAcute}, 'Ê': {'E', markCircumflex}, 'Ë': {'E', markDiaeresis},
	'Ì': {'I', markGrave}, 'Í': {'I', markAcute}, 'Î': {'I', markCircumflex}, 'Ï': {'I', markDiaeresis},
	'Ñ': {'N', markTilde}, 'Ò': {'O', markGrave}, 'Ó': {'O', markAcute}, 'Ô': {'O', markCircumflex},
	'Õ': {'O', markTilde}, 'Ö': {'O', markDiaeresis}, 'Ù': {'U', markGrave}, 'Ú': {'U', markAcute},
	'Û': {'U', markCircumflex}, 'Ü': {'U', markDiaeresis}, 'Ý': {'Y', markAcute}, 'Ÿ': {'Y', markDiaeresis},
	'à': {'a', markGrave}, 'á': {'a', markAcute}, 'â': {'a', markCircumflex}, 'ã': {'a', markTilde},
	'ä': {'a', markDiaeresis}, 'å': {'a', markRing}, 'ç': {'c', markCedilla},
	'è': {'e', markGrave}, 'é': {'e', markAcute}, 'ê': {'e', markCircumflex}, 'ë': {'e', markDiaeresis},
	'ì': {'ı', markGrave}, 'í': {'ı', markAcute}, 'î': {'ı', markCircumflex}, 'ï': {'ı', markDiaeresis},
	'ñ': {'n', markTilde}, 'ò': {'o', markGrave}, 'ó': {'o', markAcute}, 'ô': {'o', markCircumflex},
	'õ': {'o', markTilde}, 'ö': {'o', markDiaeresis}, 'ù': {'u', markGrave}, 'ú': {'u', markAcute},
	'û': {'u', markCircumflex}, 'ü': {'u', markDiaeresis}, 'ý': {'y', markAcute}, 'ÿ': {'y', markDiaeresis},
	'Ă': {'A', markBreve}, 'ă': {'a', markBreve}, 'Ĕ': {'E', markBreve}, 'ĕ': {'e', markBreve},
	'Ğ': {'G', markBreve}, 'ğ': {'g', markBreve}, 'Ĭ': {'I', markBreve}, 'ĭ': {'ı', markBreve},
	'İ': {'I', markDotAbove}, 'Ŏ': {'O', markBreve}, 'ŏ': {'o', markBreve}, 'Ş': {'S', markCedilla},
	'ş': {'s', markCedilla}, 'Ŭ': {'U', markBreve}, 'ŭ': {'u', markBreve},
	// Central European letters the sources lack, composed for names on cards.
	'Ą': {'A', markOgonek}, 'ą': {'a', markOgonek}, 'Ć': {'C', markAcute}, 'ć': {'c', markAcute},
	'Č': {'C', markCaron}, 'č': {'c', markCaron}, 'Ę': {'E', markOgonek}, 'ę': {'e', markOgonek},
	'Ě': {'E', markCaron}, 'ě': {'e', markCaron}, 'Ė': {'E', markDotAbove}, 'ė': {'e', markDotAbove},
	'Ń': {'N', markAcute}, 'ń': {'n', markAcute}, 'Ň': {'N', markCaron}, 'ň': {'n', markCaron},
	'Ő': {'O', markDoubleAcute}, 'ő': {'o', markDoubleAcute}, 'Ř': {'R', markCaron}, 'ř': {'r', markCaron},
	'Ś': {'S', markAcute}, 'ś': {'s', markAcute}, 'Š': {'S', markCaron}, 'š': {'s', markCaron},
	'Ů': {'U', markRing}, 'ů': {'u', markRing}, 'Ű': {'U', markDoubleAcute}, 'ű': {'u', markDoubleAcute},
	'Ź': {'Z', markAcute}, 'ź': {'z', markAcute}, 'Ż': {'Z', markDotAbove}, 'ż': {'z', markDotAbove},
	'Ž': {'Z', markCaron}, 'ž': {'z', markCaron},
}
