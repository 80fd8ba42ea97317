package gqlhttp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/errcode"
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
	schema *ast.Schema
	// defaultMaxAge is CacheOptions.DefaultMaxAge in seconds.
	defaultMaxAge int64
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
	s := analyze(p.schema, opCtx.Doc, op, opCtx.Variables, p.defaultMaxAge)
	cachecontrol.From(ctx).SetOperation(op.Operation == ast.Query, s.maxAge, s.private)
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
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": errcode.Internal}}
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
	// complexity prices it as demand control does (the IBM GraphQL cost
	// specification, Federation's @cost and @listSize): an object costs 1,
	// a scalar or an enum 0, unless @cost says otherwise; a list costs its
	// elements times its size. sized is the part of it in the fields the
	// enclosing connection's @listSize(sizedFields:) names, which its
	// slicing argument multiplies.
	complexity, sized int64
	// maxAge is the least max-age its fields allow a response to be
	// cached for (cachecontrol.NoMaxAge when none restricts it); private
	// is whether one of them is PRIVATE (@cacheControl).
	maxAge  int64
	private bool
	// deferred is whether a fragment in it is @defer'd.
	deferred bool
}

func (s *shape) add(o shape) {
	s.depth = max(s.depth, o.depth)
	s.fields = satAdd(s.fields, o.fields)
	s.complexity = satAdd(s.complexity, o.complexity)
	s.sized = satAdd(s.sized, o.sized)
	s.maxAge = minAge(s.maxAge, o.maxAge)
	s.private = s.private || o.private
	s.deferred = s.deferred || o.deferred
}

// minAge is the lesser of two max-ages, cachecontrol.NoMaxAge being the greatest.
func minAge(a, b int64) int64 {
	if a == cachecontrol.NoMaxAge {
		return b
	}
	if b == cachecontrol.NoMaxAge {
		return a
	}
	return min(a, b)
}

// analyzer works out an operation's shape. Each fragment is analysed once
// and remembered, so the work is linear in the document: steps counts the
// selections visited, which the tests hold against the document's size.
type analyzer struct {
	schema    *ast.Schema // nil: no costs or cache hints (tests of the walk)
	fragments ast.FragmentDefinitionList
	vars      map[string]any
	// defaultMaxAge is the max-age of a root field or a field of object
	// type that no @cacheControl hint covers.
	defaultMaxAge int64
	memo          map[string]*shape // nil while a fragment is being analysed
	steps         int
}

// analyze returns op's shape.
func analyze(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, defaultMaxAge int64) shape {
	a := analyzer{schema: schema, fragments: doc.Fragments, vars: vars, defaultMaxAge: defaultMaxAge, memo: map[string]*shape{}}
	return a.selectionSet(op.SelectionSet, nil)
}

// selectionSet returns set's shape; the cost of the fields sizedFields
// names goes to sized.
func (a *analyzer) selectionSet(set ast.SelectionSet, sizedFields []string) shape {
	out := shape{maxAge: cachecontrol.NoMaxAge}
	for _, sel := range set {
		a.steps++
		switch s := sel.(type) {
		case *ast.Field:
			f := a.field(s)
			if slices.Contains(sizedFields, s.Name) {
				f.sized, f.complexity = satAdd(f.sized, f.complexity), 0
			}
			out.add(f)
		case *ast.InlineFragment:
			sub := a.selectionSet(s.SelectionSet, sizedFields)
			sub.deferred = sub.deferred || isDeferred(s.Directives, a.vars)
			out.add(sub)
		case *ast.FragmentSpread:
			sub := a.fragment(s.Name, sizedFields)
			sub.deferred = sub.deferred || isDeferred(s.Directives, a.vars)
			out.add(sub)
		}
	}
	return out
}

