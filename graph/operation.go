package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/shop-subgraph/shop/internal/catalog"
)

// The operation policy checks every operation, once gqlgen has parsed and
// validated it and before anything runs: the query's size, its literals, its
// depth, the number of fields it expands to, its complexity, introspection
// and @defer.
//
// Every check costs time linear in the document, whatever its fragments: a
// fragment's shape (depth, fields, complexity) is worked out once and
// multiplied where it is spread, with saturating arithmetic. Walking each
// spread afresh, as gqlgen's complexity walker and this file's depth check
// once did, is exponential: a 1 KB query whose fragments each spread the
// previous one twice, 30 levels deep, took minutes of CPU.

// operationPolicy is a gqlgen extension that enforces Limits on every
// operation before it runs.
type operationPolicy struct {
	limits Limits
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = operationPolicy{}

func (operationPolicy) ExtensionName() string                   { return "OperationPolicy" }
func (operationPolicy) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a query longer than the limit before it
// is parsed, validated or cached (it runs before the persisted-query
// extension, which would keep it).
func (p operationPolicy) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if n := len(params.Query); n > p.limits.MaxQueryBytes {
		return limitError(fmt.Sprintf("the query is %d bytes, more than the limit of %d; send large values as variables", n, p.limits.MaxQueryBytes))
	}
	return nil
}

func (p operationPolicy) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	// Parsing and validation take no context; stop here if the request's
	// time ran out or its client went away meanwhile.
	if err := ctx.Err(); err != nil {
		return stoppedError(err)
	}
	// _service must answer even when introspection is off: the gateway
	// composes the supergraph from it. gqlgen ties it to this flag, so it
	// stays on and __schema and __type are refused here instead.
	opCtx.DisableIntrospection = false
	op := opCtx.Operation
	if op == nil {
		return nil
	}
	if p.limits.NoIntrospection {
		for _, f := range graphql.CollectFields(opCtx, op.SelectionSet, nil) {
			if f.Name == "__schema" || f.Name == "__type" {
				return limitError("introspection is disabled on this server")
			}
		}
	}
	s := analyze(opCtx.Doc, op, opCtx.Variables)
	if s.depth > p.limits.MaxDepth {
		return limitError(fmt.Sprintf("operation is %d levels deep, more than the limit of %d", s.depth, p.limits.MaxDepth))
	}
	if s.fields > int64(p.limits.MaxFields) {
		return limitError(fmt.Sprintf("operation expands to %s fields, more than the limit of %d (a fragment counts at every place it is spread)", countString(s.fields), p.limits.MaxFields))
	}
	if s.complexity > int64(p.limits.MaxComplexity) {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation has complexity %s, which exceeds the limit of %d", countString(s.complexity), p.limits.MaxComplexity),
			Extensions: map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
		}
	}
	// gqlparser knows @defer, and gqlgen would run it, but this subgraph's
	// transports answer with one response: the deferred part would be
	// dropped, its fields left null without an error. A gateway never sends
	// @defer to a subgraph (it plans deferred parts as fetches of their own).
	if s.deferred {
		return limitError("@defer is not supported: this subgraph answers every operation in one response; ask without it")
	}
	return nil
}

// stoppedError answers an operation whose context ended before it ran.
func stoppedError(err error) *gqlerror.Error {
	msg := "request timed out"
	if errors.Is(err, context.Canceled) {
		msg = "request canceled"
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeInternal}}
}

// saturation is where the counts of shape stop growing: far over any
// limit, far under overflow.
const saturation = 1 << 53

func satAdd(a, b int64) int64 { return min(a+b, saturation) }

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturation/b {
		return saturation
	}
	return min(a*b, saturation)
}

// countString prints a count, or "more than 2^53" once it saturated.
func countString(n int64) string {
	if n >= saturation {
		return "more than 9007199254740992"
	}
	return strconv.FormatInt(n, 10)
}

