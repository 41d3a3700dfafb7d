import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createVerifier, refusalFor } from 'gatehouse';
import { createGuard as expressGuard, principalOf as expressPrincipal } from 'gatehouse/express';
import { gatehouse, principalOf, requireScopes } from 'gatehouse/fastify';
import { createGuard as honoGuard } from 'gatehouse/hono';
import type { GuardOptions, Principal } from 'gatehouse/fastify';

/** A small API on a free loopback port, protected by one of the three guards. */
export interface GuardedApp {
  readonly url: string;
  close(): Promise<void>;
}

/** 'node': plain node:http with the package root's verifier, no framework. */
export type Framework = 'fastify' | 'express' | 'hono' | 'node';

/**
 * The same API in each framework:
 *   GET  /hello  open
 *   GET  /me     any valid token → the principal
 *   GET  /profile  scope me (as Gatehouse's own /users/me)
 *   GET  /items  scope items:read
 *   POST /items  scope items:write
 */
export type Mount = (options: GuardOptions) => Promise<GuardedApp>;

function view(principal: Principal): object {
  return { sub: principal.sub, username: principal.username ?? null, scopes: principal.scopes, clientId: principal.clientId, jti: principal.claims.jti };
}

export const mountFastify: Mount = async (options) => {
  const app = Fastify();
  await app.register(gatehouse, options);
  app.get('/hello', async () => ({ hello: 'world' }));
  app.get('/me', { preHandler: requireScopes() }, async (request) => view(principalOf(request)));
  app.get('/profile', { preHandler: requireScopes('me') }, async (request) => view(principalOf(request)));
  app.get('/items', { preHandler: requireScopes('items:read') }, async (request) => ({ items: [], owner: principalOf(request).sub }));
  app.post('/items', { preHandler: requireScopes('items:write') }, async (_request, reply) => reply.code(201).send({ created: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
};

export const mountExpress: Mount = async (options) => {
  const { requireScopes: guard } = expressGuard(options);
  const app = express();
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/me', guard(), (req, res) => {
    res.json(view(expressPrincipal(req)));
  });
  app.get('/profile', guard('me'), (req, res) => {
    res.json(view(expressPrincipal(req)));
  });
  app.get('/items', guard('items:read'), (req, res) => {
    res.json({ items: [], owner: expressPrincipal(req).sub });
  });
  app.post('/items', guard('items:write'), (_req, res) => {
    res.status(201).json({ created: true });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
};

export const mountHono: Mount = async (options) => {
  const { requireScopes: guard } = honoGuard(options);
  const app = new Hono();
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  app.get('/me', guard(), (c) => c.json(view(c.var.auth)));
  app.get('/profile', guard('me'), (c) => c.json(view(c.var.auth)));
  app.get('/items', guard('items:read'), (c) => c.json({ items: [], owner: c.var.auth.sub }));
  app.post('/items', guard('items:write'), (c) => c.json({ created: true }, 201));
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
};

export const mountNode: Mount = async (options) => {
  const verifier = createVerifier(options);
  const scopesOf: Readonly<Record<string, readonly string[]>> = { 'GET /me': [], 'GET /profile': ['me'], 'GET /items': ['items:read'], 'POST /items': ['items:write'] };
  const server = createServer((req, res) => {
    const send = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    };
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`;
    if (route === 'GET /hello') return send(200, { hello: 'world' });
    const scopes = scopesOf[route];
    if (scopes === undefined) return send(404, { detail: 'Not Found' });
    // authenticate answers at once for a token it can check, and with a promise when it must ask the issuer.
    Promise.resolve()
      .then(() => verifier.authenticate(req.headers.authorization, scopes))
      .then(
        (principal) => {
          if (route === 'GET /items') send(200, { items: [], owner: principal.sub });
          else if (route === 'POST /items') send(201, { created: true });
          else send(200, view(principal));
        },
        (error: unknown) => {
          const refusal = refusalFor(error);
          if (refusal === undefined) send(500, { detail: 'Internal Server Error' });
          else res.writeHead(refusal.status, refusal.headers).end(refusal.body);
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
};

export const mounts: Readonly<Record<Framework, Mount>> = { fastify: mountFastify, express: mountExpress, hono: mountHono, node: mountNode };

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
