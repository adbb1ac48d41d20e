// Runs graphql-http's GraphQL-over-HTTP audits against a live server and prints the results
// as JSON: [{name, status, reason}] where status is "ok", "warn" (a failed SHOULD) or "error"
// (a failed MUST). Usage: node audit.mjs <url> <tenant-slug>
import { auditServer } from 'graphql-http';

const [url, tenant] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('X-Tenant', tenant);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const out = await Promise.all(
  results.map(async (r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    reason: r.status === 'ok' ? null : r.reason,
    response: r.status === 'ok' || !r.response ? null : { status: r.response.status, body: (await r.response.clone().text()).slice(0, 300) },
  })),
);
console.log(JSON.stringify(out));
