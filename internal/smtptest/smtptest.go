// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// for tests: it speaks the protocol a mail server speaks (EHLO, STARTTLS,
// AUTH PLAIN, MAIL, RCPT, DATA) and keeps each message it receives. Only
// tests import it.
package smtptest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail received.
type Message struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated; "" if nobody
}

// Server is a running SMTP server.
type Server struct {
	Addr           string
	mu             sync.Mutex
	msgs           []Message
	user, password string
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
// With tlsCfg it offers STARTTLS; with a user it requires AUTH PLAIN with
// that user and password before MAIL.
func Start(t testing.TB, tlsCfg *tls.Config, user, password string) *Server {
	t.Helper()
	s := &Server{user: user, password: password}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = tlsCfg == nil
	srv.TLSConfig = tlsCfg
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Messages returns the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s    *Server
	msg  Message
	auth bool
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if x.s.user == "" || user != x.s.user || password != x.s.password {
			return errors.New("invalid credentials")
		}
		x.auth, x.msg.User = true, user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.auth {
		return smtp.ErrAuthRequired
	}
	x.msg.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.msg.Data = b
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.msg = Message{User: x.msg.User} }
func (x *session) Logout() error { return nil }
