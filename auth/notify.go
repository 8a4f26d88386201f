package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/mfad/mfad"
)

// notify writes the notification of kind about userID to the outbox in tx,
// one row per target that wants it (Service.Notify), so it is delivered if
// and only if the change it reports commits. It carries who, when, from
// where and through which front, and detail, never a secret, code or token.
func (s *Service) notify(tx mfad.Tx, a Actor, userID int64, kind, detail string) error {
	if s.Notify == nil {
		return nil
	}
	for _, target := range s.Notify(kind) {
		if target == mfad.TargetEmail && lowRisk[kind] {
			if out, err := optedOut(tx, userID); err != nil {
				return err
			} else if out {
				continue
			}
		}
		n := &mfad.Notification{Kind: kind, Target: target, UserID: userID, Time: s.Now(),
			RemoteAddr: a.client.Addr, Dialect: a.client.Dialect, Detail: detail}
		if err := tx.EnqueueNotification(n); err != nil {
			return err
		}
	}
	return nil
}

// notifyScratchUsed notifies a used scratch code with how many remain.
func (s *Service) notifyScratchUsed(tx mfad.Tx, a Actor, userID int64) error {
	if s.Notify == nil || len(s.Notify(mfad.NotifyScratchUsed)) == 0 {
		return nil
	}
	left, err := tx.ScratchCodes(userID)
	if err != nil {
		return err
	}
	return s.notify(tx, a, userID, mfad.NotifyScratchUsed, fmt.Sprintf("remaining=%d", len(left)))
}

// Notifications returns the outbox rows f selects, newest first: the
// delivery log of notifications. Administrators only.
func (s *Service) Notifications(ctx context.Context, a Actor, f mfad.NotificationFilter) ([]mfad.Notification, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	var out []mfad.Notification
	err := s.view(ctx, func(tx mfad.Tx) (err error) {
		out, err = tx.Notifications(f)
		return err
	})
	return out, err
}

// lowRisk are the email kinds a user may turn off; the others (replay,
// lockout, 2FA off or reset, password change) she always gets.
var lowRisk = map[string]bool{mfad.NotifyScratchUsed: true, mfad.NotifyTrusted: true}

// optOutKey is the setting that records a user's opt-out of low-risk mail.
func optOutKey(userID int64) string { return fmt.Sprintf("notify.optout.%d", userID) }

func optedOut(tx mfad.Tx, userID int64) (bool, error) {
	v, err := tx.Setting(optOutKey(userID))
	if errors.Is(err, mfad.ErrNoRows) {
		return false, nil
	}
	return v == "1", err
}

// LowRiskEmail reports whether the user gets low-risk notification mails
// (a scratch code used, a new trusted device), first turning them on or
// off when set is not nil: the user herself or an admin. The others cannot
// be turned off. One call reads, or writes and answers.
func (s *Service) LowRiskEmail(ctx context.Context, a Actor, userID int64, set *bool) (bool, error) {
	if err := s.self(a, userID, false); err != nil {
		return false, err
	}
	if set == nil {
		var out bool
		err := s.view(ctx, func(tx mfad.Tx) (err error) {
			out, err = optedOut(tx, userID)
			return err
		})
		return !out, err
	}
	err := s.update(ctx, func(tx mfad.Tx) error {
		if _, err := tx.UserByID(userID); err != nil {
			return notFound(err, "user")
		}
		v, detail := "0", "low-risk email on"
		if !*set {
			v, detail = "1", "low-risk email off"
		}
		if err := tx.PutSetting(optOutKey(userID), v); err != nil {
			return err
		}
		return s.audit(tx, a, userID, "notify.settings", "ok", detail)
	})
	return *set, err
}
