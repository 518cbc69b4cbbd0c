package domain

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Duplicate detection compares keys, not what people typed. Every key is
// computed the same way, in this order:
//
//  1. NFKC (Unicode compatibility composition): full-width "Ａｃｍｅ" and
//     "１２３", ligatures, circled and superscript forms become their plain
//     letters and digits;
//  2. format characters (Unicode category Cf) are dropped: zero-width spaces
//     and joiners, soft hyphens, byte-order marks and bidi marks cannot split
//     or disguise a name;
//  3. lower case, then the confusable skeleton: the Cyrillic and Greek letters
//     that look like Latin ones (lower-case forms, mapped by the look of their
//     capitals: Cyrillic а в е к м н о р с т у х ѕ і ј ԁ ԛ ԝ ӏ, Greek α β ε ζ
//     η ι κ μ ν ο ρ τ υ χ) become that Latin letter, so "Асme" with a Cyrillic
//     А and с is "acme";
//  4. every decimal digit of any script (Arabic-Indic, Devanagari, …) becomes
//     its ASCII digit.
//
// The skeleton is deliberately small: it covers the look-alikes that occur in
// practice when a Latin name is spoofed, not Unicode's full confusables table.
// It can merge two genuinely different names only when they differ in nothing
// but such look-alike letters, which a person could not tell apart either.
//
// Changing these rules changes stored keys: add a migration that recomputes
// them (see adapters.RecomputeKeys).

// confusables maps lower-case Cyrillic and Greek look-alikes to Latin.
var confusables = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'ζ': 'z', 'η': 'h', 'ι': 'i', 'κ': 'k', 'μ': 'm', 'ν': 'n', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'y', 'χ': 'x',
}

// skeleton applies steps 1–4 above.
func skeleton(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if unicode.Is(unicode.Cf, r) {
			continue
		}
		if l, ok := confusables[r]; ok {
			r = l
		}
		b.WriteRune(asciiDigit(r))
	}
	return b.String()
}

// asciiDigit returns '0'..'9' for a decimal digit of any script (Unicode Nd
// digits are encoded as runs of ten, zero first), else r unchanged.
func asciiDigit(r rune) rune {
	if r < utf8.RuneSelf || !unicode.IsDigit(r) {
		return r
	}
	zero := r
	for unicode.IsDigit(zero - 1) {
		zero--
	}
	return '0' + (r-zero)%10
}

// FoldDigits returns s in NFKC with every decimal digit as an ASCII digit and
// format characters dropped, for values people compare by their digits: phone
// numbers, tax ids.
func FoldDigits(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(asciiDigit(r))
	}
	return strings.TrimSpace(b.String())
}

// legalSuffixes are dropped when normalising company names, so "Acme Ltd." and
// "ACME Limited" are the same company.
var legalSuffixes = []string{
	"股份有限公司", "有限责任公司", "有限公司", "集团", "公司",
	"incorporated", "corporation", "limited", "company", "gmbh", "co", "inc", "ltd", "llc", "plc", "corp", "sa", "ag", "bv", "srl", "spa", "kg",
}

var spaces = regexp.MustCompile(`\s+`)

// NormalizeName is a company name's duplicate key: the skeleton, combining
// marks dropped (an overlay on a letter does not make another company),
// punctuation as spaces and legal-form suffixes dropped.
func NormalizeName(name string) string {
	var b strings.Builder
	for _, r := range skeleton(name) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case unicode.Is(unicode.M, r):
		default:
			b.WriteRune(' ')
		}
	}
	s := strings.TrimSpace(spaces.ReplaceAllString(b.String(), " "))
	for changed := true; changed; {
		changed = false
		for _, suf := range legalSuffixes {
			if t := strings.TrimSpace(strings.TrimSuffix(s, suf)); t != s && t != "" && (isCJK(suf) || strings.HasSuffix(s, " "+suf)) {
				s, changed = t, true
			}
		}
	}
	return s
}

func isCJK(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.Is(unicode.Han, r)
}

// NormalizeTaxID is a tax id's duplicate key: the skeleton, letters and
// digits only, upper-cased.
func NormalizeTaxID(id string) string {
	var b strings.Builder
	for _, r := range skeleton(id) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return strings.ToUpper(b.String())
}

// NormalizePhone is how a phone number is stored: digits of any script as
// ASCII digits, full-width punctuation folded, invisible characters dropped.
func NormalizePhone(s string) string { return FoldDigits(s) }

// isBidiControl reports the explicit directional formatting characters, which
// can make text display in another order than it is stored ("Trojan Source").
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061C, r == 0x200E, r == 0x200F: // ALM, LRM, RLM
		return true
	case r >= 0x202A && r <= 0x202E: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// NormalizeWebsite returns the URL as stored, or ok=false when it is not an
// absolute http or https URL with a host. A bare host ("acme.example") gets
// https://; anything else with a scheme (javascript:, data:, ftp:, mailto:, …)
// is refused, as are credentials in the URL.
func NormalizeWebsite(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	if !strings.Contains(s, ":") && !strings.HasPrefix(s, "/") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.Hostname() == "" {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return "", false
	}
	if strings.ContainsFunc(u.Host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
		return "", false
	}
	return s, true
}
