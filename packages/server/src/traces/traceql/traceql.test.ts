import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceQLParseError } from './errors.ts';
import { evaluate, TraceView } from './evaluate.ts';
import { hintsFor } from './hints.ts';
import { parseTraceQL } from './parser.ts';
import { CORPUS, shortName, sid, TRACE_A, TRACE_B, TRACE_C } from './testdata/corpus.ts';

const VIEWS = CORPUS.map((spans) => new TraceView(spans));
const LETTER: Record<string, string> = { [TRACE_A]: 'A', [TRACE_B]: 'B', [TRACE_C]: 'C' };

/** The spans a query returns per trace (union of its spansets), as short names. */
function run(query: string): Record<string, string[]> {
  const q = parseTraceQL(query);
  const out: Record<string, string[]> = {};
  for (const view of VIEWS) {
    const sets = evaluate(q, view);
    if (sets.length === 0) continue;
    const names = new Set<string>();
    for (const s of sets) for (const span of s.spans) names.add(shortName(span.spanId));
    out[LETTER[view.spans[0].traceId]] = [...names].sort();
  }
  return out;
}

function f(query: string, expected: Record<string, string[]>) {
  test(query, () => assert.deepEqual(run(query), expected));
}

const ALL = { A: ['a1', 'a2', 'a3', 'a4', 'a5'], B: ['b1', 'b2'], C: ['c1', 'c2'] };

// Spanset filters, intrinsics
f('{ }', ALL);
f('{}', ALL);
f('{ true }', ALL);
f('{ false }', {});
f('{ name = "SELECT orders" }', { A: ['a4'] });
f('{ span:name = "SELECT orders" }', { A: ['a4'] });
f('{ name != "SELECT orders" }', { A: ['a1', 'a2', 'a3', 'a5'], B: ['b1', 'b2'], C: ['c1', 'c2'] });
f('{ name =~ "GET.*" }', { A: ['a1'], B: ['b1'] });
f('{ name =~ "checkout" }', {}); // anchored: matches only the whole name
f('{ name =~ ".*checkout.*" }', { A: ['a1', 'a2', 'a3'] });
f('{ name !~ ".*o.*" }', { A: ['a5'], B: ['b1', 'b2'], C: ['c2'] });
f('{ status = error }', { A: ['a4'], B: ['b2'] });
f('{ status = ok }', { A: ['a2'], B: ['b1'] });
f('{ status = unset }', { A: ['a1', 'a3', 'a5'], C: ['c1', 'c2'] });
f('{ status != ok }', { A: ['a1', 'a3', 'a4', 'a5'], B: ['b2'], C: ['c1', 'c2'] });
f('{ span:status = error }', { A: ['a4'], B: ['b2'] });
f('{ statusMessage = "deadlock" }', { A: ['a4'] });
f('{ kind = server }', { A: ['a1', 'a3'], B: ['b1'] });
f('{ kind = client }', { A: ['a2', 'a4', 'a5'] });
f('{ kind = internal }', { B: ['b2'] });
f('{ kind = consumer || kind = producer }', { C: ['c1', 'c2'] });
f('{ kind != client && kind != server }', { B: ['b2'], C: ['c1', 'c2'] });
f('{ duration > 50ms }', { A: ['a1', 'a2', 'a3'], C: ['c1'] });
f('{ duration >= 100ms }', { A: ['a1', 'a2'], C: ['c1'] });
f('{ duration < 5ms }', { A: ['a5'], B: ['b2'] });
f('{ duration <= 5ms }', { A: ['a5'], B: ['b1', 'b2'] });
f('{ span:duration > 1.5s }', { C: ['c1'] });
f('{ duration = 30ms }', { A: ['a4'] });
f('{ traceDuration > 1s }', { C: ['c1', 'c2'] });
f('{ trace:duration < 10ms }', { B: ['b1', 'b2'] });
f('{ rootName = "GET /checkout" }', { A: ALL.A });
f('{ trace:rootName = "GET /health" && status = error }', { B: ['b2'] });
f('{ rootServiceName = "frontend" }', { A: ALL.A, B: ALL.B });
f('{ trace:rootService = "worker" }', {}); // trace C never received its root
f('{ span:childCount = 2 }', { A: ['a3'] });
f('{ span:childCount = 0 && kind = client }', { A: ['a4', 'a5'] });
f(`{ span:id = "${sid('a4')}" }`, { A: ['a4'] });
f('{ span:parentID = "6133000000000000" }', { A: ['a4', 'a5'] });
f(`{ trace:id = "${TRACE_B}" && kind = server }`, { B: ['b1'] });
f('{ event:name = "cache.miss" }', { A: ['a5'] });
f('{ event.cache.key = "k1" }', { A: ['a5'] });
f(`{ link:traceID = "${TRACE_A}" }`, { C: ['c2'] });
f('{ instrumentation:name = "vigil-test" && name = "render" }', { B: ['b2'] });

