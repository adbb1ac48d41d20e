// The reference portal (examples/portal) in headless Chromium (Debian's, driven by
// playwright-core), served from two loopback origins: one the municipality allowed, one not.
// Usage: node portal/browser.mjs <graphql url> <slug> <allowed port> <other port> <screenshot>
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [api, slug, allowedPort, otherPort, screenshot] = process.argv.slice(2);
const root = fileURLToPath(new URL('../../../examples/portal/', import.meta.url));
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

const servers = [await serve(allowedPort), await serve(otherPort)];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  // playwright gives every launch a fresh, empty profile of its own.
});
const results = {};
try {
  for (const [name, port] of [['allowed', allowedPort], ['other', otherPort]]) {
    const page = await browser.newPage();
    const requests = [];
    page.on('request', (r) => { if (r.url().startsWith(api)) requests.push(r.method()); });
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const url = `http://127.0.0.1:${port}/index.html?api=${encodeURIComponent(api)}&municipality=${slug}&lang=es`;
    await page.goto(url);
    await page.waitForSelector('body[data-state]', { timeout: 20000 });
    results[name] = {
      state: await page.getAttribute('body', 'data-state'),
      municipality: await page.textContent('#municipality'),
      plans: await page.locator('.plan h2').allTextContents(),
      commitments: await page.locator('.commitment h3').count(),
      bars: await page.locator('.commitment .bar').count(),
      delayed: await page.locator('.badge.late').count(),
      ratings: await page.locator('.ratings li').count(),
      requests,
      corsBlocked: consoleErrors.some((e) => e.includes('CORS')),
    };
    if (name === 'allowed') {
      await page.screenshot({ path: screenshot, fullPage: true });
      await page.click('[data-lang="en"]');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      results.english = await page.textContent('.eyebrow');
    }
    await page.close();
  }
} finally {
  await browser.close();
  servers.forEach((s) => s.close());
}
console.log(JSON.stringify(results));
