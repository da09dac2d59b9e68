// A real SMTP server in its own process, for the alert tests: STARTTLS required, AUTH PLAIN/LOGIN
// required, every accepted message printed to stdout as one JSON line. Configured by env:
// SMTP_KEY_FILE, SMTP_CERT_FILE, SMTP_USER, SMTP_PASSWORD. Prints {"listening": port} first.
import { readFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';

const env = process.env;
const server = new SMTPServer({
  secure: false,
  key: readFileSync(env.SMTP_KEY_FILE),
  cert: readFileSync(env.SMTP_CERT_FILE),
  authMethods: ['PLAIN', 'LOGIN'],
  // No AUTH before STARTTLS, and no mail without AUTH.
  allowInsecureAuth: false,
  authOptional: false,
  disabledCommands: [],
  logger: false,
  onAuth(auth, session, cb) {
    if (!session.secure) return cb(new Error('STARTTLS first'));
    if (auth.username === env.SMTP_USER && auth.password === env.SMTP_PASSWORD) return cb(null, { user: auth.username });
    return cb(new Error('Invalid username or password'));
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      process.stdout.write(
        JSON.stringify({ mail: { from: session.envelope.mailFrom?.address, to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user, raw } }) + '\n',
      );
      cb();
    });
  },
});
server.on('error', (err) => process.stderr.write(`smtp error: ${err.message}\n`));
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ listening: server.server.address().port }) + '\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