// fragment returns a fragment's shape, worked out once for each set of
// sized fields it is spread under (a handful: the schema's @listSize).
func (a *analyzer) fragment(name string, sizedFields []string) shape {
	key := name + "\x00" + strings.Join(sizedFields, ",")
	if s, seen := a.memo[key]; seen {
		if s == nil {
			return shape{maxAge: cachecontrol.NoMaxAge} // a cycle, which validation has already refused
		}
		return *s
	}
	a.memo[key] = nil
	s := shape{maxAge: cachecontrol.NoMaxAge}
	if def := a.fragments.ForName(name); def != nil {
		s = a.selectionSet(def.SelectionSet, sizedFields)
	}
	a.memo[key] = &s
	return s
}

func (a *analyzer) field(f *ast.Field) shape {
	def := f.Definition
	var listSize *ast.Directive
	if def != nil {
		listSize = def.Directives.ForName("listSize")
	}
	var sizedFields []string
	if listSize != nil {
		sizedFields = stringsArg(listSize, "sizedFields")
	}
	sub := a.selectionSet(f.SelectionSet, sizedFields)
	out := shape{fields: satAdd(1, sub.fields), deferred: sub.deferred, maxAge: sub.maxAge, private: sub.private}
	if strings.HasPrefix(f.Name, "__") || def == nil || a.schema == nil {
		// Introspection is as deep as the type system, not as the data:
		// it does not count towards depth, and costs nothing.
		if !strings.HasPrefix(f.Name, "__") {
			out.depth = sub.depth + 1
		}
		if f.Name == "__schema" || f.Name == "__type" {
			out.maxAge = minAge(out.maxAge, a.defaultMaxAge)
		}
		return out
	}
	out.depth = sub.depth + 1
	typ := a.schema.Types[def.Type.Name()]
	weight := a.weight(def, typ)
	children := satAdd(sub.complexity, sub.sized)
	switch size := a.listSize(f, listSize); {
	case len(sizedFields) > 0:
		out.complexity = satAdd(weight, satAdd(sub.complexity, satMul(size, sub.sized)))
	case def.Type.Elem != nil:
		out.complexity = satMul(size, satAdd(weight, children))
	default:
		out.complexity = satAdd(weight, children)
	}
	age, private := a.cacheHint(f, def, typ)
	out.maxAge = minAge(out.maxAge, age)
	out.private = out.private || private
	return out
}

// weight is what one value of the field costs besides its selection:
// its @cost, else its type's, else 1 for an object and 0 for a leaf.
func (a *analyzer) weight(def *ast.FieldDefinition, typ *ast.Definition) int64 {
	if d := def.Directives.ForName("cost"); d != nil {
		return intDirectiveArg(d, "weight")
	}
	if typ == nil {
		return 0
	}
	if d := typ.Directives.ForName("cost"); d != nil {
		return intDirectiveArg(d, "weight")
	}
	if typ.Kind == ast.Object || typ.Kind == ast.Interface || typ.Kind == ast.Union {
		return 1
	}
	return 0
}

// maxSlice is what a slicing argument counts as, at most: the largest page
// a list of this schema returns. A first beyond a list's own bound is the
// field's error (BAD_USER_INPUT), not the operation's cost.
const maxSlice = graph.MaxPageSize

// listSize is how many elements a list field returns, for its cost: the
// value of its @listSize slicing argument (or that argument's default) up
// to maxSlice, else its assumedSize; _entities, which federation adds, its
// number of representations; 1 for any other field.
func (a *analyzer) listSize(f *ast.Field, listSize *ast.Directive) int64 {
	if f.ObjectDefinition != nil && f.ObjectDefinition.Name == "Query" && f.Name == "_entities" {
		return max(1, int64(a.listLen(f, "representations")))
	}
	if listSize == nil {
		return 1
	}
	for _, name := range stringsArg(listSize, "slicingArguments") {
		n, ok := a.intArg(f, name)
		if !ok {
			if arg := f.Definition.Arguments.ForName(name); arg != nil && arg.DefaultValue != nil {
				n, ok = literalInt(arg.DefaultValue)
			}
		}
		if ok && n > 0 {
			return int64(min(n, maxSlice))
		}
	}
	if d := listSize.Arguments.ForName("assumedSize"); d != nil {
		if n, ok := literalInt(d.Value); ok && n > 0 {
			return int64(n)
		}
	}
	return 1
}

