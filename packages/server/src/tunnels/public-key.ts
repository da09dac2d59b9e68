import { createHash } from 'node:crypto';
import { ErrorCode, MaError } from '@ma/protocol';

/** Key types a node or a user may register; DSA and anything exotic are refused. */
const KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'] as const;

export interface SshPublicKey {
  type: string;
  /** Base64 key blob. */
  blob: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/**
 * Parses one OpenSSH public key line (`type base64 [comment]`). It must be exactly a key:
 * options such as `command=` or `permitopen=` are refused, because the server writes this
 * key into an authorized_keys file behind its own restrictions, and a key that smuggles in
 * its own options or a second line would escape them.
 */
export function parseSshPublicKey(text: string): SshPublicKey {
  const line = text.trim();
  const bad = (why: string): MaError => new MaError(ErrorCode.InputInvalid, `not an OpenSSH public key (${why}); send the one line of the .pub file, e.g. "ssh-ed25519 AAAA... node@host"`);
  if (line.length === 0 || line.length > 16_384) throw bad('empty or too long');
  if (/[\r\n\0]/.test(line)) throw bad('more than one line');
  const [type, blob] = line.split(/\s+/);
  if (!type || !(KEY_TYPES as readonly string[]).includes(type)) throw bad(`key type ${JSON.stringify(type ?? '')} is not one of ${KEY_TYPES.join(', ')}`);
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw bad('the key is not base64');
  const raw = Buffer.from(blob, 'base64');
  // The blob starts with its own type name as an SSH string; a mismatch means a corrupt or forged key.
  const nameLen = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
  if (nameLen <= 0 || raw.subarray(4, 4 + nameLen).toString('latin1') !== type) throw bad('the key data does not match its type');
  const fingerprint = `SHA256:${createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;
  return { type, blob, fingerprint };
}
