import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';
import { fetchWithCa } from './register-key.js';

const run = promisify(execFile);
const LOGIN = /^[a-z_][a-z0-9_.-]{0,31}$/;
const HEADER = '# Managed by ma-agent from the server\'s ssh grants: edits are overwritten.\n';

export interface GrantedUser {
  login: string;
  keys: string[];
}

export interface UserSyncOptions {
  serverUrl: string;
  node: string;
  credential: string;
  ca?: Buffer;
  /** One authorized_keys file per person: the node's sshd reads `<dir>/%u` (AuthorizedKeysFile). */
  dir: string;
  intervalMs: number;
  /** Create a local account (useradd, password `*`) for a granted person who has none. */
  createAccounts: boolean;
  log: Logger;
}

/**
 * Keeps the node's per-person authorized_keys in step with the server's `ssh` grants: a
 * person granted ssh on this node gets a file with their keys; when the grant (or the key,
 * or the user) goes, the file goes at the next poll. Accounts are created if asked, never
 * deleted (their home directories are people's data); without a key file they cannot log in.
 */
export class UserSync {
  readonly #o: UserSyncOptions;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #running: Promise<void> | undefined;

  constructor(o: UserSyncOptions) {
    this.#o = o;
  }

  start(): void {
    const tick = (): void => {
      this.#running = this.syncOnce().finally(() => {
        this.#running = undefined;
      });
    };
    tick();
    this.#timer = setInterval(tick, this.#o.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async syncOnce(): Promise<void> {
    try {
      const res = await fetchWithCa(`${this.#o.serverUrl}/tunnel/users`, { headers: { authorization: `Basic ${Buffer.from(`${this.#o.node}:${this.#o.credential}`).toString('base64')}` } }, this.#o.ca);
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      const { users } = (await res.json()) as { users: GrantedUser[] };
      await this.apply(users);
      if (this.#failing) this.#o.log.info('user key sync works again');
      this.#failing = false;
    } catch (err) {
      // Keys already installed stay as they were: the server cannot be asked, so nothing is known to have changed.
      if (!this.#failing) this.#o.log.warn({ err: (err as Error).message }, 'cannot sync user keys from the server; keeping the current ones');
      this.#failing = true;
    }
  }

  async apply(users: readonly GrantedUser[]): Promise<void> {
    const dir = this.#o.dir;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const wanted = new Map<string, string>();
    for (const u of users) {
      if (!LOGIN.test(u.login)) {
        this.#o.log.warn({ login: u.login }, 'user name is not a valid local account name; skipped');
        continue;
      }
      const lines = u.keys.filter((k) => /^[a-z0-9@.-]+ [A-Za-z0-9+/=]+( [\x20-\x7e]*)?$/.test(k));
      wanted.set(u.login, HEADER + lines.map((l) => `${l}\n`).join(''));
    }
    for (const [login, text] of wanted) {
      if (this.#o.createAccounts) await this.#ensureAccount(login);
      const file = path.join(dir, login);
      if ((await readFile(file, 'utf8').catch(() => undefined)) === text) continue;
      await writeFile(`${file}.tmp`, text, { mode: 0o644 });
      await rename(`${file}.tmp`, file);
      this.#o.log.info({ login }, 'ssh access granted: keys installed');
    }
    for (const name of await readdir(dir)) {
      if (name.startsWith('.') || wanted.has(name)) continue;
      await rm(path.join(dir, name), { force: true });
      if (!name.endsWith('.tmp')) this.#o.log.info({ login: name }, 'ssh access revoked: keys removed');
    }
  }

  async #ensureAccount(login: string): Promise<void> {
    try {
      await run('id', ['-u', login]);
      return;
    } catch {
      // no such account yet
    }
    await run('useradd', ['--create-home', '--shell', '/bin/bash', login]);
    // '*' (no password) rather than useradd's '!': sshd without PAM refuses '!' accounts even with a key.
    await run('usermod', ['-p', '*', login]);
    this.#o.log.info({ login }, 'local account created for a person granted ssh');
  }
}
