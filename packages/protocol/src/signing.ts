import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { MaError, ErrorCode } from './errors.js';
import { allowListBodySchema, canonicalJson, signedAllowListSchema, type AllowListBody, type AllowListBodyInput, type SignedAllowList } from './allow-list.js';
import { normaliseCardId } from './equipment-events.js';

/**
 * Signing and verifying allow-lists: one implementation for server and agent (Ed25519 via
 * node:crypto). Exported as `@ma/protocol/signing`, not from the index, so the browser
 * dashboard (which imports protocol types) never pulls in node:crypto.
 */

/** The card's form inside an allow-list: HMAC-SHA256 keyed with the list's `card_salt`, lowercase hex. */
export function cardHash(cardSalt: string, cardId: string): string {
  return createHmac('sha256', Buffer.from(cardSalt, 'base64')).update(normaliseCardId(cardId), 'utf8').digest('hex');
}

export interface AllowListKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateAllowListKeyPair(): AllowListKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function asPrivateKey(key: string | KeyObject): KeyObject {
  const k = typeof key === 'string' ? createPrivateKey(key) : key;
  if (k.asymmetricKeyType !== 'ed25519') throw new MaError(ErrorCode.ConfigInvalid, `allow-list signing key must be Ed25519, not ${k.asymmetricKeyType ?? 'unknown'}`);
  return k;
}

export function asAllowListPublicKey(key: string | KeyObject): KeyObject {
  let k: KeyObject;
  try {
    k = typeof key === 'string' ? createPublicKey(key) : key;
  } catch (err) {
    throw new MaError(ErrorCode.ConfigInvalid, 'allow-list public key is not a PEM public key', { cause: err });
  }
  if (k.asymmetricKeyType !== 'ed25519') throw new MaError(ErrorCode.ConfigInvalid, `allow-list public key must be Ed25519, not ${k.asymmetricKeyType ?? 'unknown'}`);
  return k;
}

/** Validates `body` and returns it signed. Throws InputInvalid naming the first bad field. */
export function signAllowList(body: AllowListBodyInput, privateKey: string | KeyObject): SignedAllowList {
  const parsed = allowListBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MaError(ErrorCode.InputInvalid, `allow-list ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const sig = sign(null, Buffer.from(canonicalJson(parsed.data), 'utf8'), asPrivateKey(privateKey)).toString('base64');
  return { ...parsed.data, sig };
}

/**
 * Parses and verifies a signed allow-list. Returns the body when the schema holds and the
 * signature verifies under `publicKey`; throws AuthForbidden (bad signature) or
 * InputInvalid (malformed) otherwise. Checks nothing about node, version or expiry: the
 * caller decides those.
 */
export function verifyAllowList(json: unknown, publicKey: string | KeyObject): AllowListBody {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new MaError(ErrorCode.InputInvalid, 'allow-list: not a JSON object');
  const { sig, ...unsigned } = json as Record<string, unknown>;
  if (typeof sig !== 'string' || sig.length < 80 || sig.length > 100) throw new MaError(ErrorCode.InputInvalid, 'allow-list sig: missing or not a base64 Ed25519 signature');
  // Verify the bytes as received (fields this version does not know included), then parse.
  let canonical: string;
  try {
    canonical = canonicalJson(unsigned);
  } catch (err) {
    throw new MaError(ErrorCode.InputInvalid, `allow-list: ${(err as Error).message}`);
  }
  const ok = verify(null, Buffer.from(canonical, 'utf8'), asAllowListPublicKey(publicKey), Buffer.from(sig, 'base64'));
  if (!ok) throw new MaError(ErrorCode.AuthForbidden, 'allow-list signature does not verify under the pinned key');
  const parsed = signedAllowListSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MaError(ErrorCode.InputInvalid, `allow-list ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { sig: _sig, ...body } = parsed.data;
  return body;
}
