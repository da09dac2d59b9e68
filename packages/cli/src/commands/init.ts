import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message;
    throw new MaError(ErrorCode.ConfigInvalid, `openssl ${args[0]} failed: ${stderr.trim()} (is the openssl command installed?)`, { cause: e });
  }
}

/** SAN entries for the server certificate: names as DNS, addresses as IP. */
function subjectAltNames(hosts: string[]): string {
  return hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

/**
 * `ma init <dir>`: the operator's private directory with a private CA (ca.pem, ca.key), a
 * server certificate it signed (server.pem, server.key) and a server.yaml serving HTTPS,
 * WSS and MQTTS with them. Keys are EC P-256, written 0600; nothing is overwritten.
 */
export function initPrivateDir(dir: string, hosts: string[]): { ca: string; fingerprint: string; config: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of ['ca.key', 'server.key', 'server.yaml']) {
    if (existsSync(path.join(dir, f))) throw new MaError(ErrorCode.Conflict, `${path.join(dir, f)} exists; ma init never overwrites keys. Use an empty directory`);
  }
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Monitor Actuator private CA', '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hosts[0]}`], dir);
  writeFileSync(path.join(dir, 'server.ext'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltNames(hosts)}\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '825', '-sha256', '-extfile', 'server.ext'], dir);
  for (const f of ['ca.key', 'server.key']) execFileSync('chmod', ['600', path.join(dir, f)]);
  const config = path.join(dir, 'server.yaml');
  writeFileSync(
    config,
    toYaml({
      http: { host: '0.0.0.0', port: 8443, public_url: `https://${hosts[0]}:8443`, tls: { cert_file: 'server.pem', key_file: 'server.key', ca_file: 'ca.pem' } },
      mqtt: { websocket: true, tcp: { enabled: true, host: '0.0.0.0', port: 8883 } },
      data_dir: './data',
    }),
    { mode: 0o600 },
  );
  const caPem = readFileSync(path.join(dir, 'ca.pem'));
  const fingerprint = createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
  return { ca: path.join(dir, 'ca.pem'), fingerprint, config };
}

export function registerInitCommand(program: Command, out: (s: string) => void): void {
  program
    .command('init')
    .argument('<dir>', 'the private directory to create (keep it out of the project repository)')
    .option('--host <name...>', 'names and addresses the server is reached by (certificate SANs)', ['localhost', '127.0.0.1'])
    .description('create a private CA, a server certificate and a TLS server.yaml in <dir>')
    .action((dir: string, opts: { host: string[] }) => {
      const r = initPrivateDir(path.resolve(dir), opts.host);
      out(`private CA:   ${r.ca}\nSHA-256:      ${r.fingerprint}\nserver config: ${r.config}\nstart with:   ma-server serve --config ${r.config}\n(enrollment tokens carry the CA fingerprint; agents pin it)\n`);
    });
}
