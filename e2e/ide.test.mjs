// The GraphQL IDE in a real browser (headless Chromium, driven by
// playwright-core): the subgraph built from this tree serves its page at / on
// loopback, with the demo data and its development tokens. The page must load
// and work with nothing but the subgraph: a request for any other host fails
// the test.
//
// Chromium is Debian's (apt-get install chromium; .ci/run installs it), at
// /usr/bin/chromium or $SHOP_CHROMIUM. Where it is missing the test skips,
// unless SHOP_E2E_REQUIRED is set, as in CI: then it fails.
//
// On failure a screenshot of each step taken, and of the page as it was when
// the test failed, is kept in e2e/artifacts/ide (or $SHOP_E2E_ARTIFACTS).
// SHOP_UPDATE_SCREENSHOT=1 writes the first step's to docs/ide.png, the
// README's screenshot.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { REPO_ROOT, startShop } from './lib/shop.mjs';

const CHROMIUM = process.env.SHOP_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.SHOP_E2E_ARTIFACTS || fileURLToPath(new URL('./artifacts/ide', import.meta.url));
const SCREENSHOT = join(REPO_ROOT, 'docs', 'ide.png');
const VIEWPORT = { width: 1280, height: 800 };
const STEP_TIMEOUT_MS = 20_000;

// The demo carousels the example query asks for: profile 1001's (Acme
// Outdoor: five featured, one OUT_OF_STOCK) and the author of tweet t1,
// 1002's (Tsubame Teaworks: three featured, one DISCONTINUED).
const CAROUSELS = {
  'Acme Outdoor': ['Two-person tent', 'Down sleeping bag, -5 °C', 'Rechargeable headlamp', 'Enamel camp mug'],
  'Tsubame Teaworks': ['Tokoname kyusu teapot', 'Ceremonial matcha, 30 g'],
};

const CREATE_SHOP = `mutation OpenShop {
  createShop(input: { name: "Harbour Books", storeUrl: "https://harbour.example" }) {
    shop { id name status owner { id } }
    userErrors { field message code }
  }
}`;

const missing = existsSync(CHROMIUM) ? '' : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) or set SHOP_CHROMIUM`;
const skip = missing && !process.env.SHOP_E2E_REQUIRED ? `${missing}; the IDE's browser test needs it` : false;

let shop;
let browser;

before(async () => {
  if (skip) return;
  assert.equal(missing, '', `${missing} (SHOP_E2E_REQUIRED is set: the browser test must run)`);
  const { chromium } = await import('playwright-core');
  [shop, browser] = await Promise.all([
    startShop({ seed: 'demo' }),
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start;
    // the browser loads nothing but the subgraph under test.
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
  ]);
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await shop?.stop();
});

