import { ErrorCode, MaError } from '@ma/protocol';
import type { Logger } from 'pino';
import { AuditStore, type AuditEntry } from '../audit/audit-store.js';
import { verifyToken } from '../broker/credentials.js';
import { TokensStore } from '../tokens/tokens-store.js';
import { GrantsStore } from '../users/grants-store.js';
import { SessionsStore, type SessionRow } from '../users/sessions-store.js';
import { UsersStore, type Role, type UserRow } from '../users/users-store.js';
import { Access } from './access.js';
import type { AuthDatabase } from './auth-database.js';
import { LoginThrottle } from './login-throttle.js';
import { dummyHash, hashPassword, needsRehash, passwordProblem, verifyPassword } from './password.js';
import type { Principal } from './principal.js';
import { newSecret, sha256Hex } from './tokens.js';
import { base32Decode, verifyTotp } from './totp.js';

export interface AuthOptions {
  sessionIdleMs: number;
  sessionMaxMs: number;
  /** SHA-256 digests of bootstrap admin tokens (config api.admin_token_sha256, env MA_ADMIN_TOKEN). */
  bootstrapTokenHashes: readonly string[];
  /** Served over TLS: cookies get Secure and the __Host- prefix. */
  secureCookies: boolean;
  log: Logger;
}

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface LoginInput {
  name: string;
  password: string;
  totp?: string;
}

export interface LoginResult {
  user: UserRow;
  /** The cookie value; only its SHA-256 is stored. */
  sessionToken: string;
  session: SessionRow;
}

const MINUTE = 60_000;
/**
 * Login throttling, three ways (see docs/security.md):
 * - per (user name, address): after 5 failures that address is locked out of that name,
 *   1 s, 2 s, 4 s... up to 15 min; the owner's right password from elsewhere still works;
 * - per address, over all names: after 10 failures (a success does not reset it, so logging
 *   in to one's own account between guesses buys nothing), the address is locked out the same way;
 * - per user name, from everywhere: no lock (anyone could lock a user out by name), only a
 *   short delay that grows with the recent failures, which slows a guess spread over many addresses.
 */
const PAIR_POLICY = { freeAttempts: 5, baseLockMs: 1000, maxLockMs: 15 * MINUTE, forgetAfterMs: 15 * MINUTE, maxKeys: 10_000 };
const ADDRESS_POLICY = { ...PAIR_POLICY, freeAttempts: 10 };
const USER_POLICY = { ...PAIR_POLICY, freeAttempts: 5 };
/** The most a login for a much-guessed name is slowed down (per attempt). */
export const MAX_USER_LOGIN_DELAY_MS = 2000;

/**
 * Users, sessions, API tokens and who may do what. The HTTP layer asks it who a request is
 * (`resolve`) and what that principal may do (`access`); it writes every login to the audit log.
 */
export class AuthService {
  readonly users: UsersStore;
  readonly sessions: SessionsStore;
  readonly grants: GrantsStore;
  readonly tokens: TokensStore;
  readonly auditLog: AuditStore;
  readonly #pairThrottle = new LoginThrottle(PAIR_POLICY);
  readonly #addressThrottle = new LoginThrottle(ADDRESS_POLICY);
  readonly #userThrottle = new LoginThrottle(USER_POLICY);
  /** Last TOTP step used per user: a code is good once (RFC 6238 §5.2). */
  readonly #totpLastStep = new Map<number, number>();
  #grantsVersion = 0;

  constructor(
    db: AuthDatabase,
    readonly options: AuthOptions,
  ) {
    this.users = new UsersStore(db);
    this.sessions = new SessionsStore(db);
    this.grants = new GrantsStore(db);
    this.tokens = new TokensStore(db);
    this.auditLog = new AuditStore(db);
  }

  get cookieName(): string {
    return this.options.secureCookies ? '__Host-ma_session' : 'ma_session';
  }

  /** Bumped on every grant, tag, role or user change, so long-lived live feeds re-check. */
  get grantsVersion(): number {
    return this.#grantsVersion;
  }

  grantsChanged(): void {
    this.#grantsVersion += 1;
  }

  /** A token was revoked, a user disabled, or sessions ended: open live feeds re-check their principal. */
  principalsChanged(): void {
    this.#grantsVersion += 1;
  }

  /**
   * Whether a principal resolved earlier (for a long-lived connection such as the live feed)
   * still holds: its token not revoked or expired, its session not ended, its user not disabled.
   */
  async stillValid(principal: Principal, now = Date.now()): Promise<boolean> {
    if (principal.via === 'bootstrap') return true;
    if (principal.via === 'token') {
      const row = principal.tokenId === undefined ? undefined : await this.tokens.get(principal.tokenId);
      if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return false;
    } else if (!principal.session || !(await this.sessions.get(principal.session.id_hash, now))) return false;
    const user = principal.user && (await this.users.getById(principal.user.id));
    return user !== undefined && user !== null && !user.disabled;
  }

