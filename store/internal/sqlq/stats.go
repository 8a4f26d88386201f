package sqlq

import (
	"strings"
	"sync/atomic"

	"github.com/mfad/mfad"
)

// Stats counts what a store sends its database, for mfad's metrics
// (mfad_store_statements_total and friends) and mfad load's statements
// per request.
type Stats struct {
	statements [len(ops)]atomic.Uint64
	roundTrips atomic.Uint64
	txs        [2]atomic.Uint64 // update, view
	retries    atomic.Uint64
}

// ops are the kinds of statements counted, by first keyword; "other" last.
var ops = [...]string{"select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "savepoint", "release", "other"}

// Statement counts one statement by its first keyword.
func (s *Stats) Statement(query string) {
	if s == nil {
		return
	}
	q := strings.TrimLeft(query, " \t\r\n(")
	i := len(ops) - 1
	for j, op := range ops[:len(ops)-1] {
		if len(q) >= len(op) && strings.EqualFold(q[:len(op)], op) {
			i = j
			break
		}
	}
	s.statements[i].Add(1)
}

// RoundTrip counts one exchange with the database server (PostgreSQL).
func (s *Stats) RoundTrip() { s.roundTrips.Add(1) }

// Tx counts one transaction of Update (update) or View.
func (s *Stats) Tx(update bool) {
	if update {
		s.txs[0].Add(1)
	} else {
		s.txs[1].Add(1)
	}
}

// Retry counts one transaction run again after a conflict.
func (s *Stats) Retry() { s.retries.Add(1) }

// Counts returns the counts so far.
func (s *Stats) Counts() mfad.StoreCounts {
	c := mfad.StoreCounts{Statements: map[string]uint64{}, RoundTrips: s.roundTrips.Load(),
		Transactions: map[string]uint64{"update": s.txs[0].Load(), "view": s.txs[1].Load(), "retry": s.retries.Load()}}
	for i, op := range ops {
		c.Statements[op] = s.statements[i].Load()
	}
	return c
}
