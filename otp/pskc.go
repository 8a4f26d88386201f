package otp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// ErrInvalidPSKC wraps every error of ParsePSKC.
var ErrInvalidPSKC = errors.New("otp: invalid PSKC file")

// PSKCKey is one key of a PSKC file: its parameters, its type ("totp" or
// "hotp", from the Algorithm URI) and the UserId it belongs to.
type PSKCKey struct {
	Key    Key
	Type   string
	UserID string
}

type pskcValue struct {
	Plain     string `xml:"PlainValue"`
	Encrypted *struct {
		Method struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"EncryptionMethod"`
		Cipher string `xml:"CipherData>CipherValue"`
	} `xml:"EncryptedValue"`
	MAC string `xml:"ValueMAC"`
}

type pskcFile struct {
	XMLName xml.Name `xml:"KeyContainer"`
	// A key derived from a password (RFC 6030 §6.2: PBKDF2).
	Derived *struct {
		Algorithm  string `xml:"Algorithm,attr"`
		Salt       string `xml:"PBKDF2-params>Salt>Specified"`
		Iterations int    `xml:"PBKDF2-params>IterationCount"`
		KeyLength  int    `xml:"PBKDF2-params>KeyLength"`
		PRF        struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"PBKDF2-params>PRF"`
	} `xml:"EncryptionKey>DerivedKey>KeyDerivationMethod"`
	MACMethod *struct {
		Algorithm string `xml:"Algorithm,attr"`
		Key       struct {
			Method struct {
				Algorithm string `xml:"Algorithm,attr"`
			} `xml:"EncryptionMethod"`
			Cipher string `xml:"CipherData>CipherValue"`
		} `xml:"MACKey"`
	} `xml:"MACMethod"`
	Packages []struct {
		Keys []struct {
			Algorithm string `xml:"Algorithm,attr"`
			Issuer    string `xml:"Issuer"`
			Format    struct {
				Length   int    `xml:"Length,attr"`
				Encoding string `xml:"Encoding,attr"`
			} `xml:"AlgorithmParameters>ResponseFormat"`
			Secret   pskcValue `xml:"Data>Secret"`
			Interval pskcValue `xml:"Data>TimeInterval"`
			UserID   string    `xml:"UserId"`
		} `xml:"Key"`
	} `xml:"KeyPackage"`
}

const (
	pskcAES128CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	pskcHMACSHA1  = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	pskcPBKDF2    = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"
	pskcMaxKeys   = 10000
	// pskcMaxIterations bounds the work a file may ask of PBKDF2 (a
	// file is input, not a promise): ten million SHA-1 rounds, seconds.
	pskcMaxIterations = 10_000_000
)

// pskcPRFs are the PRFs of PBKDF2-params (empty: HMAC-SHA1, the default).
var pskcPRFs = map[string]func() hash.Hash{
	"":           sha1.New,
	pskcHMACSHA1: sha1.New,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": sha256.New,
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": sha512.New,
}

// ParsePSKC reads a PSKC (RFC 6030) key container. psk is the pre-shared
// AES-128 key of an encrypted file (RFC 6030 §6.1: AES-128-CBC with the IV
// before the ciphertext, and an HMAC-SHA1 ValueMAC over IV and ciphertext
// keyed with the file's encrypted MACKey); it may be nil for a plain file.
// A MAC that does not match is an error: the file was altered or the key
// is wrong. Errors name the key's position, never a secret.
func ParsePSKC(data []byte, psk []byte) ([]PSKCKey, error) {
	return ParsePSKCWith(data, psk, nil)
}

// ParsePSKCWith is ParsePSKC for a file whose key may also be derived from
// a password (RFC 6030 §6.2: PBKDF2, its salt, iteration count and key
// length in the file). A file protected so needs password; psk is then
// not used.
func ParsePSKCWith(data []byte, psk, password []byte) ([]PSKCKey, error) {
	var f pskcFile
	d := xml.NewDecoder(strings.NewReader(string(data)))
	d.Strict = true
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPSKC, err)
	}
	if f.Derived != nil {
		var err error
		if psk, err = pskcDerive(f.Derived.Algorithm, f.Derived.Salt, f.Derived.Iterations, f.Derived.KeyLength, f.Derived.PRF.Algorithm, password); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidPSKC, err)
		}
	}
	var macKey []byte
	if f.MACMethod != nil {
		if f.MACMethod.Algorithm != pskcHMACSHA1 {
			return nil, fmt.Errorf("%w: MAC algorithm %q is not supported (want hmac-sha1)", ErrInvalidPSKC, clip(f.MACMethod.Algorithm, 80))
		}
		var err error
		if macKey, err = pskcDecrypt(f.MACMethod.Key.Method.Algorithm, f.MACMethod.Key.Cipher, psk); err != nil {
			if f.Derived != nil {
				return nil, fmt.Errorf("%w: MAC key: wrong password, or a damaged file", ErrInvalidPSKC)
			}
			return nil, fmt.Errorf("%w: MAC key: %v", ErrInvalidPSKC, err)
		}
	}
	var out []PSKCKey
	for _, p := range f.Packages {
		for _, k := range p.Keys {
			if len(out) == pskcMaxKeys {
				return nil, fmt.Errorf("%w: more than %d keys", ErrInvalidPSKC, pskcMaxKeys)
			}
			pk, err := pskcKey(k.Algorithm, k.Issuer, k.Format.Length, k.Format.Encoding, k.Secret, k.Interval, psk, macKey)
			if err != nil {
				return nil, fmt.Errorf("%w: key %d: %v", ErrInvalidPSKC, len(out)+1, err)
			}
			pk.UserID = strings.TrimSpace(k.UserID)
			out = append(out, pk)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidPSKC)
	}
	return out, nil
}

