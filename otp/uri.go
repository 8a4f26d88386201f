package otp

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// URI returns the key in the Key URI format that Google Authenticator,
// Microsoft Authenticator, Authy, 1Password, FreeOTP and Aegis read:
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//
// Issuer and account are escaped separately around a literal colon, so a
// colon inside either is %3A; spaces are %20 (never +, which some apps show
// literally), '@' stays literal as in Google's examples, and non-ASCII text
// is percent-encoded UTF-8. The issuer parameter repeats the label prefix
// because newer apps prefer it and older ones only read the label. All three
// parameters are written even at their defaults, but note that some apps
// ignore algorithm, digits and period and always use SHA1, 6 digits and 30 s.
//
// ParseURI(k.URI()) returns k.Normalize(), with one exception the format
// imposes: readers drop spaces at the start of the account name when there
// is an issuer.
func (k Key) URI() string {
	k = k.Normalize()
	var b strings.Builder
	b.Grow(64 + 3*len(k.Issuer)*2 + 3*len(k.Account) + len(k.Secret)*8/5)
	b.WriteString("otpauth://totp/")
	if k.Issuer != "" {
		escapeTo(&b, k.Issuer)
		b.WriteByte(':')
	}
	escapeTo(&b, k.Account)
	b.WriteString("?secret=")
	b.WriteString(EncodeSecret(k.Secret))
	if k.Issuer != "" {
		b.WriteString("&issuer=")
		escapeTo(&b, k.Issuer)
	}
	b.WriteString("&algorithm=")
	escapeTo(&b, k.Algorithm.String())
	b.WriteString("&digits=")
	b.WriteString(strconv.Itoa(k.Digits))
	b.WriteString("&period=")
	b.WriteString(strconv.Itoa(k.Period))
	return b.String()
}

// escapeTo percent-encodes s for both the label and the query: everything
// except RFC 3986 unreserved characters and '@' becomes %XX. This is
// stricter than url.PathEscape (which keeps ':', '+', '&' and '=') and
// url.QueryEscape (which writes spaces as '+'), so one rule serves both
// places and no reader can misread a separator.
func escapeTo(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '@' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// ParseURI reads an otpauth://totp/ key URI, as exported by authenticator
// apps and other servers, into a normalized, valid Key.
//
// It is lenient where generators differ: scheme, type, parameter names and
// the algorithm are case-insensitive; the secret is read by DecodeSecret;
// absent algorithm, digits and period mean the defaults; unknown parameters
// (image, color, ...) are ignored; query values may use '+' for spaces. The
// issuer comes from the label prefix or the issuer parameter, and if both
// are present they must agree. Leading spaces of the account are dropped
// when there is an issuer ("Example: alice"), as the format allows.
//
// It is strict where a mistake would be silent: hotp URIs, a missing
// secret, repeated parameters, digits other than 6, 7 or 8, a period below
// 1 s, invalid percent-encoding, and issuer or account text that is not
// UTF-8 or holds control characters are errors wrapping ErrInvalidURI (and
// ErrInvalidSecret or ErrInvalidKey where that is the cause). Errors never
// quote the secret.
func ParseURI(s string) (Key, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || !strings.EqualFold(scheme, "otpauth") {
		return Key{}, fmt.Errorf("%w: scheme must be otpauth://", ErrInvalidURI)
	}
	rest, _, _ = strings.Cut(rest, "#") // a fragment carries nothing here
	path, query, _ := strings.Cut(rest, "?")
	typ, label, _ := strings.Cut(path, "/")
	switch {
	case strings.EqualFold(typ, "totp"):
	case strings.EqualFold(typ, "hotp"):
		return Key{}, fmt.Errorf("%w: hotp (counter-based) keys are not supported, only totp", ErrInvalidURI)
	default:
		return Key{}, fmt.Errorf("%w: type must be totp, not %q", ErrInvalidURI, clip(typ, 16))
	}

	p, err := parseParams(query)
	if err != nil {
		return Key{}, err
	}
	k := Key{Algorithm: SHA1, Digits: DefaultDigits, Period: DefaultPeriod}
	if k.Issuer, k.Account, err = parseLabel(label, p.issuer, p.issuerPlus); err != nil {
		return Key{}, err
	}
	if !p.has["secret"] {
		return Key{}, fmt.Errorf("%w: missing secret parameter", ErrInvalidURI)
	}
	if k.Secret, err = DecodeSecret(p.secret); err != nil {
		return Key{}, fmt.Errorf("%w: secret parameter: %w", ErrInvalidURI, err)
	}
	if p.has["algorithm"] {
		if k.Algorithm, err = ParseAlgorithm(p.algorithm); err != nil {
			return Key{}, fmt.Errorf("%w: algorithm parameter: %w", ErrInvalidURI, err)
		}
	}
	if p.has["digits"] {
		if k.Digits, ok = smallInt(p.digits); !ok || !validDigits(k.Digits) {
			return Key{}, fmt.Errorf("%w: digits parameter must be 6, 7 or 8: %w", ErrInvalidURI, ErrInvalidKey)
		}
	}
	if p.has["period"] {
		if k.Period, ok = smallInt(p.period); !ok || k.Period < 1 {
			return Key{}, fmt.Errorf("%w: period parameter must be a whole number of seconds, at least 1: %w", ErrInvalidURI, ErrInvalidKey)
		}
	}
	if err := k.Validate(); err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidURI, err)
	}
	return k, nil
}

