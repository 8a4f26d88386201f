package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// PrepareRequest starts (or restarts) a 2FA enrollment. Zero fields take the
// defaults; a front passes its dialect's profile here, never a fork of the
// logic.
type PrepareRequest struct {
	UserID int64
	// Login and Password, in a call without a session, prove the user's
	// password and name them (Zimbra's first EnableTwoFactorAuth step):
	// the enrollment may then hand out a session when confirmed.
	Login, Password string
	Secret          string // a client-made base32 secret (TwinCAT); "" makes one of the profile's size
	Code            string // re-enrolling an enrolled user is sensitive: a current code, or a recent second factor
	// Recreate asks for a replacement of an enabled factor where the
	// dialect's profile keeps enrolled users' factors (KeepEnrolled):
	// Veeam's recreate.
	Recreate bool
	// Algorithm, Digits and Period choose the TOTP parameters among those
	// the operator allows (Config.Allowed); zero values take SHA1, 6, 30.
	Algorithm string
	Digits    int
	Period    int
}

// Prepared is a pending enrollment as the client sees it, once.
type Prepared struct {
	UserID       int64
	Secret       string // base32, no padding
	URI          string // otpauth://totp/...
	Token        string // names this enrollment for Confirm
	ExpiresAt    time.Time
	ScratchCodes []string // valid only after Confirm
	Enrolled     bool     // the user already has an enabled factor, kept until Confirm
}

// QRPNG renders the URI as a PNG QR code of size pixels.
func (p *Prepared) QRPNG(size int) ([]byte, error) { return otp.QRPNG(p.URI, size) }

// QRSVG renders the URI as an SVG QR code.
func (p *Prepared) QRSVG() ([]byte, error) { return otp.QRSVG(p.URI) }

// Prepare makes a pending secret and pending scratch codes for a user (the
// actor, or any user when the actor is an admin: audited as on behalf).
// Preparing again replaces the pending enrollment; an enabled factor stays in
// force until the new one is confirmed.
func (s *Service) Prepare(ctx context.Context, a Actor, req PrepareRequest) (*Prepared, error) {
	a, proven, err := s.passwordProof(ctx, a, req.Login, req.Password)
	if err != nil {
		return nil, err
	}
	if proven {
		req.UserID = a.userID
	}
	prof := s.profileOf(a.client.Dialect)
	return s.prepareIn(ctx, a, req, prof, prof.KeepEnrolled && !req.Recreate)
}

// prepareIn is Prepare with the profile's settings; keep refuses an
// enrolled user.
func (s *Service) prepareIn(ctx context.Context, a Actor, req PrepareRequest, prof Profile, keep bool) (*Prepared, error) {
	if err := s.self(a, req.UserID, true); err != nil {
		return nil, err
	}
	key, err := s.preparedKey(req, prof)
	if err != nil {
		return nil, err
	}
	var p *Prepared
	err = s.update(ctx, func(tx mfad.Tx) error {
		p, err = s.prepare(tx, a, req, key, *prof.Scratch, prof.PendingTTL, keep)
		return err
	})
	return p, err
}

// preparedKey is the key a preparation under prof stores: the client's
// secret checked, or a new one, with the parameters req chose.
func (s *Service) preparedKey(req PrepareRequest, prof Profile) (otp.Key, error) {
	key, err := s.newKey(req.Secret, prof.SecretSize)
	if err != nil {
		return key, err
	}
	if err := s.choose(&key, req); err != nil {
		return key, err
	}
	return key, checkForm(*prof.Scratch) // the Config's form is checked here
}

// newKey decodes and checks a client's secret, or makes one of size bytes.
func (s *Service) newKey(client string, size int) (otp.Key, error) {
	key := otp.Key{Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod, Issuer: s.cfg.Issuer}
	if client != "" {
		secret, err := otp.DecodeSecret(client)
		if err != nil {
			return key, mfad.Errorf(mfad.EInvalidInput, "secret: %v", err)
		}
		if err := otp.CheckSecretBits(secret, s.cfg.MinSecretBits); err != nil {
			return key, mfad.Errorf(mfad.EInvalidInput, "secret: %v", err)
		}
		if err := s.checkClientSecret(secret); err != nil {
			return key, err
		}
		key.Secret = secret
		return key, nil
	}
	secret, err := otp.GenerateSecret(size)
	key.Secret = secret
	return key, err
}

