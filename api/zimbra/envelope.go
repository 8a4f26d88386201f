package zimbra

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Namespaces of the envelope, its header and the requests.
const (
	nsSOAP12  = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsZimbra  = "urn:zimbra"
	nsAccount = "urn:zimbraAccount"
	nsAdmin   = "urn:zimbraAdmin"
	nsSoapJS  = "urn:zimbraSoap"
)

// maxDepth bounds the nesting of a request; Zimbra's 2FA requests are three
// levels deep.
const maxDepth = 32

// form is the wire form of a request and of its answer.
type form int

const (
	formXML   form = iota // SOAP 1.2
	formJSON              // Zimbra's JSON
	formXML11             // SOAP 1.1
)

// xml reports whether f is one of the two SOAP XML forms.
func (f form) xml() bool { return f != formJSON }

// sniff returns the form of a request body as Zimbra's SoapEngine decides
// it, whatever the Content-Type says: a body whose first non-blank
// character is '<' is XML, anything else JSON. (Zimbra's own web client
// labels its JSON application/soap+xml, python-zimbra's bodies go out as
// application/x-www-form-urlencoded, fetch-based clients send text/plain.)
func sniff(body []byte) form {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) > 0 && b[0] == '<' {
		return formXML
	}
	return formJSON
}

// decode decodes a request body in the form sniff finds.
func decode(body []byte) (*envelope, error) {
	if sniff(body) == formJSON {
		return decodeJSON(body)
	}
	return decodeXML(body)
}

// element is one decoded element of either form, as Zimbra's Element API
// sees it: attributes, child elements in order and text. In the JSON form a
// scalar member is an attribute, an object a child element, an array several
// children of one name, "_content" the text and "_jsns" the namespace.
type element struct {
	name  string
	ns    string
	attrs []attribute
	kids  []*element
	text  string
	buf   []byte // the text while it is decoded
}

type attribute struct{ name, value string }

