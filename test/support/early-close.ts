/**
 * The server answers 413 from the Content-Length alone and closes the connection; when that
 * close lands while the client is still writing a large body, the client sees EPIPE or
 * ECONNRESET instead of the answer. That is the client's race, not the server's: try again.
 */
export async function tolerateEarlyClose<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (attempt >= 5 || (code !== 'EPIPE' && code !== 'ECONNRESET')) throw e;
    }
  }
}
