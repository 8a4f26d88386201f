package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/web"
)

// chromium finds Debian's chromium (or another Chromium or Chrome).
func chromium() string {
	if p := os.Getenv("MFAD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// tab drives one headless browser tab against a real `mfad serve`.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	n     int
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](js))
}

// open navigates to a page of the server.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
	b.waitLoaded()
}

// submit runs an action that sends a form (a click, Enter in a field) and
// waits for the next page: the old document is marked, so a page with the
// same title still counts as new.
func (b *tab) submit(act chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.mfadOld = true`), act)
	b.waitLoaded()
}

func (b *tab) waitLoaded() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.mfadOld && document.readyState === "complete" && !!document.querySelector("h1")`))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatal("the next page did not load")
}

func (b *tab) title() string { return b.eval(`document.querySelector("h1").textContent`) }

func (b *tab) errorText() string {
	return b.eval(`(document.getElementById("error") || {textContent: ""}).textContent.trim()`)
}

func (b *tab) notice() string {
	return b.eval(`(document.getElementById("notice") || {textContent: ""}).textContent.trim()`)
}

func (b *tab) want(title string) {
	b.t.Helper()
	if got := b.title(); got != title {
		b.t.Fatalf("on page %q (error %q), want %q", got, b.errorText(), title)
	}
}

// typeIn types text into a field as a person does, key by key.
func (b *tab) typeIn(sel, text string) {
	b.t.Helper()
	b.do(chromedp.Focus(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// shot writes a full-page PNG of the current page at phone and desktop
// widths into artifacts/.
func (b *tab) shot(name string) {
	b.t.Helper()
	b.n++
	for _, vp := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait}},
		{"desktop", 1280, 800, nil},
	} {
		b.do(chromedp.EmulateViewport(vp.w, vp.h, vp.opts...))
		img := run(b, chromedp.FullScreenshot(100))
		path := filepath.Join(b.shots, fmt.Sprintf("web-%02d-%s-%s.png", b.n, name, vp.name))
		if err := os.WriteFile(path, img, 0o644); err != nil {
			b.t.Fatal(err)
		}
		// Nothing on the page may be wider than the screen.
		if w := run(b, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); w > vp.w {
			b.t.Errorf("%s at %s: the page is %d px wide", name, vp.name, w)
		}
	}
}

// login logs in with the password and lands on the security page, or on
// the code page when 2FA is on.
func (b *tab) login(name, password string) {
	b.t.Helper()
	b.open("/ui/login")
	b.want("Log in")
	b.typeIn("#login", name)
	// Enter in the password field sends the form: usable by keyboard.
	b.submit(chromedp.SendKeys(chromedp.CSS("#password"), password+"\n"))
}

func (b *tab) logout() {
	b.t.Helper()
	b.submit(chromedp.Click(chromedp.CSS(`form.logout button`)))
	b.want("Log in")
}

// code types a code on the code page and sends it.
func (b *tab) code(c string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS("#code")))
	b.typeIn("#code", c)
	b.submit(chromedp.SendKeys(chromedp.CSS("#code"), "\n"))
}