// attr returns the attribute called name.
func (e *element) attr(name string) (string, bool) {
	for _, a := range e.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

// child returns the first child element called name, or nil.
func (e *element) child(name string) *element {
	for _, k := range e.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// value returns what Zimbra's getAttribute(name) returns: the attribute
// called name, else the text of the first child called name.
func (e *element) value(name string) (string, bool) {
	if v, ok := e.attr(name); ok {
		return v, true
	}
	if k := e.child(name); k != nil {
		return k.text, true
	}
	return "", false
}

// str returns value(name), or "" when there is none.
func (e *element) str(name string) string {
	v, _ := e.value(name)
	return v
}

// flag reads a Zimbra boolean ("1", "true", "0", "false"; absent: false).
func (e *element) flag(name string) (bool, error) {
	v, ok := e.value(name)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, invalidRequest("%s must be 0, 1, true or false", name)
}

// envelope is a decoded request: its form, what the header context says and
// the one request element of the body.
type envelope struct {
	form      form
	answer    form   // the form to answer in: the request's, unless the context asks otherwise
	authToken string // <context><authToken>
	csrfToken string // <context><csrfToken>
	body      *element
}

// header reads the <context> of the header, if any.
func (env *envelope) header(ctx *element) error {
	if ctx == nil {
		return nil
	}
	env.authToken = ctx.str("authToken")
	env.csrfToken = ctx.str("csrfToken")
	if f := ctx.child("format"); f != nil {
		switch t, _ := f.attr("type"); t {
		case "xml":
			env.answer = env.form
			if env.form == formJSON {
				env.answer = formXML
			}
		case "js":
			env.answer = formJSON
		case "":
		default:
			return invalidRequest("format type must be xml or js")
		}
	}
	return nil
}

// decodeXML decodes a SOAP 1.2 or 1.1 envelope. It refuses a DTD outright, so no
// entity is ever declared, let alone expanded (encoding/xml expands none
// but the five predefined ones anyway).
func decodeXML(data []byte) (*envelope, error) {
	if !utf8.Valid(data) {
		return nil, invalidRequest("the request is not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		return nil, fmt.Errorf("charset %q", charset)
	}
	var root *element
	var stack []*element
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalidRequest("malformed XML: %s", xmlReason(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, invalidRequest("a DTD or other XML directive is not allowed")
		case xml.ProcInst:
			if t.Target != "xml" || root != nil || len(stack) > 0 {
				return nil, invalidRequest("processing instructions are not allowed")
			}
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, invalidRequest("more than one root element")
			}
			if len(stack) >= maxDepth {
				return nil, invalidRequest("elements nested deeper than %d", maxDepth)
			}
			e := &element{name: t.Name.Local, ns: t.Name.Space}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				e.attrs = append(e.attrs, attribute{a.Name.Local, a.Value})
			}
			if len(stack) == 0 {
				root = e
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			e := stack[len(stack)-1]
			e.text, e.buf = string(e.buf), nil
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				e := stack[len(stack)-1]
				e.buf = append(e.buf, t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, invalidRequest("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, invalidRequest("the request is empty")
	}
	if len(stack) > 0 {
		return nil, invalidRequest("malformed XML: unexpected end of input")
	}
	return xmlEnvelope(root)
}

// xmlReason returns the client-safe part of an XML syntax error.
func xmlReason(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return "unreadable"
}

func xmlEnvelope(root *element) (*envelope, error) {
	if root.name != "Envelope" || (root.ns != nsSOAP12 && root.ns != nsSOAP11) {
		return nil, invalidRequest("the request must be a SOAP 1.2 or 1.1 Envelope")
	}
	env := &envelope{form: formXML, answer: formXML}
	if root.ns == nsSOAP11 {
		env.form, env.answer = formXML11, formXML11
	}
	var body *element
	for _, k := range root.kids {
		switch {
		case k.ns == root.ns && k.name == "Header":
			if err := env.header(k.child("context")); err != nil {
				return nil, err
			}
		case k.ns == root.ns && k.name == "Body":
			if body != nil {
				return nil, invalidRequest("more than one soap:Body")
			}
			body = k
		default:
			return nil, invalidRequest("unexpected element %s in the envelope", k.name)
		}
	}
	if body == nil {
		return nil, invalidRequest("the envelope has no soap:Body")
	}
	if len(body.kids) != 1 {
		return nil, invalidRequest("the soap:Body must hold exactly one request")
	}
	env.body = body.kids[0]
	return env, nil
}

// decodeJSON decodes Zimbra's JSON envelope:
// {"Header":{"context":{...}},"Body":{"XRequest":{"_jsns":"...",...}}}.
// Members of an object keep their order; a repeated member name is refused.
func decodeJSON(data []byte) (*envelope, error) {
	if !utf8.Valid(data) {
		return nil, invalidRequest("the request is not UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, invalidRequest("the request must be a JSON object")
	}
	root := &element{name: "Envelope"}
	if err := readObject(d, root, 1); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, invalidRequest("the request must hold exactly one JSON object")
	}
	if len(root.attrs) > 0 {
		return nil, invalidRequest("unexpected member %q in the envelope", root.attrs[0].name)
	}
	env := &envelope{form: formJSON, answer: formJSON}
	var body *element
	for _, k := range root.kids {
		switch k.name {
		case "Header":
			if err := env.header(k.child("context")); err != nil {
				return nil, err
			}
		case "Body":
			if body != nil {
				return nil, invalidRequest("more than one Body")
			}
			body = k
		default:
			return nil, invalidRequest("unexpected member %q in the envelope", k.name)
		}
	}
	if body == nil {
		return nil, invalidRequest("the envelope has no Body")
	}
	if len(body.kids) != 1 {
		return nil, invalidRequest("the Body must hold exactly one request")
	}
	env.body = body.kids[0]
	return env, nil
}

// readObject reads the members of an object whose '{' was read into e.
func readObject(d *json.Decoder, e *element, depth int) error {
	if depth > maxDepth {
		return invalidRequest("objects nested deeper than %d", maxDepth)
	}
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err != nil {
			return jsonError(err)
		}
		if delim, ok := tok.(json.Delim); ok && delim == '}' {
			return nil
		}
		name, ok := tok.(string)
		if !ok {
			return invalidRequest("malformed JSON")
		}
		if seen[name] {
			return invalidRequest("member %q appears twice", name)
		}
		seen[name] = true
		if err := readMember(d, e, name, depth); err != nil {
			return err
		}
	}
}

// readMember reads the value of member name of e.
func readMember(d *json.Decoder, e *element, name string, depth int) error {
	tok, err := d.Token()
	if err != nil {
		return jsonError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			k := &element{name: name}
			e.kids = append(e.kids, k)
			return readObject(d, k, depth+1)
		case '[':
			return readArray(d, e, name, depth+1)
		}
		return invalidRequest("malformed JSON")
	case nil:
		return nil
	default:
		v := scalar(t)
		switch name {
		case "_content":
			e.text = v
		case "_jsns":
			e.ns = v
		default:
			e.attrs = append(e.attrs, attribute{name, v})
		}
		return nil
	}
}

// readArray reads the items of an array member of e as children called
// name: objects as they are, scalars as children with that text.
func readArray(d *json.Decoder, e *element, name string, depth int) error {
	if depth > maxDepth {
		return invalidRequest("arrays nested deeper than %d", maxDepth)
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return jsonError(err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case ']':
				return nil
			case '{':
				k := &element{name: name}
				e.kids = append(e.kids, k)
				if err := readObject(d, k, depth+1); err != nil {
					return err
				}
			default:
				return invalidRequest("arrays of arrays are not allowed")
			}
		case nil:
		default:
			e.kids = append(e.kids, &element{name: name, text: scalar(t)})
		}
	}
}

// scalar renders a JSON string, number or boolean as Zimbra's text.
func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return invalidRequest("malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return invalidRequest("malformed JSON at byte %d", syn.Offset)
	}
	return invalidRequest("malformed JSON")
}
