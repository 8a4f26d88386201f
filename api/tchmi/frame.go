package tchmi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/mfad/mfad"
)

// MaxCommands is the most commands one request may carry. Every Login or
// password check costs a password hash, so a frame must not queue hundreds.
const MaxCommands = 32

// Request is a TcHmi request frame. Fields of the protocol that mfad does
// not use (apiVersion, paging, filters...) are accepted and ignored.
type Request struct {
	RequestType  string          `json:"requestType"`
	ID           json.Number     `json:"id,omitempty"`
	SessionID    string          `json:"sessionId,omitempty"`
	IntervalTime json.Number     `json:"intervalTime,omitempty"` // Subscription: milliseconds
	CustomerData json.RawMessage `json:"customerData,omitempty"`
	Commands     []Command       `json:"commands"`
}

// Command is one command of a request: a symbol to read, or to write with
// writeValue.
type Command struct {
	Symbol         string          `json:"symbol"`
	WriteValue     json.RawMessage `json:"writeValue,omitempty"`
	CommandOptions []string        `json:"commandOptions,omitempty"`
	CustomerData   json.RawMessage `json:"customerData,omitempty"`
}

// Command options mfad honours.
const (
	OptSendErrorMessage = "SendErrorMessage" // errors carry message and reason
	OptSendWriteValue   = "SendWriteValue"   // the answer echoes writeValue (masked)
)

func (c *Command) has(opt string) bool {
	for _, o := range c.CommandOptions {
		if o == opt {
			return true
		}
	}
	return false
}

// Response is the answer to a request: the request's id and each command
// answered in order.
type Response struct {
	RequestType  string          `json:"requestType"`
	ID           json.Number     `json:"id,omitempty"`
	SessionID    string          `json:"sessionId,omitempty"` // after a Login: the new session
	ServerID     string          `json:"serverId,omitempty"`  // after a Login: the cookie's suffix
	CustomerData json.RawMessage `json:"customerData,omitempty"`
	Commands     []Result        `json:"commands"`
}

// Result is the answer to one command: readValue or error.
type Result struct {
	Symbol       string          `json:"symbol"`
	CustomerData json.RawMessage `json:"customerData,omitempty"`
	WriteValue   json.RawMessage `json:"writeValue,omitempty"`
	ReadValue    any             `json:"readValue,omitempty"`
	Error        *Error          `json:"error,omitempty"`
}

// ErrorFrame is the answer to a request that could not be run at all: a
// frame that is not JSON, has the wrong shape, or is refused as a whole.
type ErrorFrame struct {
	RequestType string      `json:"requestType,omitempty"`
	ID          json.Number `json:"id,omitempty"`
	Error       *Error      `json:"error"`
}

// DecodeRequest decodes a request frame. On error it returns the error to
// answer (an *Error or a domain error) and as much of the request as could
// be read (at least its id, when there is one), never nil.
func DecodeRequest(frame []byte) (*Request, error) {
	req := &Request{}
	err := json.Unmarshal(frame, req)
	if err != nil {
		// A frame of the right syntax but a wrong type somewhere still
		// names its id, so the client can match the error to the request.
		var head struct {
			RequestType any         `json:"requestType"`
			ID          json.Number `json:"id"`
		}
		if json.Unmarshal(frame, &head) == nil {
			req = &Request{ID: head.ID}
			if s, ok := head.RequestType.(string); ok {
				req.RequestType = s
			}
		} else {
			req = &Request{}
		}
		return req, jsonError(err)
	}
	switch req.RequestType {
	case "ReadWrite", "Subscription":
	case "":
		return req, mfad.Errorf(mfad.EInvalidInput, "requestType is required")
	case "Event":
		return req, errNotImplemented(fmt.Sprintf("requestType %q is not supported; use ReadWrite or Subscription", req.RequestType))
	default:
		return req, mfad.Errorf(mfad.EInvalidInput, "requestType must be ReadWrite or Subscription")
	}
	if len(req.Commands) > MaxCommands {
		return req, errTooLarge(fmt.Sprintf("at most %d commands per request", MaxCommands))
	}
	return req, nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errSyntax(fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		switch {
		case typ.Field == "":
			return mfad.Errorf(mfad.EInvalidInput, "the request must be a JSON object")
		case typ.Type == reflect.TypeFor[Command]():
			return mfad.Errorf(mfad.EInvalidInput, "each command must be an object")
		}
		return mfad.Errorf(mfad.EInvalidInput, "field %q must be %s", typ.Field, kind(typ.Type))
	}
	// json.Number is the type of id only.
	if strings.Contains(err.Error(), "into Number") {
		return mfad.Errorf(mfad.EInvalidInput, "field \"id\" must be a number")
	}
	return mfad.Errorf(mfad.EInvalidInput, "invalid request")
}

// decodeValue decodes a command's writeValue object into v. Fields mfad
// does not know are ignored (TcHmi's schemas allow them); a writeValue that
// is missing, not an object, or has a field of the wrong type is an
// INVALID_FIELD error.
func decodeValue(raw json.RawMessage, v any) error {
	if isNull(raw) {
		return mfad.Errorf(mfad.EInvalidInput, "writeValue is required")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			return mfad.Errorf(mfad.EInvalidInput, "writeValue field %q must be %s", typ.Field, kind(typ.Type))
		}
		return mfad.Errorf(mfad.EInvalidInput, "writeValue must be an object")
	}
	return nil
}

// kind names a Go type as JSON, for error messages.
func kind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[json.Number]():
		return "a number"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	}
	return "of another type"
}

// field is a writeValue field that TcHmi's schema requires.
type field struct {
	name  string
	value *string
}

// required returns an INVALID_FIELD error naming the first missing field.
func required(fields ...field) error {
	for _, f := range fields {
		if f.value == nil {
			return mfad.Errorf(mfad.EInvalidInput, "writeValue field %q is required", f.name)
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// sensitive are the writeValue fields never echoed (compared in lower case,
// as encoding/json matches field names without regard to case).
var sensitive = map[string]bool{
	"password": true, "currentpassword": true, "newpassword": true,
	"secret": true, "twofactortoken": true,
}

// Masked replaces a sensitive value in an echoed writeValue.
const Masked = "********"

// maskValue returns writeValue for echoing, with the value of every
// sensitive field, at any depth, replaced by Masked.
func maskValue(raw json.RawMessage) json.RawMessage {
	if isNull(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	out, err := marshal(mask(v))
	if err != nil {
		return nil
	}
	return out
}

func mask(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if sensitive[strings.ToLower(k)] {
				t[k] = Masked
			} else {
				t[k] = mask(x)
			}
		}
	case []any:
		for i, x := range t {
			t[i] = mask(x)
		}
	}
	return v
}

// marshal encodes v as compact JSON without HTML escaping and without the
// encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