// enable turns 2FA on from the security page: it reads the secret from the
// page, checks that the QR code holds the same secret, and types the code.
// It returns the secret and the scratch codes.
func (b *tab) enable(srv *e2e.Server, shots bool) (string, []string) {
	b.t.Helper()
	b.want("Security")
	if shots {
		b.shot("security-off")
	}
	b.submit(chromedp.Click(chromedp.CSS(`#enable-form button`)))
	b.want("Turn on two-factor authentication")
	if shots {
		b.shot("turn-on")
	}
	shown := b.eval(`document.getElementById("secret").textContent`)
	secret, err := otp.DecodeSecret(shown)
	if err != nil {
		b.t.Fatalf("secret %q: %v", shown, err)
	}
	if len(secret) != 20 {
		b.t.Errorf("secret of %d bytes", len(secret))
	}
	// The QR code decodes to an otpauth URI of the same secret.
	src := b.eval(`document.getElementById("qr").src`)
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(src, prefix) {
		b.t.Fatalf("QR image src %.40q", src)
	}
	raw, err := base64.StdEncoding.DecodeString(src[len(prefix):])
	if err != nil {
		b.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		b.t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		// gozxing's finder-pattern search misses (or misplaces, failing the
		// checksum) about 1 code in 170 whose data happens to contain a
		// finder-like run (ZXing's own encoder's codes fail it as often):
		// read the image as the pure code it is, which still checks every
		// module and the error correction.
		res, err = zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{
			gozxing.DecodeHintType_PURE_BARCODE: true,
		})
	}
	if err != nil {
		b.t.Fatalf("the QR code does not scan: %v", err)
	}
	key, err := otp.ParseURI(res.GetText())
	if err != nil {
		b.t.Fatalf("QR code %q: %v", res.GetText(), err)
	}
	if !bytes.Equal(key.Secret, secret) || key.Issuer != "mfad" {
		b.t.Fatalf("the QR code holds another key than the page shows: %q", res.GetText())
	}
	// Beside the QR code, a link the phone's own authenticator app opens:
	// the same otpauth URI.
	if link := b.eval(`document.getElementById("phone-link").getAttribute("href")`); link != res.GetText() {
		b.t.Errorf("phone link %q, QR code %q", link, res.GetText())
	} else if lk, err := otp.ParseURI(link); err != nil || !bytes.Equal(lk.Secret, secret) {
		b.t.Errorf("phone link %q: %v", link, err)
	}
	// The code field is made for phones.
	attrs := run(b, chromedp.Attributes(chromedp.CSS("#code")))
	if attrs["inputmode"] != "numeric" || attrs["autocomplete"] != "one-time-code" {
		b.t.Errorf("code field %v", attrs)
	}
	if run(b, chromedp.Evaluate[string](`document.querySelector('label[for="code"]').textContent`)) == "" {
		b.t.Error("code field without a label")
	}
	b.code(otp.Key{Secret: secret}.Code(srv.Now()))
	b.want("Save your scratch codes")
	codes := run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#scratch-codes code"), c => c.textContent)`))
	if len(codes) != 10 {
		b.t.Fatalf("%d scratch codes", len(codes))
	}
	return shown, codes
}

// browserContext starts a headless Chromium at path for t's lifetime.
func browserContext(t *testing.T, path string) context.Context {
	t.Helper()
	profile := t.TempDir()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
	)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

