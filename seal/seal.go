package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Open, KeyID and Check. Callers test them with errors.Is;
// the wrapped messages name key ids at most, never plaintext or key material.
var (
	ErrUnknownKey = errors.New("seal: sealed with a key that is not in the key ring")
	ErrOpen       = errors.New("seal: cannot open sealed value (wrong key, wrong associated data, or tampered)")
	ErrMalformed  = errors.New("seal: malformed sealed value")
	ErrWrongKey   = errors.New("seal: wrong master key: it does not match the key check values recorded in the database")
)

const (
	version  = "v1"
	keySize  = 32      // AES-256
	overhead = 12 + 16 // random nonce + GCM tag
	checkMsg = "mfad key check v1"
)

var payloadEncoding = base64.RawURLEncoding.Strict()

// Key is one master key. Its String method hides the secret, so a Key that
// slips into a log line shows only its id.
type Key struct {
	ID     string
	Secret []byte // exactly 32 bytes
}

func (k Key) String() string   { return "seal.Key{" + k.ID + " <secret>}" }
func (k Key) GoString() string { return k.String() }

// GenerateKey returns a key with the given id and 32 bytes from crypto/rand.
func GenerateKey(id string) (Key, error) {
	if !validID(id) {
		return Key{}, fmt.Errorf("seal: invalid key id %q: want 1-32 characters of [A-Za-z0-9_-]", id)
	}
	k := Key{ID: id, Secret: make([]byte, keySize)}
	if _, err := rand.Read(k.Secret); err != nil {
		return Key{}, fmt.Errorf("seal: generating key: %w", err)
	}
	return k, nil
}

// Ring is an immutable, ordered set of keys; the last one is the primary,
// which seals. Every key opens. A Ring is safe for concurrent use.
type Ring struct {
	keys  []Key // oldest first, primary last
	aeads map[string]cipher.AEAD
}

// NewRing builds a ring from at least one key; the last key is the primary.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: a key ring needs at least one key")
	}
	r := &Ring{aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if !validID(k.ID) {
			return nil, fmt.Errorf("seal: invalid key id %q: want 1-32 characters of [A-Za-z0-9_-]", k.ID)
		}
		if len(k.Secret) != keySize {
			return nil, fmt.Errorf("seal: key %s: secret is %d bytes, want %d", k.ID, len(k.Secret), keySize)
		}
		if _, dup := r.aeads[k.ID]; dup {
			return nil, fmt.Errorf("seal: duplicate key id %s", k.ID)
		}
		k.Secret = append([]byte(nil), k.Secret...) // the ring owns its copy
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("seal: key %s: %w", k.ID, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %s: %w", k.ID, err)
		}
		r.keys = append(r.keys, k)
		r.aeads[k.ID] = aead
	}
	return r, nil
}

// Primary returns the id of the key that seals.
func (r *Ring) Primary() string { return r.keys[len(r.keys)-1].ID }

// IDs returns the key ids, oldest first; the last is the primary.
func (r *Ring) IDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return ids
}

// String shows the key ids only, so a ring in a log line leaks nothing.
func (r *Ring) String() string {
	return "seal.Ring{" + strings.Join(r.IDs(), " ") + " (primary " + r.Primary() + ")}"
}
func (r *Ring) GoString() string { return r.String() }

// With returns a new ring with k added as the primary.
func (r *Ring) With(k Key) (*Ring, error) {
	return NewRing(append(append([]Key(nil), r.keys...), k)...)
}

// Without returns a new ring without key id. It refuses to drop the primary:
// values it sealed could no longer be opened, and the ring would have none.
func (r *Ring) Without(id string) (*Ring, error) {
	if _, ok := r.aeads[id]; !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	if id == r.Primary() {
		return nil, fmt.Errorf("seal: refusing to retire %s: it is the primary key", id)
	}
	var keep []Key
	for _, k := range r.keys {
		if k.ID != id {
			keep = append(keep, k)
		}
	}
	return NewRing(keep...)
}

// Seal encrypts plaintext with the primary key, binding ad (e.g.
// "factor:42:secret"): Open succeeds only with the same ad. The result is
// "v1.<key id>.<base64url(nonce||ciphertext||tag)>".
func (r *Ring) Seal(plaintext, ad []byte) (string, error) {
	id := r.Primary()
	header := version + "." + id + "."
	box := r.aeads[id].Seal(nil, nil, plaintext, associated(header, ad))
	return header + payloadEncoding.EncodeToString(box), nil
}

