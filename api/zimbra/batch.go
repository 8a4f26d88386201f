package zimbra

import (
	"bytes"
	"net/http"
)

// maxBatch bounds the requests of one BatchRequest. Zimbra sets no bound;
// mfad does, so that one HTTP request cannot queue dozens of password
// hashes (the 64 KiB body limit alone would allow hundreds).
const maxBatch = 25

// batchItem is the answer to one request of a batch: an answer element or
// a fault, with the request's requestId.
type batchItem struct {
	n    *node // nil for a fault
	wire wire
	msg  string
	id   string
}

func (it *batchItem) name() string {
	if it.n == nil {
		return "Fault"
	}
	return it.n.name
}

// batch serves urn:zimbra BatchRequest as Zimbra's SoapEngine does: each
// child is a request of its own, dispatched in order through the same
// path as a lone request (so through the same authentication and core
// rules), answered in order in a BatchResponse, a fault in the place of a
// failed request. onerror="continue" (the default) goes on after a fault,
// any other value stops there. The HTTP status is 200 whatever the
// requests answer, as Zimbra's.
func (c *call) batch() {
	if len(c.req.kids) > maxBatch {
		c.fault(invalidRequest("a BatchRequest holds at most %d requests", maxBatch))
		return
	}
	onerror, ok := c.req.attr("onerror")
	stop := ok && onerror != "continue"
	items := make([]batchItem, 0, len(c.req.kids))
	for _, req := range c.req.kids {
		sub := &call{svc: c.svc, w: c.w, r: c.r, ctx: c.ctx, client: c.client, admin: c.admin, env: c.env, req: req}
		it := batchItem{}
		it.id, _ = req.attr("requestId")
		n, err := sub.dispatch()
		if err != nil {
			it.wire, it.msg = describeFault(c.w, c.r, err, sub.overrides())
		} else {
			it.n = n
			if it.id != "" {
				n.set("requestId", it.id)
			}
		}
		items = append(items, it)
		if err != nil && stop {
			break
		}
	}
	f := c.env.answer
	trace := traceOf(c.r)
	write(c.w, f, http.StatusOK, writeEnvelope(f, func(b *bytes.Buffer) {
		if f == formJSON {
			batchJSON(b, items, trace)
			return
		}
		b.WriteString(`<BatchResponse xmlns="urn:zimbra">`)
		for i := range items {
			if it := &items[i]; it.n != nil {
				it.n.writeXML(b)
			} else {
				faultBody(b, f, it.wire, it.msg, trace, it.id)
			}
		}
		b.WriteString(`</BatchResponse>`)
	}))
}

// batchJSON writes a BatchResponse in Zimbra's JSON, where the answers are
// grouped by name, each name an array (so the order is kept within a name
// only, as in Zimbra's JSON); requestId tells them apart.
func batchJSON(b *bytes.Buffer, items []batchItem, trace string) {
	b.WriteString(`{"BatchResponse":{`)
	done := map[string]bool{}
	for i := range items {
		name := items[i].name()
		if done[name] {
			continue
		}
		done[name] = true
		jsonValue(b, name)
		b.WriteString(`:[`)
		first := true
		for j := range items {
			it := &items[j]
			if it.name() != name {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if it.n != nil {
				it.n.writeJSON(b)
			} else {
				faultBody(b, formJSON, it.wire, it.msg, trace, it.id)
			}
		}
		b.WriteString(`],`)
	}
	b.WriteString(`"_jsns":"urn:zimbra"}}`)
}
