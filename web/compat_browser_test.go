package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/web"
)

// TestBrowserAppIgnoredSettings: on a server that lets users choose
// SHA-256, Alice chooses it on the page; her app ignores it and shows a
// SHA-1 code, which the page refuses with the message that says so (not
// "wrong code"); the SHA-256 code then turns 2FA on.
func TestBrowserAppIgnoredSettings(t *testing.T) {
	path := chromium()
	if path == "" {
		if os.Getenv("MFAD_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium found, and MFAD_REQUIRE_BROWSER=1")
		}
		t.Skip("no chromium found (set MFAD_REQUIRE_BROWSER=1 to make this a failure)")
	}
	if testing.Short() && os.Getenv("MFAD_REQUIRE_BROWSER") != "1" {
		t.Skip("a browser test; skipped with -short")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--allowed-algorithms", "SHA1,SHA256", "--allowed-digits", "6,8"}})
	srv.AddUser("alice", "alice-password-1")
	b := &tab{t: t, ctx: browserContext(t, path), base: srv.URL, shots: t.TempDir()}
	b.login("alice", "alice-password-1")
	b.want("Security")
	b.do(chromedp.SetValue(chromedp.CSS("#algorithm"), "SHA256"))
	b.submit(chromedp.Click(chromedp.CSS(`#enable-form button`)))
	b.want("Turn on two-factor authentication")
	if s := b.eval(`document.getElementById("otp-settings").textContent`); !strings.Contains(s, "SHA256") {
		t.Errorf("the page does not say the app must use SHA-256: %q", s)
	}
	secret, err := otp.DecodeSecret(b.eval(`document.getElementById("secret").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	key, err := otp.ParseURI(b.eval(`document.getElementById("phone-link").getAttribute("href")`))
	if err != nil || key.Algorithm != otp.SHA256 {
		t.Fatalf("the link's key: %v %v", key.Algorithm, err)
	}
	app := otp.Key{Secret: secret} // an app that ignored algorithm=SHA256
	b.code(app.Code(srv.Now()))
	b.want("Turn on two-factor authentication")
	if got := b.errorText(); got != web.MsgAppIgnored {
		t.Fatalf("error %q, want %q", got, web.MsgAppIgnored)
	}
	app.Algorithm = otp.SHA256
	b.code(app.Code(srv.Now()))
	b.want("Save your scratch codes")
	if out := srv.CLI("", "audit", "export", "--user", "alice"); !strings.Contains(out, "app_ignored_settings") {
		t.Errorf("audit without the refusal:\n%s", out)
	}
}
