import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';

/**
 * The server's access-control secrets, kept in `<data_dir>/access/` (mode 0600), made on
 * first start:
 * - `card-key`: 32 random bytes (base64), the HMAC-SHA256 key of every stored card hash. The
 *   same key is each allow-list's `card_salt`: a node must match a tapped card against the
 *   list without the server ever keeping raw card ids, so the node computes the same hash.
 *   A database dump without this file reveals no card id.
 * - `allow-list-ed25519.pem`: the Ed25519 key that signs allow-lists; nodes pin its public half.
 */
export interface AccessKeys {
  /** base64 of the card HMAC key. */
  cardKey: string;
  signingKey: KeyObject;
  publicKeyPem: string;
  /** A short fingerprint of the public key, the allow-list's `key_id`. */
  keyId: string;
}

async function readOrCreate(file: string, create: () => string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new MaError(ErrorCode.ConfigInvalid, `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const text = create();
  // wx: two servers starting at once on one data dir never overwrite each other's key.
  await writeFile(file, text, { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  await chmod(file, 0o600);
  return readFile(file, 'utf8');
}

export async function loadAccessKeys(dataDir: string): Promise<AccessKeys> {
  const dir = path.join(dataDir, 'access');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cardKey = (await readOrCreate(path.join(dir, 'card-key'), () => `${randomBytes(32).toString('base64')}\n`)).trim();
  if (Buffer.from(cardKey, 'base64').length < 16) throw new MaError(ErrorCode.ConfigInvalid, `${path.join(dir, 'card-key')}: expected at least 16 bytes of base64; delete it to make a new one (every card must then be enrolled again)`);
  const pem = await readOrCreate(path.join(dir, 'allow-list-ed25519.pem'), () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(pem);
  } catch (e) {
    throw new MaError(ErrorCode.ConfigInvalid, `${path.join(dir, 'allow-list-ed25519.pem')}: not a PEM private key`, { cause: e });
  }
  if (signingKey.asymmetricKeyType !== 'ed25519') throw new MaError(ErrorCode.ConfigInvalid, `${path.join(dir, 'allow-list-ed25519.pem')}: expected an Ed25519 key`);
  const publicKeyPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
  const keyId = createHmac('sha256', 'ma-allow-list-key-id').update(publicKeyPem).digest('hex').slice(0, 16);
  return { cardKey, signingKey, publicKeyPem, keyId };
}

/** Card ids compare after trimming and upper-casing (readers differ in the case of hex digits). */
export function normaliseCard(raw: string): string {
  return raw.trim().toUpperCase();
}

/** The stored (and allow-listed) form of a card id, and the last 4 characters people see. */
export function hashCard(cardKey: string, raw: string): { card_hash: string; last4: string } {
  const id = normaliseCard(raw);
  if (!/^[0-9A-Z]{1,64}$/.test(id)) throw new MaError(ErrorCode.InputInvalid, `card id ${JSON.stringify(raw)}: expected 1 to 64 digits or letters`);
  return { card_hash: createHmac('sha256', Buffer.from(cardKey, 'base64')).update(id, 'utf8').digest('hex'), last4: id.slice(-4) };
}