func TestBrowser(t *testing.T) {
	path := chromium()
	if testing.Short() && os.Getenv("MFAD_REQUIRE_BROWSER") != "1" {
		t.Skip("a browser test; skipped with -short")
	}
	if path == "" {
		if os.Getenv("MFAD_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium found, and MFAD_REQUIRE_BROWSER=1")
		}
		t.Skip("no chromium found (set MFAD_REQUIRE_BROWSER=1 to make this a failure)")
	}
	shots, err := filepath.Abs(filepath.Join("..", "artifacts"))
	if dir := os.Getenv("MFAD_SCREENSHOTS"); dir != "" {
		shots = dir
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	srv := e2e.Start(t, e2e.Options{})
	const alicePW, bobPW = "alice-password-1", "bob-password-1"
	srv.AddUser("alice", alicePW, "--email", "alice@example.test")
	srv.AddUser("bob", bobPW, "--email", "bob@example.test")

	ctx := browserContext(t, path)
	b := &tab{t: t, ctx: ctx, base: srv.URL, shots: shots}
	origin := srv.URL
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Logf("granting %s: %v", perm, err)
		}
	}

	// Alice logs in and turns 2FA on.
	b.open("/ui/")
	b.want("Log in")
	b.shot("login")
	b.login("alice", alicePW)
	secret, codes := b.enable(srv, true)
	b.shot("scratch-codes")
	// Download as .txt: a data: link built by the script.
	href := b.eval(`document.getElementById("download-codes").href`)
	txt, err := url.PathUnescape(strings.TrimPrefix(href, "data:text/plain;charset=utf-8,"))
	if !strings.HasPrefix(href, "data:text/plain") || err != nil || !strings.Contains(txt, strings.Join(codes, "\n")) {
		t.Errorf("download link %.60q", href)
	}
	if b.eval(`String(document.getElementById("download-codes").hidden)`) != "false" {
		t.Error("the download link stays hidden")
	}
	// Copy: the clipboard gets the codes.
	b.do(chromedp.Click(chromedp.CSS("#copy-codes")))
	deadline := time.Now().Add(5 * time.Second)
	for b.eval(`document.getElementById("codes-status").textContent`) == "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := b.eval(`document.getElementById("codes-status").textContent`); st != "Copied 10 codes to the clipboard." {
		t.Errorf("after Copy: %q", st)
	} else if clip := run(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); clip != strings.Join(codes, "\n")+"\n" {
		t.Errorf("clipboard %q", clip)
	}
	b.submit(chromedp.Click(chromedp.CSS("#done")))
	b.want("Security")
	if st := b.eval(`document.getElementById("tfa-state").textContent`); !strings.HasPrefix(st, "On since") {
		t.Errorf("status %q", st)
	}
	b.shot("security-on")

	// The scratch codes are not in the page any more, and the browser keeps
	// no copy: going back does not show them.
	b.logout()
	b.shot("logged-out")

	// Log in with a code: a fresh one, 30 s later.
	b.login("alice", alicePW)
	b.want("Enter your code")
	attrs := run(b, chromedp.Attributes(chromedp.CSS("#code")))
	if attrs["inputmode"] != "numeric" || attrs["autocomplete"] != "one-time-code" {
		t.Errorf("login code field %v", attrs)
	}
	b.shot("code")
	srv.Advance(30 * time.Second)
	key, err := otp.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	fresh := otp.Key{Secret: key}.Code(srv.Now())
	b.code(fresh)
	b.want("Security")

	// New scratch codes, by POST-redirect-GET: the page that shows them is
	// a GET, and reloading it shows them no more and makes none.
	srv.Advance(30 * time.Second)
	b.typeIn("#scratch-code", otp.Key{Secret: key}.Code(srv.Now()))
	b.submit(chromedp.Click(chromedp.CSS("#scratch-form button")))
	b.want("Save your new scratch codes")
	if loc := b.eval(`location.pathname + location.search`); loc != "/ui/security/codes?kind=new" {
		t.Errorf("new scratch codes shown at %q, want a GET of /ui/security/codes", loc)
	}
	newCodes := run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#scratch-codes code"), c => c.textContent)`))
	if len(newCodes) != 10 {
		t.Fatalf("%d new scratch codes", len(newCodes))
	}
	b.shot("new-scratch-codes")
	b.submit(chromedp.Reload())
	b.want("Security")
	if n := b.notice(); !strings.Contains(n, "shown only once") {
		t.Errorf("after reloading the codes page: notice %q, error %q", n, b.errorText())
	}
	if st := b.eval(`document.getElementById("scratch-left").textContent`); st != "10 unused scratch codes left." {
		t.Errorf("after reloading: %q", st)
	}
	b.shot("codes-reloaded")
	codes = newCodes

	// A wrong code when turning 2FA off: the error stands in the form,
	// next to the field, not at the top of the page.
	b.typeIn("#off-password", alicePW)
	b.typeIn("#off-code", otpWrong(t, secret, srv.Now()))
	b.submit(chromedp.Click(chromedp.CSS("#disable-form button")))
	b.want("Security")
	if msg := b.eval(`(document.querySelector("#disable-form #error") || {textContent: ""}).textContent.trim()`); msg != web.MsgWrongCode {
		t.Errorf("disable error in the form: %q (anywhere: %q)", msg, b.errorText())
	}
	b.shot("disable-wrong-code")
	b.logout()

	// A wrong code, then the replayed code: the same message.
	b.login("alice", alicePW)
	b.want("Enter your code")
	wrong := otpWrong(t, secret, srv.Now())
	b.code(wrong)
	b.want("Enter your code")
	wrongMsg := b.errorText()
	if wrongMsg != web.MsgWrongCode {
		t.Errorf("wrong code: %q", wrongMsg)
	}
	b.shot("wrong-code")
	b.code(fresh)
	b.want("Enter your code")
	if msg := b.errorText(); msg != wrongMsg {
		t.Errorf("replayed code: %q, wrong code: %q", msg, wrongMsg)
	}
	b.shot("replayed-code")

	// A scratch code works instead.
	b.code(codes[4])
	b.want("Security")
	if st := b.eval(`document.getElementById("scratch-left").textContent`); st != "9 unused scratch codes left." {
		t.Errorf("after a scratch code: %q", st)
	}

	// Turn 2FA off with the password and a code.
	srv.Advance(30 * time.Second)
	b.typeIn("#off-password", alicePW)
	b.typeIn("#off-code", otp.Key{Secret: key}.Code(srv.Now()))
	b.submit(chromedp.Click(chromedp.CSS("#disable-form button")))
	b.want("Security")
	if n := b.notice(); !strings.HasPrefix(n, "Two-factor authentication is off") {
		t.Errorf("after turning off: notice %q, error %q", n, b.errorText())
	}
	if st := b.eval(`document.getElementById("tfa-state").textContent`); !strings.HasPrefix(st, "Off") {
		t.Errorf("status %q", st)
	}
	b.shot("turned-off")
	b.logout()

	// Bob turns 2FA on, then locks himself out with wrong codes.
	b.login("bob", bobPW)
	bobSecret, _ := b.enable(srv, false)
	b.submit(chromedp.Click(chromedp.CSS("#done")))
	b.logout()
	b.login("bob", bobPW)
	for i := 0; i < 5; i++ {
		b.code(otpWrong(t, bobSecret, srv.Now()))
	}
	if msg := b.errorText(); !strings.HasPrefix(msg, "Too many wrong codes: your second factor is locked for now. Try again in 30 seconds, at ") {
		t.Errorf("lockout: %q", msg)
	}
	// The time is shown in the browser's zone, with the UTC one as tooltip.
	if at := b.eval(`(document.querySelector("#error time[datetime]") || {title: ""}).title`); !strings.HasSuffix(at, " UTC") {
		t.Errorf("lockout time %q: no <time> with the UTC time", at)
	}
	b.shot("locked")
	// The sixth code: the login ticket died with the lockout, and the page
	// says that the factor is locked and until when, not that the login
	// expired.
	b.code(otpWrong(t, bobSecret, srv.Now()))
	b.want("Log in")
	if msg := b.errorText(); !strings.HasPrefix(msg, "Too many wrong codes: your second factor is locked for now. Try again in ") {
		t.Errorf("sixth code after the lockout: %q", msg)
	}
	b.shot("locked-sixth-code")

	// The admin unlocks Bob and resets his 2FA.
	b.login("admin", e2e.AdminPassword)
	b.want("Security")
	b.submit(chromedp.Click(chromedp.CSS(`nav a[href="/ui/admin"]`)))
	b.want("Administration")
	row := `document.querySelector('tr[data-user="bob"]').textContent`
	if r := b.eval(row); !strings.Contains(r, "On") || !strings.Contains(r, "Locked") {
		t.Errorf("bob's row: %q", r)
	}
	b.shot("admin")
	b.submit(chromedp.Click(chromedp.CSS(`tr[data-user="bob"] form[action="/ui/admin/unlock"] button`)))
	b.want("Administration")
	if r := b.eval(row); strings.Contains(r, "Locked") {
		t.Errorf("bob still locked: %q", r)
	}
	b.submit(chromedp.Click(chromedp.CSS(`tr[data-user="bob"] form[action="/ui/admin/reset"] button`)))
	b.want("Reset two-factor authentication")
	b.shot("reset-confirm")
	b.submit(chromedp.Click(chromedp.CSS(`#reset-form button[type=submit]`)))
	b.want("Administration")
	if n := b.notice(); !strings.Contains(n, "was reset") {
		t.Errorf("after the reset: %q (error %q)", n, b.errorText())
	}
	if r := b.eval(row); !strings.Contains(r, "Off") {
		t.Errorf("bob's row after the reset: %q", r)
	}
	b.shot("admin-reset")
	b.logout()

	// Bob logs in with his password alone.
	b.login("bob", bobPW)
	b.want("Security")
	if st := b.eval(`document.getElementById("tfa-state").textContent`); !strings.HasPrefix(st, "Off") {
		t.Errorf("bob after the reset: %q", st)
	}
	// Bob is no admin: no link, and the core refuses the page.
	if b.eval(`String(!!document.querySelector('nav a[href="/ui/admin"]'))`) != "false" {
		t.Error("admin link shown to bob")
	}
	b.open("/ui/admin")
	if msg := b.errorText(); msg != "You are not allowed to do this: administrators only." {
		t.Errorf("admin page for bob: %q", msg)
	}
	b.shot("forbidden")

	// Nothing secret reached the server's log.
	logs := srv.Logs()
	for _, s := range append([]string{strings.ReplaceAll(secret, " ", "")}, codes...) {
		if strings.Contains(logs, s) {
			t.Errorf("the server log holds a secret or code")
		}
	}
	t.Logf("screenshots in %s", shots)
}
