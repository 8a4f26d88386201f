// Package otp is the one-time-password layer of mfad: RFC 4226 HOTP and
// RFC 6238 TOTP codes, their verification, base32 secrets, otpauth:// key
// URIs and the QR codes that carry them to an authenticator app.
//
// Everything else in mfad stands on this package, so it is small, pure Go
// and does no I/O: it reads and writes only what the caller passes, keeps no
// package state, and takes the time as a parameter so tests (and the core's
// injected clock) can step through TOTP windows without sleeping.
//
// # The story of a key
//
// At enrolment the server makes a secret with GenerateSecret (160 bits from
// crypto/rand) or GenerateKey, and shows the user Key.URI as a QR code
// (QRPNG, QRSVG) and as text (EncodeSecret). A secret the user brings, typed
// or pasted, goes through DecodeSecret, which is as forgiving as the apps
// (case, spaces, dashes, padding), then CheckSecretBits. A whole otpauth URI
// exported from another system goes through ParseURI.
//
// At login the server builds a Verifier from the decoded Key and calls
// Verify with the submitted code, the current time and a window (default:
// 1 step either side, docs/architecture.md §2). Verify returns which time step matched; the
// caller must record it and refuse any step not greater than the last one
// recorded, because a TOTP code stays valid for its whole window and this
// package cannot know which codes were already used.
//
// # Choices that matter for security
//
//   - Verify computes every candidate in the window and compares in
//     constant time, so its timing says neither whether nor where a code
//     matched. When two steps share a code it reports the later one, which
//     is the safe value to record against replays.
//   - Verifier keeps pre-keyed HMAC state, so a verification allocates
//     nothing and costs little more than the HMACs themselves; see
//     BENCHMARKS.md.
//   - Invalid parameters fail closed: HOTP and Key.CodeAt return "" (which
//     never verifies) instead of panicking or guessing.
//   - Errors wrap the sentinels ErrInvalidSecret, ErrSecretTooShort,
//     ErrInvalidURI, ErrInvalidKey and ErrQRSize, name the problem, and
//     never quote a secret.
//
// Only TOTP is supported; otpauth://hotp URIs are refused, since a counter
// that must be stored and resynchronised is not part of mfad's design.
package otp
