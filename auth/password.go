package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"

	"github.com/mfad/mfad"
)

// PasswordParams are the argon2id parameters and how many hashes may run at
// once. Each hash holds Memory KiB, so Concurrent bounds the memory a login
// flood can take; MaxQueue bounds the waiters, beyond which logins are shed
// with EThrottled before they queue.
type PasswordParams struct {
	Memory     uint32 // KiB
	Time       uint32
	Threads    uint8
	Concurrent int
	MaxQueue   int
}

// DefaultPasswordParams is OWASP's argon2id profile (19 MiB, t=2, p=1).
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, Concurrent: max(2, runtime.NumCPU()), MaxQueue: 512}
}

const (
	minPasswordLen = 8
	maxPasswordLen = 1024 // bytes; argon2 takes any length, this bounds the work per request
)

type hasher struct {
	p       PasswordParams
	sem     chan struct{}
	waiting atomic.Int64
	dummy   string // verified against for unknown users, so they cost a hash too
}

func newHasher(p PasswordParams) *hasher {
	if p.Concurrent <= 0 {
		p.Concurrent = 2
	}
	if p.MaxQueue <= 0 {
		p.MaxQueue = 512
	}
	h := &hasher{p: p, sem: make(chan struct{}, p.Concurrent)}
	h.dummy = h.encode([]byte("mfad-dummy-salt!"), h.key("not a password", []byte("mfad-dummy-salt!")))
	return h
}

func (h *hasher) key(password string, salt []byte) []byte {
	return argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, 32)
}

func (h *hasher) encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.p.Memory, h.p.Time, h.p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// acquire waits for a hashing slot, or sheds the call when too many wait.
func (h *hasher) acquire(ctx context.Context) error {
	if h.waiting.Add(1) > int64(h.p.MaxQueue) {
		h.waiting.Add(-1)
		return &mfad.Error{Code: mfad.EThrottled, Message: "too many logins at once; retry shortly", RetryAfter: 1e9}
	}
	defer h.waiting.Add(-1)
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.sem }

// Hash returns the PHC string of password.
func (h *hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.encode(salt, h.key(password, salt)), nil
}

// Verify reports whether password matches the PHC string phc. An empty phc
// (an unknown user) is checked against a dummy hash, so the answer takes as
// long either way.
func (h *hasher) Verify(ctx context.Context, phc, password string) (bool, error) {
	known := phc != ""
	if !known {
		phc = h.dummy
	}
	if len(password) > maxPasswordLen {
		password = password[:maxPasswordLen]
	}
	m, t, p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return known && subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parsePHC(phc string) (m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return 0, 0, 0, nil, nil, fmt.Errorf("unsupported password hash format")
	}
	if _, err = fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return 0, 0, 0, nil, nil, fmt.Errorf("bad password hash parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return 0, 0, 0, nil, nil, fmt.Errorf("bad password hash salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return 0, 0, 0, nil, nil, fmt.Errorf("bad password hash")
	}
	return m, t, p, salt, key, nil
}

func checkPassword(pw string) error {
	switch {
	case len([]rune(pw)) < minPasswordLen:
		return mfad.Errorf(mfad.EInvalidInput, "password must have at least %d characters", minPasswordLen)
	case len(pw) > maxPasswordLen:
		return mfad.Errorf(mfad.EInvalidInput, "password must have at most %d bytes", maxPasswordLen)
	}
	return nil
}
