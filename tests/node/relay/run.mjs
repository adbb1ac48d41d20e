// Runs the compiled Relay form of the portal query against a live server through a real
// relay-runtime Environment (network, normalizing store), then refetches a plan's commitments
// through node(id:) as @refetchable does. Prints a JSON summary for the Python test.
// Usage: node relay/run.mjs <graphql url> <municipality slug>
import relay from 'relay-runtime';
import PortalRelayQuery from './__generated__/PortalRelayQuery.graphql.js';
import CommitmentsQuery from './__generated__/PortalCommitmentsPaginationQuery.graphql.js';

const { Environment, Network, RecordSource, Store, fetchQuery } = relay;
const [url, tenant] = process.argv.slice(2);
const answers = [];

async function send(params, variables) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Tenant': tenant },
    body: JSON.stringify({ query: params.text, variables }),
  });
  const body = await response.json();
  answers.push({ name: params.name, status: response.status, errors: body.errors ?? [], data: body.data });
  return body;
}

const environment = new Environment({
  network: Network.create((params, variables) => send(params, variables)),
  store: new Store(new RecordSource()),
});

const root = await fetchQuery(environment, PortalRelayQuery, {}).toPromise();
const first = answers[0].data?.municipality?.actionPlans?.edges ?? [];
const planId = first[0]?.node?.id;
let refetched = null;
if (planId) {
  await fetchQuery(environment, CommitmentsQuery, { id: planId, count: 2 }).toPromise();
  refetched = answers[1].data?.node?.commitments?.edges?.length ?? null;
}
const records = environment.getStore().getSource().getRecordIDs().length;
console.log(JSON.stringify({
  municipality: root?.municipality?.name ?? null,
  plans: first.length,
  commitments: first[0]?.node?.commitments?.edges?.length ?? 0,
  refetchedCommitments: refetched,
  storeRecords: records,
  errors: answers.flatMap((a) => a.errors.map((e) => `${a.name}: ${e.extensions?.code} ${e.message}`)),
}));
