package auth

import (
	"context"
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