// Open decrypts a value made by Seal with any key of the ring.
func (r *Ring) Open(sealed string, ad []byte) ([]byte, error) {
	id, box, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: key id %s", ErrUnknownKey, id)
	}
	plaintext, err := aead.Open(nil, nil, box, associated(version+"."+id+".", ad))
	if err != nil {
		return nil, fmt.Errorf("%w: key id %s", ErrOpen, id)
	}
	return plaintext, nil
}

// KeyID returns the id of the key that sealed a value.
func KeyID(sealed string) (string, error) {
	id, _, err := parse(sealed)
	return id, err
}

// NeedsReseal reports whether a well-formed value was sealed by a key other
// than the primary (including a key not in the ring, so that a rotation
// surfaces it rather than skipping it). Malformed values report false.
func (r *Ring) NeedsReseal(sealed string) bool {
	id, err := KeyID(sealed)
	return err == nil && id != r.Primary()
}

// CheckValue returns the primary key's check value, "<id>:<32 hex digits>".
func (r *Ring) CheckValue() string { return checkValue(r.keys[len(r.keys)-1]) }

// CheckValues returns one check value per key, oldest first.
func (r *Ring) CheckValues() []string {
	vals := make([]string, len(r.keys))
	for i, k := range r.keys {
		vals[i] = checkValue(k)
	}
	return vals
}

// Check compares the ring with the check values recorded in the database.
// Every recorded value whose key id is in the ring must be produced by that
// key, and unless nothing is recorded yet, at least one must match: a ring
// that shares no key with the database would seal values nobody else opens.
// Recorded values for ids not in the ring (retired keys) are ignored.
func (r *Ring) Check(stored []string) error {
	matched := false
	var recorded []string
	for i, s := range stored {
		id, _, ok := strings.Cut(s, ":")
		if !ok || !validID(id) {
			return fmt.Errorf("%w: recorded key check value %d is not \"<id>:<hex>\"", ErrMalformed, i)
		}
		recorded = append(recorded, id)
		if _, in := r.aeads[id]; !in {
			continue
		}
		for _, k := range r.keys {
			if k.ID == id && !hmac.Equal([]byte(s), []byte(checkValue(k))) {
				return fmt.Errorf("%w: key %s differs from the key recorded under that id", ErrWrongKey, id)
			}
		}
		matched = true
	}
	if len(stored) > 0 && !matched {
		return fmt.Errorf("%w: the ring has keys %s, the database knows keys %s",
			ErrWrongKey, strings.Join(r.IDs(), ","), strings.Join(recorded, ","))
	}
	return nil
}

// DeriveKey returns a 32-byte key for purpose (e.g. "throttle keys"),
// derived from the primary key with HMAC-SHA256, for values that must be
// keyed hashes rather than sealed: equal inputs give equal outputs, so the
// database can look them up, yet without the master key nobody can tell
// which input a stored hash is of. Rotating the primary key changes it.
func (r *Ring) DeriveKey(purpose string) []byte {
	mac := hmac.New(sha256.New, r.keys[len(r.keys)-1].Secret)
	mac.Write([]byte("mfad derived key v1\x00" + purpose))
	return mac.Sum(nil)
}

func checkValue(k Key) string {
	mac := hmac.New(sha256.New, k.Secret)
	mac.Write([]byte(checkMsg))
	return k.ID + ":" + hex.EncodeToString(mac.Sum(nil)[:16])
}

// associated binds the header (version and key id) as well as the caller's ad.
// The header cannot contain '.' except as its delimiters, so the join is
// unambiguous.
func associated(header string, ad []byte) []byte {
	return append([]byte(header), ad...)
}

// parse splits "v1.<id>.<payload>" and rejects every other form, including
// CR or LF in the payload (which the base64 decoder would silently skip).
func parse(sealed string) (id string, box []byte, err error) {
	rest, ok := strings.CutPrefix(sealed, version+".")
	if !ok {
		return "", nil, fmt.Errorf("%w: want prefix %q", ErrMalformed, version+".")
	}
	id, payload, ok := strings.Cut(rest, ".")
	if !ok || !validID(id) {
		return "", nil, fmt.Errorf("%w: bad key id", ErrMalformed)
	}
	if strings.ContainsAny(payload, "\r\n") {
		return "", nil, fmt.Errorf("%w: bad base64", ErrMalformed)
	}
	box, err = payloadEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, fmt.Errorf("%w: bad base64", ErrMalformed)
	}
	if len(box) < overhead {
		return "", nil, fmt.Errorf("%w: too short", ErrMalformed)
	}
	return id, box, nil
}

func validID(id string) bool {
	if len(id) < 1 || len(id) > 32 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
