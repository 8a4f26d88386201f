package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// EmailKinds are the notifications a user gets by email: those she must
// know of (docs/notifications.md).
// Enabling 2FA, new scratch codes and a new app password are among them:
// with a stolen session and a recent second factor, they are how an
// attacker stays in (issue 26).
var EmailKinds = []string{mfad.NotifyEnabled, mfad.NotifyReplay, mfad.NotifyLocked, mfad.NotifyHardLocked, mfad.NotifyDisabled,
	mfad.NotifyReset, mfad.NotifyRegenerated, mfad.NotifyScratchUsed, mfad.NotifyTrusted, mfad.NotifyAppPassword, mfad.NotifyPasswordSet}

// TLS modes of a Mailer.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must be offered
	SMTPTLS      = "tls"      // implicit TLS (port 465)
	SMTPPlain    = "none"     // no TLS: a relay on this machine only
)

// Mailer sends notifications to their user's address over SMTP.
type Mailer struct {
	Addr      string // host:port
	From      string
	User      string // "": no AUTH
	Password  string
	TLS       string      // SMTPStartTLS (default), SMTPTLS or SMTPPlain
	TLSConfig *tls.Config // nil: verify the server's certificate for Addr's host
	Timeout   time.Duration
}

// Send mails n to u; a user without an address (or deleted), or with
// an address that is not exactly one (a row from before the core refused
// such), is a permanent failure: one notice, one recipient.
func (m *Mailer) Send(ctx context.Context, n mfad.Notification, u *mfad.User) error {
	if u == nil || u.Email == "" {
		return Permanent(errors.New("user has no email address"))
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Name != "" || a.Address != u.Email {
		return Permanent(errors.New("the user's email is not one address"))
	}
	msg, err := Message(m.From, u, n)
	if err != nil {
		return Permanent(err)
	}
	return m.deliver(ctx, u.Email, msg)
}

func (m *Mailer) deliver(ctx context.Context, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return Permanent(err)
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg := m.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if m.TLS == SMTPTLS {
		conn = tls.Client(conn, cfg)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if m.TLS == "" || m.TLS == SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("smtp server offers no STARTTLS")
		}
		if err := c.StartTLS(cfg); err != nil {
			return err
		}
	}
	if m.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.From); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// texts are the subject and first line of each email kind.
var texts = map[string][2]string{
	mfad.NotifyReplay:      {"A used sign-in code was tried again", "Someone entered a code from your authenticator that had already been used. If it was not you, someone may have seen your code and knows your password: change your password."},
	mfad.NotifyLocked:      {"Your second factor is locked for a while", "Too many wrong codes were entered for your account, so codes are refused for a while. If it was not you, change your password."},
	mfad.NotifyHardLocked:  {"Your second factor is locked", "Too many wrong codes were entered for your account. An administrator must unlock it. If it was not you, change your password."},
	mfad.NotifyDisabled:    {"Two-factor authentication was turned off", "Two-factor authentication was turned off for your account. If it was not you, contact your administrator at once."},
	mfad.NotifyReset:       {"Two-factor authentication was reset", "An administrator removed the second factor of your account."},
	mfad.NotifyScratchUsed: {"A scratch code was used", "One of your scratch codes was used to sign in."},
	mfad.NotifyTrusted:     {"A new trusted device", "A device was registered as trusted: it signs in without a code for a while."},
	mfad.NotifyPasswordSet: {"Your password was changed", "The password of your account was changed. If it was not you, contact your administrator at once."},
	mfad.NotifyEnabled:     {"Two-factor authentication was turned on", "Two-factor authentication was turned on for your account with a new authenticator. If it was not you, someone else's authenticator now signs in as you: contact your administrator at once."},
	mfad.NotifyRegenerated: {"New scratch codes were made", "New scratch codes were made for your account; the old ones no longer work. If it was not you, contact your administrator at once."},
	mfad.NotifyAppPassword: {"A new app password", "An app password was created for your account: it signs in without a code. If it was not you, revoke it and contact your administrator at once."},
}

var htmlBody = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body><p>Hello {{.Name}},</p><p>{{.Text}}</p>
<p>Time: {{.Time}}<br>From: {{.Addr}} ({{.Dialect}}){{if .Detail}}<br>{{.Detail}}{{end}}</p></body></html>
`))

// oneLine keeps a user-given name to one line of the mail.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// Message is the email of n to u: plain text with a short HTML
// alternative (multipart/alternative). It holds no code or secret.
func Message(from string, u *mfad.User, n mfad.Notification) ([]byte, error) {
	t, ok := texts[n.Kind]
	if !ok {
		return nil, fmt.Errorf("no email for %q", n.Kind)
	}
	detail := ""
	switch n.Kind {
	case mfad.NotifyScratchUsed:
		detail = strings.Replace(n.Detail, "remaining=", "Scratch codes left: ", 1)
	case mfad.NotifyDisabled, mfad.NotifyEnabled:
		if n.Detail != "" {
			detail = "How: " + n.Detail
		}
	case mfad.NotifyAppPassword:
		detail = "Name: " + oneLine(n.Detail)
	}
	when := n.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	plain := fmt.Sprintf("Hello %s,\r\n\r\n%s\r\n\r\nTime: %s\r\nFrom: %s (%s)\r\n", u.Name, t[1], when, n.RemoteAddr, n.Dialect)
	if detail != "" {
		plain += detail + "\r\n"
	}
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, map[string]string{"Name": u.Name, "Text": t[1], "Time": when,
		"Addr": n.RemoteAddr, "Dialect": n.Dialect, "Detail": detail}); err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	boundary := "mfad-" + hex.EncodeToString(b)
	var m bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&m, "%s: %s\r\n", k, v) }
	header("From", from)
	header("To", u.Email)
	header("Subject", t[0])
	header("Date", n.Time.UTC().Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<mfad-%d-%s@mfad>", n.ID, hex.EncodeToString(b[:4])))
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	m.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", plain}, {"text/html", html.String()}} {
		fmt.Fprintf(&m, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.typ)
		qp := quotedprintable.NewWriter(&m)
		_, _ = qp.Write([]byte(part.body))
		_ = qp.Close()
		m.WriteString("\r\n")
	}
	fmt.Fprintf(&m, "--%s--\r\n", boundary)
	return m.Bytes(), nil
}