  async audit(entry: AuditEntry): Promise<void> {
    try {
      await this.auditLog.append(entry);
    } catch (err) {
      // The action already happened; losing its record must at least be loud.
      this.options.log.error({ err, entry }, 'could not write the audit log');
      throw err;
    }
  }

  /** Who sent these headers: a bearer token (API or bootstrap), or a session cookie. Null if neither. */
  async resolve(headers: { authorization?: string | undefined; cookie?: string | undefined }, now = Date.now()): Promise<Principal | null> {
    const auth = headers.authorization;
    if (auth !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      if (!token) throw new MaError(ErrorCode.AuthRequired, 'the Authorization header must be "Bearer <token>"');
      return this.#resolveToken(token, now);
    }
    const sessionToken = readCookie(headers.cookie, this.cookieName);
    if (!sessionToken) return null;
    const session = await this.sessions.get(sha256Hex(sessionToken), now);
    if (!session) return null;
    const user = await this.users.getById(session.user_id);
    if (!user || user.disabled) return null;
    if (now - session.last_seen_at > MINUTE) {
      // Sliding idle expiry, written at most once a minute per session, never past the absolute limit.
      await this.sessions.touch(session.id_hash, now, Math.min(now + this.options.sessionIdleMs, session.created_at + this.options.sessionMaxMs));
    }
    return { actor: `user:${user.name}`, user, isAdmin: user.role === 'admin', readOnly: false, via: 'session', session };
  }

