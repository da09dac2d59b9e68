import net from 'node:net';
import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createWebSocketStream } from 'ws';
import type { TunnelsStore, UserSshKey } from '../../store/tunnels-store.js';
import { parseSshPublicKey } from '../../tunnels/public-key.js';
import { renderSshdMatchBlock } from '../../tunnels/sshd-config.js';
import type { TunnelService } from '../../tunnels/tunnel-service.js';
import { doc, type HttpContext } from '../context.js';
import { authenticateNode } from './node-auth.js';
import { errorSchema, nodeNamedParam, openObject } from '../schemas.js';

const tunnelView = openObject({
  node: { type: 'string' },
  port: { type: 'integer' },
  fingerprint: { type: ['string', 'null'] },
  key_updated_at: { type: ['integer', 'null'] },
  check: { type: ['object', 'null'], additionalProperties: true },
  agent: { type: ['object', 'null'], additionalProperties: true },
});
const sshKeyView = openObject({ id: { type: 'integer' }, type: { type: 'string' }, fingerprint: { type: 'string' }, comment: { type: 'string' }, created_at: { type: 'integer' } });
const sshTargetsView = {
  type: 'object',
  properties: { targets: { type: 'array', items: openObject({ node: { type: 'string' }, port: { type: 'integer' }, tunnel_ok: { type: 'boolean' } }) } },
} as const;
const serverConfigView = openObject({
  user: { type: 'string' },
  authorized_keys_file: { type: ['string', 'null'] },
  authorized_keys: { type: 'string' },
  sshd_config: { type: 'string' },
  port_base: { type: 'integer' },
});

export interface TunnelHttpDeps {
  service: TunnelService;
  /** The control point's sshd that /tunnel/ssh bridges to. */
  sshd: { host: string; port: number };
  /** The tunnel account, and the authorized_keys file the server writes for it (if configured). */
  user: string;
  authorizedKeysFile: string | undefined;
  /** People's SSH keys. */
  store: TunnelsStore;
}


/**
 * Reverse tunnels: nodes register their SSH key (PUT /tunnel/key) and, on networks that only
 * let HTTPS out, carry their SSH session over a WebSocket (/tunnel/ssh) that is bridged to
 * the control point's sshd; people see each tunnel's end-to-end check; admins revoke keys
 * and read the generated authorized_keys.
 */
