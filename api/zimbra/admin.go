package zimbra

import (
	"strconv"
	"strings"

	"github.com/mfad/mfad/auth"
)

// target returns the user an admin request names with <account by="name">
// (or by="id", mfad's numeric id), for the one core call that acts on it:
// the core finds the user and decides whether the caller may see them.
func (c *call) target() (auth.UserRef, error) {
	el := c.req.child("account")
	if el == nil {
		if c.req.child("cos") != nil {
			return auth.UserRef{}, invalidRequest("clearing the two-factor data of a class of service is not supported; name an account")
		}
		return auth.UserRef{}, invalidRequest("missing required element: account")
	}
	key := strings.TrimSpace(el.text)
	if key == "" {
		return auth.UserRef{}, invalidRequest("missing required element: account")
	}
	switch by, _ := el.attr("by"); by {
	case "", "name", "adminName":
		return auth.ByLogin(key), nil
	case "id":
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil || id <= 0 {
			return auth.UserRef{}, invalidRequest("account by id must be a positive integer")
		}
		return auth.ByID(id), nil
	default:
		return auth.UserRef{}, invalidRequest("account by %q is not supported; use by=\"name\" or by=\"id\"", by)
	}
}

// clearTwoFactorAuthData is urn:zimbraAdmin ClearTwoFactorAuthDataRequest:
// the account's secret, scratch codes, app-specific passwords and trusted
// devices are wiped and its sessions end (the core's reset).
func (c *call) clearTwoFactorAuthData() (*node, error) {
	ref, err := c.target()
	if err != nil {
		return nil, err
	}
	if _, err := c.svc.Reset(c.ctx, c.actor, ref); err != nil {
		return nil, err
	}
	return c.answer(), nil
}

// adminDisable is urn:zimbraAdmin DisableTwoFactorAuthRequest: turning 2FA
// off for an account, which for another user's account the core does as a
// reset.
func (c *call) adminDisable() (*node, error) {
	ref, err := c.target()
	if err != nil {
		return nil, err
	}
	if err := c.svc.Disable(c.ctx, c.actor, auth.DisableRequest{UserID: ref.ID, Login: ref.Login}); err != nil {
		return nil, err
	}
	return c.answer(), nil
}
