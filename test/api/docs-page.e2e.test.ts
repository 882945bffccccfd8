import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOD_PASSWORD, uniqueEmail } from '../support/accounts-api.ts';
import { DOCUMENT } from '../support/contract.ts';
import { useShop } from '../support/shop.ts';

/** Debian's `chromium` package (`sudo apt-get install -y chromium`); CHROMIUM_PATH overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Kept by the run as an artifact (gitignored). */
const SCREENSHOT = path.resolve(import.meta.dirname, '..', '..', 'test-results', 'docs.png');

/** The customer the page's sign-in example names (npm start names the demo customer Ada). */
const example = { account: 'a test customer', email: uniqueEmail('docs'), password: GOOD_PASSWORD };

const operations = Object.entries(DOCUMENT.paths).flatMap(([template, methods]) =>
  Object.keys(methods).map((method) => `${method.toUpperCase()} ${template}`),
);

describe('GET /docs in a browser (headless Chromium)', () => {
  // Its own backend: the page's sign-in example is set when the backend starts.
  const shop = useShop({ environment: { DOCS_SIGN_IN_EXAMPLE: JSON.stringify(example) } });
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: the docs page test needs a browser. Install Debian's package (sudo apt-get install -y chromium) or set CHROMIUM_PATH.`,
      );
    }
    const { email, password } = example;
    const registered = await shop.accounts.register({ email, password, displayName: 'Docs reader' });
    expect(registered.status).toBe(201);
    // No sandbox: CI runs as root, where Chromium refuses to start with one.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    // CSP violations and script errors show up here; the page must have none.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${shop.api}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('lists every operation of the document', async () => {
    const listed = await page.$$eval('.opblock', (blocks) =>
      blocks.map((block) => {
        const method = block.querySelector('.opblock-summary-method')?.textContent ?? '';
        const path = block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
        return `${method.trim().toUpperCase()} ${path}`;
      }),
    );
    expect(listed.sort()).toEqual([...operations].sort());
  });

  it('runs GET /products from the page against the API that serves it and shows the answer', async () => {
    const block = page.locator('.opblock-get', { has: page.locator('[data-path="/products"]') });
    await block.locator('.opblock-summary-control').click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    const answered = page.waitForResponse((response) => response.url().startsWith(`${shop.api}/products`));
    await block.getByRole('button', { name: 'Execute' }).click();
    const response = await answered;
    expect(response.status()).toBe(200);
    const live = block.locator('.live-responses-table tbody .response');
    await expect.poll(() => live.locator('.response-col_status').first().textContent()).toContain('200');
    expect(await live.locator('.response-col_description').first().textContent()).toContain('"nextCursor"');
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await block.scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('shows the operations first, then the overview with the table of problem types', async () => {
    // Run in the page (a string: this project's types have no DOM).
    const order = await page.evaluate(`(() => {
      const operation = document.querySelector('.opblock');
      const overview = document.querySelector('.information-container');
      const problemTable = [...document.querySelectorAll('.information-container table')].find((table) =>
        table.textContent.includes('/problems/'),
      );
      const follows = (a, b) => Boolean(a && b && a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return {
        overviewAfterOperations: follows(operation, overview),
        problemTableAfterOperations: follows(operation, problemTable),
        introBeforeOperations: follows(document.getElementById('intro'), operation),
      };
    })()`);
    expect(order).toEqual({
      overviewAfterOperations: true,
      problemTableAfterOperations: true,
      introBeforeOperations: true,
    });
  });

  it('names the WebSocket API of the backend that serves it', async () => {
    expect(shop.backend.webSocketUrl).toBeDefined();
    expect(await page.locator('#websocket-url').textContent()).toBe(shop.backend.webSocketUrl);
  });

  it('signs in from the page with the account it names', async () => {
    expect(await page.locator('#sign-in-example').textContent()).toContain(
      `a test customer, ${example.email} / ${example.password}`,
    );
    const block = page.locator('.opblock-post', { has: page.locator('[data-path="/auth/login"]') });
    await block.locator('.opblock-summary-control').click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    expect(await block.locator('textarea.body-param__text').inputValue()).toContain(example.email);
    const answered = page.waitForResponse((response) => response.url() === `${shop.api}/auth/login`);
    await block.getByRole('button', { name: 'Execute' }).click();
    expect((await answered).status()).toBe(200);
  });

  it('loads nothing from anywhere but the API itself, and breaks no rule of its Content-Security-Policy', () => {
    const origin = new URL(shop.api).origin;
    expect(requested.filter((url) => !url.startsWith(origin) && !url.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