  async #resolveToken(token: string, now: number): Promise<Principal> {
    if (this.options.bootstrapTokenHashes.some((h) => verifyToken(token, h))) {
      return { actor: 'bootstrap', user: null, isAdmin: true, readOnly: false, via: 'bootstrap' };
    }
    const row = await this.tokens.findUsable(sha256Hex(token), now);
    const user = row && (await this.users.getById(row.user_id));
    if (!row || !user || user.disabled) throw new MaError(ErrorCode.AuthRequired, 'this API token is unknown, expired or revoked');
    if (row.last_used_at === null || now - row.last_used_at > MINUTE) await this.tokens.touch(row.id, now);
    return { actor: `token:${row.id}@${user.name}`, user, isAdmin: user.role === 'admin', readOnly: row.scope === 'read', via: 'token', tokenId: row.id };
  }

  async access(principal: Principal): Promise<Access> {
    if (principal.isAdmin) return new Access(principal, [], () => []);
    const [grants, tags] = await Promise.all([this.grants.list(principal.user!.id), this.grants.allNodeTags()]);
    return new Access(principal, grants, (name) => tags.get(name) ?? []);
  }

  /** Logs in with name, password and (when enabled) a TOTP code; throttled per user and per address. */
  async login(input: LoginInput, ip: string, now = Date.now()): Promise<LoginResult> {
    const userKey = `user:${input.name}`;
    const ipKey = `ip:${ip}`;
    const pairKey = `pair:${input.name}@${ip}`;
    const wait = Math.max(this.#pairThrottle.retryAfter(pairKey, now), this.#addressThrottle.retryAfter(ipKey, now));
    const base = { actor: 'anonymous', ip, action: 'auth.login', target: `user:${input.name}` } as const;
    if (wait > 0) {
      await this.audit({ ...base, outcome: 'denied', reason: `too many failed logins; locked for ${Math.ceil(wait / 1000)} s` });
      throw Object.assign(new MaError(ErrorCode.AuthRateLimited, `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`), { retryAfterMs: wait });
    }
    const delay = userLoginDelay(this.#userThrottle.failures(userKey, now));
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const user = await this.users.getByName(input.name);
    // Verify against a dummy hash for unknown users, so the time taken does not tell which names exist.
    const passwordOk = await verifyPassword(input.password, user?.password_hash ?? (await dummyHash()));
    const fail = async (reason: string, message = 'wrong user name or password'): Promise<never> => {
      this.#pairThrottle.fail(pairKey, now);
      this.#addressThrottle.fail(ipKey, now);
      this.#userThrottle.fail(userKey, now);
      await this.audit({ ...base, outcome: 'failed', reason });
      throw new MaError(ErrorCode.AuthRequired, message);
    };
    if (!user) return fail('unknown user');
    if (!passwordOk) return fail('wrong password');
    if (user.disabled) return fail('user disabled');
    if (user.totp_enabled && user.totp_secret) {
      if (!input.totp) {
        await this.audit({ ...base, outcome: 'failed', reason: 'TOTP code missing' });
        throw new MaError(ErrorCode.AuthRequired, 'this account needs a one-time code: send "totp" with the code from your authenticator app');
      }
      const last = this.#totpLastStep.get(user.id);
      const step = verifyTotp(base32Decode(user.totp_secret), input.totp, now, last !== undefined ? { notAfterStep: last } : {});
      if (step === undefined) return fail('wrong or reused TOTP code', 'wrong one-time code');
      this.#totpLastStep.set(user.id, step);
    }
    // The address's budget is not reset: a success between guesses at other names buys nothing.
    this.#pairThrottle.succeed(pairKey);
    this.#userThrottle.succeed(userKey);
    if (needsRehash(user.password_hash)) await this.users.update(user.id, { password_hash: await hashPassword(input.password) });
    const { token, session } = await this.#newSession(user, ip, now);
    await this.audit({ actor: `user:${user.name}`, ip, action: 'auth.login', target: `user:${user.name}`, outcome: 'ok', reason: null });
    return { user, sessionToken: token, session };
  }

  async #newSession(user: UserRow, ip: string, now: number): Promise<{ token: string; session: SessionRow }> {
    const token = newSecret('mas');
    const session: SessionRow = {
      id_hash: sha256Hex(token),
      user_id: user.id,
      csrf_token: newSecret('csrf'),
      created_at: now,
      last_seen_at: now,
      expires_at: now + Math.min(this.options.sessionIdleMs, this.options.sessionMaxMs),
      ip,
    };
    await this.sessions.create(session);
    await this.sessions.deleteExpired(now);
    return { token, session };
  }

  /**
   * Ends what authenticated the request: the session, or the API token itself (a script
   * logging out means "this token is done"). The bootstrap token lives in the config and
   * cannot be revoked here.
   */
  async logout(principal: Principal, ip: string): Promise<void> {
    if (principal.via === 'bootstrap') {
      throw new MaError(ErrorCode.InputInvalid, 'the bootstrap admin token comes from the server config (api.admin_token_sha256 or MA_ADMIN_TOKEN) and cannot be logged out; remove it there');
    }
    if (principal.session) await this.sessions.delete(principal.session.id_hash);
    if (principal.via === 'token' && principal.tokenId !== undefined) await this.tokens.revoke(principal.tokenId, Date.now());
    this.principalsChanged();
    const target = principal.via === 'token' ? `token:${principal.tokenId}` : principal.actor;
    await this.audit({ actor: principal.actor, ip, action: 'auth.logout', target, outcome: 'ok', reason: principal.via === 'token' ? 'API token revoked by logout' : null });
  }

  /** Creates a user; the password is checked and hashed here. */
  async createUser(input: { name: string; password: string; role: Role }): Promise<UserRow> {
    validateUserName(input.name);
    const problem = passwordProblem(input.password, input.name);
    if (problem) throw new MaError(ErrorCode.InputInvalid, problem);
    return this.users.create({ name: input.name, role: input.role, password_hash: await hashPassword(input.password) });
  }

  /** The first-run page: creates an admin only while no user exists at all. */
  async setupFirstAdmin(input: { name: string; password: string }, ip: string, now = Date.now()): Promise<LoginResult> {
    validateUserName(input.name);
    const problem = passwordProblem(input.password, input.name);
    if (problem) throw new MaError(ErrorCode.InputInvalid, problem);
    const user = await this.users.createFirst({ name: input.name, role: 'admin', password_hash: await hashPassword(input.password) });
    if (!user) {
      await this.audit({ actor: 'anonymous', ip, action: 'auth.setup', target: `user:${input.name}`, outcome: 'denied', reason: 'users already exist' });
      throw new MaError(ErrorCode.Conflict, 'the first admin already exists; log in instead');
    }
    await this.audit({ actor: `user:${user.name}`, ip, action: 'auth.setup', target: `user:${user.name}`, outcome: 'ok', reason: 'first-run page' });
    const { token, session } = await this.#newSession(user, ip, now);
    return { user, sessionToken: token, session };
  }

  async setPassword(user: UserRow, password: string): Promise<void> {
    const problem = passwordProblem(password, user.name);
    if (problem) throw new MaError(ErrorCode.InputInvalid, problem);
    await this.users.update(user.id, { password_hash: await hashPassword(password) });
  }
}

/** The delay before checking a login for a name that failed `failures` times lately, from anywhere. */
export function userLoginDelay(failures: number): number {
  const over = failures - USER_POLICY.freeAttempts;
  return over < 0 ? 0 : Math.min(MAX_USER_LOGIN_DELAY_MS, 100 * 2 ** Math.min(over, 10));
}

export function validateUserName(name: string): void {
  if (!USER_NAME_PATTERN.test(name)) {
    throw new MaError(ErrorCode.InputInvalid, `invalid user name ${JSON.stringify(name)}: use lowercase letters, digits, dots, dashes and underscores, at most 63 characters`);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