export function registerTunnelRoutes(app: FastifyInstance, ctx: HttpContext, t: TunnelHttpDeps): void {
  const log = ctx.deps.log.child({ name: 'server.tunnels' });

  app.put(
    '/tunnel/key',
    { schema: doc({ hide: true, body: { type: 'object', required: ['public_key'], additionalProperties: false, properties: { public_key: { type: 'string', maxLength: 16384 } } } }) },
    async (req) => {
      const node = await authenticateNode(ctx, req);
      const key = parseSshPublicKey((req.body as { public_key: string }).public_key);
      const port = await t.service.setKey(node, key);
      await ctx.deps.auth.audit({ actor: `node:${node.name}`, ip: req.ip, action: 'tunnel.key.register', target: `node:${node.name}`, outcome: 'ok', reason: null, detail: { fingerprint: key.fingerprint } });
      return { node: node.name, port, fingerprint: key.fingerprint };
    },
  );

  // ssh's ProxyCommand on the node (`ma-agent ws-proxy`) lands here; the bytes are SSH, end to
  // end encrypted between the node's ssh and the control point's sshd, which still checks the key.
  app.get('/tunnel/ssh', { websocket: true, schema: doc({ hide: true }) }, (socket, req) => {
    const stream = createWebSocketStream(socket);
    stream.on('error', () => stream.destroy());
    void authenticateNode(ctx, req).then(
      (node) => {
        const upstream = net.connect(t.sshd.port, t.sshd.host);
        upstream.on('error', (err) => {
          log.warn({ node: node.name, err: err.message }, 'cannot reach the local sshd for a WebSocket tunnel');
          stream.destroy();
        });
        stream.on('close', () => upstream.destroy());
        upstream.on('close', () => stream.destroy());
        stream.pipe(upstream).pipe(stream);
        log.debug({ node: node.name }, 'WebSocket tunnel bridged to sshd');
      },
      () => socket.close(4401, 'node credential required'),
    );
  });

  app.get('/api/v1/tunnels', { schema: doc({ summary: 'Every visible node\'s tunnel port, key fingerprint and last end-to-end check', tags: ['tunnels'], response: { 200: { type: 'object', properties: { tunnels: { type: 'array', items: tunnelView } } }, '4xx': errorSchema } }) }, async (req) => {
    const canView = await ctx.canView(req);
    const nodes = (await ctx.deps.store.listNodes()).filter(canView);
    return { tunnels: await t.service.view(nodes) };
  });

  app.get<{ Params: { name: string } }>(
    '/api/v1/nodes/:name/tunnel',
    { schema: doc({ summary: "A node's tunnel, checked now", tags: ['tunnels'], params: nodeNamedParam, response: { 200: tunnelView, '4xx': errorSchema } }) },
    async (req) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      await t.service.check(node);
      const [view] = await t.service.view([node]);
      return view;
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/nodes/:name/tunnel/key',
    { schema: doc({ summary: "Revoke a node's tunnel key (the control point refuses it from the next login)", tags: ['tunnels'], params: nodeNamedParam, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const node = await ctx.nodeByName(req.params.name);
      if (!(await t.service.deleteKey(node))) throw new MaError(ErrorCode.NotFound, `node ${node.name} has no tunnel key`);
      await ctx.audit(req, { action: 'tunnel.key.revoke', target: `node:${node.name}`, outcome: 'ok', reason: null });
      return reply.status(204).send();
    },
  );

  app.get('/api/v1/tunnel/server-config', { schema: doc({ summary: "The control point's sshd_config block and the tunnel account's authorized_keys (generated from the registered node keys)", tags: ['tunnels'], response: { 200: serverConfigView, '4xx': errorSchema } }) }, async (req) => {
    await ctx.requireAdmin(req);
    return {
      user: t.user,
      authorized_keys_file: t.authorizedKeysFile ?? null,
      authorized_keys: await t.service.authorizedKeys(),
      sshd_config: renderSshdMatchBlock({ user: t.user, authorizedKeysFile: t.authorizedKeysFile ?? `/etc/ssh/ma-tunnel/authorized_keys` }),
      port_base: ctx.deps.tunnelPortBase,
    };
  });

  // People's own SSH public keys (the dashboard and `ma ssh-key` upload them).
  const me = (req: FastifyRequest) => {
    const p = ctx.principal(req);
    if (!p.user) throw new MaError(ErrorCode.InputInvalid, 'SSH keys belong to a user: log in or use a user API token, not the bootstrap token');
    if (p.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot change SSH keys');
    return p.user;
  };
  const keyView = (k: UserSshKey) => ({ id: k.id, type: k.key.type, fingerprint: k.key.fingerprint, comment: k.comment, created_at: k.created_at });
  app.get('/api/v1/me/ssh-keys', { schema: doc({ summary: 'Your SSH public keys', tags: ['tunnels'], response: { 200: { type: 'object', properties: { keys: { type: 'array', items: sshKeyView } } }, '4xx': errorSchema } }) }, async (req) => {
    const user = ctx.principal(req).user;
    return { keys: user ? (await t.store.listUserKeys(user.id)).map(keyView) : [] };
  });
  app.post(
    '/api/v1/me/ssh-keys',
    {
      schema: doc({
        summary: 'Add one of your SSH public keys (installed on the nodes you hold ssh on, where the agent syncs accounts)',
        tags: ['tunnels'],
        body: { type: 'object', required: ['public_key'], additionalProperties: false, properties: { public_key: { type: 'string', maxLength: 16384 }, comment: { type: 'string', maxLength: 200 } } },
        response: { 201: sshKeyView, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const user = me(req);
      const body = req.body as { public_key: string; comment?: string };
      const key = parseSshPublicKey(body.public_key);
      const comment = (body.comment ?? body.public_key.trim().split(/\s+/).slice(2).join(' ')).replace(/[^\x20-\x7e]/g, '').slice(0, 200);
      const row = await t.store.addUserKey(user.id, key, comment);
      await ctx.audit(req, { action: 'ssh_key.add', target: `user:${user.name}`, outcome: 'ok', reason: null, detail: { fingerprint: key.fingerprint } });
      return reply.status(201).send(keyView(row));
    },
  );
  app.delete<{ Params: { id: number } }>(
    '/api/v1/me/ssh-keys/:id',
    { schema: doc({ summary: 'Remove one of your SSH public keys', tags: ['tunnels'], params: { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } } }, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      const user = me(req);
      if (!(await t.store.deleteUserKey(user.id, req.params.id))) throw new MaError(ErrorCode.NotFound, `you have no SSH key with id ${req.params.id}`);
      await ctx.audit(req, { action: 'ssh_key.remove', target: `user:${user.name}`, outcome: 'ok', reason: null, detail: { id: req.params.id } });
      return reply.status(204).send();
    },
  );

  // For agents that keep an account per person (tunnel.users.enabled): who may log in to this
  // node now, with which keys. Polled, so revoking the grant takes effect at the next poll.
  app.get('/tunnel/users', { schema: doc({ hide: true }) }, async (req) => {
    const node = await authenticateNode(ctx, req);
    const auth = ctx.deps.auth;
    const keys = await t.store.listUserKeys();
    const users = [];
    for (const user of await auth.users.list()) {
      if (user.disabled) continue;
      const mine = keys.filter((k) => k.user_id === user.id);
      if (mine.length === 0) continue;
      const access = await auth.access({ actor: `user:${user.name}`, user, isAdmin: user.role === 'admin', readOnly: false, via: 'token' });
      if (!access.can(node, 'ssh')) continue;
      users.push({ login: user.name, keys: mine.map((k) => `${k.key.type} ${k.key.blob} ma-user:${user.name}`) });
    }
    return { users };
  });

  // For `ma ssh-config`: the nodes this person may ssh to, and where each one's tunnel lands.
  app.get('/api/v1/tunnel/ssh-targets', { schema: doc({ summary: 'Nodes the caller holds the ssh permission on, with their tunnel ports', tags: ['tunnels'], response: { 200: sshTargetsView, '4xx': errorSchema } }) }, async (req) => {
    const access = await ctx.access(req);
    const nodes = (await ctx.deps.store.listNodes()).filter((n) => access.can(n, 'ssh'));
    const views = await t.service.view(nodes);
    return { targets: views.map((v) => ({ node: v.node, port: v.port, tunnel_ok: v.check?.ok ?? false })) };
  });
}
