/** Why the uplink is not delivering, as shown in logs and the agent's own status. */
export type UplinkState = 'connecting' | 'online' | 'offline' | 'tls_error' | 'auth_error' | 'stopped';

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Classifies a connection error so TLS and credential problems get their own status. */
export function classifyConnectError(err: Error & { code?: string | number }): UplinkState {
  if (typeof err.code === 'string' && (TLS_CODES.has(err.code) || err.code.startsWith('ERR_TLS') || err.code.startsWith('ERR_SSL'))) return 'tls_error';
  if (err.code === 4 || err.code === 5 || /Not authorized|Bad username or password/i.test(err.message)) return 'auth_error';
  return 'offline';
}