// Attributes: scopes, types, operators
f('{ span.http.status_code = 200 }', { A: ['a1'], B: ['b1'] });
f('{ span.http.status_code >= 200 && span.http.status_code < 300 }', { A: ['a1', 'a2'], B: ['b1'] });
f('{ span.http.status_code > 200 }', { A: ['a2'] });
f('{ span.http.status_code != 200 }', { A: ['a2'] }); // spans without the attribute never match !=
f('{ .http.method = "POST" }', { A: ['a2'] });
f('{ span.http.method =~ "P.*|G.*" }', { A: ['a1', 'a2'], B: ['b1'] });
f('{ span.http.method !~ "G.*" }', { A: ['a2'] });
f('{ resource.service.name = "checkout" }', { A: ['a3', 'a4', 'a5'] });
f('{ .service.name = "checkout" }', { A: ['a3', 'a4', 'a5'] }); // unscoped falls back to the resource
f('{ span.service.name = "checkout" }', {});
f('{ resource.deployment.environment = "production" && kind = server }', { A: ['a3'] });
f('{ resource.service.name != "frontend" }', { A: ['a3', 'a4', 'a5'], C: ['c1', 'c2'] });
f('{ span.cart.items = 3 }', { A: ['a3'] });
f('{ span.cart.items = 3.0 }', { A: ['a3'] }); // ints and floats compare as numbers
f('{ span.cart.total > 40 }', { A: ['a3'] });
f('{ span.cart.total > 42.5 }', {});
f('{ span.cart.total >= 42.5 }', { A: ['a3'] });
f('{ span.cart.items = "3" }', {}); // different types never match
f('{ span.vip = true }', { A: ['a3'] });
f('{ span.vip != false }', { A: ['a3'] });
f('{ span.tags = "green" }', { A: ['a3'] }); // any array element
f('{ span.tags != "red" }', { A: ['a3'] }); // no array element
f('{ span.tags != "green" }', {});
f('{ span.tags =~ "bl.*" }', { A: ['a3'] });
f('{ span.db.system =~ "post.*" }', { A: ['a4'] });
f('{ span.db.system =~ "gres" }', {});
f('{ .db.system !~ "redis" }', { A: ['a4'] });
f('{ span.db.system > "q" }', { A: ['a5'] }); // strings order lexically
f('{ span.missing = nil }', ALL);
f('{ span.db.system != nil }', { A: ['a4', 'a5'] });
f('{ span.db.system = nil && resource.service.name = "checkout" }', { A: ['a3'] });
f('{ span.messaging.system = "kafka" || span.db.system = "redis" }', { A: ['a5'], C: ['c1'] });
f('{ (kind = server || kind = client) && status = error }', { A: ['a4'] });
f('{ !(kind = server) && resource.service.name = "frontend" }', { A: ['a2'], B: ['b2'] });
f('{ span.cart.items * 2 = 6 }', { A: ['a3'] });
f('{ span.cart.items + 1 > 3 }', { A: ['a3'] });
f('{ span."http.method" = "GET" }', { A: ['a1'], B: ['b1'] });
f('{ span.http."method" = "GET" }', { A: ['a1'], B: ['b1'] });

// Spanset operators
f('{ kind = client } && { status = error }', { A: ['a2', 'a4', 'a5'] });
f('{ resource.service.name = "frontend" } && { resource.service.name = "checkout" }', {
  A: ['a1', 'a2', 'a3', 'a4', 'a5'],
});
f('{ status = error } || { kind = consumer }', { A: ['a4'], B: ['b2'], C: ['c1'] });
f('{ name = "nope" } || { name = "render" }', { B: ['b2'] });
f('{ name = "nope" } && { name = "render" }', {});

// Structural operators
f('{ resource.service.name = "frontend" } > { resource.service.name = "checkout" }', { A: ['a3'] });
f('{ resource.service.name = "frontend" } >> { status = error }', { A: ['a4'], B: ['b2'] });
f('{ kind = server } > { kind = client }', { A: ['a2', 'a4', 'a5'] });
f('{ name = "GET /checkout" } >> { kind = client }', { A: ['a2', 'a4', 'a5'] });
f('{ name = "GET /checkout" } > { kind = client }', { A: ['a2'] });
f('{ kind = consumer } > { kind = producer }', { C: ['c2'] });
f('{ status = error } < { }', { A: ['a3'], B: ['b1'] });
f('{ status = error } << { }', { A: ['a1', 'a2', 'a3'], B: ['b1'] });
f('{ name = "cache.get" } ~ { }', { A: ['a4'] });
f('{ } !> { kind = client }', {}); // every client span has a parent in the trace
f('{ } !< { resource.service.name = "checkout" }', { A: ['a4', 'a5'] }); // leaves
f('{ kind = server } &> { kind = client }', { A: ['a1', 'a2', 'a3', 'a4', 'a5'] });
f('{ kind = server } > { kind = server } > { kind = client }', {}); // (a1 > a3 is not a direct child) → nothing
f('{ kind = server } >> { kind = server } > { kind = client }', { A: ['a4', 'a5'] });
f('{ name = "render" } && { name = "GET /health" } > { }', { B: ['b2'] }); // && binds looser than >

