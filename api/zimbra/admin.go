package zimbra

import (
	"strconv"
	"strings"

	"github.com/mfad/mfad/auth"
)

// target returns the user an admin request names with <account by="name">
// (or by="id", mfad's numeric id). The core decides whether the caller may
// see that user.
func (c *call) target() (int64, error) {
	el := c.req.child("account")
	if el == nil {
		if c.req.child("cos") != nil {
			return 0, invalidRequest("clearing the two-factor data of a class of service is not supported; name an account")
		}
		return 0, invalidRequest("missing required element: account")
	}
	key := strings.TrimSpace(el.text)
	if key == "" {
		return 0, invalidRequest("missing required element: account")
	}
	switch by, _ := el.attr("by"); by {
	case "", "name", "adminName":
		u, err := c.svc.LookupUser(c.ctx, c.actor, key)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	case "id":
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return 0, invalidRequest("account by id must be a positive integer")
		}
		u, err := c.svc.GetUser(c.ctx, c.actor, id)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	default:
		return 0, invalidRequest("account by %q is not supported; use by=\"name\" or by=\"id\"", by)
	}
}

// clearTwoFactorAuthData is urn:zimbraAdmin ClearTwoFactorAuthDataRequest:
// the account's secret, scratch codes, app-specific passwords and trusted
// devices are wiped and its sessions end (the core's reset).
func (c *call) clearTwoFactorAuthData() (*node, error) {
	id, err := c.target()
	if err != nil {
		return nil, err
	}
	if err := c.svc.Reset(c.ctx, c.actor, id); err != nil {
		return nil, err
	}
	return c.answer(), nil
}

// adminDisable is urn:zimbraAdmin DisableTwoFactorAuthRequest: turning 2FA
// off for an account, which for another user's account the core does as a
// reset.
func (c *call) adminDisable() (*node, error) {
	id, err := c.target()
	if err != nil {
		return nil, err
	}
	if err := c.svc.Disable(c.ctx, c.actor, auth.DisableRequest{UserID: id}); err != nil {
		return nil, err
	}
	return c.answer(), nil
}
