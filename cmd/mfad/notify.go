package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/notify"
	"github.com/mfad/mfad/weak"
)

// webhookSpec is one endpoint of --webhooks: NAME=URL[;events=KIND,KIND].
type webhookSpec struct {
	Name, URL string
	Kinds     []string
}

// parseWebhooks reads --webhooks: endpoints separated by spaces, each
// NAME=URL with an optional ";events=KIND,KIND" filter (default: all).
func parseWebhooks(s string) ([]webhookSpec, error) {
	var out []webhookSpec
	seen := map[string]bool{}
	for _, item := range strings.Fields(s) {
		spec, filter, _ := strings.Cut(item, ";")
		name, raw, ok := strings.Cut(spec, "=")
		if !ok || name == "" || strings.ContainsAny(name, ":/") {
			return nil, fmt.Errorf("webhooks: %q is not NAME=URL", item)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("webhooks: %s: want an http(s) URL", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("webhooks: %s named twice", name)
		}
		seen[name] = true
		w := webhookSpec{Name: name, URL: raw}
		if filter != "" {
			kinds, ok := strings.CutPrefix(filter, "events=")
			if !ok {
				return nil, fmt.Errorf("webhooks: %s: after ; want events=KIND,KIND", name)
			}
			for _, k := range strings.Split(kinds, ",") {
				if !slices.Contains(mfad.NotifyKinds, k) {
					return nil, fmt.Errorf("webhooks: %s: unknown event %q (known: %s)", name, k, strings.Join(mfad.NotifyKinds, ", "))
				}
				w.Kinds = append(w.Kinds, k)
			}
		}
		out = append(out, w)
	}
	return out, nil
}

// webhookSecret is the signing secret of endpoint name: from
// MFAD_WEBHOOK_SECRET_<NAME>, else MFAD_WEBHOOK_SECRET (environment only,
// never a flag or the file: flags show in ps).
// A secret anyone could guess (a repeated character, a published example:
// package weak) is refused: it would let anyone forge the webhooks.
func webhookSecret(name string) (string, error) {
	env := "MFAD_WEBHOOK_SECRET_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
	for _, e := range []string{env, "MFAD_WEBHOOK_SECRET"} {
		if s := os.Getenv(e); s != "" {
			if why := weak.TextKey(s); why != "" {
				return "", fmt.Errorf("%s: refusing a weak webhook signing secret (%s)", e, why)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("webhook %s has no signing secret: set %s or MFAD_WEBHOOK_SECRET", name, env)
}

// notifier builds the delivery worker of the configured targets and the
// core's Notify (which targets want a kind). Without targets it returns a
// nil worker and Notify names none, so nothing is queued.
func (a *app) notifier() (*notify.Worker, func(kind string) []string, error) {
	specs, err := parseWebhooks(a.cfg.Webhooks)
	if err != nil {
		return nil, nil, err
	}
	senders := map[string]notify.Sender{}
	wants := map[string][]string{} // kind -> targets
	for _, s := range specs {
		secret, err := webhookSecret(s.Name)
		if err != nil {
			return nil, nil, err
		}
		h := &notify.Webhook{Name: s.Name, URL: s.URL, Secret: []byte(secret)}
		for _, k := range s.Kinds {
			if h.Kinds == nil {
				h.Kinds = map[string]bool{}
			}
			h.Kinds[k] = true
		}
		target := mfad.TargetWebhookPrefix + s.Name
		senders[target] = h
		for _, k := range mfad.NotifyKinds {
			if h.Wants(k) {
				wants[k] = append(wants[k], target)
			}
		}
	}
	if m, err := a.mailer(); err != nil {
		return nil, nil, err
	} else if m != nil {
		senders[mfad.TargetEmail] = m
		for _, k := range notify.EmailKinds {
			wants[k] = append(wants[k], mfad.TargetEmail)
		}
	}
	if len(senders) == 0 {
		return nil, func(string) []string { return nil }, nil
	}
	w := &notify.Worker{Store: a.store, Senders: senders, Now: a.clock.Now, Log: a.log}
	return w, func(kind string) []string { return wants[kind] }, nil
}

// startNotifications sets the core's Notify and runs the delivery worker
// until ctx ends.
func (a *app) startNotifications(ctx context.Context) error {
	w, wants, err := a.notifier()
	if err != nil {
		return err
	}
	a.svc.Notify = wants
	if w != nil {
		w.CrashPoint = a.svc.CrashPoint // the test build's, set by testHooks in routes
		a.log.Info("notifications", "targets", len(w.Senders))
		go w.Run(ctx)
	}
	return nil
}

// notificationsCmd prints the delivery log of notifications as JSON lines,
// newest first.
//
//	mfad notifications [--state pending|sent|failed] [--limit N]
func (e *cmdEnv) notificationsCmd(ctx context.Context, args []string) error {
	const usage = "notifications [--state pending|sent|failed] [--limit N]"
	var state string
	var limit int
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&state, "state", "", "only rows in this state: pending, sent or failed")
		fs.IntVar(&limit, "limit", 100, "at most this many rows")
	}
	return e.withApp(ctx, "notifications", args, extra, 0, usage, func(a *app, act auth.Actor, rest []string) error {
		rows, err := a.svc.Notifications(ctx, act, mfad.NotificationFilter{State: state, Limit: limit})
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		for _, n := range rows {
			if err := enc.Encode(lineOf(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

// notificationLine is one row of mfad notifications: the fields and names
// of GET /v1/notifications (snake_case, RFC 3339 times in UTC, done_at
// null until sent or failed), as mfad audit export writes events.
type notificationLine struct {
	ID         int64   `json:"id"`
	Kind       string  `json:"kind"`
	Target     string  `json:"target"`
	UserID     int64   `json:"user_id"`
	Time       string  `json:"time"`
	RemoteAddr string  `json:"remote_addr"`
	Dialect    string  `json:"dialect"`
	Detail     string  `json:"detail"`
	State      string  `json:"state"`
	Attempts   int     `json:"attempts"`
	LastError  string  `json:"last_error"`
	DoneAt     *string `json:"done_at"`
}

func lineOf(n mfad.Notification) notificationLine {
	l := notificationLine{ID: n.ID, Kind: n.Kind, Target: n.Target, UserID: n.UserID, Time: n.Time.UTC().Format(time.RFC3339),
		RemoteAddr: n.RemoteAddr, Dialect: n.Dialect, Detail: n.Detail, State: n.State, Attempts: n.Attempts, LastError: n.LastError}
	if !n.DoneAt.IsZero() {
		d := n.DoneAt.UTC().Format(time.RFC3339)
		l.DoneAt = &d
	}
	return l
}

// mailer is the email sender of --smtp-addr, nil without one.
func (a *app) mailer() (*notify.Mailer, error) {
	c := a.cfg
	if c.SMTPAddr == "" {
		return nil, nil
	}
	switch c.SMTPTLS {
	case notify.SMTPStartTLS, notify.SMTPTLS, notify.SMTPPlain:
	default:
		return nil, fmt.Errorf("smtp-tls %q: want starttls, tls or none", c.SMTPTLS)
	}
	return &notify.Mailer{Addr: c.SMTPAddr, From: c.SMTPFrom, User: c.SMTPUser,
		Password: os.Getenv("MFAD_SMTP_PASSWORD"), TLS: c.SMTPTLS}, nil
}
