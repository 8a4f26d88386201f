package zimbra

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// shape is how a child element is written in the JSON form, which Zimbra
// decides per element: most as an array of objects (Element.addElement,
// JAXB elements), some as one object (addUniqueElement, JAXB wrappers) and
// some as a plain member (addAttribute with Disposition.CONTENT,
// @ZimbraJsonAttribute). In XML all three are child elements.
type shape int

const (
	array  shape = iota // "name":[{"_content":"v"}]
	unique              // "name":{"_content":"v"}
	plain               // "name":v
)

// node is one element of an answer.
type node struct {
	name    string
	ns      string // only on the answer's top element
	attrs   []nattr
	kids    []*node
	content any // nil, string or int64
	shape   shape
}

// nattr is an attribute of an answer: a string, int64 or bool (written
// "1"/"0" in XML, true/false in JSON, as ZmBoolean does).
type nattr struct {
	name  string
	value any
}

func response(name, ns string) *node { return &node{name: name, ns: ns} }

// add appends a child element with text content and returns n.
func (n *node) add(name string, content any, s shape) *node {
	n.kids = append(n.kids, &node{name: name, content: content, shape: s})
	return n
}

// addNode appends a child element and returns it.
func (n *node) addNode(name string, s shape) *node {
	k := &node{name: name, shape: s}
	n.kids = append(n.kids, k)
	return k
}

// set appends an attribute and returns n.
func (n *node) set(name string, value any) *node {
	n.attrs = append(n.attrs, nattr{name, value})
	return n
}

// writeXML writes n as XML.
func (n *node) writeXML(b *bytes.Buffer) {
	b.WriteByte('<')
	b.WriteString(n.name)
	if n.ns != "" {
		b.WriteString(` xmlns="`)
		escapeXML(b, n.ns)
		b.WriteByte('"')
	}
	for _, a := range n.attrs {
		b.WriteByte(' ')
		b.WriteString(a.name)
		b.WriteString(`="`)
		escapeXML(b, xmlText(a.value))
		b.WriteByte('"')
	}
	if len(n.kids) == 0 && n.content == nil {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	if n.content != nil {
		escapeXML(b, xmlText(n.content))
	}
	for _, k := range n.kids {
		k.writeXML(b)
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteByte('>')
}

func xmlText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	case bool:
		if t {
			return "1"
		}
		return "0"
	}
	return ""
}

// escapeXML writes s as XML text or attribute value: &, <, > and " as
// entities, tabs and line ends as character references (so attribute
// values keep them), and any character XML cannot hold as U+FFFD.
func escapeXML(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			if !xmlChar(r) {
				r = '\uFFFD'
			}
			b.WriteRune(r)
		}
	}
}

// xmlChar reports whether r may appear in an XML 1.0 document.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// writeJSON writes n as a Zimbra JSON object: its attributes, its children
// grouped by name in the order they first appear, "_content" and "_jsns".
func (n *node) writeJSON(b *bytes.Buffer) {
	b.WriteByte('{')
	first := true
	member := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		jsonValue(b, name)
		b.WriteByte(':')
	}
	for _, a := range n.attrs {
		member(a.name)
		jsonValue(b, a.value)
	}
	done := map[string]bool{}
	for _, k := range n.kids {
		if done[k.name] {
			continue
		}
		done[k.name] = true
		member(k.name)
		switch k.shape {
		case plain:
			jsonValue(b, k.content)
		case unique:
			k.writeJSON(b)
		default:
			b.WriteByte('[')
			i := 0
			for _, same := range n.kids {
				if same.name != k.name {
					continue
				}
				if i > 0 {
					b.WriteByte(',')
				}
				same.writeJSON(b)
				i++
			}
			b.WriteByte(']')
		}
	}
	if n.content != nil {
		member("_content")
		jsonValue(b, n.content)
	}
	if n.ns != "" {
		member("_jsns")
		jsonValue(b, n.ns)
	}
	b.WriteByte('}')
}

func jsonValue(b *bytes.Buffer, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		out = []byte(`""`)
	}
	b.Write(out)
}

// writeEnvelope wraps an answer (or a fault body) in the envelope of f.
func writeEnvelope(f form, body func(*bytes.Buffer)) []byte {
	var b bytes.Buffer
	if f == formJSON {
		b.WriteString(`{"Header":{"context":{"_jsns":"urn:zimbra"}},"Body":`)
		body(&b)
		b.WriteString(`,"_jsns":"urn:zimbraSoap"}`)
		return b.Bytes()
	}
	ns := nsSOAP12
	if f == formXML11 {
		ns = nsSOAP11
	}
	b.WriteString(`<soap:Envelope xmlns:soap="` + ns + `"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body>`)
	body(&b)
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.Bytes()
}

// encodeAnswer returns the envelope holding answer n.
func encodeAnswer(f form, n *node) []byte {
	return writeEnvelope(f, func(b *bytes.Buffer) {
		if f == formJSON {
			b.WriteByte('{')
			jsonValue(b, n.name)
			b.WriteByte(':')
			n.writeJSON(b)
			b.WriteByte('}')
			return
		}
		n.writeXML(b)
	})
}