// Pipelines and aggregates
f('{ } | count() > 3', { A: ALL.A });
f('{ } | count() = 2', { B: ALL.B, C: ALL.C });
f('{ kind = client } | count() = 3', { A: ['a2', 'a4', 'a5'] });
f('{ } | avg(duration) > 500ms', { C: ALL.C });
f('{ } | max(duration) >= 2s', { C: ALL.C });
f('{ } | min(duration) < 2ms', { B: ALL.B });
f('{ } | sum(span.http.status_code) = 401', { A: ALL.A });
f('{ resource.service.name = "frontend" } | count() > 1 | { status = error }', { B: ['b2'] });
f('({ kind = client } | count() > 2) && { status = ok }', { A: ['a2', 'a4', 'a5'] });
f('({ } | count() > 1) && ({ kind = consumer })', { C: ['c1', 'c2'] });
f('{ status = error } | select(resource.service.name, span.db.system)', { A: ['a4'], B: ['b2'] });
f('{ } | count() * 2 > 9', { A: ALL.A });
f('count() > 4', { A: ALL.A });
f('{ kind = client } | coalesce()', { A: ['a2', 'a4', 'a5'] });

test('select and conditions add the fields returned with each spanset', () => {
  const q = parseTraceQL('{ status = error } | select(resource.service.name)');
  const sets = evaluate(q, VIEWS[0]);
  assert.deepEqual(
    sets[0].selected.map((s) => s.text),
    ['status', 'resource.service.name'],
  );
});

test('an aggregate that filtered a spanset is reported with it', () => {
  const sets = evaluate(parseTraceQL('{ } | count() > 3'), VIEWS[0]);
  assert.deepEqual(sets[0].aggregate, { text: 'count()', value: 5 });
});

// Parse errors: message, line and column
function bad(query: string, message: RegExp, col: number, line = 1) {
  test(`parse error: ${query}`, () => {
    assert.throws(
      () => parseTraceQL(query),
      (err: unknown) => {
        assert.ok(err instanceof TraceQLParseError, `got ${err}`);
        assert.match(err.message, message);
        assert.equal(err.line, line, `line of ${err.message}`);
        assert.equal(err.col, col, `column of ${err.message}`);
        return true;
      },
    );
  });
}

bad('', /empty query/, 1);
bad('{ .a = }', /expected a value.*found "}"/, 8);
bad('{ .a = "x" ', /expected "}" to close the spanset filter, found end of query/, 12);
bad('{ foo = 1 }', /unknown identifier "foo"/, 3);
bad('{ .a =~ "(" }', /invalid regular expression/, 6);
bad('{ .a = "unterminated }', /unterminated string/, 8);
bad('{ } | count()', /expected a comparison/, 14);
bad('{ } | by(.a)', /by\(\) grouping is not supported/, 7);
bad('{ .a = 1 } |', /expected a spanset filter/, 13);
bad('{ span:nope = 1 }', /unknown intrinsic span:nope/, 3);
bad('{ .a = 1 } &&', /expected a spanset filter/, 14);
bad('{ } | count() > 1 && { }', /must be in parentheses/, 19);
bad('{ .a = 12xs }', /invalid duration/, 8);
bad('{ .a = 1 }\n  >> { .b = @ }', /unexpected character "@"/, 13, 2);
bad('{ } | avg() > 1', /avg\(\) needs a value/, 11);
bad('{ } | 1 > 2', /needs an aggregate/, 7);
bad('{ .a = "\\q" }', /invalid escape sequence/, 9);
bad('{ parent.a = 1 }', /parent\. scope is not supported/, 3);
bad('{ .a = 1 ) ', /expected "}"/, 10);

test('storage hints: services and minimum durations that matching traces must have', () => {
  const h = (q: string) => {
    const hints = hintsFor(parseTraceQL(q).root);
    return { services: hints.services ? [...hints.services].sort() : undefined, min: hints.minDurationNs };
  };
  assert.deepEqual(h('{ resource.service.name = "a" }'), { services: ['a'], min: undefined });
  assert.deepEqual(h('{ resource.service.name =~ "a|b" && duration > 1s }'), {
    services: ['a', 'b'],
    min: 1e9,
  });
  assert.deepEqual(h('{ resource.service.name = "a" || resource.service.name = "b" }'), {
    services: ['a', 'b'],
    min: undefined,
  });
  assert.deepEqual(h('{ resource.service.name = "a" || name = "x" }'), {
    services: undefined,
    min: undefined,
  });
  assert.deepEqual(h('{ .service.name = "a" }'), { services: undefined, min: undefined });
  assert.deepEqual(h('{ name = "x" } >> { resource.service.name = "db" }'), {
    services: ['db'],
    min: undefined,
  });
  assert.deepEqual(h('{ resource.service.name = "a" } !> { }'), { services: undefined, min: undefined });
  assert.deepEqual(h('{ duration > 2s } | count() > 1'), { services: undefined, min: 2e9 });
});
