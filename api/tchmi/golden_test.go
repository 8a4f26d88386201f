package tchmi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// Expected outcomes of a command.
const (
	ok        = 0
	eField    = tchmi.CodeInvalidField
	eAccess   = tchmi.CodeInsufficientAccess
	eFail     = tchmi.CodeFail
	eSymbol   = tchmi.CodeSymbolNotMapped
	eSyntax   = tchmi.CodeSyntax
	eTooLarge = tchmi.CodeRequestTooLarge
	eNotImpl  = tchmi.CodeNotImplemented
	eCreds    = tchmi.CodeInvalidCredentials
	eNeed     = tchmi.CodeTokenRequired
	eToken    = tchmi.CodeInvalidToken
	eLocked   = tchmi.CodeLocked
	eThrottle = tchmi.CodeThrottled
	eSetup    = tchmi.CodeSetupRequired
)

// scenarios are the golden tests: each one drives connections (Sessions)
// on a fresh core and records every frame in testdata/<name>.golden.
var scenarios = []struct {
	name string
	run  func(e *env, tr *transcript)
}{
	{"framing", framing},
	{"login", login},
	{"logout", logout},
	{"enable2fa", enable2FA},
	{"disable2fa", disable2FA},
	{"get2fastatus", get2FAStatus},
	{"changepassword", changePassword},
	{"reset2fa", reset2FA},
	{"config", config},
	{"users", users},
	{"subscription", subscription},
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := newEnv(t)
			tr := newTranscript(e)
			sc.run(e, tr)
			tr.check(sc.name)
		})
	}
}

