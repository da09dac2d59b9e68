import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authorizedKeyLine, renderAuthorizedKeys } from './authorized-keys.js';
import { parseSshPublicKey } from './public-key.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ma-pubkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real key from ssh-keygen, and the fingerprint ssh-keygen itself prints for it. */
let made = 0;
function realKey(type: 'ed25519' | 'ecdsa' | 'rsa'): { line: string; fingerprint: string } {
  const file = path.join(dir, `k-${type}-${made++}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'someone@laptop', '-f', file]);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]).toString().split(' ')[1]!;
  return { line: readFileSync(`${file}.pub`, 'utf8'), fingerprint };
}

describe('SSH public keys people and nodes register', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('accepts a %s key and fingerprints it as ssh-keygen does', (type) => {
    const { line, fingerprint } = realKey(type);
    const k = parseSshPublicKey(line);
    expect(k.fingerprint).toBe(fingerprint);
    expect(line.startsWith(`${k.type} ${k.blob}`)).toBe(true);
  });

  it('refuses anything that could escape the restrictions written in front of it', () => {
    const { line } = realKey('ed25519');
    const [type, blob] = line.split(' ');
    expect(() => parseSshPublicKey(`command="/bin/sh" ${line}`)).toThrow(/key type/);
    expect(() => parseSshPublicKey(`${line.trim()}\nssh-ed25519 ${blob} second`)).toThrow(/more than one line/);
    expect(() => parseSshPublicKey(`${type} ${blob}"`)).toThrow(/base64/);
    expect(() => parseSshPublicKey(`ssh-dss ${blob}`)).toThrow(/key type/);
    // A blob of another type under this name is refused.
    expect(() => parseSshPublicKey(`ssh-rsa ${blob}`)).toThrow(/does not match/);
    expect(() => parseSshPublicKey('')).toThrow(/empty/);
  });

  it("confines each node's key to listening on its own loopback port, with no shell", () => {
    const key = parseSshPublicKey(realKey('ed25519').line);
    expect(authorizedKeyLine({ node: 'lab-a', port: 20001, key })).toBe(
      `restrict,port-forwarding,permitlisten="127.0.0.1:20001",command="/usr/sbin/nologin" ${key.type} ${key.blob} ma-node:lab-a`,
    );
    const file = renderAuthorizedKeys([
      { node: 'b', port: 20002, key },
      { node: 'a', port: 20001, key },
    ]);
    expect(file.split('\n').filter((l) => l.startsWith('restrict')).map((l) => /permitlisten="([^"]+)"/.exec(l)![1])).toEqual(['127.0.0.1:20001', '127.0.0.1:20002']);
  });
});
