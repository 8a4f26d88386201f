package mfad

import "time"

// Notification kinds: what the core tells users and operators about their
// second factor (docs/notifications.md). The core writes one outbox row per
// kind and target in the transaction of the change it reports.
const (
	NotifyEnabled       = "2fa.enabled"         // a factor confirmed or imported
	NotifyDisabled      = "2fa.disabled"        // turned off by its user
	NotifyReset         = "2fa.reset"           // removed by an administrator
	NotifyRegenerated   = "scratch.regenerated" // new scratch codes
	NotifyScratchUsed   = "scratch.used"        // Detail: "remaining=N"
	NotifyReplay        = "code.replayed"       // a used code offered again (ASVS 2.8.5)
	NotifyLocked        = "2fa.locked"          // second-factor lockout, for a while
	NotifyHardLocked    = "2fa.hard_locked"     // locked until an administrator unlocks
	NotifyTrusted       = "device.trusted"      // a new trusted device; Detail: its id
	NotifyAppPassword   = "apppassword.created" // Detail: its name
	NotifyPasswordSet   = "password.changed"    // by its user or an administrator
	TargetEmail         = "email"               // a notification's target: the user's address
	TargetWebhookPrefix = "webhook:"            // "webhook:NAME": an operator's endpoint
)

// NotifyKinds lists every kind, in the order above.
var NotifyKinds = []string{NotifyEnabled, NotifyDisabled, NotifyReset, NotifyRegenerated, NotifyScratchUsed,
	NotifyReplay, NotifyLocked, NotifyHardLocked, NotifyTrusted, NotifyAppPassword, NotifyPasswordSet}

// Notification states.
const (
	NotifyPending = "pending" // to deliver (again) at NextAt
	NotifySent    = "sent"
	NotifyFailed  = "failed" // gave up after the last attempt, or undeliverable
)

// Notification is one outbox row: an event for one target, delivered at
// least once after the transaction that wrote it commits. It never holds a
// secret, code, password or token.
type Notification struct {
	ID         int64
	Kind       string
	Target     string // TargetEmail or TargetWebhookPrefix+name
	UserID     int64
	Time       time.Time
	RemoteAddr string
	Dialect    string
	Detail     string
	State      string
	Attempts   int       // deliveries started
	NextAt     time.Time // due time while pending
	LeaseUntil time.Time // a claim holds the row until then; past: free again
	LastError  string
	DoneAt     time.Time // sent or failed
}

// NotificationFilter selects outbox rows, newest first.
type NotificationFilter struct {
	UserID   int64  // 0: all
	State    string // "": all
	BeforeID int64  // paging: rows with a smaller id
	Limit    int    // 0: 100; at most 1000
}
