package zimbra

import "github.com/mfad/mfad"

// Test hooks: the fault table and the envelope decoders.

// FaultOf returns the Zimbra code, whose fault, and reason of err, with the
// overrides of the login steps when login is set.
func FaultOf(err error, login bool) (code string, receiver bool, reason string) {
	var o map[mfad.Code]wire
	if login {
		o = loginFaults
	}
	w, msg := faultOf(err, o)
	return w.Code, w.Receiver, msg
}

// EnableFaultOf is FaultOf with the overrides of EnableTwoFactorAuthRequest.
func EnableFaultOf(err error) string {
	w, _ := faultOf(err, enableFaults)
	return w.Code
}

// Decode decodes a request envelope, XML or JSON as its first non-blank
// character says, and returns the name of its request.
func Decode(data []byte) (string, error) {
	env, err := decode(data)
	if err != nil {
		return "", err
	}
	return env.body.name, nil
}