test('the IDE runs the example query and, signed in as a demo merchant, a mutation', { skip, timeout: 90_000 }, async (t) => {
  const started = Date.now();
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const origin = new URL(shop.base).origin;

  // Nothing may leave for another host: such requests are refused, and any
  // attempt fails the test. Every request the page makes is recorded.
  const offsite = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      offsite.push(url);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin && !offsite.includes(url)) offsite.push(url);
  });
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium reports what the Content-Security-Policy refused as console errors.
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });

  const shots = [];
  const shot = async (name) => {
    shots.push({ name, png: await page.screenshot() });
  };
  const steps = [];
  const step = async (name, fn) => {
    const begun = Date.now();
    await fn();
    steps.push(`${name} ${Date.now() - begun} ms`);
  };

  try {
    await step('open /', async () => {
      const res = await page.goto(`${shop.base}/`);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
      await page.locator('.graphiql-execute-button').waitFor({ timeout: STEP_TIMEOUT_MS });
      assert.match(await editorValue(page, '.graphiql-query-editor'), /query ProfileCarousel/, 'the IDE opens with the example query');
    });

    await step('run the example query', async () => {
      await page.locator('.graphiql-execute-button').click();
      const result = await resultJSON(page, 'Tokoname kyusu teapot');
      assert.equal(result.errors, undefined);
      const carousels = Object.fromEntries(result.data._entities.map((e) => [e.shop.name, e.shop.featuredProducts.map((p) => p.title)]));
      assert.deepEqual(carousels, CAROUSELS);
      await shot('1-example-query');
      if (process.env.SHOP_UPDATE_SCREENSHOT === '1') {
        await writeFile(SCREENSHOT, shots.at(-1).png);
        t.diagnostic(`wrote ${SCREENSHOT}`);
      }
    });

    await step('open and close a dialog', async () => {
      // GraphiQL's dialogs insert styles: the CSP must allow them (an error
      // in the console fails the test).
      await page.getByLabel('Open short keys dialog').click();
      await page.getByRole('dialog').waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached', timeout: STEP_TIMEOUT_MS });
    });

    await step('sign in as 1099 and run createShop', async () => {
      await page.locator('#shop-signin:not([disabled])').waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.selectOption('#shop-signin', { label: '1099 (no shop)' });
      // The choice fills in GraphiQL's headers editor.
      await page.getByText('Headers', { exact: true }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')]
        .some((el) => /"Authorization": "Bearer ey/.test(el.CodeMirror.getValue())), null, { timeout: STEP_TIMEOUT_MS });
      await setEditorValue(page, '.graphiql-query-editor', CREATE_SHOP);
      // GraphiQL reads the operation's name from the editor a moment after
      // a change, then the page puts it in the URL: run only once it has.
      await page.waitForURL(/operationName=OpenShop/, { timeout: STEP_TIMEOUT_MS });
      // Run it from the keyboard this time.
      await page.locator('.graphiql-query-editor .CodeMirror').click();
      await page.keyboard.press('Control+Enter');
      const result = await resultJSON(page, 'createShop');
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const { shop: created, userErrors } = result.data.createShop;
      assert.deepEqual(userErrors, []);
      assert.equal(created.name, 'Harbour Books');
      assert.equal(created.status, 'DRAFT');
      assert.deepEqual(created.owner, { id: '1099' });
      await shot('2-create-shop-as-1099');
    });

    // The query lives in the URL; the token must not, nor in storage.
    const url = page.url();
    assert.match(url, /createShop/, 'the URL keeps the query');
    assert.doesNotMatch(url, /Bearer|Authorization|eyJ/, 'the URL holds the token');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    assert.doesNotMatch(stored, /eyJ[\w-]+\.eyJ/, 'the browser stored the token');

    assert.deepEqual(offsite, [], 'requests for another host');
    assert.deepEqual(problems, [], 'errors in the page');
    t.diagnostic(`steps: ${steps.join(', ')}; ${Date.now() - started} ms in all`);
  } catch (err) {
    await shot('failed').catch(() => {});
    await rm(ARTIFACTS, { recursive: true, force: true });
    await mkdir(ARTIFACTS, { recursive: true });
    const kept = [];
    for (const { name, png } of shots) {
      const file = join(ARTIFACTS, `${name}.png`);
      await writeFile(file, png);
      kept.push(file);
    }
    t.diagnostic(`screenshots: ${kept.join(', ')}`);
    t.diagnostic(`requests for another host: ${JSON.stringify(offsite)}`);
    t.diagnostic(`errors in the page: ${JSON.stringify(problems)}`);
    t.diagnostic(`steps done: ${steps.join(', ')}`);
    t.diagnostic(`subgraph log:\n${shop.log()}`);
    throw err;
  } finally {
    await context.close();
  }
});

/** editorValue returns the text of the GraphiQL editor (a CodeMirror 5) under selector. */
function editorValue(page, selector) {
  return page.locator(`${selector} .CodeMirror`).first().evaluate((el) => el.CodeMirror.getValue());
}

/** setEditorValue replaces the text of the GraphiQL editor under selector, as typing would. */
function setEditorValue(page, selector, text) {
  return page.locator(`${selector} .CodeMirror`).first().evaluate((el, t) => el.CodeMirror.setValue(t), text);
}

/**
 * resultJSON waits until the result pane's text contains want, and returns it
 * parsed. The pane's editor draws only the lines in view: its text is read
 * from the editor, not from the page.
 */
async function resultJSON(page, want) {
  await page.waitForFunction((w) => (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').includes(w),
    want, { timeout: STEP_TIMEOUT_MS });
  return JSON.parse(await editorValue(page, '.result-window'));
}
