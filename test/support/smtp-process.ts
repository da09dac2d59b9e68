import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './processes.js';

/** A message as the SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  secure: boolean;
  user: string;
  raw: string;
  subject: string;
  headers: Record<string, string>;
  /** The text body with quoted-printable soft breaks and escapes undone. */
  text: string;
}

export interface SmtpProcess {
  port: number;
  user: string;
  password: string;
  /** PEM of the CA that signed the server's certificate (to pin in the MA server's config). */
  caFile: string;
  mails: ReceivedMail[];
  stop(): Promise<void>;
}

function decodeQp(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function parse(raw: string): Pick<ReceivedMail, 'subject' | 'headers' | 'text'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.slice(split + 4);
  const text = /quoted-printable/i.test(headers['content-transfer-encoding'] ?? '') ? decodeQp(body) : body;
  return { subject: headers.subject ?? '', headers, text };
}

/** Makes a private CA and a certificate for 127.0.0.1 signed by it (openssl). */
export async function makeCertificates(dir: string, name = 'smtp'): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const f = (x: string) => path.join(dir, `${name}-${x}`);
  const run = async (args: string[]) => {
    const r = await runToEnd('openssl', args);
    if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  await run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name} test CA`, '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  await run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('key.pem'), '-out', f('csr.pem')]);
  await run(['x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f('cert.pem'), '-extfile', await writeExt(dir, name)]);
  return { caFile: f('ca.pem'), certFile: f('cert.pem'), keyFile: f('key.pem') };
}

async function writeExt(dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}-ext.cnf`);
  await writeFile(file, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  return file;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-server-process.mjs');

/** Starts the SMTP server process (the `smtp-server` package) with STARTTLS and AUTH required. */
export async function startSmtpProcess(dir: string): Promise<SmtpProcess> {
  const certs = await makeCertificates(dir);
  const user = 'ma-alerts';
  const password = 'smtp-test-password-0123';
  const proc: ChildProcess = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, SMTP_KEY_FILE: certs.keyFile, SMTP_CERT_FILE: certs.certFile, SMTP_USER: user, SMTP_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const mails: ReceivedMail[] = [];
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let partial = '';
    proc.stdout!.on('data', (c: Buffer) => {
      partial += c.toString('utf8');
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = JSON.parse(partial.slice(0, nl)) as { listening?: number; mail?: Omit<ReceivedMail, 'subject' | 'headers' | 'text'> };
        partial = partial.slice(nl + 1);
        if (line.listening) resolve(line.listening);
        if (line.mail) mails.push({ ...line.mail, ...parse(line.mail.raw) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`SMTP process exited (${code}): ${err}`)));
  });
  return {
    port,
    user,
    password,
    caFile: certs.caFile,
    mails,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
