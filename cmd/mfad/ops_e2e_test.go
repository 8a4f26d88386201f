package main_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// series is one scrape of /metrics: the value of every sample, keyed by
// its name and labels as the text format writes them.
type series map[string]float64

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$`)

func scrapeMetrics(t *testing.T, srv *e2e.Server) series {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	out := series{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			if name, ok := strings.CutPrefix(line, "# TYPE "); ok && !strings.HasPrefix(name, "mfad_") {
				t.Errorf("metric %s is not named mfad_...", strings.Fields(name)[0])
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable metrics line %q", line)
		}
		if !strings.HasPrefix(m[1], "mfad_") {
			t.Errorf("metric %s is not named mfad_...", m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[m[1]+m[2]] = v
	}
	return out
}

// sum adds the samples of name whose labels include every one of labels
// (`dialect="rest"`).
func (s series) sum(name string, labels ...string) float64 {
	total := 0.0
	for k, v := range s {
		n, l, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		ok := true
		for _, want := range labels {
			if !strings.Contains("{"+l, want) {
				ok = false
			}
		}
		if ok {
			total += v
		}
	}
	return total
}

// TestMetricsEndToEnd walks a user through enrollment, logins with right,
// wrong, replayed and scratch codes, a lockout, an expired ticket and a
// failed and an expired confirmation, then reads /metrics of the real server
// and checks that each counter moved by exactly what happened. The server
// logs JSON at debug level: every request line carries its request id, and
// no secret reaches the log or the database files.
func TestMetricsEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{Args: []string{"--log-format", "json", "--log-level", "debug"}})
	c := &client{t: t, srv: srv}
	c.remember(e2e.AdminPassword)
	before := scrapeMetrics(t, srv)

	logins := 0 // 200 answers of POST /v1/login
	login := func(name, pw string) map[string]any {
		logins++
		out := c.login(name, pw)
		c.remember(str(out, "ticket"), str(out, "access_token"), str(out, "refresh_token"))
		return out
	}
	admin := c.adminToken()
	logins++
	c.remember(admin)
	c.createUser(admin, "mia", "mia-password-1")
	tok := str(login("mia", "mia-password-1"), "access_token")
	key, scratch := c.enroll(tok) // an enrollment started and confirmed
	confirmCode := key.Code(srv.Now())

	second := func(ticket, code string, want int) {
		t.Helper()
		c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": code}, want)
	}
	ticket := str(login("mia", "mia-password-1"), "ticket")
	second(ticket, fmt.Sprintf("%06d", (atoi(confirmCode)+1)%1000000), 401) // invalid
	second(ticket, confirmCode, 401)                                        // replay: the confirming step is used
	second(ticket, c.nextCode(key), 200)                                    // ok
	second(str(login("mia", "mia-password-1"), "ticket"), scratch[0], 200)  // ok, a scratch code used
	ticket = str(login("mia", "mia-password-1"), "ticket")
	for i := range 5 { // five invalid, the fifth locks
		want := 401
		if i == 4 {
			want = 423
		}
		second(ticket, "000000", want)
	}
	second(str(login("mia", "mia-password-1"), "ticket"), key.Code(srv.Now()), 423) // refused while locked
	srv.Advance(time.Minute)                                                        // the lock is over
	ticket = str(login("mia", "mia-password-1"), "ticket")
	srv.Advance(6 * time.Minute)
	second(ticket, c.nextCode(key), 410) // the ticket expired

	// A second user: an enrollment started, confirmed with a wrong code,
	// then too late.
	c.createUser(admin, "noah", "noah-password-1")
	ntok := str(login("noah", "noah-password-1"), "access_token")
	prep := c.do("POST", "/v1/users/me/2fa/prepare", ntok, map[string]any{}, 200)
	c.remember(str(prep, "secret"), str(prep, "enrollment_token"))
	nkey, err := otp.ParseURI(str(prep, "otpauth_uri"))
	if err != nil {
		t.Fatal(err)
	}
	confirm := func(code string, want int) {
		c.do("POST", "/v1/users/me/2fa/confirm", ntok, map[string]any{"enrollment_token": str(prep, "enrollment_token"), "code": code}, want)
	}
	confirm(fmt.Sprintf("%06d", (atoi(nkey.Code(srv.Now()))+1)%1000000), 401)
	srv.Advance(11 * time.Minute)
	out := c.login("noah", "noah-password-1") // the access token expired? no: 1 h; but keep the session fresh
	logins++
	ntok = str(out, "access_token")
	c.remember(ntok, str(out, "refresh_token"))
	confirm(nkey.Code(srv.Now()), 410)

	// One request to each other front, and to the health endpoints.
	others := map[string]struct {
		method, path string
		body         string
	}{
		"web":       {"GET", "/ui/login", ""},
		"tchmi":     {"GET", "/", ""},
		"veeam":     {"POST", "/api/oauth2/token", "grant_type=password"},
		"cloudreve": {"POST", "/api/v4/session/token", "{}"},
		"zimbra":    {"POST", "/service/soap", "<soap:Envelope/>"},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	requestIDs := map[string]bool{}
	for _, o := range others {
		req, _ := http.NewRequest(o.method, srv.URL+o.path, strings.NewReader(o.body))
		if o.method == "POST" && o.path == "/api/oauth2/token" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		requestIDs[resp.Header.Get("X-Request-Id")] = true
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if st, h := srv.Do("GET", p, "", nil, nil); st != 200 {
			t.Fatalf("GET %s: %d", p, st)
		} else {
			requestIDs[h.Get("X-Request-Id")] = true
		}
	}

	after := scrapeMetrics(t, srv)
	delta := func(name string, labels ...string) float64 {
		return after.sum(name, labels...) - before.sum(name, labels...)
	}
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mfad_verifications_total", []string{`result="ok"`}, 2},
		{"mfad_verifications_total", []string{`result="invalid"`}, 6},
		{"mfad_verifications_total", []string{`result="replay"`}, 1},
		{"mfad_verifications_total", []string{`result="locked"`}, 1},
		{"mfad_verifications_total", []string{`result="expired"`}, 1},
		{"mfad_lockouts_total", nil, 1},
		{"mfad_enrollments_started_total", nil, 2},
		{"mfad_enrollments_confirmed_total", nil, 1},
		{"mfad_enrollment_confirm_failures_total", []string{`result="invalid"`}, 1},
		{"mfad_enrollment_confirm_failures_total", []string{`result="expired"`}, 1},
		{"mfad_scratch_codes_used_total", nil, 1},
		{"mfad_http_requests_total", []string{`dialect="rest"`, `route="POST /v1/login"`, `code="200"`}, float64(logins)},
		{"mfad_http_requests_total", []string{`route="POST /v1/login/second-factor"`, `code="200"`}, 2},
		{"mfad_http_requests_total", []string{`route="POST /v1/login/second-factor"`, `code="401"`}, 6},
		{"mfad_http_requests_total", []string{`route="POST /v1/login/second-factor"`, `code="423"`}, 2},
		{"mfad_http_requests_total", []string{`route="POST /v1/login/second-factor"`, `code="410"`}, 1},
		{"mfad_http_requests_total", []string{`route="POST /v1/users/{id}/2fa/confirm"`, `method="POST"`}, 3},
		{"mfad_http_request_duration_seconds_count", []string{`route="POST /v1/login/second-factor"`}, 11},
		{"mfad_http_requests_total", []string{`dialect="web"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="tchmi"`, `route="/{$}"`, `code="302"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="veeam"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="cloudreve"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="zimbra"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="ops"`, `route="GET /healthz"`, `code="200"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="ops"`, `route="GET /readyz"`, `code="200"`}, 1},
		{"mfad_http_requests_total", []string{`dialect="ops"`, `route="GET /metrics"`, `code="200"`}, 1}, // the first scrape
		{"mfad_http_request_duration_seconds_count", []string{`dialect="zimbra"`}, 1},
		{"mfad_http_requests_in_flight", nil, 0},
	} {
		if got := delta(w.name, w.labels...); got != w.want {
			t.Errorf("%s%v moved by %v, want %v", w.name, w.labels, got, w.want)
		}
	}
	if after.sum("mfad_build_info") != 1 || after.sum("mfad_go_goroutines") == 0 || after.sum("mfad_process_resident_memory_bytes") == 0 {
		t.Error("build info, Go and process metrics missing")
	}

	// The logs: JSON, one request line per request with its id.
	srv.Stop()
	seen := map[string]bool{}
	for line := range strings.Lines(srv.Logs()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if rec["msg"] == "request" {
			id, _ := rec["request_id"].(string)
			if len(id) != 16 || rec["route"] == nil || rec["status"] == nil {
				t.Errorf("request line without id, route or status: %q", line)
			}
			seen[id] = true
		}
	}
	for id := range requestIDs {
		if !seen[id] {
			t.Errorf("no request line with request_id %q", id)
		}
	}
	noSecretAtRest(t, c)
}

// opsCLI runs an mfad command on the server's data dir and returns its
// output and error.
func opsCLI(t *testing.T, srv *e2e.Server, stdin string, words int, args ...string) (string, string, error) {
	t.Helper()
	full := append(append(append([]string{}, args[:words]...), "--data-dir", srv.DataDir), args[words:]...)
	cmd := exec.Command(e2e.Binary(t), full...)
	cmd.Env = append(os.Environ(), srv.Env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mfad test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSEndToEnd(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	srv := e2e.Start(t, e2e.Options{Args: []string{"--tls-cert", certFile, "--tls-key", keyFile}})
	if !strings.Contains(srv.Logs(), "tls=true") {
		t.Fatalf("the listening line does not say TLS:\n%s", srv.Logs())
	}
	base := strings.Replace(srv.URL, "http://", "https://", 1)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("HTTPS /healthz: %d %+v", resp.StatusCode, resp.TLS)
	}
	body := strings.NewReader(`{"login":"admin","password":"` + e2e.AdminPassword + `"}`)
	resp, err = hc.Post(base+"/v1/login", "application/json", body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login over HTTPS: %v %v", resp, err)
	}
	resp.Body.Close()
	// TLS 1.1 and plain HTTP are refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(base + "/healthz"); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS port: %d", resp.StatusCode)
		}
	}

	// A key that does not match the certificate stops the start.
	_, otherKey, _ := selfSigned(t, t.TempDir())
	cmd := exec.Command(e2e.Binary(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--tls-cert", certFile, "--tls-key", otherKey)
	cmd.Env = append(os.Environ(), "MFAD_ADMIN_PASSWORD=x-password-123")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "TLS certificate") {
		t.Fatalf("serve with a mismatched key: %v\n%s", err, out)
	}
}

// TestTrustedProxiesEndToEnd: X-Forwarded-For is believed only from a
// trusted proxy; the audit log (read with mfad audit export) shows the
// address mfad decided on.
func TestTrustedProxiesEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1"},
		{[]string{"--trusted-proxies", "127.0.0.1/32,::1"}, "203.0.113.7"},
	} {
		srv := e2e.Start(t, e2e.Options{Args: tc.args})
		req, _ := http.NewRequest("POST", srv.URL+"/v1/login", strings.NewReader(`{"login":"admin","password":"wrong-password"}`))
		req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		out, errs, err := opsCLI(t, srv, "", 2, "audit", "export", "--since", "1h")
		if err != nil {
			t.Fatalf("audit export: %v %s", err, errs)
		}
		var found bool
		for line := range strings.Lines(out) {
			var ev struct {
				Action     string `json:"action"`
				RemoteAddr string `json:"remote_addr"`
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if ev.Action == "login.password" {
				found = true
				if ev.RemoteAddr != tc.want {
					t.Errorf("trusted proxies %v: audited address %q, want %q", tc.args, ev.RemoteAddr, tc.want)
				}
			}
		}
		if !found {
			t.Fatalf("no login.password event in:\n%s", out)
		}
	}
}

// TestBackupAndImportEndToEnd imports existing secrets into a running
// server, logs in with them, and backs the database up while it serves:
// the copy works with the same key, and holds no secret in the clear.
func TestBackupAndImportEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	c.remember(e2e.AdminPassword)
	srv.AddUser("olga", "olga-password-1", "--email", "olga@example.org")
	srv.AddUser("piet", "piet-password-1")
	c.remember("olga-password-1", "piet-password-1")
	olga, _ := otp.GenerateSecret(20)
	piet, _ := otp.GenerateSecret(32)
	c.remember(otp.EncodeSecret(olga), otp.EncodeSecret(piet))
	in := "otpauth://totp/Legacy:olga@example.org?secret=" + otp.EncodeSecret(olga) + "&issuer=Legacy\n" +
		"otpauth://totp/Legacy:piet?secret=" + otp.EncodeSecret(piet) + "&algorithm=SHA256&digits=8\n"
	out, errs, err := opsCLI(t, srv, in, 1, "import", "-")
	if err != nil || !strings.Contains(out, "imported 2 of 2") {
		t.Fatalf("import: %v\n%s\n%s", err, out, errs)
	}
	_, errs, err = opsCLI(t, srv, "user,secret\npiet,ABCDEFGHIJKLMNOP\n", 1, "import", "--format", "csv", "-")
	if err == nil || !strings.Contains(errs, "piet: not imported") {
		t.Fatalf("a second import over an enabled factor: %v %s", err, errs)
	}

	olgaKey := otp.Key{Secret: olga}
	pietKey := otp.Key{Secret: piet, Algorithm: otp.SHA256, Digits: 8}
	for name, key := range map[string]otp.Key{"olga": olgaKey, "piet": pietKey} {
		step := c.login(name, name+"-password-1")
		if str(step, "status") != "second_factor_required" {
			t.Fatalf("%s: %v", name, step)
		}
		c.remember(str(step, "ticket"))
		srv.Advance(30 * time.Second)
		out := c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": str(step, "ticket"), "code": key.Code(srv.Now())}, 200)
		c.remember(str(out, "access_token"), str(out, "refresh_token"))
	}

	file := filepath.Join(t.TempDir(), "backup.db")
	out, errs, err = opsCLI(t, srv, "", 1, "backup", file)
	if err != nil {
		t.Fatalf("backup while serving: %v %s", err, errs)
	}
	list, errs, err := opsCLI(t, srv, "", 2, "user", "list", "--db", file)
	if err != nil || !strings.Contains(list, "olga") || !strings.Contains(list, "piet") {
		t.Fatalf("the backup: %v\n%s\n%s", err, list, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range [][]byte{olga, piet, []byte(otp.EncodeSecret(olga)), []byte("olga-password-1")} {
		if bytes.Contains(b, s) {
			t.Fatal("the backup holds a secret in the clear")
		}
	}
	noSecretAtRest(t, c)
}

// TestPprofEndToEnd: profiles are off by default (the main listener has no
// /debug/pprof/ and no second listener starts); with --pprof-addr they are
// served on that listener only, never on the main one.
func TestPprofEndToEnd(t *testing.T) {
	const index = "Types of profiles available"
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	pprofLine := regexp.MustCompile(`msg="pprof listening" addr=(\S+)`)

	off := e2e.Start(t, e2e.Options{})
	if pprofLine.MatchString(off.Logs()) {
		t.Fatalf("default: a pprof listener started:\n%s", off.Logs())
	}
	if code, body := get(off.URL + "/debug/pprof/"); code == 200 || strings.Contains(body, index) {
		t.Fatalf("default: main listener serves /debug/pprof/: %d", code)
	}

	on := e2e.Start(t, e2e.Options{Env: []string{"MFAD_PPROF_ADDR=127.0.0.1:0"}})
	m := pprofLine.FindStringSubmatch(on.Logs())
	if m == nil {
		t.Fatalf("no pprof listening line:\n%s", on.Logs())
	}
	base := "http://" + m[1]
	if base == on.URL {
		t.Fatal("pprof shares the main listener")
	}
	if code, body := get(base + "/debug/pprof/"); code != 200 || !strings.Contains(body, index) {
		t.Fatalf("pprof index: %d %.200s", code, body)
	}
	if code, body := get(base + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile:") {
		t.Fatalf("goroutine profile: %d %.200s", code, body)
	}
	if code, body := get(on.URL + "/debug/pprof/"); code == 200 || strings.Contains(body, index) {
		t.Fatalf("main listener serves /debug/pprof/ too: %d", code)
	}
	if code, _ := get(base + "/healthz"); code != 404 {
		t.Fatalf("the pprof listener serves the API: /healthz %d", code)
	}
}
