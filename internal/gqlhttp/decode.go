package gqlhttp

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeParams decodes a request body as gqlgen's POST transport does
// (encoding/json, numbers as json.Number, into graphql.RawParams' members),
// for the bodies gateways send: an object of "query", "operationName",
// "variables" and "extensions", each at most once, spelled so, whose
// strings have no escapes. It reports false for anything else, and the
// caller then decodes with encoding/json: it is only faster (a timeline's
// representations were a third of a 1,000-representation request's CPU,
// through encoding/json's scanner), never different. FuzzDecodeParams
// checks that whatever it decodes, encoding/json decodes the same.
func decodeParams(b []byte, p *params) bool {
	// Every string decoded is a piece of one copy of the body: one
	// allocation, not one a string.
	d := decoder{b: b, s: string(b)}
	d.space()
	if !d.byte('{') {
		return false
	}
	var seen [4]bool
	d.space()
	if d.byte('}') {
		return true
	}
	for {
		d.space()
		key, ok := d.plainString()
		if !ok {
			return false
		}
		d.space()
		if !d.byte(':') {
			return false
		}
		d.space()
		var i int
		switch key {
		case "query":
			i = 0
			if p.Query, ok = d.plainString(); !ok {
				return false
			}
		case "operationName":
			i = 1
			if d.literal("null") {
				p.OperationName = ""
			} else if p.OperationName, ok = d.plainString(); !ok {
				return false
			}
		case "variables":
			i = 2
			if d.literal("null") {
				p.Variables = nil
				break
			}
			v, ok := d.value(0)
			obj, isObj := v.(map[string]any)
			if !ok || !isObj {
				return false
			}
			p.Variables = obj
		case "extensions":
			i = 3
			if d.literal("null") {
				break
			}
			v, ok := d.value(0)
			if obj, isObj := v.(map[string]any); !ok || !isObj || len(obj) > 0 {
				return false // the entry declines extensions anyway
			}
		default:
			return false // encoding/json matches keys in other letters too
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		d.space()
		if d.byte('}') {
			return true // what follows is not read, as json.Decoder does not
		}
		if !d.byte(',') {
			return false
		}
	}
}

// maxDepth bounds the nesting decodeParams follows; deeper values go to
// encoding/json.
const maxDepth = 64

type decoder struct {
	b []byte
	s string // b
	i int
}

func (d *decoder) space() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\t' || d.b[d.i] == '\n' || d.b[d.i] == '\r') {
		d.i++
	}
}

func (d *decoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters, in
// valid UTF-8.
func (d *decoder) plainString() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// value reads any JSON value as encoding/json decodes it into an any with
// UseNumber.
func (d *decoder) value(depth int) (any, bool) {
	if depth > maxDepth || d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		obj := make(map[string]any, 4) // a representation's keys, at once
		d.space()
		if d.byte('}') {
			return obj, true
		}
		for {
			d.space()
			key, ok := d.plainString()
			if !ok {
				return nil, false
			}
			d.space()
			if !d.byte(':') {
				return nil, false
			}
			d.space()
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			obj[key] = v // a repeated key: the last, as encoding/json
			d.space()
			if d.byte('}') {
				return obj, true
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	case c == '[':
		d.i++
		list := []any{}
		d.space()
		if d.byte(']') {
			return list, true
		}
		for {
			d.space()
			v, ok := d.value(depth + 1)
			if !ok {
				return nil, false
			}
			list = append(list, v)
			d.space()
			if d.byte(']') {
				return list, true
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	case c == '"':
		return d.plainString()
	case c == 't' && d.literal("true"):
		return true, true
	case c == 'f' && d.literal("false"):
		return false, true
	case c == 'n' && d.literal("null"):
		return nil, true
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

// number reads a JSON number, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *decoder) number() (any, bool) {
	start := d.i
	d.byte('-')
	switch {
	case d.byte('0'):
	case d.digits() == 0:
		return nil, false
	}
	if d.byte('.') && d.digits() == 0 {
		return nil, false
	}
	if d.byte('e') || d.byte('E') {
		if !d.byte('+') {
			d.byte('-')
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(d.b[start:d.i]), true
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}