// cacheHint is the max-age a field allows (cachecontrol.NoMaxAge: no restriction) and
// whether it is PRIVATE, by Apollo's rules: the field's @cacheControl, else
// its type's; inheritMaxAge restricts nothing; without a maxAge, a root
// field or a field of object type takes the default, a leaf nothing.
// _entities takes the least hint of the entity types it returns that have
// one (Shop, Product; Profile and Tweet, whose owners are other subgraphs,
// carry none: their fields below decide).
func (a *analyzer) cacheHint(f *ast.Field, def *ast.FieldDefinition, typ *ast.Definition) (int64, bool) {
	root := f.ObjectDefinition != nil && (f.ObjectDefinition.Name == "Query" || f.ObjectDefinition.Name == "Mutation")
	if root && f.Name == "_entities" {
		age := int64(cachecontrol.NoMaxAge)
		private := false
		for _, name := range a.representationTypes(f) {
			t := a.schema.Types[name]
			if t == nil {
				continue
			}
			if h := t.Directives.ForName("cacheControl"); h != nil {
				if n, ok := literalInt(argValue(h, "maxAge")); ok {
					age = minAge(age, int64(n))
				}
				private = private || enumArg(h, "scope") == "PRIVATE"
			}
		}
		return age, private
	}
	hint := def.Directives.ForName("cacheControl")
	if hint == nil && typ != nil {
		hint = typ.Directives.ForName("cacheControl")
	}
	var private bool
	if hint != nil {
		private = enumArg(hint, "scope") == "PRIVATE"
		if n, ok := literalInt(argValue(hint, "maxAge")); ok {
			return int64(n), private
		}
		if on, _ := strconv.ParseBool(argValue(hint, "inheritMaxAge").Raw); on {
			return cachecontrol.NoMaxAge, private
		}
	}
	if root || (typ != nil && typ.Kind != ast.Scalar && typ.Kind != ast.Enum) {
		return a.defaultMaxAge, private
	}
	return cachecontrol.NoMaxAge, private
}

// representationTypes returns the __typename of each representation of an
// _entities field, once each.
func (a *analyzer) representationTypes(f *ast.Field) []string {
	arg := f.Arguments.ForName("representations")
	if arg == nil || arg.Value == nil {
		return nil
	}
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if arg.Value.Kind == ast.Variable {
		list, _ := a.vars[arg.Value.Raw].([]any)
		for _, v := range list {
			if rep, ok := v.(map[string]any); ok {
				name, _ := rep["__typename"].(string)
				add(name)
			}
		}
		return names
	}
	for _, c := range arg.Value.Children {
		if c.Value != nil {
			if t := c.Value.Children.ForName("__typename"); t != nil {
				add(t.Raw)
			}
		}
	}
	return names
}

// argValue returns a directive argument's value, or a null value.
func argValue(d *ast.Directive, name string) *ast.Value {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value
	}
	return &ast.Value{Kind: ast.NullValue}
}

func enumArg(d *ast.Directive, name string) string { return argValue(d, name).Raw }

func intDirectiveArg(d *ast.Directive, name string) int64 {
	n, _ := literalInt(argValue(d, name))
	return int64(n)
}

// stringsArg reads a directive's list of strings argument.
func stringsArg(d *ast.Directive, name string) []string {
	var out []string
	for _, c := range argValue(d, name).Children {
		out = append(out, c.Value.Raw)
	}
	return out
}

// literalInt reads an Int literal, clamped to 32 bits.
func literalInt(v *ast.Value) (int, bool) {
	if v == nil || v.Kind != ast.IntValue {
		return 0, false
	}
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	return int(min(max(n, math.MinInt32), math.MaxInt32)), err == nil
}

// intArg reads an Int argument given as a literal or a variable.
func (a *analyzer) intArg(f *ast.Field, name string) (int, bool) {
	arg := f.Arguments.ForName(name)
	if arg == nil || arg.Value == nil {
		return 0, false
	}
	if arg.Value.Kind == ast.Variable {
		return graph.IntValue(a.vars[arg.Value.Raw])
	}
	return literalInt(arg.Value)
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
