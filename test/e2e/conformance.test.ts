import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

/**
 * Gatehouse driven over real HTTP by an unmodified OAuth client library (oauth4webapi)
 * and an unmodified JWT library (jose, verifying against the served JWKS).
 */
describe('OAuth 2 conformance with oauth4webapi and jose', () => {
  let dir: string;
  let server: RunningServer;
  let as: oauth.AuthorizationServer;
  let resourceServer: { id: string; secret: string };
  const http = { [oauth.allowInsecureRequests]: true } as const;
  const publicClient: oauth.Client = { client_id: 'gatehouse' };

  before(async () => {
    dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_KEY_REFRESH_INTERVAL: '1s' };
    const added = await runCli(['user', 'add', 'alice', '--role', 'admin', '--password-stdin'], env, 'correct horse battery\n');
    assert.equal(added.code, 0, added.stderr);
    const client = await runCli(['client', 'add', 'reports-api', '--scope', 'reports:read', '--scope', 'reports:write', '--json'], env);
    assert.equal(client.code, 0, client.stderr);
    const parsed = JSON.parse(client.stdout) as { client_id: string; client_secret: string };
    assert.deepEqual(Object.keys(parsed).sort(), ['client_id', 'client_secret']);
    resourceServer = { id: parsed.client_id, secret: parsed.client_secret };
    server = await startServer(env);
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http }));
  });
  after(async () => {
    await server?.stop();
    removeDir(dir);
  });

  const confidential = (): oauth.Client => ({ client_id: resourceServer.id });

  async function passwordGrant(scope?: string): Promise<oauth.TokenEndpointResponse> {
    const response = await oauth.genericTokenEndpointRequest(
      as,
      publicClient,
      oauth.None(),
      'password',
      { username: 'alice', password: 'correct horse battery', ...(scope ? { scope } : {}) },
      http,
    );
    return oauth.processGenericTokenEndpointResponse(as, publicClient, response);
  }

  async function verify(token: string): Promise<jose.JWTVerifyResult> {
    // A fresh remote set each time: it fetches the served JWKS, as any verifier would.
    const jwks = jose.createRemoteJWKSet(new URL(as.jwks_uri as string));
    return jose.jwtVerify(token, jwks, { issuer: as.issuer, audience: as.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
  }

  it('discovers the server at both well-known paths', async () => {
    const issuer = new URL(server.url);
    const oidc = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...http }));
    assert.deepEqual(oidc, as);
    assert.equal(as.token_endpoint, `${server.url}/token`);
    assert.equal(as.revocation_endpoint, `${server.url}/revoke`);
    assert.equal(as.introspection_endpoint, `${server.url}/introspect`);
    assert.deepEqual(as.grant_types_supported, ['password', 'refresh_token', 'client_credentials']);
  });

  it('gets tokens with the password grant; jose verifies the access token against the JWKS', async () => {
    const tokens = await passwordGrant();
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'admin me');
    assert.equal(typeof tokens.refresh_token, 'string');
    const { payload, protectedHeader } = await verify(tokens.access_token);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload['preferred_username'], 'alice');
    assert.equal(payload['client_id'], 'gatehouse');
    assert.equal(payload['scope'], 'admin me');
  });

  it('refreshes with rotation, narrowing the scope on request', async () => {
    const first = await passwordGrant();
    const response = await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), first.refresh_token as string, {
      ...http,
      additionalParameters: { scope: 'me' },
    });
    const second = await oauth.processRefreshTokenResponse(as, publicClient, response);
    assert.equal(second.scope, 'me');
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await verify(second.access_token)).payload['scope'], 'me');
    // The rotated-out token is refused with invalid_grant.
    const replay = await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), first.refresh_token as string, http);
    await assert.rejects(oauth.processRefreshTokenResponse(as, publicClient, replay), (error: unknown) => {
      assert.ok(error instanceof oauth.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.status, 400);
      return true;
    });
  });

  it('gets client_credentials tokens with client_secret_basic and client_secret_post', async () => {
    for (const auth of [oauth.ClientSecretBasic(resourceServer.secret), oauth.ClientSecretPost(resourceServer.secret)]) {
      const response = await oauth.clientCredentialsGrantRequest(as, confidential(), auth, { scope: 'reports:read' }, http);
      const tokens = await oauth.processClientCredentialsResponse(as, confidential(), response);
      assert.equal(tokens.scope, 'reports:read');
      assert.equal(tokens.refresh_token, undefined);
      const { payload } = await verify(tokens.access_token);
      assert.equal(payload.sub, resourceServer.id);
      assert.equal(payload['client_id'], resourceServer.id);
    }
  });

  it('refuses a wrong client secret with 401 invalid_client and a Basic challenge', async () => {
    const response = await oauth.clientCredentialsGrantRequest(as, confidential(), oauth.ClientSecretBasic('wrong'), {}, http);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /);
    await assert.rejects(oauth.processClientCredentialsResponse(as, confidential(), response));
  });

  it('introspects access and refresh tokens for a confidential client', async () => {
    const tokens = await passwordGrant();
    const auth = oauth.ClientSecretBasic(resourceServer.secret);
    const access = await oauth.processIntrospectionResponse(
      as,
      confidential(),
      await oauth.introspectionRequest(as, confidential(), auth, tokens.access_token, http),
    );
    const claims = (await verify(tokens.access_token)).payload;
    assert.deepEqual(access, {
      active: true,
      scope: 'admin me',
      client_id: 'gatehouse',
      username: 'alice',
      token_type: 'bearer',
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: as.issuer,
      iss: as.issuer,
      jti: claims.jti,
    });
    const refresh = await oauth.processIntrospectionResponse(
      as,
      confidential(),
      await oauth.introspectionRequest(as, confidential(), auth, tokens.refresh_token as string, http),
    );
    assert.equal(refresh.active, true);
    assert.equal(refresh.token_type, 'refresh_token');
  });

  it('revokes refresh and access tokens; both then introspect as inactive', async () => {
    const tokens = await passwordGrant();
    const auth = oauth.ClientSecretPost(resourceServer.secret);
    const introspect = async (token: string) =>
      oauth.processIntrospectionResponse(as, confidential(), await oauth.introspectionRequest(as, confidential(), auth, token, http));

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, publicClient, oauth.None(), tokens.access_token, { ...http, additionalParameters: { token_type_hint: 'access_token' } }),
    );
    assert.deepEqual(await introspect(tokens.access_token), { active: false });
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 401);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, publicClient, oauth.None(), tokens.refresh_token as string, http));
    assert.deepEqual(await introspect(tokens.refresh_token as string), { active: false });
    // Unknown tokens answer 200 too.
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, publicClient, oauth.None(), 'never-issued', http));
  });
});
