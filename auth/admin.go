package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/seal"
)

// Audit reads the audit log, newest first (admins only).
func (s *Service) Audit(ctx context.Context, a Actor, f mfad.AuditFilter) ([]mfad.Event, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var out []mfad.Event
	err := s.view(ctx, func(tx mfad.Tx) (err error) {
		if out, err = tx.Events(f); err != nil || !f.WithNames {
			return err
		}
		return nameEvents(tx, out)
	})
	return out, err
}

// nameEvents fills the names of the users the events name, each user read
// once.
func nameEvents(tx mfad.Tx, events []mfad.Event) error {
	names := map[int64]string{0: ""}
	name := func(id int64) (string, error) {
		if n, ok := names[id]; ok {
			return n, nil
		}
		u, err := tx.UserByID(id)
		switch {
		case errors.Is(err, mfad.ErrNoRows):
			names[id] = ""
		case err != nil:
			return "", err
		default:
			names[id] = u.Name
		}
		return names[id], nil
	}
	for i := range events {
		var err error
		if events[i].ActorName, err = name(events[i].ActorID); err != nil {
			return err
		}
		if events[i].UserName, err = name(events[i].UserID); err != nil {
			return err
		}
	}
	return nil
}

// PruneAudit deletes audit events older than keep, and expired sessions,
// tickets, enrollments and trusted devices.
//
// One caller (mfad serve's hourly maintenance): housekeeping, no front's.
func (s *Service) PruneAudit(ctx context.Context, keep time.Duration) (int, error) {
	var n int
	err := s.update(ctx, func(tx mfad.Tx) (err error) {
		if keep > 0 {
			if n, err = tx.DeleteEventsBefore(s.Now().Add(-keep)); err != nil {
				return err
			}
			// The delivery log of notifications is kept as long as the audit log.
			if _, err = tx.DeleteNotificationsBefore(s.Now().Add(-keep)); err != nil {
				return err
			}
		}
		return tx.DeleteExpired(s.Now())
	})
	return n, err
}

const keyCheckSetting = "key_check"

// CheckKeys makes sure the key ring is the one the database was sealed with:
// a key check value recorded in the database refuses a wrong key before any
// secret is written with it. Check values of new keys are recorded, then
// read back: two instances with different keys starting at once on an empty
// database both write, the last write wins, and the check of the other
// fails on the second read.
func (s *Service) CheckKeys(ctx context.Context) error {
	if err := s.recordKeyChecks(ctx); err != nil {
		return err
	}
	return s.view(ctx, func(tx mfad.Tx) error {
		stored, err := s.keyChecks(tx)
		if err != nil {
			return err
		}
		return s.ring.Check(stored)
	})
}

func (s *Service) recordKeyChecks(ctx context.Context) error {
	return s.update(ctx, func(tx mfad.Tx) error {
		stored, err := s.keyChecks(tx)
		if err != nil {
			return err
		}
		if err := s.ring.Check(stored); err != nil {
			return err
		}
		known := map[string]bool{}
		for _, v := range stored {
			known[v] = true
		}
		for _, v := range s.ring.CheckValues() {
			if !known[v] {
				stored = append(stored, v)
			}
		}
		return tx.PutSetting(keyCheckSetting, strings.Join(stored, "\n"))
	})
}

func (s *Service) keyChecks(tx mfad.Tx) ([]string, error) {
	v, err := tx.Setting(keyCheckSetting)
	if err != nil {
		if errors.Is(err, mfad.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return strings.Fields(v), nil
}

// RotateKeys re-seals every sealed value with the ring's primary key, in one
// transaction, and reports how many it re-sealed. Afterwards older keys
// can be retired from the ring.
//
// One caller (mfad keys rotate): key management is the command's.
func (s *Service) RotateKeys(ctx context.Context) (int, error) {
	n := 0
	err := s.update(ctx, func(tx mfad.Tx) error {
		vals, err := tx.SealedValues()
		if err != nil {
			return err
		}
		for _, v := range vals {
			if !s.ring.NeedsReseal(v.Value) {
				continue
			}
			ad := mfad.SealAD(v.Kind, v.UserID)
			plain, err := s.ring.Open(v.Value, ad)
			if err != nil {
				return err
			}
			if v.Value, err = s.ring.Seal(plain, ad); err != nil {
				return err
			}
			if err := tx.UpdateSealed(v); err != nil {
				return err
			}
			n++
		}
		k, err := s.resealPreauthKeys(tx)
		if err != nil {
			return err
		}
		n += k
		return s.audit(tx, System("cli"), 0, "keys.rotate", "ok", s.ring.Primary())
	})
	return n, err
}

// RetireKey prepares the retirement of the ring's key id, in one
// transaction: it refuses a key that is not in the ring, the primary, and
// one that still seals a value (a secret, scratch codes, a preauth key),
// and forgets the key's check value, so that a wrong-key error no longer
// names it among the database's keys. The caller then drops the key from
// its key file (seal.Ring.Without).
//
// One caller (mfad keys retire): key management is the command's.
func (s *Service) RetireKey(ctx context.Context, id string) error {
	if !slices.Contains(s.ring.IDs(), id) {
		return mfad.Errorf(mfad.ENotFound, "no key %q in the key ring (its keys: %s)", id, strings.Join(s.ring.IDs(), " "))
	}
	if id == s.ring.Primary() {
		return mfad.Errorf(mfad.EConflict, "key %s is the primary key: run mfad keys rotate first", id)
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		vals, err := tx.SealedValues()
		if err != nil {
			return err
		}
		sealed := make([]string, 0, len(vals))
		for _, v := range vals {
			sealed = append(sealed, v.Value)
		}
		keys, err := preauthKeys(tx)
		if err != nil {
			return err
		}
		for _, v := range keys {
			sealed = append(sealed, v)
		}
		for _, v := range sealed {
			if kid, _ := seal.KeyID(v); kid == id {
				return mfad.Errorf(mfad.EConflict, "key %s still seals values: run mfad keys rotate first", id)
			}
		}
		stored, err := s.keyChecks(tx)
		if err != nil {
			return err
		}
		stored = slices.DeleteFunc(stored, func(v string) bool { return strings.HasPrefix(v, id+":") })
		if err := tx.PutSetting(keyCheckSetting, strings.Join(stored, "\n")); err != nil {
			return err
		}
		return s.audit(tx, System("cli"), 0, "keys.retire", "ok", id)
	})
}