func pskcKey(alg, issuer string, length int, encoding string, secret, interval pskcValue, psk, macKey []byte) (PSKCKey, error) {
	var pk PSKCKey
	switch alg {
	case "urn:ietf:params:xml:ns:keyprov:pskc:totp", "urn:ietf:params:xml:ns:keyprov:pskc#totp":
		pk.Type = "totp"
	case "urn:ietf:params:xml:ns:keyprov:pskc:hotp", "urn:ietf:params:xml:ns:keyprov:pskc#hotp":
		pk.Type = "hotp"
	default:
		return pk, fmt.Errorf("algorithm %q is neither TOTP nor HOTP", clip(alg, 80))
	}
	k := Key{Algorithm: SHA1, Digits: DefaultDigits, Period: DefaultPeriod, Issuer: strings.TrimSpace(issuer)}
	if length != 0 {
		if !validDigits(length) || (encoding != "" && encoding != "DECIMAL") {
			return pk, errors.New("response format: want 6 to 8 decimal digits")
		}
		k.Digits = length
	}
	if strings.TrimSpace(interval.Plain) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(interval.Plain))
		if err != nil || n < 1 || n > 3600 {
			return pk, errors.New("time interval: want 1 to 3600 seconds")
		}
		k.Period = n
	}
	var err error
	switch {
	case secret.Encrypted != nil:
		if macKey != nil || secret.MAC != "" {
			if err := pskcCheckMAC(secret.Encrypted.Cipher, secret.MAC, macKey); err != nil {
				return pk, err
			}
		}
		k.Secret, err = pskcDecrypt(secret.Encrypted.Method.Algorithm, secret.Encrypted.Cipher, psk)
	default:
		k.Secret, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(secret.Plain), ""))
	}
	if err != nil || len(k.Secret) == 0 {
		return pk, fmt.Errorf("secret: %v", errOr(err, "empty"))
	}
	pk.Key = k
	return pk, nil
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return s
}

// pskcDerive derives the file's key from password with PBKDF2.
func pskcDerive(method, salt string, iterations, length int, prf string, password []byte) ([]byte, error) {
	switch {
	case method != pskcPBKDF2:
		return nil, fmt.Errorf("key derivation %q is not supported (want pbkdf2)", clip(method, 80))
	case len(password) == 0:
		return nil, errors.New("the key is derived from a password (PBKDF2): give the password")
	case iterations < 1 || iterations > pskcMaxIterations:
		return nil, fmt.Errorf("PBKDF2: iteration count must be 1 to %d", pskcMaxIterations)
	case length != 16:
		return nil, errors.New("PBKDF2: key length must be 16 (AES-128)")
	}
	h, ok := pskcPRFs[prf]
	if !ok {
		return nil, fmt.Errorf("PBKDF2: PRF %q is not supported", clip(prf, 80))
	}
	s, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(salt), ""))
	if err != nil || len(s) == 0 {
		return nil, errors.New("PBKDF2: the salt is not base64")
	}
	return pbkdf2.Key(h, string(password), s, iterations, length)
}

// pskcDecrypt opens an AES-128-CBC value: base64 of IV || ciphertext,
// PKCS#7 padded.
func pskcDecrypt(method, value string, psk []byte) ([]byte, error) {
	if method != pskcAES128CBC {
		return nil, fmt.Errorf("encryption %q is not supported (want aes128-cbc)", clip(method, 80))
	}
	if len(psk) != 16 {
		return nil, errors.New("encrypted: a 128-bit pre-shared key is needed")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
	if err != nil || len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("encrypted value is not IV and whole AES blocks")
	}
	b, _ := aes.NewCipher(psk)
	plain := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCBCDecrypter(b, raw[:aes.BlockSize]).CryptBlocks(plain, raw[aes.BlockSize:])
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || pad > len(plain) {
		return nil, errors.New("wrong pre-shared key or damaged value (padding)")
	}
	for _, c := range plain[len(plain)-pad:] {
		if int(c) != pad {
			return nil, errors.New("wrong pre-shared key or damaged value (padding)")
		}
	}
	return plain[:len(plain)-pad], nil
}

// pskcCheckMAC checks a ValueMAC: HMAC-SHA1 over IV || ciphertext.
func pskcCheckMAC(value, mac string, macKey []byte) error {
	if macKey == nil || mac == "" {
		return errors.New("an encrypted value needs both a MACKey and a ValueMAC")
	}
	raw, err1 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
	want, err2 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(mac), ""))
	if err1 != nil || err2 != nil {
		return errors.New("ValueMAC is not base64")
	}
	h := hmac.New(sha1.New, macKey)
	h.Write(raw)
	if !hmac.Equal(h.Sum(nil), want) {
		return errors.New("ValueMAC does not match: the file was altered, or the pre-shared key is wrong")
	}
	return nil
}
