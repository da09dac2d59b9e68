import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import type { Command } from 'commander';
import os from 'node:os';
import { PRIVATE_FILES } from '../private-dir.js';
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

export interface InitOptions {
  hosts: string[];
  /** Operator account put on every node (SSH keys only). */
  operator?: string | undefined;
  /** Public key lines for that account. */
  sshKeys?: string[];
  wifiCountry?: string;
}

const GITIGNORE = `# Secrets of the Monitor Actuator private directory: never commit these.
# (Encrypt Wi-Fi passphrases with ansible-vault if this repository must hold them.)
*.key
*.csr
*.srl
data/
ansible/group_vars/all/wifi.yml
*.token
`;

/** Writes a file only when absent: `ma init` adds what is missing and never replaces. */
function writeNew(file: string, content: string, mode = 0o644): boolean {
  if (existsSync(file)) return false;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode });
  return true;
}

/** The Ansible part of the private directory: inventory, group vars and the Wi-Fi secrets. */
function writeAnsibleFiles(dir: string, opts: InitOptions): string[] {
  const written: string[] = [];
  const control = opts.hosts[0] ?? 'localhost';
  const users = opts.operator ? [{ name: opts.operator, ssh_keys: opts.sshKeys ?? [] }] : [];
  const files: Array<[string, string, number]> = [
    [PRIVATE_FILES.gitignore, GITIGNORE, 0o644],
    [
      PRIVATE_FILES.inventory,
      `# Written by \`ma init\`; \`ma inventory\` rewrites the ma_nodes part from the server's node registry.\n${toYaml({ all: { children: { ma_control: { hosts: { control: { ansible_host: control } } }, ma_nodes: { hosts: {} } } } })}`,
      0o644,
    ],
    [
      PRIVATE_FILES.vars,
      `# Ansible variables for every host (ma bootstrap reads them too).\n${toYaml({ ma_operator_users: users, ma_wifi_country: opts.wifiCountry ?? 'GB', ma_server_url: `https://${control}:8443` })}`,
      0o644,
    ],
    [PRIVATE_FILES.wifi, `# Wi-Fi networks nodes join, most preferred first. Secret: git-ignored, mode 0600.\n# - { ssid: Lab, psk: "a passphrase of 8-63 characters" }\nma_wifi_networks: []\n`, 0o600],
  ];
  for (const [rel, content, mode] of files) if (writeNew(path.join(dir, rel), content, mode)) written.push(rel);
  return written;
}

/**
 * `ma init <dir>`: the operator's private directory with a private CA (ca.pem, ca.key), a
 * server certificate it signed (server.pem, server.key), a server.yaml serving HTTPS, WSS and
 * MQTTS with them, and the Ansible inventory and vars. Keys are EC P-256, written 0600.
 * Nothing is overwritten: run again on an existing directory, it adds only missing files.
 */
export function initPrivateDir(dir: string, hostsOrOpts: string[] | InitOptions): { ca: string; fingerprint: string; config: string; written: string[] } {
  const opts: InitOptions = Array.isArray(hostsOrOpts) ? { hosts: hostsOrOpts } : hostsOrOpts;
  const hosts = opts.hosts;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const existing = ['ca.key', 'server.key', 'server.yaml'].filter((f) => existsSync(path.join(dir, f)));
  if (existing.length > 0 && existing.length < 3) throw new MaError(ErrorCode.Conflict, `${path.join(dir, existing[0]!)} exists but not all of ca.key, server.key, server.yaml do; ma init never overwrites keys. Use an empty directory`);
  const written: string[] = [];
  if (existing.length === 0) {
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
    written.push('ca.pem', 'ca.key', 'server.pem', 'server.key', 'server.yaml');
  }
  written.push(...writeAnsibleFiles(dir, opts));
  const caPem = readFileSync(path.join(dir, 'ca.pem'));
  const fingerprint = createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
  return { ca: path.join(dir, 'ca.pem'), fingerprint, config: path.join(dir, 'server.yaml'), written };
}

function defaultOperatorKey(): string | undefined {
  for (const f of ['id_ed25519.pub', 'id_ecdsa.pub', 'id_rsa.pub']) {
    const p = path.join(os.homedir(), '.ssh', f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function registerInitCommand(program: Command, out: (s: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  program
    .command('init')
    .argument('[dir]', 'the private directory to create or complete (default $MA_HOME); keep it out of the project repository, ready to be its own git repository')
    .option('--host <name...>', 'names and addresses the server is reached by (certificate SANs)', ['localhost', '127.0.0.1'])
    .option('--operator <user>', 'the operator account created on every node (SSH keys only)', os.userInfo().username.replace(/[^a-z0-9_-]/g, '') || 'operator')
    .option('--ssh-key <file...>', "that account's public key files (default ~/.ssh/id_ed25519.pub if present)")
    .option('--wifi-country <code>', 'Wi-Fi regulatory country of the nodes', 'GB')
    .description('create the private directory: CA, server certificate, TLS server.yaml, Ansible inventory and vars, .gitignore; run again to add missing files (nothing is overwritten)')
    .action((dir: string | undefined, opts: { host: string[]; operator: string; sshKey?: string[]; wifiCountry: string }) => {
      const target = dir ?? env.MA_HOME;
      if (!target) throw new MaError(ErrorCode.InputInvalid, 'ma init: give the directory (ma init <dir>) or set MA_HOME');
      const keyFiles = opts.sshKey ?? [defaultOperatorKey()].filter((f): f is string => f !== undefined);
      const sshKeys = keyFiles.map((f) => {
        const line = readFileSync(f, 'utf8').trim();
        if (!/^(ssh-|ecdsa-|sk-)\S+ \S+/.test(line) || line.includes('PRIVATE KEY')) throw new MaError(ErrorCode.InputInvalid, `--ssh-key ${f}: expected an OpenSSH public key (.pub), got something else`);
        return line;
      });
      const r = initPrivateDir(path.resolve(target), { hosts: opts.host, operator: opts.operator, sshKeys, wifiCountry: opts.wifiCountry });
      out(`private CA:   ${r.ca}\nSHA-256:      ${r.fingerprint}\nserver config: ${r.config}\nwritten:      ${r.written.join(', ') || 'nothing (all files exist)'}\nstart with:   ma-server serve --config ${r.config}\n(enrollment tokens carry the CA fingerprint; agents pin it)\n`);
      if (sshKeys.length === 0) process.stderr.write(`no SSH key given: add yours to ${path.join(path.resolve(target), PRIVATE_FILES.vars)} (ma_operator_users) before \`ma bootstrap\`\n`);
    });
}
