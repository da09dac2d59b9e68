import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 of the private CA certificate (hex, no colons), pinned by agents; undefined for a public CA. */
  caFingerprint: string | undefined;
}

/** SHA-256 of a PEM certificate's DER, lowercase hex without colons. */
export function certificateFingerprint(pem: string | Buffer): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}

/** Reads http.tls's files (relative to the config file), naming the key and path when one cannot be read. */
export async function loadServerTls(tls: { cert_file: string; key_file: string; ca_file?: string | undefined }, configFile: string | undefined): Promise<ServerTls> {
  const base = configFile ? path.dirname(configFile) : process.cwd();
  const read = async (key: string, file: string): Promise<Buffer> => {
    const abs = path.resolve(base, file);
    try {
      return await readFile(abs);
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `${configFile ?? 'config'}: http.tls.${key}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? String(e)}); \`ma init <dir>\` writes a CA and certificate`, { cause: e });
    }
  };
  const cert = await read('cert_file', tls.cert_file);
  const key = await read('key_file', tls.key_file);
  let caFingerprint: string | undefined;
  if (tls.ca_file) {
    const ca = await read('ca_file', tls.ca_file);
    try {
      caFingerprint = certificateFingerprint(ca);
      // Send the CA with the leaf, so an enrolling agent can find the certificate its token pins.
      if (!cert.toString('utf8').includes(ca.toString('utf8').trim())) return { cert: Buffer.concat([cert, Buffer.from('\n'), ca]), key, caFingerprint };
      // Send the CA with the leaf, so an enrolling agent can find the certificate its token pins.
      if (!cert.toString('utf8').includes(ca.toString('utf8').trim())) return { cert: Buffer.concat([cert, Buffer.from('\n'), ca]), key, caFingerprint };
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `${configFile ?? 'config'}: http.tls.ca_file: ${tls.ca_file} is not a PEM certificate`, { cause: e });
    }
  }
  return { cert, key, caFingerprint };
}
