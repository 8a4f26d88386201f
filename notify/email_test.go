package notify_test

import (
	"crypto/tls"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/internal/smtptest"
	"github.com/mfad/mfad/notify"
)

// testTLS returns a server certificate for 127.0.0.1 and a client config
// that trusts it (httptest's).
func testTLS(t *testing.T) (server, client *tls.Config) {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	roots := hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return hs.TLS, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
}

func TestEmailDelivery(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	tests := []struct {
		name     string
		tlsMode  string
		offerTLS bool
		user     string
		state    string
		mails    int
	}{
		{"STARTTLS and AUTH", notify.SMTPStartTLS, true, "mfad", mfad.NotifySent, 1},
		{"no STARTTLS offered: not sent in clear", notify.SMTPStartTLS, false, "", mfad.NotifyPending, 0},
		{"a local relay without TLS", notify.SMTPPlain, false, "", mfad.NotifySent, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offered *tls.Config
			if tt.offerTLS {
				offered = serverTLS
			}
			srv := smtptest.Start(t, offered, tt.user, "smtp-pw")
			m := &notify.Mailer{Addr: srv.Addr, From: "mfad@example.test", User: tt.user, Password: "smtp-pw",
				TLS: tt.tlsMode, TLSConfig: clientTLS}
			e := newEnv(t, map[string]notify.Sender{mfad.TargetEmail: m})
			id := e.enqueue(mfad.TargetEmail)
			e.run()
			row := e.row(id)
			msgs := srv.Messages()
			if row.State != tt.state || len(msgs) != tt.mails {
				t.Fatalf("state %q, %d mails; want %q, %d (%+v)", row.State, len(msgs), tt.state, tt.mails, row)
			}
			if tt.mails == 1 {
				checkMail(t, msgs[0], tt.user)
			}
		})
	}
}

// checkMail: to the user, from the configured sender, plain text and HTML
// alternatives that both tell what happened.
func checkMail(t *testing.T, got smtptest.Message, user string) {
	t.Helper()
	if got.From != "mfad@example.test" || len(got.To) != 1 || got.To[0] != "alice@example.test" || got.User != user {
		t.Errorf("envelope %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatal(err)
	}
	if s := msg.Header.Get("Subject"); !strings.Contains(s, "used sign-in code") {
		t.Errorf("subject %q", s)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q %v", mt, err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		body := new(strings.Builder)
		b := make([]byte, 4096)
		for {
			n, err := p.Read(b)
			body.Write(b[:n])
			if err != nil {
				break
			}
		}
		types = append(types, strings.Split(p.Header.Get("Content-Type"), ";")[0])
		if !strings.Contains(body.String(), "already been used") || !strings.Contains(body.String(), "192.0.2.7") {
			t.Errorf("%s part: %q", p.Header.Get("Content-Type"), body.String())
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v", types)
	}
}
