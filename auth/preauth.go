package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/weak"
)

// Preauth is a login vouched for by a trusted system (a portal) that holds
// the preauth key of the user's domain, as Zimbra's preauth: Value is the
// hex HMAC-SHA1, keyed with the domain's key, of "account|by|expires|timestamp"
// (account as the client names it, by "name", Timestamp and Expires in
// milliseconds, Expires 0 for the default lifetime). It stands in for the
// password only: a user with 2FA on is still asked for the second factor.
type Preauth struct {
	By        string // how the account is named: "name" (name or email; the default)
	Timestamp int64  // when the value was made, ms since 1970
	Expires   int64  // part of the signed text (Zimbra: the token's lifetime, 0: default)
	Value     string
}

// preauthWindow is how far Timestamp may be from now, as in Zimbra.
const preauthWindow = 5 * time.Minute

// preauthSetting holds the domains' keys: a JSON object of domain to the
// key sealed with the master key.
const preauthSetting = "preauth.keys"

func preauthAD(domain string) []byte { return []byte("mfad preauth key\x00" + domain) }

// domainOf is the domain of an email address, lower case; "" for none.
func domainOf(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

// SetPreauthKey sets the preauth key of a domain (the part of the users'
// email after the @), an administrator's act. An empty key makes a new
// one, 256 random bits in hex as Zimbra's zmprov generateDomainPreAuthKey
// does; a given key (an existing Zimbra domain's, so its portals keep
// working) must be at least 32 characters. The key is answered once and
// stored sealed with the master key.
//
// One caller (mfad zimbra preauth-key): a domain key is set on the server only.
func (s *Service) SetPreauthKey(ctx context.Context, a Actor, domain, key string) (string, error) {
	if err := s.admin(a); err != nil {
		return "", err
	}
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" || strings.ContainsAny(domain, "@ \t\r\n") {
		return "", mfad.Errorf(mfad.EInvalidInput, "a domain name, without @, is required")
	}
	if key == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", s.internal(ctx, err)
		}
		key = hex.EncodeToString(b)
	}
	if len(key) < 32 {
		return "", mfad.Errorf(mfad.EInvalidInput, "a preauth key must be at least 32 characters")
	}
	if why := weak.TextKey(key); why != "" {
		return "", mfad.Errorf(mfad.EInvalidInput, "refusing a weak preauth key (%s); leave it empty and mfad makes one", why)
	}
	sealed, err := s.ring.Seal([]byte(key), preauthAD(domain))
	if err != nil {
		return "", s.internal(ctx, err)
	}
	err = s.update(ctx, func(tx mfad.Tx) error {
		keys, err := preauthKeys(tx)
		if err != nil {
			return err
		}
		keys[domain] = sealed
		if err := putPreauthKeys(tx, keys); err != nil {
			return err
		}
		return s.audit(tx, a, 0, "preauth.key", "ok", domain)
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

func preauthKeys(tx mfad.Tx) (map[string]string, error) {
	keys := map[string]string{}
	v, err := tx.Setting(preauthSetting)
	if errors.Is(err, mfad.ErrNoRows) || (err == nil && v == "") {
		return keys, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(v), &keys); err != nil {
		return nil, fmt.Errorf("the %s setting: %w", preauthSetting, err)
	}
	return keys, nil
}

func putPreauthKeys(tx mfad.Tx, keys map[string]string) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return tx.PutSetting(preauthSetting, string(b))
}

// resealPreauthKeys re-seals the preauth keys with the ring's primary key
// (part of RotateKeys) and reports how many it re-sealed.
func (s *Service) resealPreauthKeys(tx mfad.Tx) (int, error) {
	keys, err := preauthKeys(tx)
	if err != nil {
		return 0, err
	}
	n := 0
	for domain, sealed := range keys {
		if !s.ring.NeedsReseal(sealed) {
			continue
		}
		plain, err := s.ring.Open(sealed, preauthAD(domain))
		if err != nil {
			return 0, err
		}
		if keys[domain], err = s.ring.Seal(plain, preauthAD(domain)); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, putPreauthKeys(tx, keys)
}

// checkPreauth verifies a preauth value with the password's throttles: a
// wrong value, a stale timestamp, a domain without a key and an unknown
// user get one answer and count as a failed password.
func (s *Service) checkPreauth(ctx context.Context, c Client, login string, p *Preauth) (*mfad.User, settlement, error) {
	if p.By != "" && p.By != "name" {
		return nil, settlement{}, mfad.Errorf(mfad.EInvalidInput, "preauth names the account by name only")
	}
	if login == "" || p.Value == "" {
		return nil, settlement{}, errInvalidLogin
	}
	var u *mfad.User
	var keys []string
	err := s.update(ctx, func(tx mfad.Tx) (err error) {
		if u, keys, err = s.reserveAttempt(tx, login, c.Addr, ""); err != nil {
			return err
		}
		ok := false
		if u != nil {
			if ok, err = s.preauthValid(tx, u, login, p); err != nil || ok {
				return err
			}
		}
		var uid int64
		if u != nil {
			uid = u.ID
		}
		if err := s.judge(tx, keys...); err != nil {
			return err
		}
		if err := s.audit(tx, Anonymous(c), uid, "login.preauth", string(mfad.EInvalidLogin), ""); err != nil {
			return err
		}
		return keep(errInvalidLogin) // the attempt stays counted
	})
	if err != nil {
		return nil, settlement{}, err
	}
	return u, settlement{s: s, user: u.ID, addr: c.Addr, keys: keys}, nil
}

// preauthValid checks p against the key of u's domain and the clock.
func (s *Service) preauthValid(tx mfad.Tx, u *mfad.User, login string, p *Preauth) (bool, error) {
	domain := domainOf(u.Email)
	keys, err := preauthKeys(tx)
	if err != nil || domain == "" || keys[domain] == "" {
		return false, err
	}
	key, err := s.ring.Open(keys[domain], preauthAD(domain))
	if err != nil {
		return false, err
	}
	if d := s.Now().Sub(time.UnixMilli(p.Timestamp)); d > preauthWindow || d < -preauthWindow {
		return false, nil
	}
	by := p.By
	if by == "" {
		by = "name"
	}
	mac := hmac.New(sha1.New, key)
	fmt.Fprintf(mac, "%s|%s|%d|%d", login, by, p.Expires, p.Timestamp)
	want := hex.EncodeToString(mac.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(strings.TrimSpace(p.Value)))) == 1, nil
}
