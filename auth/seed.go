package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// SeedUser is one user for SeedUsers.
type SeedUser struct {
	Name  string
	Email string // optional
	// Secret is the TOTP secret (SHA-1, 6 digits, 30 s) of an enabled
	// factor; nil seeds the user without 2FA.
	Secret []byte
	// LastStep is the factor's last accepted time step: its code and
	// every earlier one count as used.
	LastStep int64
}

// Seed is a batch of users that share one password hash.
type Seed struct {
	PasswordHash string        // from HashPassword
	SessionTTL   time.Duration // lifetime of each user's session; 0: the access token lifetime
	Users        []SeedUser
}

// Seeded is a seeded user and the access token of the full session made
// for it, whose second factor counts as proven at seeding.
type Seeded struct {
	UserID      int64
	AccessToken string
}

// maxSeed bounds one SeedUsers batch, so one transaction stays short.
const maxSeed = 50_000

// Seeder fills a database for load tests (`mfad load --seed-direct`):
// users in batches, sessions and login tickets minted without a login. It
// is apart from Service, whose calls are what fronts may do: only the mfad
// command on the server (the system actor, which holds the database and
// its key anyway) may seed.
type Seeder struct{ s *Service }

// NewSeeder returns the seeder of svc's database.
func NewSeeder(svc *Service) *Seeder { return &Seeder{s: svc} }

// HashPassword returns the stored form of password under the configured
// argon2id parameters, for Seed. Only the mfad command on the server (the
// system actor) may call it.
func (sd *Seeder) HashPassword(ctx context.Context, a Actor, password string) (string, error) {
	s := sd.s
	if !a.system {
		return "", mfad.Errorf(mfad.EForbidden, "only the mfad command on the server may seed users")
	}
	return s.hasher.Hash(ctx, password)
}

// SeedUsers creates many users at once, in one transaction: each with the
// batch's password hash, with 2FA on when given a secret (no scratch
// codes), and with an open full session. It exists for load tests (`mfad
// load --seed-direct`), where a million users created one by one would
// spend hours in argon2id. It mints sessions, which no front may, so only
// the mfad command on the server (the system actor, which holds the
// database and its key anyway) may call it. The batch is audited as one
// event.
func (sd *Seeder) SeedUsers(ctx context.Context, a Actor, seed Seed) ([]Seeded, error) {
	s := sd.s
	if !a.system {
		return nil, mfad.Errorf(mfad.EForbidden, "only the mfad command on the server may seed users")
	}
	if len(seed.Users) > maxSeed {
		return nil, mfad.Errorf(mfad.EInvalidInput, "at most %d users per seed batch", maxSeed)
	}
	if _, _, _, _, _, err := parsePHC(seed.PasswordHash); err != nil {
		return nil, mfad.Errorf(mfad.EInvalidInput, "password hash: %v", err)
	}
	for _, su := range seed.Users {
		if err := checkNames(su.Name, su.Email); err != nil {
			return nil, err
		}
		if su.Secret != nil {
			if err := otp.CheckSecretBits(su.Secret, s.cfg.MinSecretBits); err != nil {
				return nil, mfad.Errorf(mfad.EInvalidInput, "secret of %s: %v", su.Name, err)
			}
		}
	}
	ttl := seed.SessionTTL
	if ttl <= 0 {
		ttl = s.cfg.AccessTTL
	}
	now := s.Now()
	out := make([]Seeded, len(seed.Users))
	err := s.update(ctx, func(tx mfad.Tx) error {
		for i, su := range seed.Users {
			u := &mfad.User{Name: su.Name, Email: su.Email, Role: mfad.RoleUser, PasswordHash: seed.PasswordHash,
				CreatedAt: now, PasswordChangedAt: now}
			if err := tx.CreateUser(u); errors.Is(err, mfad.ErrDuplicate) {
				return mfad.Errorf(mfad.EConflict, "a user named %s exists", su.Name)
			} else if err != nil {
				return err
			}
			if su.Secret != nil {
				sealed, err := s.ring.Seal(su.Secret, mfad.SealAD(mfad.SealFactorSecret, u.ID))
				if err != nil {
					return err
				}
				f := &mfad.Factor{UserID: u.ID, Secret: sealed, Algorithm: otp.SHA1.String(), Digits: otp.DefaultDigits,
					Period: otp.DefaultPeriod, LastStep: su.LastStep, Scratch: s.cfg.Scratch, EnabledAt: now, Dialect: a.client.Dialect}
				if err := tx.PutFactor(f); err != nil {
					return err
				}
			}
			access, ah := newToken()
			_, rh := newToken()
			sess := &mfad.Session{UserID: u.ID, AccessHash: ah, AccessExpires: now.Add(ttl), RefreshHash: rh,
				RefreshExpires: now.Add(ttl), Scope: mfad.ScopeFull, SecondFactorAt: now,
				Dialect: a.client.Dialect, RemoteAddr: a.client.Addr, CreatedAt: now}
			if err := tx.CreateSession(sess); err != nil {
				return err
			}
			out[i] = Seeded{UserID: u.ID, AccessToken: access}
		}
		return s.audit(tx, a, 0, "user.seed", "ok", fmt.Sprintf("%d users", len(seed.Users)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SeedTickets gives each named user a login ticket, as a password login of
// a user with 2FA would, valid for ttl (0: the configured ticket lifetime),
// and returns the tickets in order: for measuring the second step of a
// login (mfad load's second-factor scenario) without an argon2id hash per
// request. Only the system actor may call it; the batch is one transaction,
// audited as one event.
func (sd *Seeder) SeedTickets(ctx context.Context, a Actor, logins []string, ttl time.Duration) ([]string, error) {
	s := sd.s
	if !a.system {
		return nil, mfad.Errorf(mfad.EForbidden, "only the mfad command on the server may seed login tickets")
	}
	if len(logins) > maxSeed {
		return nil, mfad.Errorf(mfad.EInvalidInput, "at most %d tickets per seed batch", maxSeed)
	}
	if ttl <= 0 {
		ttl = s.cfg.TicketTTL
	}
	now := s.Now()
	out := make([]string, len(logins))
	err := s.update(ctx, func(tx mfad.Tx) error {
		for i, login := range logins {
			u, err := tx.UserByLogin(login)
			if err != nil {
				return notFound(err, "user "+login)
			}
			token, hash := newToken()
			t := &mfad.Ticket{Hash: hash, UserID: u.ID, Dialect: a.client.Dialect, RemoteAddr: a.client.Addr, CreatedAt: now, ExpiresAt: now.Add(ttl)}
			if err := tx.CreateTicket(t); err != nil {
				return err
			}
			out[i] = token
		}
		return s.audit(tx, a, 0, "ticket.seed", "ok", fmt.Sprintf("%d tickets", len(logins)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
