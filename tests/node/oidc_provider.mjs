// A real OpenID Connect provider (npm oidc-provider) on loopback, for the identity tests.
// Configuration comes from a JSON file named by argv[2]:
//   { "port": 3999, "jwks": {"keys": [private JWKs]}, "resource": "urn:usina:api",
//     "clients": [{"client_id": "alice", "client_secret": "s", "claims": {"roles": ["staff"]}}] }
// Access tokens are JWTs (client-credentials grant with a resource indicator); each client's
// "claims" are added to its tokens, standing in for the roles and e-mail of a person.
import { readFileSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const claimsOf = Object.fromEntries(config.clients.map((c) => [c.client_id, c.claims || {}]));
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  jwks: config.jwks,
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  })),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== config.resource) throw new errors.InvalidTarget();
        return { scope: 'api', audience: config.resource, accessTokenFormat: 'jwt',
                 accessTokenTTL: config.ttl || 300, jwt: { sign: { alg: config.alg || 'RS256' } } };
      },
    },
  },
  extraTokenClaims: (ctx, token) => claimsOf[token.clientId] || {},
});
provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
