package zimbra

import (
	"github.com/mfad/mfad/auth"
	"strings"
)

// getTrustedDevices is GetTrustedDevicesRequest: how many other devices
// are trusted and whether this one is ("this device" is the one whose
// trusted token the client holds). One core call.
func (c *call) getTrustedDevices() (*node, error) {
	devices, this, err := c.svc.TrustedDevices(c.ctx, c.actor, c.actor.UserID(), c.trustedToken())
	if err != nil {
		return nil, err
	}
	others := int64(0) // the core lists live devices only
	for _, d := range devices {
		if d.DeviceID != this {
			others++
		}
	}
	return c.answer().set("nOtherDevices", others).set("thisDeviceTrusted", this != ""), nil
}

// revokeTrustedDevice is RevokeTrustedDeviceRequest: this device is
// trusted no more (nothing to do when it is not).
func (c *call) revokeTrustedDevice() (*node, error) {
	if err := c.svc.RevokeTrustedDevice(c.ctx, c.actor, auth.DeviceRevocation{UserID: c.actor.UserID(), Token: c.trustedToken()}); err != nil {
		return nil, err
	}
	c.setCookie(cookieTrust, "", -1)
	return c.answer(), nil
}

// revokeOtherTrustedDevices is RevokeOtherTrustedDevicesRequest: every
// trusted device but this one is trusted no more.
func (c *call) revokeOtherTrustedDevices() (*node, error) {
	if err := c.svc.RevokeTrustedDevice(c.ctx, c.actor, auth.DeviceRevocation{UserID: c.actor.UserID(), Token: c.trustedToken(), Others: true}); err != nil {
		return nil, err
	}
	return c.answer(), nil
}

// appName reads the appName attribute of an app-specific password request.
func (c *call) appName() (string, error) {
	name := strings.TrimSpace(c.req.str("appName"))
	if name == "" {
		return "", invalidRequest("missing required attribute: appName")
	}
	return name, nil
}

// createAppPassword is CreateAppSpecificPasswordRequest (a sensitive
// action: a recent second factor). The password is shown once.
func (c *call) createAppPassword() (*node, error) {
	name, err := c.appName()
	if err != nil {
		return nil, err
	}
	pw, err := c.svc.CreateAppPassword(c.ctx, c.actor, c.actor.UserID(), name, "")
	if err != nil {
		return nil, err
	}
	return c.answer().set("pw", pw), nil
}

// getAppPasswords is GetAppSpecificPasswordsRequest: names and times,
// never the passwords.
func (c *call) getAppPasswords() (*node, error) {
	ps, err := c.svc.AppPasswords(c.ctx, c.actor, c.actor.UserID())
	if err != nil {
		return nil, err
	}
	n := c.answer()
	list := n.addNode("appSpecificPasswords", unique)
	for _, p := range ps {
		d := list.addNode("passwordData", array).set("appName", p.Name).set("created", p.CreatedAt.UnixMilli())
		if !p.LastUsedAt.IsZero() {
			d.set("lastUsed", p.LastUsedAt.UnixMilli())
		}
	}
	n.add("maxAppPasswords", int64(c.svc.Config().MaxAppPasswords), array)
	return n, nil
}

// revokeAppPassword is RevokeAppSpecificPasswordRequest.
func (c *call) revokeAppPassword() (*node, error) {
	name, err := c.appName()
	if err != nil {
		return nil, err
	}
	if err := c.svc.RevokeAppPassword(c.ctx, c.actor, c.actor.UserID(), name); err != nil {
		return nil, err
	}
	return c.answer(), nil
}