// shape is what a selection set costs.
type shape struct {
	// depth is how deep it goes; introspection fields do not count.
	depth int
	// fields is how many fields it expands to: every field, __typename
	// included, counted at every place it appears, fragments expanded.
	fields int64
	// complexity prices it: a field costs 1 plus its selection's cost, a
	// list field its selection's cost times its size (listSize).
	complexity int64
	// deferred is whether a fragment in it is @defer'd.
	deferred bool
}

func (s *shape) add(o shape) {
	s.depth = max(s.depth, o.depth)
	s.fields = satAdd(s.fields, o.fields)
	s.complexity = satAdd(s.complexity, o.complexity)
	s.deferred = s.deferred || o.deferred
}

// analyzer works out an operation's shape. Each fragment is analysed once
// and remembered, so the work is linear in the document: steps counts the
// selections visited, which the tests hold against the document's size.
type analyzer struct {
	fragments ast.FragmentDefinitionList
	vars      map[string]any
	memo      map[string]*shape // nil while a fragment is being analysed
	steps     int
}

// analyze returns op's shape.
func analyze(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) shape {
	a := analyzer{fragments: doc.Fragments, vars: vars, memo: map[string]*shape{}}
	return a.selectionSet(op.SelectionSet)
}

func (a *analyzer) selectionSet(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		a.steps++
		switch s := sel.(type) {
		case *ast.Field:
			out.add(a.field(s))
		case *ast.InlineFragment:
			sub := a.selectionSet(s.SelectionSet)
			sub.deferred = sub.deferred || isDeferred(s.Directives, a.vars)
			out.add(sub)
		case *ast.FragmentSpread:
			sub := a.fragment(s.Name)
			sub.deferred = sub.deferred || isDeferred(s.Directives, a.vars)
			out.add(sub)
		}
	}
	return out
}

func (a *analyzer) fragment(name string) shape {
	if s, seen := a.memo[name]; seen {
		if s == nil {
			return shape{} // a cycle, which validation has already refused
		}
		return *s
	}
	a.memo[name] = nil
	var s shape
	if def := a.fragments.ForName(name); def != nil {
		s = a.selectionSet(def.SelectionSet)
	}
	a.memo[name] = &s
	return s
}

func (a *analyzer) field(f *ast.Field) shape {
	sub := a.selectionSet(f.SelectionSet)
	out := shape{fields: satAdd(1, sub.fields), deferred: sub.deferred}
	if strings.HasPrefix(f.Name, "__") {
		// Introspection is as deep as the type system, not as the data:
		// it does not count towards depth, and __schema costs nothing.
		if f.Name != "__schema" {
			out.complexity = satAdd(1, sub.complexity)
		}
		return out
	}
	out.depth = sub.depth + 1
	out.complexity = satAdd(1, satMul(sub.complexity, a.listSize(f)))
	return out
}

// listSize is how many elements a list field may return, for its
// complexity: a page's first (or its default; a first out of bounds counts
// as the bound, and the field's resolver refuses it), _entities' number of
// representations; 1 for any other field.
func (a *analyzer) listSize(f *ast.Field) int64 {
	if f.ObjectDefinition == nil {
		return 1
	}
	page := func(def, most int) int64 {
		n, ok := a.intArg(f, "first")
		if !ok || n < 1 {
			return int64(def)
		}
		return int64(min(n, most))
	}
	switch f.ObjectDefinition.Name + "." + f.Name {
	case "Query.shops", "Shop.products":
		return page(defaultPageSize, maxPageSize)
	case "Shop.featuredProducts":
		return page(catalog.MaxFeatured, catalog.MaxFeatured)
	case "Query._entities":
		return max(1, int64(a.listLen(f, "representations")))
	}
	return 1
}

