// Package seal encrypts the secrets mfad must be able to read back (TOTP
// secrets, scratch codes) before they reach the database, so that a stolen
// database file or backup reveals nothing.
//
// # Sealing
//
// Values are sealed with AES-256-GCM under a random 96-bit nonce, as the
// string "v1.<key id>.<base64url(nonce||ciphertext||tag)>". A string stores in
// a TEXT column of any database and shows at a glance which key sealed it.
//
// The caller passes associated data naming the row and column, such as
// "factor:42:secret". GCM authenticates it without storing it, so a value
// copied into another row (an attacker with write access swapping their own
// secret into a victim's factor) fails to open instead of being trusted. The
// version and key id are bound as well.
//
// Random nonces allow about 2^32 seals per key before a collision becomes a
// concern; a 2FA server seals a value per enrollment, far below that, and
// rotation resets the count.
//
// # Key ring and rotation
//
// A Ring holds several keys, oldest first. The last, the primary, seals new
// values; every key in the ring opens. Rotating is:
//
//  1. add the new key to every instance's ring (With, or a new last line in
//     the key file); with several instances, first add it as a non-last line
//     everywhere, then move it last, so no instance seals with a key another
//     instance cannot open yet;
//  2. re-seal: for each stored value, NeedsReseal, Open, Seal, write back
//     (mfad keys rotate);
//  3. retire the old key (Without). Without refuses to drop the primary.
//
// # Key check values
//
// The master key never sits in the database, so with PostgreSQL every
// instance is given it (MFAD_MASTER_KEY or a key file). An instance started
// with a wrong key would otherwise fail every login, or worse, seal new
// secrets that no other instance can open. The database therefore records
// one check value per key, HMAC-SHA256(key, "mfad key check v1") truncated
// to 128 bits with the key id in front. It says nothing usable about the
// key, yet a wrong key cannot produce it. At start:
//
//	if err := ring.Check(recorded); err != nil { refuse to start }
//	record those of ring.CheckValues() whose key id is not yet recorded
//
// Check fails if a key of the ring differs from the recorded key with its
// id, or if the ring shares no key with the database at all.
//
// # Key files
//
// In SQLite mode LoadOrCreateFile makes a 0600 key file in the data
// directory on first run; it must be backed up apart from the database (a
// backup holding both is no protection). LoadFile refuses a key file that
// group or others can access. WriteFile replaces a key file atomically.
//
// Error messages name key ids at most: never plaintext, never key material.
// Key and Ring print their ids only.
package seal
