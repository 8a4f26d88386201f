package otp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrInvalidMigration wraps every error of ParseMigrationURI.
var ErrInvalidMigration = errors.New("otp: invalid otpauth-migration URI")

// maxMigrationEntries bounds what one QR code may carry (Google
// Authenticator splits an export into batches of about 10).
const maxMigrationEntries = 1000

// ParseMigrationURI decodes Google Authenticator's "Transfer accounts"
// export, otpauth-migration://offline?data=BASE64, whose data is a
// protobuf MigrationPayload:
//
//	message MigrationPayload {
//	  repeated OtpParameters otp_parameters = 1;
//	  int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//	}
//	message OtpParameters {
//	  bytes secret = 1; string name = 2; string issuer = 3;
//	  Algorithm algorithm = 4;   // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//	  DigitCount digits = 5;     // 0 unspecified, 1 six, 2 eight
//	  OtpType type = 6;          // 0 unspecified, 1 HOTP, 2 TOTP
//	  int64 counter = 7;
//	}
//
// It is read by hand with protowire (no generated code for seven fields).
// Only TOTP entries are keys here: an HOTP, MD5 or secretless entry is
// answered with the reason it is skipped (MigrationEntry.Skip), never its
// secret, and the export's other accounts still come through; a payload
// that does not parse is an error. Unknown fields are skipped, as
// protobuf readers do. The period is always 30 s: the format has none.
func ParseMigrationURI(s string) ([]MigrationEntry, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !strings.EqualFold(u.Scheme, "otpauth-migration") || !strings.EqualFold(u.Host, "offline") {
		return nil, fmt.Errorf("%w: want otpauth-migration://offline?data=...", ErrInvalidMigration)
	}
	data := u.Query().Get("data")
	// The data is standard base64, sometimes with its padding dropped or
	// its + turned into a space by a careless unescape.
	data = strings.TrimRight(strings.ReplaceAll(data, " ", "+"), "=")
	raw, err := base64.RawStdEncoding.DecodeString(data)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("%w: data is not base64", ErrInvalidMigration)
	}
	return parsePayload(raw)
}

// MigrationEntry is one account of an export: its Key, or, when Skip is
// set, why it cannot be a TOTP key (Key then holds what was read but the
// secret).
type MigrationEntry struct {
	Key  Key
	Skip string
}

func parsePayload(b []byte) ([]MigrationEntry, error) {
	var keys []MigrationEntry
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", ErrInvalidMigration, protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: %v", ErrInvalidMigration, protowire.ParseError(n))
			}
			b = b[n:]
			if len(keys) == maxMigrationEntries {
				return nil, fmt.Errorf("%w: more than %d entries", ErrInvalidMigration, maxMigrationEntries)
			}
			k, skip, err := parseOTPParameters(v)
			if err != nil {
				return nil, fmt.Errorf("%w: entry %d: %v", ErrInvalidMigration, len(keys)+1, err)
			}
			if skip != "" {
				k.Secret = nil
			}
			keys = append(keys, MigrationEntry{Key: k, Skip: skip})
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", ErrInvalidMigration, protowire.ParseError(n))
		}
		b = b[n:]
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no accounts", ErrInvalidMigration)
	}
	return keys, nil
}

// parseOTPParameters reads one account: err when it does not parse, skip
// when it parses but is no TOTP key mfad can use.
func parseOTPParameters(b []byte) (k Key, skip string, err error) {
	k = Key{Algorithm: SHA1, Digits: DefaultDigits, Period: DefaultPeriod}
	var name string
	otpType := uint64(2) // unspecified reads as TOTP, the only kind the app makes by default
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return k, "", protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num >= 1 && num <= 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return k, "", protowire.ParseError(n)
			}
			b = b[n:]
			switch num {
			case 1:
				k.Secret = append([]byte(nil), v...)
			case 2:
				name = string(v)
			case 3:
				k.Issuer = string(v)
			}
		case num >= 4 && num <= 7 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return k, "", protowire.ParseError(n)
			}
			b = b[n:]
			switch num {
			case 4:
				switch v {
				case 0, 1:
					k.Algorithm = SHA1
				case 2:
					k.Algorithm = SHA256
				case 3:
					k.Algorithm = SHA512
				default:
					skip = "unsupported algorithm (MD5 or unknown)"
				}
			case 5:
				switch v {
				case 0, 1:
					k.Digits = 6
				case 2:
					k.Digits = 8
				default:
					skip = "unknown digit count"
				}
			case 6:
				otpType = v
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return k, "", protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	switch {
	case otpType != 2 && otpType != 0:
		skip = "not a TOTP account (HOTP counters are not supported)"
	case len(k.Secret) == 0 && skip == "":
		skip = "no secret"
	}
	// The name is "Issuer:account" or just the account.
	if iss, acct, ok := strings.Cut(name, ":"); ok && (k.Issuer == "" || iss == k.Issuer) {
		k.Issuer, name = iss, acct
	}
	k.Account = strings.TrimSpace(name)
	return k, skip, nil
}
