import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { ErrorCode, MaError } from '@ma/protocol';

const sha256 = (der: Buffer): string => createHash('sha256').update(der).digest('hex');

/**
 * Finds the server's private CA by its pinned SHA-256, the way `kubeadm join` uses
 * `--discovery-token-ca-cert-hash`: one TLS handshake reads the certificate chain the server
 * presents, and the only thing taken from it is the certificate whose hash equals the pin.
 * No application data is sent on that connection (no token, nothing), so an impostor learns
 * nothing; every request after it is verified TLS against that CA (`rejectUnauthorized`
 * stays true). A chain without the pinned CA is refused, saying so.
 */
export async function fetchPinnedCa(url: URL, pinHex: string, timeoutMs = 10_000): Promise<string> {
  const port = Number(url.port || 443);
  const chain = await new Promise<Buffer[]>((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port, servername: /^[\d.]+$|:/.test(url.hostname) ? '' : url.hostname, rejectUnauthorized: false }, () => {
      const ders: Buffer[] = [];
      let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        ders.push(cert.raw);
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve(ders);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
    socket.once('error', (e) => reject(new MaError(ErrorCode.TransportConnectFailed, `cannot reach ${url.host}: ${e.message}`, { cause: e })));
  });
  const match = chain.find((der) => sha256(der) === pinHex.toLowerCase());
  if (!match) {
    throw new MaError(
      ErrorCode.TransportTls,
      `TLS: the server at ${url.host} presented a certificate chain that does not contain the CA pinned by the enrollment token ` +
        `(expected SHA-256 ${pinHex}; got ${chain.map(sha256).join(', ') || 'no certificates'}). ` +
        'This is not your server, or something is intercepting the connection. Nothing was sent.',
    );
  }
  return new X509Certificate(match).toString();
}
