import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerCert {
  /** PEM of the CA that signed it (what a client would pin). */
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

/**
 * A private CA and a server certificate for `localhost` / 127.0.0.1 signed by it, made with the
 * system's openssl. Two calls give two unrelated CAs: a client pinning one rejects the other.
 */
export async function makeServerCert(dir: string, name: string): Promise<ServerCert> {
  const p = (f: string) => path.join(dir, `${name}-${f}`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', p('ca.key'), '-out', p('ca.pem')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', p('server.key'), '-out', p('server.csr')]);
  await writeFile(p('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.pem')]);
  return { caFile: p('ca.pem'), key: await readFile(p('server.key')), cert: await readFile(p('server.pem')) };
}