// choose sets the algorithm, digits and period the request asks for,
// refusing any the operator does not allow.
func (s *Service) choose(key *otp.Key, req PrepareRequest) error {
	allowed := s.cfg.Allowed
	if req.Algorithm != "" {
		alg, err := otp.ParseAlgorithm(req.Algorithm)
		if err != nil || !slices.Contains(allowed.Algorithms, alg.String()) {
			return mfad.Errorf(mfad.EInvalidInput, "algorithm: allowed are %s", strings.Join(allowed.Algorithms, ", "))
		}
		key.Algorithm = alg
	}
	if req.Digits != 0 {
		if !slices.Contains(allowed.Digits, req.Digits) {
			return mfad.Errorf(mfad.EInvalidInput, "digits: allowed are %s", joinInts(allowed.Digits))
		}
		key.Digits = req.Digits
	}
	if req.Period != 0 {
		if !slices.Contains(allowed.Periods, req.Period) {
			return mfad.Errorf(mfad.EInvalidInput, "period: allowed are %s seconds", joinInts(allowed.Periods))
		}
		key.Period = req.Period
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func checkForm(f mfad.ScratchForm) error {
	if f.Count < 0 || f.Count > 50 || f.Length < 6 || f.Length > 32 || len(f.Alphabet) < 10 {
		return mfad.Errorf(mfad.EInvalidInput, "scratch codes: 0..50 codes of 6..32 characters from at least 10 symbols")
	}
	return nil
}

func (s *Service) prepare(tx mfad.Tx, a Actor, req PrepareRequest, key otp.Key, form mfad.ScratchForm, ttl time.Duration, keep bool) (*Prepared, error) {
	u, err := tx.UserByID(req.UserID)
	if err != nil {
		return nil, notFound(err, "user")
	}
	_, ferr := tx.Factor(u.ID)
	enrolled := ferr == nil
	if ferr != nil && !errors.Is(ferr, mfad.ErrNoRows) {
		return nil, ferr
	}
	if enrolled && keep {
		return nil, mfad.Errorf(mfad.EConflict, "two-factor authentication is already enabled")
	}
	if enrolled {
		if err := s.guard(tx, a, u, req.Code, "2fa.prepare"); err != nil {
			return nil, err
		}
	}
	key.Account = u.Email
	if key.Account == "" {
		key.Account = u.Name
	}
	codes := make([]string, form.Count)
	for i := range codes {
		codes[i] = randomString(form.Length, form.Alphabet)
	}
	now := s.Now()
	token, hash := newToken()
	e := &mfad.Enrollment{
		UserID: u.ID, TokenHash: hash, Algorithm: key.Algorithm.String(), Digits: key.Digits, Period: key.Period,
		Form: form, CreatedBy: a.userID, Dialect: a.client.Dialect, CreatedAt: now, ExpiresAt: now.Add(ttl),
		SessionID: a.sessionID, PasswordProof: a.passwordOf == u.ID,
	}
	if e.Secret, err = s.ring.Seal(key.Secret, mfad.SealAD(mfad.SealEnrollmentSecret, u.ID)); err != nil {
		return nil, err
	}
	if e.Scratch, err = s.ring.Seal([]byte(strings.Join(codes, ",")), mfad.SealAD(mfad.SealEnrollmentCodes, u.ID)); err != nil {
		return nil, err
	}
	if err := tx.PutEnrollment(e); err != nil {
		return nil, err
	}
	detail := ""
	if onBehalf(a, u.ID) {
		detail = "on behalf of the user"
	}
	if err := s.audit(tx, a, u.ID, "2fa.prepare", "ok", detail); err != nil {
		return nil, err
	}
	s.observe(tx, "enroll", "started")
	return &Prepared{UserID: u.ID, Secret: otp.EncodeSecret(key.Secret), URI: key.URI(), Token: token,
		ExpiresAt: e.ExpiresAt, ScratchCodes: codes, Enrolled: enrolled}, nil
}

// ConfirmRequest proves possession of a pending secret. The enrollment is
// named by Token, by Secret (TwinCAT sends the secret it made), or by UserID
// alone (the user's pending enrollment). A call without a session is allowed
// when Token is given: the enrollment token is then the credential (Zimbra's
// second step), and Login, if set, must name its user.
type ConfirmRequest struct {
	UserID   int64
	Token    string
	Secret   string
	Code     string // a current TOTP code of the pending secret; scratch codes prove nothing here
	Password string // where the profile asks for it (PasswordToEnable); without a session and a token, with Login, the proof of who confirms
	Login    string // Zimbra's verifyAccount: the token must belong to this account; without a token, the user Password proves
}

// Confirmed is the result of enabling 2FA.
type Confirmed struct {
	UserID       int64
	ScratchCodes []string
	Tokens       *Tokens // where the profile says SessionOnConfirm
	// ClockDrift is non-zero when the confirming code matched only a
	// neighbouring step: the phone's clock is off by about this much
	// (DriftText says it in words), worth a warning.
	ClockDrift time.Duration
}

// Confirm enables 2FA: in one transaction the pending secret becomes the
// user's factor with the confirming code's step counted as used, the
// scratch codes become valid, the user's other sessions, tickets and trusted
// devices are revoked, and the confirming session counts as having just
// proven its second factor.
func (s *Service) Confirm(ctx context.Context, a Actor, req ConfirmRequest) (*Confirmed, error) {
	if req.Token == "" {
		var proven bool
		var err error
		if a, proven, err = s.passwordProof(ctx, a, req.Login, req.Password); err != nil {
			return nil, err
		}
		if proven {
			req.UserID = a.userID
		}
	}
	// Without a token the session is the credential; with one, a named
	// user must still be one the actor may act on.
	if req.Token == "" || (req.UserID != 0 && a.userID != 0) {
		if err := s.self(a, req.UserID, true); err != nil {
			return nil, err
		}
	}
	prof := s.profileOf(a.client.Dialect)
	if prof.PasswordToEnable && a.passwordOf == 0 {
		login, err := s.loginOf(ctx, req, a)
		if err != nil {
			return nil, err
		}
		u, err := s.checkPassword(ctx, a.client, login, req.Password)
		if err != nil {
			return nil, err
		}
		a.passwordOf = u.ID
	}
	return s.confirmIn(ctx, a, req)
}

// confirmIn is Confirm once the actor and any password are checked.
func (s *Service) confirmIn(ctx context.Context, a Actor, req ConfirmRequest) (*Confirmed, error) {
	var out *Confirmed
	err := s.update(ctx, func(tx mfad.Tx) (err error) {
		out, err = s.confirm(tx, a, req)
		return err
	})
	if mfad.ErrorCode(err) == mfad.EExpired {
		s.emit("confirm", "expired") // rolled back: nothing to commit first
	}
	return out, err
}

// loginOf finds the login name of the user whose password Confirm checks.
func (s *Service) loginOf(ctx context.Context, req ConfirmRequest, a Actor) (string, error) {
	if req.Login != "" {
		return req.Login, nil
	}
	var name string
	err := s.view(ctx, func(tx mfad.Tx) error {
		id := req.UserID
		if req.Token != "" {
			e, err := tx.EnrollmentByToken(hashToken(req.Token))
			if err != nil {
				return notFound(err, "enrollment")
			}
			id = e.UserID
		}
		u, err := tx.UserByID(id)
		if err != nil {
			return notFound(err, "user")
		}
		name = u.Name
		return nil
	})
	return name, err
}

func (s *Service) confirm(tx mfad.Tx, a Actor, req ConfirmRequest) (*Confirmed, error) {
	e, err := s.findEnrollment(tx, a, req)
	if err != nil {
		return nil, err
	}
	if err := s.mayConfirm(tx, a, e); err != nil {
		return nil, err
	}
	key, err := s.openKey(e.Secret, mfad.SealAD(mfad.SealEnrollmentSecret, e.UserID), e.Algorithm, e.Digits, e.Period)
	if err != nil {
		return nil, err
	}
	if req.Secret != "" {
		given, derr := otp.DecodeSecret(req.Secret)
		if derr != nil || subtle.ConstantTimeCompare(given, key.Secret) != 1 {
			return nil, mfad.Errorf(mfad.ENoPending, "no pending enrollment for this secret")
		}
	}
	code := NormalizeCode(req.Code)
	step, ok := s.verifyKey(key, code, s.Now())
	if !ok || len(code) != key.Digits {
		s.observeFor(tx, &a, e.UserID, "confirm", "invalid")
		if s.appIgnoredSettings(key, code) {
			return nil, s.wrongEnrollmentCode(tx, a, e, mfad.EAppIgnored, appIgnoredMessage(key))
		}
		return nil, s.wrongEnrollmentCode(tx, a, e, mfad.EInvalidCode, "invalid code")
	}
	codes, err := s.ring.Open(e.Scratch, mfad.SealAD(mfad.SealEnrollmentCodes, e.UserID))
	if err != nil {
		return nil, err
	}
	out := &Confirmed{UserID: e.UserID}
	if len(codes) > 0 {
		out.ScratchCodes = strings.Split(string(codes), ",")
	}
	offset := int(step - key.Step(s.Now()))
	out.ClockDrift = time.Duration(offset*key.Normalize().Period) * time.Second
	if err := s.enable(tx, e, step, offset, out.ScratchCodes); err != nil {
		return nil, err
	}
	s.crash("confirm")
	return out, s.afterEnable(tx, a, e, req, out)
}

// appIgnoredSettings reports whether code, wrong for a key that is not
// SHA-1 with 6 digits, is right for SHA-1 with 6 digits (or with the key's
// digits) in the same window: the app ignored the otpauth URI's algorithm
// or digits, as some do silently, and the user would otherwise retry in
// vain. It is checked only after the code failed, so it widens nothing:
// the code is still refused and counted.
func (s *Service) appIgnoredSettings(key otp.Key, code string) bool {
	if key.Algorithm == otp.SHA1 && key.Digits == otp.DefaultDigits {
		return false
	}
	for _, digits := range []int{otp.DefaultDigits, key.Digits} {
		plain := key
		plain.Algorithm, plain.Digits = otp.SHA1, digits
		if (key.Algorithm == otp.SHA1 && key.Digits == digits) || len(code) != digits {
			continue
		}
		if _, ok := s.verifyKey(plain, code, s.Now()); ok {
			return true
		}
	}
	return false
}

// appIgnoredMessage says what the app ignored and what to do about it.
func appIgnoredMessage(key otp.Key) string {
	return fmt.Sprintf("your authenticator app ignored the settings (%s, %d digits) and shows SHA-1, 6-digit codes; "+
		"enroll again with SHA-1 and 6 digits, or use an app that supports %s and %d digits",
		key.Algorithm, key.Digits, key.Algorithm, key.Digits)
}

// enrollmentFailures wrong codes void a pending enrollment: its token and
// secret are a credential while it lives, and 10^6 codes are few.
const enrollmentFailures = 5

// wrongEnrollmentCode counts and audits a wrong confirming code (and voids
// the enrollment at the limit), then refuses it with code and msg; the
// transaction commits. A code the app made with ignored settings counts
// as wrong too: it is not the prepared secret's code.
func (s *Service) wrongEnrollmentCode(tx mfad.Tx, a Actor, e *mfad.Enrollment, code mfad.Code, msg string) error {
	n, err := tx.AddEnrollmentFailure(e.UserID)
	if err != nil {
		return err
	}
	detail := ""
	if n >= enrollmentFailures {
		if err := tx.DeleteEnrollment(e.UserID); err != nil {
			return err
		}
		detail = "enrollment void after repeated wrong codes"
		msg += "; too many wrong codes, so the enrollment is void: prepare 2FA again"
	}
	if err := s.audit(tx, a, e.UserID, "2fa.confirm", string(code), detail); err != nil {
		return err
	}
	return keep(mfad.Errorf(code, "%s", msg))
}

// mayConfirm applies the rule of docs/architecture.md §2 for a pending enrollment confirmed
// without a session: it needs a password proven in this call, or one proven
// when it was prepared (in the same dialect), or else the session that
// prepared it still valid. Only a password proof lets it mint a session, so
// an enrollment prepared with a stolen session is no way in by itself.
func (s *Service) mayConfirm(tx mfad.Tx, a Actor, e *mfad.Enrollment) error {
	proven := a.passwordOf == e.UserID || (e.PasswordProof && e.Dialect == a.client.Dialect)
	withSession := a.sessionID != 0 || a.system
	fresh := s.profileOf(a.client.Dialect).SessionOnConfirm
	if fresh && !proven && !(a.sessionID != 0 && a.userID == e.UserID) {
		return mfad.Errorf(mfad.EUnauthenticated, "this enrollment was not started with the password; confirm it with the password or in the session that prepared it")
	}
	if withSession || proven {
		return nil
	}
	if e.SessionID != 0 {
		sess, err := tx.SessionByID(e.SessionID)
		if err == nil && sess.RefreshExpires.After(s.Now()) && s.sessionEnd(sess).After(s.Now()) {
			return nil
		}
		if err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
	}
	return mfad.Errorf(mfad.EUnauthenticated, "the session that prepared this enrollment has ended; prepare 2FA again")
}

func (s *Service) findEnrollment(tx mfad.Tx, a Actor, req ConfirmRequest) (*mfad.Enrollment, error) {
	// A named user must exist before any token is looked at: an unknown
	// id is "not found" (as for every other call naming a user), decided in
	// this transaction rather than by a front asking first.
	if req.UserID != 0 {
		if _, err := tx.UserByID(req.UserID); err != nil {
			return nil, notFound(err, "user")
		}
	}
	var e *mfad.Enrollment
	var err error
	if req.Token != "" {
		e, err = tx.EnrollmentByToken(hashToken(req.Token))
	} else {
		e, err = tx.Enrollment(req.UserID)
	}
	if errors.Is(err, mfad.ErrNoRows) {
		return nil, mfad.Errorf(mfad.ENoPending, "no pending enrollment; prepare 2FA first")
	}
	if err != nil {
		return nil, err
	}
	if !e.ExpiresAt.After(s.Now()) {
		return nil, mfad.Errorf(mfad.EExpired, "the enrollment has expired; prepare 2FA again")
	}
	if req.Token != "" && req.UserID != 0 && req.UserID != e.UserID {
		return nil, mfad.Errorf(mfad.ENoPending, "no pending enrollment for this user")
	}
	if req.Token != "" && a.userID != 0 {
		if err := s.self(a, e.UserID, true); err != nil {
			return nil, err
		}
	}
	if req.Login != "" {
		u, err := tx.UserByLogin(req.Login)
		if err != nil || u.ID != e.UserID {
			return nil, mfad.Errorf(mfad.EUnauthenticated, "the enrollment token does not belong to this account")
		}
	}
	return e, nil
}

// enable turns the enrollment into the user's factor and scratch codes.
func (s *Service) enable(tx mfad.Tx, e *mfad.Enrollment, step int64, offset int, codes []string) error {
	f := &mfad.Factor{UserID: e.UserID, Algorithm: e.Algorithm, Digits: e.Digits, Period: e.Period,
		LastStep: step, ClockOffset: offset, Scratch: e.Form, EnabledAt: s.Now(), Dialect: e.Dialect}
	key, err := s.ring.Open(e.Secret, mfad.SealAD(mfad.SealEnrollmentSecret, e.UserID))
	if err != nil {
		return err
	}
	if f.Secret, err = s.ring.Seal(key, mfad.SealAD(mfad.SealFactorSecret, e.UserID)); err != nil {
		return err
	}
	if err := tx.PutFactor(f); err != nil {
		return err
	}
	sc := make([]mfad.ScratchCode, len(codes))
	for i, c := range codes {
		sc[i].UserID = e.UserID
		if sc[i].Code, err = s.ring.Seal([]byte(c), mfad.SealAD(mfad.SealScratchCode, e.UserID)); err != nil {
			return err
		}
	}
	if err := tx.ReplaceScratchCodes(e.UserID, sc); err != nil {
		return err
	}
	if err := tx.DeleteEnrollment(e.UserID); err != nil {
		return err
	}
	return tx.ResetMFAFailures(e.UserID)
}

// confirmScope is the scope of a session a confirmation hands out: no
// more than the confirming session's (a preauth session's stays ScopeUser).
func confirmScope(a Actor) mfad.Scope {
	if a.scope == mfad.ScopeUser {
		return mfad.ScopeUser
	}
	return mfad.ScopeFull
}

// afterEnable revokes what enabling revokes and issues what the front asked.
func (s *Service) afterEnable(tx mfad.Tx, a Actor, e *mfad.Enrollment, req ConfirmRequest, out *Confirmed) error {
	current := int64(0)
	fresh := s.profileOf(a.client.Dialect).SessionOnConfirm
	if a.userID == e.UserID && !fresh {
		current = a.sessionID
	}
	if err := revoke(tx, e.UserID, revocation{sessions: true, keepSession: current, tickets: true, devices: true}); err != nil {
		return err
	}
	if current != 0 {
		if err := tx.SetSecondFactorAt(current, s.Now()); err != nil {
			return err
		}
		if a.scope == mfad.ScopeEnroll { // a ScopeUser session stays one
			if err := tx.SetSessionScope(current, mfad.ScopeFull); err != nil {
				return err
			}
		}
	}
	if fresh {
		u, err := tx.UserByID(e.UserID)
		if err != nil {
			return err
		}
		if out.Tokens, err = s.newSession(tx, a.client, u, confirmScope(a), true, s.idleFor(a.client, false), true); err != nil {
			return err
		}
	}
	s.observe(tx, "confirm", "ok")
	detail := ""
	if a.userID != 0 && onBehalf(a, e.UserID) {
		detail = "on behalf of the user"
	}
	if err := s.notify(tx, a, e.UserID, mfad.NotifyEnabled, ""); err != nil {
		return err
	}
	return s.audit(tx, a, e.UserID, "2fa.enable", "ok", detail)
}

// EnableRequest turns 2FA on in one step with a secret the client made.
type EnableRequest struct {
	UserID   int64
	Secret   string // base32, at least MinSecretBits
	Code     string // a current code of Secret
	Password string // where the profile asks for it (PasswordToEnable)
}

// EnableWithSecret is TwinCAT's Enable2FA: the password is checked first
// (where the profile asks for it), so a wrong one prepares nothing; then
// the secret is prepared (refused if 2FA is already on) and confirmed with
// the code.
//
// One caller (TwinCAT's Enable2FA): a product operation that prepares and confirms at once, which no pair of calls may do in one transaction.
func (s *Service) EnableWithSecret(ctx context.Context, a Actor, req EnableRequest) (*Confirmed, error) {
	if err := s.self(a, req.UserID, true); err != nil {
		return nil, err
	}
	prof := s.profileOf(a.client.Dialect)
	if prof.PasswordToEnable {
		if err := s.checkOwnPassword(ctx, a, req.Password); err != nil {
			return nil, err
		}
	}
	preq := PrepareRequest{UserID: req.UserID, Secret: req.Secret}
	key, err := s.preparedKey(preq, prof)
	if err != nil {
		return nil, err
	}
	// Prepare and confirm in one transaction: a wrong code keeps the
	// pending enrollment and its counted failure (as Confirm does), and
	// nothing is half done if the store fails between them.
	var out *Confirmed
	err = s.update(ctx, func(tx mfad.Tx) error {
		if _, err := s.prepare(tx, a, preq, key, *prof.Scratch, prof.PendingTTL, true); err != nil {
			return err
		}
		out, err = s.confirm(tx, a, ConfirmRequest{UserID: req.UserID, Secret: req.Secret, Code: req.Code})
		return err
	})
	return out, err
}