// TestGoldenCoversEverySymbol makes sure that every symbol's success and
// error answers are in the golden files.
func TestGoldenCoversEverySymbol(t *testing.T) {
	var all strings.Builder
	for _, sc := range scenarios {
		b, err := os.ReadFile(filepath.Join("testdata", sc.name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	text := all.String()
	for _, sym := range tchmi.Symbols() {
		okAnswer := fmt.Sprintf(`{"symbol":%q`, sym)
		var success, failure bool
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "< ") {
				continue
			}
			for _, part := range strings.Split(line, okAnswer)[1:] {
				end := strings.Index(part, `{"symbol"`)
				if end < 0 {
					end = len(part)
				}
				if strings.Contains(part[:end], `"error":`) {
					failure = true
				} else {
					success = true
				}
			}
		}
		if !success || !failure {
			t.Errorf("%s: success answered %v, error answered %v in the golden files", sym, success, failure)
		}
	}
}

// TestGoldenAnswersHoldNoSecrets checks that no answer frame repeats a
// password or a secret a request sent.
func TestGoldenAnswersHoldNoSecrets(t *testing.T) {
	secrets := []string{secretAlice, secretBob, "pw-of-", "new-password", "wrong-password"}
	for _, sc := range scenarios {
		b, err := os.ReadFile(filepath.Join("testdata", sc.name+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "< ") {
				continue
			}
			for _, s := range secrets {
				if strings.Contains(line, s) {
					t.Errorf("%s.golden line %d: answer holds %q", sc.name, i+1, s)
				}
			}
		}
	}
}

func login(e *env, tr *transcript) {
	a := tchmi.NewSession(e.svc, local)
	alice, bob, carol := e.users["alice"], e.users["bob"], e.users["carol"]
	tr.send(a, "Login without writeValue", frame(1, c(tchmi.SymLogin, nil, msg...)), eField)
	tr.send(a, "Login with a writeValue that is not an object", frame(2, c(tchmi.SymLogin, "alice", msg...)), eField)
	tr.send(a, "Login with a userName that is not a string", frame(3, c(tchmi.SymLogin, obj{"userName": 5, "password": "x"}, msg...)), eField)
	tr.send(a, "Login without password", frame(4, c(tchmi.SymLogin, obj{"userName": "alice"}, msg...)), eField)
	tr.send(a, "Login with a wrong password; the echoed writeValue is masked", frame(5, c(tchmi.SymLogin, obj{"userName": "alice", "password": "wrong-password"}, both...)), eCreds)
	tr.send(a, "Login of an unknown user: the same answer", frame(6, c(tchmi.SymLogin, obj{"userName": "nobody", "password": "wrong-password"}, msg...)), eCreds)
	tr.send(a, "Login without SendErrorMessage: code and domain only", frame(7, c(tchmi.SymLogin, obj{"userName": "alice", "password": "wrong-password"})), eCreds)
	first := tr.send(a, "Login (2FA off): the session id", frame(8, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password, "persistent": true}, both...)), ok).token()
	tr.send(a, "the connection is logged in", frame(9, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	tr.send(a, "Login again: the previous session ends", frame(10, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	other := tchmi.NewSession(e.svc, local)
	tr.send(other, "another connection cannot take on the ended session", fmt.Sprintf(`{"requestType":"ReadWrite","id":11,"sessionId":%q,"commands":[]}`, first), eAccess)
	tr.send(a, "Login with persistPreviousSession keeps the previous one", frame(12, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password, "persistPreviousSession": true}, msg...)), ok)
	tr.send(other, "so another connection may take it on", fmt.Sprintf(`{"requestType":"ReadWrite","id":13,"sessionId":%q,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus","commandOptions":["SendErrorMessage"]}]}`, tr.order[1]), ok)

	e.enroll("bob", secretBob)
	tr.note("bob has turned 2FA on (client-made secret %s)", secretBob)
	b := tchmi.NewSession(e.svc, local)
	tr.send(b, "Login without twoFactorToken: the client must ask for the code", frame(20, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password}, both...)), eNeed)
	tr.send(b, "Login with a wrong code", frame(21, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": "000000"}, both...)), eToken)
	code := e.code(secretBob)
	tr.send(b, "Login with the current code", frame(22, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": code}, both...)), ok)
	tr.send(b, "the same code again is refused (replay)", frame(23, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": code}, msg...)), eToken)
	tr.send(b, "a wrong code", frame(24, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": "111111"}, msg...)), eToken)
	tr.send(b, "another", frame(25, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": "222222"}, msg...)), eToken)
	tr.send(b, "another", frame(26, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": "444444"}, msg...)), eToken)
	tr.send(b, "the fifth failure in a row since the last success locks the second factor", frame(27, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": "333333"}, msg...)), eLocked)
	tr.send(b, "the next step's code (not used yet) is refused while locked", frame(28, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.codeIn(secretBob, 30*time.Second)}, msg...)), eLocked)

	cc := tchmi.NewSession(e.svc, local)
	for i := range 5 {
		tr.send(cc, fmt.Sprintf("carol: wrong password %d", i+1), frame(30+i, c(tchmi.SymLogin, obj{"userName": "carol", "password": "wrong-password"}, msg...)), eCreds)
	}
	tr.send(cc, "then logins of the account are throttled, even with the right password", frame(36, c(tchmi.SymLogin, obj{"userName": "carol", "password": carol.Password}, msg...)), eThrottle)

	e.setPolicy(auth.PolicyAll)
	tr.note("policy set to all (ENABLE_TWO_FACTOR_AUTHENTICATION 1)")
	d := tchmi.NewSession(e.svc, local)
	tr.send(d, "Login of a user without 2FA that policy requires: an enroll-only session", frame(40, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(d, "which may read its status (1: set it up)", frame(41, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	tr.send(d, "but do nothing else", frame(42, c(tchmi.SymConfig2FA, 0, msg...)), eSetup)
}

func logout(e *env, tr *transcript) {
	alice := e.users["alice"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "Logout of a connection that is not logged in", frame(1, c(tchmi.SymLogout, nil, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "Logout", frame(3, c(tchmi.SymLogout, nil, both...)), ok)
	tr.send(a, "after it, the connection is not logged in", frame(4, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)

	tr.send(a, "Login", frame(5, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	e.clock.Add(61 * time.Minute)
	tr.note("clock +61min: the access token has expired")
	tr.send(a, "the session has ended", frame(6, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)
	tr.send(a, "and the connection is no longer logged in", frame(7, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)

	b := tchmi.NewSession(e.svc, local)
	tr.send(a, "Login on one connection", frame(8, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(b, "and on another", frame(9, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(b, "a password change on the second revokes the first", frame(10, c(tchmi.SymChangePassword, obj{"currentPassword": alice.Password, "newPassword": "new-password-1"}, msg...)), ok)
	tr.send(a, "so the first connection's next command finds its session ended", frame(11, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)
	tr.send(b, "the second one keeps its session", frame(12, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	tr.send(a, "a sessionId that names no session is refused", fmt.Sprintf(`{"requestType":"ReadWrite","id":13,"sessionId":%q,"commands":[]}`, "not-a-session"), eAccess)
	tr.send(a, "Login", frame(14, c(tchmi.SymLogin, obj{"userName": "alice", "password": "new-password-1"}, msg...)), ok)
	tr.send(a, "a sessionId of another session, on a logged-in connection, is refused", fmt.Sprintf(`{"requestType":"ReadWrite","id":15,"sessionId":%q,"commands":[]}`, tr.order[3]), eAccess)
	tr.send(a, "its own sessionId is accepted", fmt.Sprintf(`{"requestType":"ReadWrite","id":16,"sessionId":%q,"commands":[{"symbol":"Logout"}]}`, tr.order[4]), ok)
}

func enable2FA(e *env, tr *transcript) {
	alice := e.users["alice"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "Enable2FA when not logged in", frame(1, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": secretAlice, "twoFactorToken": e.code(secretAlice)}, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "status: 1, 2FA can be enabled", frame(3, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	tr.send(a, "Enable2FA without writeValue", frame(4, c(tchmi.SymEnable2FA, nil, msg...)), eField)
	tr.send(a, "Enable2FA without secret", frame(5, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "twoFactorToken": "123456"}, both...)), eField)
	tr.send(a, "Enable2FA with an empty secret", frame(6, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": "", "twoFactorToken": "123456"}, msg...)), eField)
	tr.send(a, "Enable2FA with a secret under 80 bits", frame(7, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": "JBSWY3DP", "twoFactorToken": "123456"}, msg...)), eField)
	tr.send(a, "Enable2FA with a secret that is not base32", frame(8, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": "JBSWY3DPEHPK3PX!", "twoFactorToken": "123456"}, msg...)), eField)
	weak := otp.Key{Secret: []byte("12345678901234567890")}
	tr.send(a, "Enable2FA with TwinCAT's documented example secret and its current code: refused (issue 14)", frame(30, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": "JBSWY3DPEHPK3PXP", "twoFactorToken": e.code("JBSWY3DPEHPK3PXP")}, msg...)), eField)
	tr.send(a, "Enable2FA with the RFC 6238 test seed: refused", frame(31, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": otp.EncodeSecret(weak.Secret), "twoFactorToken": weak.Code(e.clock.Now())}, msg...)), eField)
	tr.send(a, "Enable2FA with all zero bytes: refused", frame(32, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": "AAAAAAAAAAAAAAAA", "twoFactorToken": e.code("AAAAAAAAAAAAAAAA")}, msg...)), eField)
	tr.send(a, "Enable2FA with a wrong password", frame(9, c(tchmi.SymEnable2FA, obj{"password": "wrong-password", "secret": secretAlice, "twoFactorToken": e.code(secretAlice)}, both...)), eCreds)
	tr.send(a, "Enable2FA with a wrong code", frame(10, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": secretAlice, "twoFactorToken": "000000"}, both...)), eToken)
	tr.send(a, "Enable2FA: true; the echoed writeValue is masked", frame(11, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": secretAlice, "twoFactorToken": e.code(secretAlice)}, both...)), ok)
	tr.send(a, "status: 3, 2FA can be disabled", frame(12, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	e.clock.Add(30 * time.Second)
	tr.note("clock +30s")
	tr.send(a, "Enable2FA again: already enabled", frame(13, c(tchmi.SymEnable2FA, obj{"password": alice.Password, "secret": secretBob, "twoFactorToken": e.code(secretBob)}, msg...)), eFail)
}

func disable2FA(e *env, tr *transcript) {
	alice := e.users["alice"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "Disable2FA when not logged in", frame(1, c(tchmi.SymDisable2FA, obj{"password": alice.Password, "twoFactorToken": "123456"}, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "Disable2FA when 2FA is off", frame(3, c(tchmi.SymDisable2FA, obj{"password": alice.Password, "twoFactorToken": "123456"}, msg...)), eFail)
	e.enroll("alice", secretAlice)
	tr.note("alice has turned 2FA on (client-made secret %s)", secretAlice)
	tr.send(a, "Login with the code", frame(4, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password, "twoFactorToken": e.code(secretAlice)}, msg...)), ok)
	e.clock.Add(30 * time.Second)
	tr.note("clock +30s")
	tr.send(a, "Disable2FA without twoFactorToken", frame(5, c(tchmi.SymDisable2FA, obj{"password": alice.Password}, both...)), eField)
	tr.send(a, "Disable2FA with a wrong password", frame(6, c(tchmi.SymDisable2FA, obj{"password": "wrong-password", "twoFactorToken": e.code(secretAlice)}, both...)), eCreds)
	tr.send(a, "Disable2FA with a wrong code", frame(7, c(tchmi.SymDisable2FA, obj{"password": alice.Password, "twoFactorToken": "000000"}, msg...)), eToken)
	e.setPolicy(auth.PolicyAll)
	tr.note("policy set to all")
	tr.send(a, "Disable2FA while policy requires 2FA", frame(8, c(tchmi.SymDisable2FA, obj{"password": alice.Password, "twoFactorToken": e.code(secretAlice)}, msg...)), eAccess)
	e.setPolicy(auth.PolicyOff)
	tr.note("policy set to off")
	tr.send(a, "Disable2FA: true", frame(9, c(tchmi.SymDisable2FA, obj{"password": alice.Password, "twoFactorToken": e.code(secretAlice)}, both...)), ok)
	tr.send(a, "status: 1", frame(10, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
}

func get2FAStatus(e *env, tr *transcript) {
	alice, admin := e.users["alice"], e.users["admin"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "Get2FAStatus when not logged in", frame(1, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "Get2FAStatus with a writeValue that is not a user name", frame(3, c(tchmi.SymGet2FAStatus, 7, both...)), eField)
	tr.send(a, "off: 1", frame(4, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	e.enroll("alice", secretAlice)
	tr.note("alice has turned 2FA on")
	tr.send(a, "Login with the code", frame(5, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password, "twoFactorToken": e.code(secretAlice)}, msg...)), ok)
	tr.send(a, "on, policy off: 3", frame(6, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	e.setPolicy(auth.PolicyAdmins)
	tr.note("policy set to admins")
	tr.send(a, "on, policy admins, alice is no admin: 3", frame(7, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	e.setPolicy(auth.PolicyAll)
	tr.note("policy set to all")
	tr.send(a, "on, policy all: 0", frame(8, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	e.setPolicy(auth.PolicyRemote)
	tr.note("policy set to remote")
	tr.send(a, "on, policy remote, local connection: 4 (not asked for)", frame(9, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	r := tchmi.NewSession(e.svc, remote)
	e.clock.Add(30 * time.Second)
	tr.note("clock +30s; a connection from %s", remote.Addr)
	tr.send(r, "Login from a remote client", frame(10, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password, "twoFactorToken": e.code(secretAlice)}, msg...)), ok)
	tr.send(r, "on, policy remote, remote connection: 0", frame(11, c(tchmi.SymGet2FAStatus, nil, msg...)), ok)
	tr.send(a, "alice may not read the admin's status", frame(12, c(tchmi.SymGet2FAStatus, "admin", msg...)), eField)
	ad := tchmi.NewSession(e.svc, local)
	tr.send(ad, "admin Login", frame(13, c(tchmi.SymLogin, obj{"userName": "admin", "password": admin.Password}, msg...)), ok)
	tr.send(ad, "the admin reads alice's status, judged for the admin's connection", frame(14, c(tchmi.SymGet2FAStatus, "alice", both...)), ok)
	tr.send(ad, "and the admin's own with an empty name", frame(15, c(tchmi.SymGet2FAStatus, "", msg...)), ok)
}

func changePassword(e *env, tr *transcript) {
	alice, bob := e.users["alice"], e.users["bob"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "ChangePassword when not logged in", frame(1, c(tchmi.SymChangePassword, obj{"currentPassword": alice.Password, "newPassword": "new-password-1"}, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "ChangePassword without newPassword", frame(3, c(tchmi.SymChangePassword, obj{"currentPassword": alice.Password}, both...)), eField)
	tr.send(a, "ChangePassword with a wrong current password", frame(4, c(tchmi.SymChangePassword, obj{"currentPassword": "wrong-password", "newPassword": "new-password-1"}, both...)), eCreds)
	tr.send(a, "ChangePassword to a password too short", frame(5, c(tchmi.SymChangePassword, obj{"currentPassword": alice.Password, "newPassword": "short"}, msg...)), eField)
	tr.send(a, "ChangePassword (2FA off)", frame(6, c(tchmi.SymChangePassword, obj{"currentPassword": alice.Password, "newPassword": "new-password-1", "twoFactorToken": ""}, both...)), ok)
	tr.send(a, "Login with the new password", frame(7, c(tchmi.SymLogin, obj{"userName": "alice", "password": "new-password-1"}, msg...)), ok)

	e.enroll("bob", secretBob)
	tr.note("bob has turned 2FA on")
	b := tchmi.NewSession(e.svc, local)
	tr.send(b, "bob Login with the code", frame(10, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.code(secretBob)}, msg...)), ok)
	e.clock.Add(11 * time.Minute)
	tr.note("clock +11min: the login's second factor is no longer recent")
	tr.send(b, "ChangePassword without twoFactorToken", frame(11, c(tchmi.SymChangePassword, obj{"currentPassword": bob.Password, "newPassword": "new-password-2"}, msg...)), eNeed)
	tr.send(b, "ChangePassword with a wrong code", frame(12, c(tchmi.SymChangePassword, obj{"currentPassword": bob.Password, "newPassword": "new-password-2", "twoFactorToken": "000000"}, msg...)), eToken)
	tr.send(b, "ChangePassword with the code", frame(13, c(tchmi.SymChangePassword, obj{"currentPassword": bob.Password, "newPassword": "new-password-2", "twoFactorToken": e.code(secretBob)}, both...)), ok)
}

func reset2FA(e *env, tr *transcript) {
	alice, admin, bob := e.users["alice"], e.users["admin"], e.users["bob"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "Reset2FA when not logged in", frame(1, c(tchmi.SymReset2FA, "bob", msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "Reset2FA without writeValue", frame(3, c(tchmi.SymReset2FA, nil, msg...)), eField)
	tr.send(a, "Reset2FA with a writeValue that is not a string", frame(4, c(tchmi.SymReset2FA, obj{"user": "bob"}, both...)), eField)
	tr.send(a, "a user may not reset another user's 2FA (one answer for every name: nothing to probe)", frame(5, c(tchmi.SymReset2FA, "bob", msg...)), eAccess)
	tr.send(a, "nor reset their own 2FA", frame(6, c(tchmi.SymReset2FA, "alice", msg...)), eAccess)

	e.enroll("bob", secretBob)
	tr.note("bob has turned 2FA on")
	b := tchmi.NewSession(e.svc, local)
	tr.send(b, "bob Login with the code", frame(10, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.code(secretBob)}, msg...)), ok)
	ad := tchmi.NewSession(e.svc, local)
	tr.send(ad, "admin Login", frame(11, c(tchmi.SymLogin, obj{"userName": "admin", "password": admin.Password}, msg...)), ok)
	tr.send(ad, "Reset2FA of an unknown user", frame(12, c(tchmi.SymReset2FA, "nobody", msg...)), eField)
	tr.send(ad, "Reset2FA: true", frame(13, c(tchmi.SymReset2FA, "bob", both...)), ok)
	tr.send(b, "it ended bob's sessions", frame(14, c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess)
	tr.send(ad, "bob's 2FA is off", frame(15, c(tchmi.SymGet2FAStatus, "bob", msg...)), ok)
}

func config(e *env, tr *transcript) {
	alice, admin := e.users["alice"], e.users["admin"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "read when not logged in", frame(1, c(tchmi.SymConfig2FA, nil, msg...)), eAccess)
	tr.send(a, "Login", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)), ok)
	tr.send(a, "any user may read it: 0, off", frame(3, c(tchmi.SymConfig2FA, nil, msg...)), ok)
	tr.send(a, "only admins may write it", frame(4, c(tchmi.SymConfig2FA, 1, both...)), eAccess)
	ad := tchmi.NewSession(e.svc, local)
	tr.send(ad, "admin Login", frame(5, c(tchmi.SymLogin, obj{"userName": "admin", "password": admin.Password}, msg...)), ok)
	for i, bad := range []any{3, -1, "1", 1.5, obj{"value": 1}} {
		tr.send(ad, "not a value of the enumeration", frame(6+i, c(tchmi.SymConfig2FA, bad, both...)), eField)
	}
	tr.send(ad, "2: remote connections only", frame(11, c(tchmi.SymConfig2FA, 2, both...)), ok)
	tr.send(a, "read: 2", frame(12, c(tchmi.SymConfig2FA, nil, msg...)), ok)
	e.setPolicy(auth.PolicyAdmins)
	tr.note("policy set to admins through another front")
	tr.send(a, "the admins policy reads as 1", frame(13, c(tchmi.SymConfig2FA, nil, msg...)), ok)
	tr.send(ad, "1: always", frame(14, c(tchmi.SymConfig2FA, 1, msg...)), ok)
	tr.send(ad, "0: off", frame(15, c(tchmi.SymConfig2FA, 0, msg...)), ok)
}

func framing(e *env, tr *transcript) {
	alice := e.users["alice"]
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "not JSON: a top-level error", `{"requestType":"ReadWrite","id":1,`, eSyntax)
	tr.send(a, "not an object", `[1,2]`, eField)
	tr.send(a, "commands not an array: the id is still echoed", `{"requestType":"ReadWrite","id":3,"commands":{}}`, eField)
	tr.send(a, "a command that is not an object", `{"requestType":"ReadWrite","id":4,"commands":[7]}`, eField)
	tr.send(a, "an id that is not a number", `{"requestType":"ReadWrite","id":"five","commands":[]}`, eField)
	tr.send(a, "no requestType", `{"id":6,"commands":[]}`, eField)
	tr.send(a, "an unsupported requestType", `{"requestType":"Event","id":7,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus"}]}`, eNotImpl)
	tr.send(a, "an unknown requestType", `{"requestType":"Write","id":8,"commands":[]}`, eField)
	many := make([]cmd, tchmi.MaxCommands+1)
	for i := range many {
		many[i] = c(tchmi.SymGet2FAStatus, nil)
	}
	tr.send(a, "too many commands", frame(9, many...), eTooLarge)
	tr.send(a, "no commands", `{"requestType":"ReadWrite","id":10,"commands":[]}`)
	tr.send(a, "fields mfad does not use are ignored; customerData is echoed", `{"requestType":"ReadWrite","id":11,"apiVersion":1,"customerData":"req-11","commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus","customerData":"cmd-1","commandOptions":["SendErrorMessage","SomeOtherOption"],"limit":5}]}`, eAccess)
	tr.send(a, "an unknown symbol", frame(12, c("ADS.PLC1.MAIN.nCounter", nil, msg...)), eSymbol)
	tr.send(a, "an unknown symbol without SendErrorMessage", frame(13, c("TcHmiUserManagement.Config::USERS", nil)), eSymbol)
	tr.send(a, "a command without symbol", `{"requestType":"ReadWrite","id":14,"commands":[{"commandOptions":["SendErrorMessage"]}]}`, eField)
	tr.send(a, "commands are answered in order, each on its own", frame(15,
		c(tchmi.SymGet2FAStatus, nil, msg...),
		c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...),
		c("Unknown", nil, msg...),
		c(tchmi.SymGet2FAStatus, nil, msg...)), eAccess, ok, eSymbol, ok)
	tr.send(a, "a request without id gets an answer without id", `{"requestType":"ReadWrite","commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus"}]}`, ok)
	tr.send(a, "masking: sensitive fields at any depth and in any letter case", frame(17,
		c(tchmi.SymLogin, obj{"userName": "alice", "Password": "wrong-password", "extra": obj{"secret": "x", "list": []any{obj{"newPassword": "y"}}}}, both...)), eCreds)
	tr.send(tchmi.NewSession(e.svc, local), "a sessionId that names no session", `{"requestType":"ReadWrite","id":18,"sessionId":"bogus","commands":[{"symbol":"Logout"}]}`, eAccess)
}

// TestSymbolsSorted keeps Symbols stable for the documentation.
func TestSymbolsSorted(t *testing.T) {
	s := tchmi.Symbols()
	if !slices.IsSorted(s) || len(s) != 13 {
		t.Errorf("Symbols() = %v", s)
	}
}

func users(e *env, tr *transcript) {
	alice, admin := e.users["alice"], e.users["admin"]
	force := func(name string) string {
		return tchmi.SymForce2FAInit + "TcHmiUserManagement::" + name + "::USERGROUPUSERS_FORCE_2FA_INIT"
	}
	a := tchmi.NewSession(e.svc, local)
	tr.send(a, "GetCurrentUser: not logged in", frame(1, c(tchmi.SymGetCurrentUser, nil, msg...)), eAccess)
	tr.send(a, "log in", frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password})), ok)
	tr.send(a, "GetCurrentUser", frame(3, c(tchmi.SymGetCurrentUser, nil, msg...)), ok)
	tr.send(a, "ListUserNames: not an admin", frame(4, c(tchmi.SymListUserNames, nil, msg...)), eAccess)
	tr.send(a, "ListUsers: not an admin", frame(5, c(tchmi.SymListUsers, nil, msg...)), eAccess)
	tr.send(a, "TcHmiUserManagement.ListUsers: not an admin", frame(6, c(tchmi.SymUMListUsers, nil, msg...)), eAccess)
	tr.send(a, "FORCE_2FA_INIT of oneself: read", frame(7, c(force("alice"), nil, msg...)), ok)
	tr.send(a, "FORCE_2FA_INIT: write, not an admin", frame(8, c(force("alice"), true, msg...)), eAccess)
	tr.send(a, "FORCE_2FA_INIT of another user: not found", frame(9, c(force("bob"), nil, msg...)), eField)

	ad := tchmi.NewSession(e.svc, local)
	tr.send(ad, "an admin logs in", frame(1, c(tchmi.SymLogin, obj{"userName": "admin", "password": admin.Password})), ok)
	tr.send(ad, "GetCurrentUser of an admin", frame(2, c(tchmi.SymGetCurrentUser, nil, msg...)), ok)
	tr.send(ad, "ListUserNames", frame(3, c(tchmi.SymListUserNames, nil, msg...)), ok)
	tr.send(ad, "ListUsers", frame(4, c(tchmi.SymListUsers, nil, msg...)), ok)
	tr.send(ad, "TcHmiUserManagement.ListUsers", frame(5, c(tchmi.SymUMListUsers, nil, msg...)), ok)
	e.enroll("bob", secretBob)
	tr.note("bob enrolled; policy set to all")
	e.setPolicy(auth.PolicyAll)
	tr.send(ad, "FORCE_2FA_INIT: bob has 2FA", frame(6, c(force("bob"), nil, msg...)), ok)
	tr.send(ad, "FORCE_2FA_INIT: carol has none and the policy requires it", frame(7, c(force("carol"), nil, msg...)), ok)
	tr.send(ad, "FORCE_2FA_INIT: writing true resets bob's 2FA", frame(8, c(force("bob"), true, both...)), ok)
	tr.send(ad, "FORCE_2FA_INIT: not a boolean", frame(9, c(force("bob"), "yes", msg...)), eField)
	tr.send(ad, "FORCE_2FA_INIT: no such user", frame(10, c(force("nobody"), nil, msg...)), eField)
	tr.send(ad, "FORCE_2FA_INIT of another domain: not mapped", frame(11, c("TcHmiSrv.Config::USERGROUPUSERS::Other::bob::USERGROUPUSERS_FORCE_2FA_INIT", nil, msg...)), eSymbol)
}

func subscription(e *env, tr *transcript) {
	e.enroll("bob", secretBob)
	bob := e.users["bob"]
	a := tchmi.NewSession(e.svc, remote)
	tr.send(a, "log in", frame(1, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.code(secretBob)})), ok)
	sub := `{"requestType":"Subscription","id":%d,"intervalTime":%s,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus","commandOptions":["SendErrorMessage"]},{"symbol":"GetCurrentUser","commandOptions":["SendErrorMessage"]}]}`
	tr.send(a, "subscribe: answered at once", fmt.Sprintf(sub, 2, "500"), ok, ok)
	started := a.TakeStarted()
	if len(started) != 1 || started[0].ID != "2" || started[0].Interval != 500*time.Millisecond {
		e.t.Fatalf("started %+v", started)
	}
	tr.tick(a, started[0], "a tick without a change sends nothing")
	e.setPolicy(auth.PolicyAll)
	tr.note("policy set to all through another front: bob's 2FA can no longer be turned off")
	tr.tick(a, started[0], "a tick after the change sends the new answer")
	tr.tick(a, started[0], "and then nothing again")
	tr.send(a, "the interval is clamped to 200 ms .. 1 h", fmt.Sprintf(sub, 3, "1"), ok, ok)
	if st := a.TakeStarted(); len(st) != 1 || st[0].Interval != tchmi.MinInterval {
		e.t.Fatalf("started %+v", st)
	}
	tr.send(a, "Unsubscribe", frame(4, c(tchmi.SymUnsubscribe, 3, msg...)), ok)
	tr.send(a, "Unsubscribe: no such subscription", frame(5, c(tchmi.SymUnsubscribe, 3, msg...)), eField)
	tr.send(a, "Unsubscribe: not an id", frame(6, c(tchmi.SymUnsubscribe, "x", msg...)), eField)
	tr.send(a, "a symbol that writes cannot be subscribed", `{"requestType":"Subscription","id":7,"commands":[{"symbol":"TcHmiUserManagement.Disable2FA"}]}`, eField)
	tr.send(a, "a subscription reads: no writeValue", `{"requestType":"Subscription","id":8,"commands":[{"symbol":"TcHmiUserManagement.Config::ENABLE_TWO_FACTOR_AUTHENTICATION","writeValue":0}]}`, eField)
	tr.send(a, "a Subscription needs an id", `{"requestType":"Subscription","commands":[{"symbol":"GetCurrentUser"}]}`, eField)
	tr.send(a, "intervalTime must be whole milliseconds", `{"requestType":"Subscription","id":9,"intervalTime":1.5,"commands":[{"symbol":"GetCurrentUser"}]}`, eField)
	for i := 0; i < tchmi.MaxSubscriptions-1; i++ {
		a.Handle(e.ctx, []byte(fmt.Sprintf(sub, 100+i, "1000")))
	}
	tr.note("%d more subscriptions", tchmi.MaxSubscriptions-1)
	tr.send(a, "too many subscriptions", fmt.Sprintf(sub, 200, "1000"), eTooLarge)
	tr.send(a, "logout", frame(10, c(tchmi.SymLogout, nil)), ok)
	tr.tick(a, started[0], "after logout the subscription answers 4101")
}
