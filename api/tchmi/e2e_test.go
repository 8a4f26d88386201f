package tchmi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// hmi is a TcHmi client of a real `mfad serve`: one WebSocket, speaking
// only the TwinCAT dialect. It remembers every secret it saw, so the test
// can check that none reached the server's log.
type hmi struct {
	t       *testing.T
	srv     *e2e.Server
	ws      *websocket.Conn
	id      int
	secrets *[]string
}

func connect(t *testing.T, srv *e2e.Server, secrets *[]string, header http.Header) *hmi {
	t.Helper()
	ws, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/", &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &hmi{t: t, srv: srv, ws: ws, secrets: secrets}
}

// call sends one command with SendErrorMessage and SendWriteValue, checks
// its error code (0: success) and returns its readValue.
func (h *hmi) call(symbol string, writeValue any, want int) any {
	h.t.Helper()
	h.id++
	req := frame(h.id, c(symbol, writeValue, both...))
	ctx := context.Background()
	if err := h.ws.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
		h.t.Fatalf("%s: write: %v", symbol, err)
	}
	_, b, err := h.ws.Read(ctx)
	if err != nil {
		h.t.Fatalf("%s: read: %v", symbol, err)
	}
	var a struct {
		ID       int `json:"id"`
		Commands []struct {
			Symbol     string          `json:"symbol"`
			WriteValue json.RawMessage `json:"writeValue"`
			ReadValue  any             `json:"readValue"`
			Error      *tchmi.Error    `json:"error"`
		} `json:"commands"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.ID != h.id || len(a.Commands) != 1 || a.Commands[0].Symbol != symbol {
		h.t.Fatalf("%s: answer %s (%v)", symbol, b, err)
	}
	r := a.Commands[0]
	got := 0
	if r.Error != nil {
		got = r.Error.Code
	}
	if got != want {
		h.t.Fatalf("%s: code %#x, want %#x: %s", symbol, got, want, b)
	}
	for _, s := range *h.secrets {
		if s != "" && strings.Contains(string(r.WriteValue), s) {
			h.t.Fatalf("%s: the echoed writeValue shows a secret: %s", symbol, r.WriteValue)
		}
	}
	return r.ReadValue
}

func (h *hmi) login(name, password, code string, want int) {
	h.t.Helper()
	wv := obj{"userName": name, "password": password}
	if code != "" {
		wv["twoFactorToken"] = code
	}
	if sid, ok := h.call(tchmi.SymLogin, wv, want).(string); ok {
		*h.secrets = append(*h.secrets, sid)
	}
}

func (h *hmi) status(want int) {
	h.t.Helper()
	if v, _ := h.call(tchmi.SymGet2FAStatus, nil, ok).(float64); int(v) != want {
		h.t.Fatalf("Get2FAStatus %v, want %d", v, want)
	}
}

// next moves the server's clock to the next TOTP step and returns the code.
// Codes are not remembered as secrets: six digits turn up in any log.
func next(srv *e2e.Server, key otp.Key) string {
	srv.Advance(30 * time.Second)
	return key.Code(srv.Now())
}

// clientSecret makes a secret as a TcHmi client does: its own, in base32.
func clientSecret(t *testing.T) (string, otp.Key) {
	t.Helper()
	b, err := otp.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	return otp.EncodeSecret(b), otp.Key{Secret: b}
}

func checkLogs(t *testing.T, srv *e2e.Server, secrets []string) {
	t.Helper()
	logs := srv.Logs()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret, password or session id reached the log")
		}
	}
}

// TestEndToEnd walks the whole lifecycle through the TwinCAT dialect alone,
// over real WebSockets, against a real `mfad serve` process.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	const alicePw, bobPw = "alice-password-e2e", "bob-password-e2e"
	srv.AddUser("alice", alicePw, "--email", "alice@example.org", "--id", "1001")
	srv.AddUser("bob", bobPw, "--email", "bob@example.org", "--id", "1002")
	secrets := []string{alicePw, bobPw, e2e.AdminPassword}
	a := connect(t, srv, &secrets, nil)

	// Log in; 2FA can be enabled; enable it with a secret the client made.
	a.login("alice", alicePw, "", ok)
	a.status(tchmi.Status2FACanBeEnabled)
	secret, key := clientSecret(t)
	secrets = append(secrets, secret)
	if v := a.call(tchmi.SymEnable2FA, obj{"password": alicePw, "secret": secret, "twoFactorToken": key.Code(srv.Now())}, ok); v != true {
		t.Fatalf("Enable2FA = %v", v)
	}
	a.status(tchmi.Status2FACanBeDisabled)
	a.call(tchmi.SymLogout, nil, ok)
	a.call(tchmi.SymGet2FAStatus, nil, eAccess)

	// Log in again: without a code refused, so the client asks for one.
	a.login("alice", alicePw, "", eNeed)
	code := next(srv, key)
	a.login("alice", alicePw, code, ok)
	replay := connect(t, srv, &secrets, nil)
	replay.login("alice", alicePw, code, eToken)

	// A malformed frame gets an error frame; the connection stays up.
	if err := a.ws.Write(context.Background(), websocket.MessageText, []byte(`{"requestType":"ReadWrite",`)); err != nil {
		t.Fatal(err)
	}
	if _, b, err := a.ws.Read(context.Background()); err != nil || !strings.Contains(string(b), `"code":263`) {
		t.Fatalf("malformed frame: %s %v", b, err)
	}
	a.status(tchmi.Status2FACanBeDisabled)

	// Change the password with a code, then disable 2FA.
	const alicePw2 = "alice-password-e2e-2"
	secrets = append(secrets, alicePw2)
	a.call(tchmi.SymChangePassword, obj{"currentPassword": alicePw, "newPassword": alicePw2, "twoFactorToken": next(srv, key)}, ok)
	a.call(tchmi.SymDisable2FA, obj{"password": alicePw, "twoFactorToken": next(srv, key)}, eCreds)
	if v := a.call(tchmi.SymDisable2FA, obj{"password": alicePw2, "twoFactorToken": next(srv, key)}, ok); v != true {
		t.Fatalf("Disable2FA = %v", v)
	}
	a.status(tchmi.Status2FACanBeEnabled)
	connect(t, srv, &secrets, nil).login("alice", alicePw2, "", ok)

	// bob turns 2FA on; a user may not reset it, an admin may.
	b := connect(t, srv, &secrets, nil)
	b.login("bob", bobPw, "", ok)
	bobSecret, bobKey := clientSecret(t)
	secrets = append(secrets, bobSecret)
	b.call(tchmi.SymEnable2FA, obj{"password": bobPw, "secret": bobSecret, "twoFactorToken": bobKey.Code(srv.Now())}, ok)
	a.call(tchmi.SymReset2FA, "bob", eAccess) // alice may not reset anyone
	admin := connect(t, srv, &secrets, nil)
	admin.login("admin", e2e.AdminPassword, "", ok)
	if v := admin.call(tchmi.SymReset2FA, "bob", ok); v != true {
		t.Fatalf("Reset2FA = %v", v)
	}
	b.call(tchmi.SymGet2FAStatus, nil, eAccess) // the reset ended bob's session

	// Policy 1 (always): bob, now without 2FA, must enroll at his next login.
	a.call(tchmi.SymConfig2FA, 1, eAccess)
	if v, _ := admin.call(tchmi.SymConfig2FA, 1, ok).(float64); v != tchmi.PolicyAlwaysOn {
		t.Fatalf("ENABLE_TWO_FACTOR_AUTHENTICATION = %v", v)
	}
	b.login("bob", bobPw, "", ok)
	b.status(tchmi.Status2FACanBeEnabled)
	b.call(tchmi.SymChangePassword, obj{"currentPassword": bobPw, "newPassword": "bob-password-e2e-2"}, eSetup)
	bobSecret, bobKey = clientSecret(t)
	secrets = append(secrets, bobSecret)
	b.call(tchmi.SymEnable2FA, obj{"password": bobPw, "secret": bobSecret, "twoFactorToken": bobKey.Code(srv.Now())}, ok)
	b.status(tchmi.Status2FAEnabled)
	b.call(tchmi.SymDisable2FA, obj{"password": bobPw, "twoFactorToken": next(srv, bobKey)}, eAccess) // required by policy
	connect(t, srv, &secrets, nil).login("bob", bobPw, "", eNeed)

	// An oversized frame closes that connection only.
	big := connect(t, srv, &secrets, nil)
	if err := big.ws.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat(" ", 65<<10))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := big.ws.Read(context.Background()); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v", err)
	}
	b.status(tchmi.Status2FAEnabled)
	if status, _ := srv.Do("GET", "/healthz", "", nil, nil); status != http.StatusOK {
		t.Fatalf("healthz: %d", status)
	}
	checkLogs(t, srv, secrets)
}

// TestEndToEndRemotePolicy checks the remote-only policy (2) with the
// client address behind a trusted proxy: a remote client is asked for the
// code, a local one is not (status 4).
func TestEndToEndRemotePolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--trusted-proxies", "127.0.0.1/32"}})
	const carolPw, davePw = "carol-password-e2e", "dave-password-e2e"
	srv.AddUser("carol", carolPw, "--email", "carol@example.org", "--id", "1003")
	srv.AddUser("dave", davePw, "--email", "dave@example.org", "--id", "1004")
	secrets := []string{carolPw, davePw, e2e.AdminPassword}
	remote := http.Header{}
	remote.Set("X-Forwarded-For", "203.0.113.7")

	admin := connect(t, srv, &secrets, nil)
	admin.login("admin", e2e.AdminPassword, "", ok)
	admin.call(tchmi.SymConfig2FA, 2, ok)

	local := connect(t, srv, &secrets, nil)
	local.login("carol", carolPw, "", ok) // local, no 2FA: a full session
	secret, key := clientSecret(t)
	secrets = append(secrets, secret)
	local.call(tchmi.SymEnable2FA, obj{"password": carolPw, "secret": secret, "twoFactorToken": key.Code(srv.Now())}, ok)
	local.status(tchmi.Status2FANotRequired)
	connect(t, srv, &secrets, nil).login("carol", carolPw, "", ok) // not asked locally

	r := connect(t, srv, &secrets, remote)
	r.login("carol", carolPw, "", eNeed)
	r.login("carol", carolPw, next(srv, key), ok)
	r.status(tchmi.Status2FAEnabled)
	r.call(tchmi.SymDisable2FA, obj{"password": carolPw, "twoFactorToken": next(srv, key)}, eAccess)

	// A remote user without 2FA must set it up; a local one need not.
	d := connect(t, srv, &secrets, remote)
	d.login("dave", davePw, "", ok)
	d.call(tchmi.SymChangePassword, obj{"currentPassword": davePw, "newPassword": "dave-password-e2e-2"}, eSetup)
	d.status(tchmi.Status2FACanBeEnabled)
	dl := connect(t, srv, &secrets, nil)
	dl.login("dave", davePw, "", ok)
	if v, _ := dl.call(tchmi.SymConfig2FA, nil, ok).(float64); v != tchmi.PolicyRemoteOnly {
		t.Fatalf("ENABLE_TWO_FACTOR_AUTHENTICATION = %v", v)
	}
	checkLogs(t, srv, secrets)
}

// TestEndToEndHostCheck: issue 14 item 7 against a real `mfad serve`. A
// page of rebind.evil (a name made to resolve to mfad) is same-origin with
// the Host it addresses; only the server's public hosts (--public-hosts),
// IP addresses and localhost are served to browser pages, and pages of
// other origins only when --tchmi-origins names them.
func TestEndToEndHostCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Env: []string{"MFAD_PUBLIC_HOSTS=mfad.example", "MFAD_TCHMI_ORIGINS=https://hmi.example"}})
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, tt := range []struct {
		host, origin string
		want         int
	}{
		{"rebind.evil", "http://rebind.evil", 403},
		{"mfad.example", "http://mfad.example", 101},
		{"mfad.example", "https://hmi.example", 101},
		{"mfad.example", "https://evil.example", 403},
		{addr, "http://" + addr, 101},
		{"rebind.evil", "", 101}, // not a browser
	} {
		if got := upgradeStatus(t, addr, tt.host, tt.origin); got != tt.want {
			t.Errorf("Host %s, Origin %s: %d, want %d", tt.host, tt.origin, got, tt.want)
		}
	}
}
