// GraphiQL in headless Chromium with its assets served by Usina: the page renders, runs the
// portal query, and asks nothing of any host but the server's own.
// Usage: node portal/graphiql.mjs <graphql url>
import { chromium } from 'playwright-core';

const [url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage();
const elsewhere = [];
const origin = new URL(url).origin;
page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) elsewhere.push(r.url()); });
await page.goto(url);
await page.waitForSelector('.graphiql-container .graphiql-editors', { timeout: 20000 });
await page.click('.graphiql-execute-button');
await page.waitForFunction(
  () => document.querySelector('.graphiql-response')?.textContent.includes('Villa Usina (demo)'),
  null, { timeout: 20000 });
await browser.close();
console.log(JSON.stringify({ elsewhere, rendered: true }));
