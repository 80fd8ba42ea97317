package gqlhttp

import (
	"encoding/json"
	"unicode/utf8"
)

// bodyParams is a request body read as gqlgen's POST transport reads it
// (encoding/json, numbers as json.Number, into graphql.RawParams'
// members), in two steps: readParams reads the query and the operation
// name and checks the rest without building it, so that a body the direct
// entry declines (a mutation, a first request, any other query) costs a
// scan; decodeVariables then decodes the variables of one it takes.
//
// It takes an object whose members are each there at most once and,
// besides "query", "operationName", "variables" and "extensions", only
// names encoding/json cannot match to those (it matches them in other
// letters too). It reports false for anything else, and the entry then
// declines: it is only faster than encoding/json, never different.
// FuzzReadParams checks that whatever it reads, encoding/json reads the
// same.
type bodyParams struct {
	query, name string
	// vars is where the "variables" object is in the body; empty when it
	// is absent or null.
	vars [2]int
	// extensions: the "extensions" object has members.
	extensions bool
	d          decoder // the body
}

// readParams reads b's top-level object.
func readParams(b []byte) (bodyParams, bool) {
	// Every string read is a piece of one copy of the body: one
	// allocation, not one a string.
	p := bodyParams{d: decoder{b: b, s: string(b)}}
	d := &p.d
	d.space()
	if !d.byte('{') {
		return p, false
	}
	var seen [4]bool
	d.space()
	if d.byte('}') {
		return p, false // no query
	}
	for {
		d.space()
		key, ok := d.str()
		if !ok {
			return p, false
		}
		d.space()
		if !d.byte(':') {
			return p, false
		}
		d.space()
		i := -1
		switch key {
		case "query":
			i = 0
			ok = d.strInto(&p.query)
		case "operationName":
			i = 1
			ok = d.literal("null") || d.strInto(&p.name)
		case "variables":
			i = 2
			start := d.i
			ok = d.literal("null") || d.object(func(string) bool { return d.skip(1) })
			if ok && d.b[start] == '{' {
				p.vars = [2]int{start, d.i}
			}
		case "extensions":
			i = 3
			ok = d.literal("null") || d.object(func(string) bool { p.extensions = true; return d.skip(1) })
		default:
			ok = unmatched(key) && d.skip(0)
		}
		if !ok {
			return p, false
		}
		if i >= 0 {
			if seen[i] {
				return p, false
			}
			seen[i] = true
		}
		d.space()
		if d.byte('}') {
			// What follows is not read, as json.Decoder does not.
			return p, seen[0]
		}
		if !d.byte(',') {
			return p, false
		}
	}
}

// decodeVariables decodes the variables as encoding/json decodes them into
// a map[string]any; nil when there are none.
func (p bodyParams) decodeVariables() (map[string]any, bool) {
	if p.vars[1] == 0 {
		return nil, true
	}
	d := decoder{b: p.d.b[:p.vars[1]], s: p.d.s[:p.vars[1]], i: p.vars[0]}
	v, ok := d.value(0)
	vars, _ := v.(map[string]any)
	return vars, ok
}

// unmatched reports whether encoding/json matches key to none of
// RawParams' members: an ASCII name that is none of theirs in any letters.
// (A name with other characters might fold to one: K, the Kelvin sign, to
// k; ſ to s.)
func unmatched(key string) bool {
	var lower [16]byte
	if len(key) > len(lower) {
		return true // longer than any of theirs
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= utf8.RuneSelf {
			return false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	switch string(lower[:len(key)]) {
	case "query", "operationname", "variables", "extensions":
		return false
	}
	return true
}

// maxDepth bounds the nesting the decoder follows; deeper values make the
// entry decline (encoding/json's own bound is 10,000).
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

// str reads a string as encoding/json does: a piece of the body when it
// has no escapes and is valid UTF-8, else encoding/json's own reading of
// it (escapes, invalid UTF-8 replaced), which is rare.
func (d *decoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, plain := d.i, true
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			s := d.s[start:d.i]
			d.i++
			if plain && utf8.ValidString(s) {
				return s, true
			}
			var out string
			err := json.Unmarshal(d.b[start-1:d.i], &out)
			return out, err == nil
		case c == '\\':
			plain = false
			d.i++ // the escaped character, which cannot end the string
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// strInto reads a string into s.
func (d *decoder) strInto(s *string) bool {
	v, ok := d.str()
	*s = v
	return ok
}

// value reads any JSON value as encoding/json decodes it into an any with
// UseNumber.
func (d *decoder) value(depth int) (any, bool) {
	if depth > maxDepth || d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		obj := make(map[string]any, 4) // a representation's keys, at once
		ok := d.object(func(key string) bool {
			v, ok := d.value(depth + 1)
			obj[key] = v // a repeated key: the last, as encoding/json
			return ok
		})
		return obj, ok
	case c == '[':
		list := []any{}
		ok := d.array(func() bool {
			v, ok := d.value(depth + 1)
			list = append(list, v)
			return ok
		})
		return list, ok
	case c == '"':
		return d.str()
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

// skip reads any JSON value as value does, building nothing.
func (d *decoder) skip(depth int) bool {
	if depth > maxDepth || d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(func(string) bool { return d.skip(depth + 1) })
	case c == '[':
		return d.array(func() bool { return d.skip(depth + 1) })
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, ok := d.number()
		return ok
	}
	return d.literal("true") || d.literal("false") || d.literal("null")
}

// object reads an object, calling member to read each member's value.
func (d *decoder) object(member func(key string) bool) bool {
	if !d.byte('{') {
		return false
	}
	d.space()
	if d.byte('}') {
		return true
	}
	for {
		d.space()
		key, ok := d.str()
		if !ok {
			return false
		}
		d.space()
		if !d.byte(':') {
			return false
		}
		d.space()
		if !member(key) {
			return false
		}
		d.space()
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// array reads an array, calling element to read each element.
func (d *decoder) array(element func() bool) bool {
	if !d.byte('[') {
		return false
	}
	d.space()
	if d.byte(']') {
		return true
	}
	for {
		d.space()
		if !element() {
			return false
		}
		d.space()
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// number reads a JSON number, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (d *decoder) number() (json.Number, bool) {
	start := d.i
	d.byte('-')
	switch {
	case d.byte('0'):
	case d.digits() == 0:
		return "", false
	}
	if d.byte('.') && d.digits() == 0 {
		return "", false
	}
	if d.byte('e') || d.byte('E') {
		if !d.byte('+') {
			d.byte('-')
		}
		if d.digits() == 0 {
			return "", false
		}
	}
	return json.Number(d.s[start:d.i]), true
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}