// intArg reads an Int argument given as a literal or a variable.
func (a *analyzer) intArg(f *ast.Field, name string) (int, bool) {
	arg := f.Arguments.ForName(name)
	if arg == nil || arg.Value == nil {
		return 0, false
	}
	if arg.Value.Kind == ast.Variable {
		return toInt(a.vars[arg.Value.Raw])
	}
	if arg.Value.Kind != ast.IntValue {
		return 0, false
	}
	n, err := strconv.ParseInt(arg.Value.Raw, 10, 64)
	return int(min(max(n, math.MinInt32), math.MaxInt32)), err == nil
}

// listLen is the length of a list argument given as a literal or a
// variable, without converting its elements.
func (a *analyzer) listLen(f *ast.Field, name string) int {
	arg := f.Arguments.ForName(name)
	if arg == nil || arg.Value == nil {
		return 0
	}
	if arg.Value.Kind == ast.Variable {
		l, _ := a.vars[arg.Value.Raw].([]any)
		return len(l)
	}
	return len(arg.Value.Children)
}

// isDeferred reports whether directives defer their fragment: @defer, unless
// its if argument is false.
func isDeferred(directives ast.DirectiveList, vars map[string]any) bool {
	d := directives.ForName("defer")
	if d == nil {
		return false
	}
	arg := d.Arguments.ForName("if")
	if arg == nil || arg.Value == nil {
		return true
	}
	if arg.Value.Kind == ast.Variable {
		on, ok := vars[arg.Value.Raw].(bool)
		return on || !ok
	}
	return arg.Value.Raw != "false"
}

// numberLiteralsFit is a validation rule: it refuses a number literal that
// has no Go value, an integer beyond 64 bits or a float beyond float64.
// gqlparser's own rules let them through where the type is a custom scalar
// (_Any, Decimal, URL) and then panic reading them, in gqlgen's executor and
// complexity walk or in the fast path; or fail reading a variable's default
// as an internal error.
func numberLiteralsFit(observers *core.Events, addError core.AddErrFunc) {
	observers.OnValue(func(_ *core.Walker, v *ast.Value) {
		var err error
		kind := "an integer beyond 64 bits"
		switch v.Kind {
		case ast.IntValue:
			_, err = strconv.ParseInt(v.Raw, 10, 64)
		case ast.FloatValue:
			_, err = strconv.ParseFloat(v.Raw, 64)
			kind = "a number beyond a 64-bit float"
		}
		if err != nil {
			addError(core.Message("the literal %s is %s", truncate(v.Raw, 40), kind), core.At(v.Position))
		}
	})
}

// validationRules are gqlparser's rules and numberLiteralsFit.
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.AddRule("NumberLiteralsFit", numberLiteralsFit)
	return r
}

// countNodes returns how many nodes doc has: definitions, selections,
// arguments, directives and values, each fragment counted once as defined.
func countNodes(doc *ast.QueryDocument) int {
	n := 0
	var walkValue func(v *ast.Value)
	walkValue = func(v *ast.Value) {
		if v == nil {
			return
		}
		n++
		for _, c := range v.Children {
			walkValue(c.Value)
		}
	}
	arguments := func(args ast.ArgumentList) {
		for _, a := range args {
			n++
			walkValue(a.Value)
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			n++
			arguments(d.Arguments)
		}
	}
	var selections func(set ast.SelectionSet)
	selections = func(set ast.SelectionSet) {
		for _, sel := range set {
			n++
			switch s := sel.(type) {
			case *ast.Field:
				arguments(s.Arguments)
				directives(s.Directives)
				selections(s.SelectionSet)
			case *ast.InlineFragment:
				directives(s.Directives)
				selections(s.SelectionSet)
			case *ast.FragmentSpread:
				directives(s.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		n++
		for _, v := range op.VariableDefinitions {
			n++
			walkValue(v.DefaultValue)
			directives(v.Directives)
		}
		directives(op.Directives)
		selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n++
		directives(f.Directives)
		selections(f.SelectionSet)
	}
	return n
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
