// Package sqlite is mfad's embedded store: one SQLite file in the data dir,
// through the pure-Go driver modernc.org/sqlite (no cgo).
//
// Open creates the file with mode 0600 if it is missing, then runs the
// embedded migrations (migrations/*.sql, in name order, each in its own
// transaction, recorded in schema_migrations). Every connection runs with
// journal_mode=WAL, synchronous=FULL (a committed transaction is on disk
// before Update returns), foreign_keys=ON and busy_timeout=10000; the writer
// also with temp_store=MEMORY (savepoint journals never touch disk) and a
// 16 MiB page cache, and without SQLite's automatic checkpoint: a goroutine
// of its own copies the WAL into the file on a third connection
// (checkpoint.go), so the writer never stops for it.
//
// There are two connection pools on the one file. Update runs on the writer
// pool, which holds a single connection and begins with BEGIN IMMEDIATE, so
// writers queue in order and never fail on a lock upgrade. View runs on the
// reader pool, opened read-only (mode=ro); WAL lets readers work alongside
// the writer on the last committed snapshot.
//
// Times are stored as INTEGER nanoseconds since the Unix epoch and come back
// in UTC; the zero time is stored as NULL and comes back as time.Time{}.
// Hashes are BLOBs; an empty hash comes back nil.
package sqlite
