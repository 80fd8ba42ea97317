// The Shop subgraph under test: the Go binary built from this tree, serving a
// temporary SQLite file on loopback.
//
// SHOP_BIN names a binary already built (the Go test e2e_test.go builds one
// and sets it); without it, the binary is built here with `go build`.

import { spawn, execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

// Children still running when the process exits (a failed test, Ctrl-C,
// SIGTERM from the Go test's timeout) are killed then, and their temporary
// directories removed: nothing outlives the suite.
const running = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

// hermeticEnv is the environment without the subgraph's own configuration
// (SHOP_*, DATABASE_URL, PORT), so the suite runs the defaults whatever the
// developer's shell has set.
function hermeticEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SHOP_') && k !== 'DATABASE_URL' && k !== 'PORT'));
}

/**
 * shopBinary returns the path of the subgraph binary: $SHOP_BIN, or one built
 * now from the tree into dir.
 */
export async function shopBinary(dir) {
  if (process.env.SHOP_BIN) return process.env.SHOP_BIN;
  const bin = join(dir, 'shop');
  await run('go', ['build', '-o', bin, 'github.com/shop-subgraph/shop'], { cwd: REPO_ROOT, timeout: 120_000 });
  return bin;
}

/**
 * startShop imports the JSONL files into a fresh SQLite file and serves it on
 * 127.0.0.1 at a free port, with the demo data too when seed is 'demo'. env
 * adds to the serving process's environment (SHOP_JWT_SECRET, …), after the
 * developer's SHOP_* are dropped. It resolves when the subgraph logs that it
 * serves.
 */
export async function startShop({ data = [], seed = 'none', env = {} } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'shop-e2e-'));
  tempDirs.add(dir);
  const removeDir = async () => {
    await rm(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };
  let child;
  try {
    const bin = await shopBinary(dir);
    const db = join(dir, 'shop.db');
    if (data.length > 0) {
      await run(bin, ['import', '-db', db, ...data], { timeout: 30_000, env: hermeticEnv() });
    }
    child = spawn(bin, ['serve', '-db', db, '-seed', seed, '-addr', '127.0.0.1:0', '-log-format', 'json'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...hermeticEnv(), ...env },
    });
    running.add(child);
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }));
    const log = [];
    const addr = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`shop subgraph did not log "serving" within ${START_TIMEOUT_MS} ms:\n${log.join('\n')}`)), START_TIMEOUT_MS);
      let buf = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          log.push(line);
          if (log.length > 200) log.shift();
          try {
            const entry = JSON.parse(line);
            if (entry.msg === 'serving') {
              clearTimeout(timer);
              resolve(entry.addr);
            }
          } catch {
            // not a log record; kept in log for the report
          }
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`shop subgraph exited (${signal ?? code}) before serving:\n${log.join('\n')}`));
      });
    });
    const base = `http://${addr}`;
    /** metric returns a counter from /metrics, summed over its series whose labels include label. */
    const metric = async (name, label = '') => {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
      let sum = 0;
      for (const line of (await res.text()).split('\n')) {
        const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
        if (m && m[1] === name && (m[2] ?? '').includes(label)) sum += Number(m[3]);
      }
      return sum;
    };
    return {
      url: `${base}/query`,
      base,
      /** The subgraph's log so far, for failure messages. */
      log: () => log.join('\n'),
      /** statements returns shop_db_queries_total summed over every statement name. */
      statements() {
        return metric('shop_db_queries_total');
      },
      /** requests returns how many requests /query has served (shop_http_request_duration_seconds_count). */
      requests() {
        return metric('shop_http_request_duration_seconds_count', 'route="/query"');
      },
      /** entitiesCalls returns shop_entities_calls_total for path, "direct" or "executor". */
      entitiesCalls(path) {
        return metric('shop_entities_calls_total', `path="${path}"`);
      },
      /** directOperations returns shop_graphql_direct_operations_total: operations the direct entry answered without gqlgen. */
      directOperations() {
        return metric('shop_graphql_direct_operations_total');
      },
      /** post sends a GraphQL request straight to the subgraph. */
      async post(query, variables, headers = {}) {
        const res = await fetch(`${base}/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`POST /query: ${res.status} ${await res.text()}`);
        return res.json();
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(killer);
        }
        await removeDir();
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    await removeDir();
    throw err;
  }
}

/** serviceSDL fetches a subgraph's live `_service { sdl }`. */
export async function serviceSDL(url) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json();
  if (!res.ok || body.errors) throw new Error(`_service { sdl } from ${url}: ${res.status} ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}
