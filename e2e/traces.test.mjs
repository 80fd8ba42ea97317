// Traces through a real gateway (the end-to-end check): a client
// sends a timeline with a W3C traceparent, @apollo/gateway forwards it to the
// Shop subgraph, and the subgraph exports its spans over OTLP/HTTP to a
// receiver in this test, which finds them under the client's trace: the
// request, the operation, the two statements and the response write.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import { startGateway } from './lib/gateway.mjs';
import { startShop } from './lib/shop.mjs';
import { startSocial } from './lib/social.mjs';
import { SHOPS_JSONL } from './lib/testdata.mjs';

// readProto splits a protobuf message into its fields: [number, value], a
// LEN field's value as its bytes, a varint's as a BigInt. That is all of
// the protocol an OTLP span needs, so the receiver needs no dependency.
function readProto(buf) {
  const fields = [];
  let i = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const [num, wire] = [key >>> 3, key & 7];
    if (wire === 0) fields.push([num, varint()]);
    else if (wire === 1) { fields.push([num, buf.subarray(i, i + 8)]); i += 8; }
    else if (wire === 5) { fields.push([num, buf.subarray(i, i + 4)]); i += 4; }
    else if (wire === 2) {
      const len = Number(varint());
      fields.push([num, buf.subarray(i, i + len)]);
      i += len;
    } else throw new Error(`protobuf wire type ${wire}`);
  }
  return fields;
}

const sub = (fields, num) => fields.filter(([n]) => n === num).map(([, v]) => v);

// spansOf decodes an ExportTraceServiceRequest: resource_spans (1) →
// scope_spans (2) → spans (2) → trace_id (1), span_id (2), parent_span_id
// (4), name (5).
function spansOf(body) {
  const spans = [];
  for (const rs of sub(readProto(body), 1)) {
    for (const ss of sub(readProto(rs), 2)) {
      for (const s of sub(readProto(ss), 2)) {
        const f = readProto(s);
        const hex = (num) => Buffer.from(sub(f, num)[0] ?? []).toString('hex');
        spans.push({ traceId: hex(1), spanId: hex(2), parentId: hex(4), name: Buffer.from(sub(f, 5)[0] ?? []).toString('utf8') });
      }
    }
  }
  return spans;
}

let receiver;
let received = [];
let shop;
let social;
let gateway;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/x-protobuf') {
        received.push(...spansOf(Buffer.concat(chunks)));
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  shop = await startShop({
    data: [SHOPS_JSONL],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.address().port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  social = await startSocial();
  gateway = await startGateway([
    { name: 'social', url: social.url },
    { name: 'shop', url: shop.url },
  ]);
}, { timeout: 150_000 });

after(async () => {
  await gateway?.stop();
  await social?.stop();
  await shop?.stop();
  receiver?.close();
});

test('a timeline through the gateway leaves the subgraph\'s spans under the client\'s trace', { timeout: 30_000 }, async () => {
  social.setTimeline(6);
  const traceId = randomBytes(16).toString('hex');
  const clientSpan = randomBytes(8).toString('hex');
  const res = await gateway.query('query Timeline { timeline(first: 6) { id shop { name featuredProducts { title } } } }', {},
    { headers: { traceparent: `00-${traceId}-${clientSpan}-01` } });
  assert.equal(res.status, 200);
  assert.equal(res.body.errors, undefined);
  assert.ok(res.body.data.timeline.some((t) => t.shop), 'no tweet by a merchant');

  const want = ['POST /query', '_entities', 'shops_by_owner_ids', 'featured_cards_by_shop_ids', 'write response'];
  let spans = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    spans = received.filter((s) => s.traceId === traceId);
    if (want.every((n) => spans.some((s) => s.name === n))) break;
  }
  const names = spans.map((s) => s.name).sort();
  for (const name of want) assert.ok(names.includes(name), `no span ${name} under the client's trace: ${names.join(', ')}`);

  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const server = spans.find((s) => s.name === 'POST /query');
  assert.equal(server.parentId, clientSpan, 'the request\'s span continues the client\'s');
  const op = spans.find((s) => s.name.startsWith('query'));
  assert.ok(op, `no operation span: ${names.join(', ')}`);
  assert.equal(op.parentId, server.spanId, 'the operation is under the request');
  assert.equal(byId.get(spans.find((s) => s.name === 'write response').parentId), server, 'the response write is under the request');
  for (const stmt of ['shops_by_owner_ids', 'featured_cards_by_shop_ids']) {
    // statement → loader batch → operation
    const loader = byId.get(spans.find((s) => s.name === stmt).parentId);
    assert.match(loader?.name ?? '', /^loader /, `${stmt}'s parent`);
    assert.equal(byId.get(loader.parentId), op, `${stmt}'s loader batch is under the operation`);
  }
});
