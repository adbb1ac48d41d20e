// The reference portal (examples/portal) in headless Chromium (Debian's, driven by
// playwright-core), served from two loopback origins: one the municipality allowed, one not.
// On the allowed one it is read in Spanish, English and Portuguese, on a desktop and on a
// phone (390 px), and checked by axe-core; a third page points at an API nobody serves.
// Usage: node portal/browser.mjs <graphql url> <slug> <allowed port> <other port> <screenshot dir>
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [api, slug, allowedPort, otherPort, screenshots] = process.argv.slice(2);
const root = fileURLToPath(new URL('../../../examples/portal/', import.meta.url));
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.graphql': 'text/plain' };

function serve(port) {
  const server = createServer(async (request, response) => {
    const path = normalize(new URL(request.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    try {
      const body = await readFile(join(root, path));
      response.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(Number(port), '127.0.0.1', () => resolve(server)));
}

const address = (port, lang, apiUrl = api) =>
  `http://127.0.0.1:${port}/index.html?api=${encodeURIComponent(apiUrl)}&municipality=${slug}&lang=${lang}`;

async function read(page) {
  const text = (selector) => page.locator(selector).allTextContents();
  return {
    state: await page.getAttribute('body', 'data-state'),
    lang: await page.getAttribute('html', 'lang'),
    municipality: await page.textContent('#municipality'),
    eyebrow: await page.textContent('.eyebrow'),
    brand: await page.evaluate(() => getComputedStyle(document.querySelector('header')).backgroundColor),
    plans: await text('.plan > h2'),
    commitments: await page.locator('.commitment h3').count(),
    bars: await page.locator('.commitment .bar').count(),
    delayed: await page.locator('.badge.late').count(),
    ratings: await page.locator('.ratings li').count(),
    completion: await text('.commitment .badge:not(.late)'),
    diagnostic: await text('.diagnostic h3'),
    proposals: await text('.proposal h3'),
    answers: await text('.proposal .answer strong'),
    ledTo: await text('.proposal .led-to'),
    record: await page.locator('.consultation .downloads a').count(),
    downloads: await page.locator('.plan > .downloads a').count(),
    kpis: await text('.kpis li'),
    changelog: await text('.changelog li'),
    emptyHeadings: await page.evaluate(() => [...document.querySelectorAll('h2, h3, h4')]
      .filter((h) => !h.nextElementSibling).map((h) => h.textContent)),
    isoDates: (await page.textContent('main')).match(/\d{4}-\d{2}-\d{2}/g) ?? [],
    error: await page.locator('.error p').allTextContents(),
    horizontalScroll: await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth),
  };
}

async function axe(page) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
}

const servers = [await serve(allowedPort), await serve(otherPort)];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  // playwright gives every launch a fresh, empty profile of its own.
});
const results = { languages: {} };
try {
  for (const lang of ['es', 'en', 'pt']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests = [];
    page.on('request', (r) => { if (r.url().startsWith(api)) requests.push(r.method()); });
    await page.goto(address(allowedPort, lang));
    await page.waitForSelector('body[data-state]', { timeout: 30000 });
    results.languages[lang] = { ...(await read(page)), requests, axe: await axe(page) };
    if (lang === 'es') {
      await page.screenshot({ path: join(screenshots, 'portal.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      results.phone = { ...(await read(page)), axe: await axe(page) };
      await page.screenshot({ path: join(screenshots, 'portal-phone.png'), fullPage: true });
      await page.click('[data-lang="en"]');  // switching language in place
      await page.waitForFunction(() => document.documentElement.lang === 'en' && document.body.dataset.state === 'ready');
      results.switched = await page.textContent('.eyebrow');
    }
    await page.close();
  }
  const blocked = await browser.newPage();
  const consoleErrors = [];
  blocked.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await blocked.goto(address(otherPort, 'es'));
  await blocked.waitForSelector('body[data-state]', { timeout: 20000 });
  results.other = { ...(await read(blocked)), corsBlocked: consoleErrors.some((e) => e.includes('CORS')) };
  await blocked.close();
  const down = await browser.newPage();
  await down.goto(address(allowedPort, 'pt', 'http://127.0.0.1:9/graphql'));
  await down.waitForSelector('body[data-state]', { timeout: 20000 });
  results.down = { ...(await read(down)), axe: await axe(down) };
  await down.close();
} finally {
  await browser.close();
  servers.forEach((s) => s.close());
}
console.log(JSON.stringify(results));
