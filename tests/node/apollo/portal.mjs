// Apollo Client 4 with PersistedQueryLink against a live server, as a portal runs it.
// Usage: node apollo/portal.mjs <graphql url> <municipality slug> <portal query file> [get|post]
// Prints a JSON summary: what Apollo got, and every request it sent (hash-only or full).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, tenant, queryFile, mode = 'post'] = process.argv.slice(2);
const sent = [];

async function recordingFetch(input, init = {}) {
  const target = new URL(typeof input === 'string' ? input : input.url);
  let body = null;
  if (init.body) body = JSON.parse(init.body);
  else if (target.searchParams.has('extensions')) {
    body = {
      query: target.searchParams.get('query'),
      extensions: JSON.parse(target.searchParams.get('extensions')),
    };
  }
  const response = await fetch(input, init);
  const copy = response.clone();
  const answer = await copy.json().catch(() => null);
  sent.push({
    method: init.method ?? 'GET',
    hashOnly: Boolean(body?.extensions?.persistedQuery) && !body?.query,
    status: response.status,
    codes: (answer?.errors ?? []).map((e) => e.extensions?.code),
    etag: response.headers.get('etag'),
  });
  return response;
}

const persisted = new PersistedQueryLink({
  sha256: (text) => createHash('sha256').update(text).digest('hex'),
  useGETForHashedQueries: mode === 'get',
});
const client = new ApolloClient({
  link: persisted.concat(new HttpLink({ uri: url, headers: { 'X-Tenant': tenant }, fetch: recordingFetch })),
  cache: new InMemoryCache(),
});

const query = gql(readFileSync(queryFile, 'utf8'));
const runs = [];
for (let i = 0; i < 2; i += 1) {
  try {
    const result = await client.query({ query, fetchPolicy: 'network-only' });
    runs.push({
      name: result.data?.municipality?.name ?? null,
      plans: result.data?.municipality?.actionPlans?.nodes?.length ?? 0,
      error: result.error ? String(result.error) : null,
    });
  } catch (error) {
    runs.push({ name: null, plans: 0, error: String(error) });
  }
}
console.log(JSON.stringify({ runs, sent }));