// params holds the query parameters ParseURI knows, still as text.
type params struct {
	has                                       map[string]bool
	secret, issuer, algorithm, digits, period string
	// issuerPlus is the issuer parameter decoded with '+' kept literal.
	// Some generators (pquerna/otp v1.5.0) leave '+' unescaped in the query,
	// where it officially means a space; the label then shows what they meant.
	issuerPlus string
}

// parseParams splits the query by hand rather than with url.ParseQuery so
// that a repeated parameter is an error instead of a silent first-wins: two
// secrets in one URI mean someone is playing games.
func parseParams(query string) (params, error) {
	p := params{has: make(map[string]bool, 5)}
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return params{}, fmt.Errorf("%w: a parameter name is not valid percent-encoding", ErrInvalidURI)
		}
		name = strings.ToLower(name)
		var dst *string
		switch name {
		case "secret":
			dst = &p.secret
		case "issuer":
			dst = &p.issuer
		case "algorithm":
			dst = &p.algorithm
		case "digits":
			dst = &p.digits
		case "period":
			dst = &p.period
		default:
			continue // image, color, lock, counter, ...: not ours
		}
		if p.has[name] {
			return params{}, fmt.Errorf("%w: parameter %s appears more than once", ErrInvalidURI, name)
		}
		p.has[name] = true
		if *dst, err = url.QueryUnescape(rawValue); err != nil {
			return params{}, fmt.Errorf("%w: parameter %s is not valid percent-encoding", ErrInvalidURI, name)
		}
		if name == "issuer" {
			p.issuerPlus, _ = url.PathUnescape(rawValue) // valid: QueryUnescape accepted it
		}
	}
	return p, nil
}

// parseLabel splits the escaped label into issuer and account. A literal
// colon separates them (this package writes colons inside either as %3A);
// failing that, an escaped colon does when what precedes it is the issuer
// parameter, which is how some generators write it. paramIssuer is the
// decoded issuer parameter, "" if absent; paramIssuerPlus is the same with
// '+' kept literal, which is also accepted as agreeing with the label.
func parseLabel(label, paramIssuer, paramIssuerPlus string) (issuer, account string, err error) {
	rawIssuer, rawAccount, split := strings.Cut(label, ":")
	if !split {
		rawIssuer, rawAccount = "", label
	}
	if issuer, err = url.PathUnescape(rawIssuer); err != nil {
		return "", "", fmt.Errorf("%w: label is not valid percent-encoding", ErrInvalidURI)
	}
	if account, err = url.PathUnescape(rawAccount); err != nil {
		return "", "", fmt.Errorf("%w: label is not valid percent-encoding", ErrInvalidURI)
	}
	if !split && paramIssuer != "" {
		if rest, ok := strings.CutPrefix(account, paramIssuer+":"); ok {
			issuer, account = paramIssuer, rest
		}
	}
	switch {
	case issuer == "":
		issuer = paramIssuer
	case paramIssuer != "" && paramIssuer != issuer && paramIssuerPlus != issuer:
		return "", "", fmt.Errorf("%w: issuer in the label and issuer parameter differ", ErrInvalidURI)
	}
	if issuer != "" {
		account = strings.TrimLeft(account, " ")
	}
	if err := checkText("issuer", issuer); err != nil {
		return "", "", err
	}
	if err := checkText("account", account); err != nil {
		return "", "", err
	}
	return issuer, account, nil
}

// checkText refuses names that would be garbled on screen or could forge
// log lines: invalid UTF-8 and control characters.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidURI, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalidURI, what)
		}
	}
	return nil
}

// smallInt parses 1 to 9 ASCII digits (no sign, no spaces), which cannot
// overflow an int.
func smallInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
