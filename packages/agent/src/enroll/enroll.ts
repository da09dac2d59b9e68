import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { fetchPinnedCa } from './pinned-ca.js';

export interface EnrollOptions {
  serverUrl: string;
  token: string;
  /** Where to write agent.yaml (ca.pem goes beside it). */
  configFile: string;
  dataDir?: string;
  force?: boolean;
}

export interface EnrollResult {
  node: string;
  configFile: string;
  caFile: string | undefined;
}

/** `mae_<secret>` optionally followed by `.<CA SHA-256, base64url>`. */
function parseToken(token: string): { caFingerprint: string | undefined } {
  const m = /^mae_[A-Za-z0-9_-]{43}(?:\.([A-Za-z0-9_-]{43}))?$/.exec(token.trim());
  if (!m) throw new MaError(ErrorCode.InputInvalid, 'this is not an enrollment token: it looks like mae_… (copy it whole from `ma node add` or `ma node enroll-token`)');
  return { caFingerprint: m[1] ? Buffer.from(m[1], 'base64url').toString('hex') : undefined };
}

function post(url: URL, body: string, ca: string | undefined): Promise<{ status: number; text: string }> {
  if (url.protocol === 'http:') {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));
  }
  return new Promise((resolve, reject) => {
    // Full verification: the pinned CA when the token carries one, else the system's CAs.
    const req = https.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, rejectUnauthorized: true, ...(ca ? { ca } : {}) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (e) => reject(new MaError(ErrorCode.TransportTls, `TLS to ${url.host} failed: ${e.message}`, { cause: e })));
    req.end(body);
  });
}

/**
 * Trades a one-time enrollment token for this node's own credential and writes agent.yaml
 * (and the pinned CA as ca.pem) so `ma-agent run --config agent.yaml` can start.
 */
export async function enroll(opts: EnrollOptions): Promise<EnrollResult> {
  const base = new URL(opts.serverUrl.endsWith('/') ? opts.serverUrl : `${opts.serverUrl}/`);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new MaError(ErrorCode.InputInvalid, `server URL must be https://… (or http:// on a trusted network), got ${opts.serverUrl}`);
  const { caFingerprint } = parseToken(opts.token);
  if (existsSync(opts.configFile) && !opts.force) throw new MaError(ErrorCode.Conflict, `${opts.configFile} exists; pass --force to replace it`);
  if (caFingerprint && base.protocol !== 'https:') throw new MaError(ErrorCode.InputInvalid, 'the token pins a CA, so the server URL must be https://');
  const ca = caFingerprint ? await fetchPinnedCa(base, caFingerprint) : undefined;
  const r = await post(new URL('api/v1/enroll', base), JSON.stringify({ token: opts.token.trim() }), ca);
  let json: { node?: { name: string }; agent_config?: string; error?: { message: string } } = {};
  try {
    json = JSON.parse(r.text) as typeof json;
  } catch {
    /* reported below */
  }
  if (r.status !== 200 || !json.agent_config || !json.node) {
    throw new MaError(r.status === 401 ? ErrorCode.AuthRequired : ErrorCode.TransportConnectFailed, `enrollment refused (${r.status}): ${json.error?.message ?? r.text.slice(0, 200)}`);
  }
  const config = parseYaml(json.agent_config) as { server: Record<string, unknown>; data_dir?: string };
  await mkdir(path.dirname(path.resolve(opts.configFile)), { recursive: true });
  let caFile: string | undefined;
  if (ca) {
    caFile = path.join(path.dirname(path.resolve(opts.configFile)), 'ca.pem');
    await writeFile(caFile, ca);
    config.server.ca_file = 'ca.pem';
  }
  if (opts.dataDir) config.data_dir = opts.dataDir;
  await writeFile(opts.configFile, toYaml(config), { mode: 0o600 });
  return { node: json.node.name, configFile: opts.configFile, caFile };
}
