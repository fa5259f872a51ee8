// The identity provider of the SSO tests: panva/oidc-provider (OpenID Certified), unmodified,
// run on 127.0.0.1 and a free port. Usage: node idp.mjs CONFIG.json
//
// CONFIG: {"clients": [oidc-provider client metadata...], "accounts_file": PATH}
// Accounts are read from accounts_file on every lookup ({"id": {"claims": {...}, "disabled": bool}}),
// so a test disables an account by rewriting the file. A missing or disabled account is unknown to
// the provider: sign-ins and refresh tokens for it fail as they would at any provider.
//
// Sign-in pages are oidc-provider's own development interactions (a login form, then a consent
// form). One test hook sits beside the provider, never inside it: /__test/tamper?swap_from=CLIENT
// makes the token endpoint hand the last ID token issued to CLIENT to the next other client, as a
// man-in-the-middle substituting tokens would (graphport must refuse its audience).
// Prints {"issuer": "http://127.0.0.1:PORT"} on stdout once listening.
import fs from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const accounts = () => JSON.parse(fs.readFileSync(config.accounts_file, 'utf8'));

const provider = new Provider(issuer, {
  clients: config.clients,
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account || account.disabled) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['graphport-sso-tests-only'] },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 3600,
    RefreshToken: 3600,
  },
  // Refresh tokens for clients that ask for offline_access (graphport's recheck uses them).
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
});

const lastIdToken = {};
let swapFrom = null;
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || !ctx.body || typeof ctx.body.id_token !== 'string' || !ctx.oidc?.client) return;
  const clientId = ctx.oidc.client.clientId;
  if (swapFrom && swapFrom !== clientId && lastIdToken[swapFrom]) {
    ctx.body = { ...ctx.body, id_token: lastIdToken[swapFrom] };
  } else {
    lastIdToken[clientId] = ctx.body.id_token;
  }
});

const app = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/__test/tamper') {
    swapFrom = url.searchParams.get('swap_from');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ swap_from: swapFrom }));
    return;
  }
  app(req, res);
});
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
