import { describe, expect, it } from 'vitest';
import { classifySshLine, isReachabilityFailure } from './ssh-output.js';

describe('reading ssh -v output', () => {
  it('recognises the established forward and its port', () => {
    expect(classifySshLine('debug1: remote forward success for: listen 127.0.0.1:20003, connect localhost:22')).toEqual({ kind: 'forward_up', port: 20003 });
  });
  it('treats debug and informational lines as noise, and anything else as an error', () => {
    expect(classifySshLine('debug1: Authentication succeeded (publickey).').kind).toBe('debug');
    expect(classifySshLine('Authenticated to 127.0.0.1 ([127.0.0.1]:2222) using "publickey".').kind).toBe('debug');
    expect(classifySshLine('@@@@@@@@@@@@@@@@@@@@@@@@').kind).toBe('debug');
    expect(classifySshLine('@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @')).toEqual({ kind: 'error', message: 'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!' });
    expect(classifySshLine('Error: remote port forwarding failed for listen port 20001')).toEqual({ kind: 'error', message: 'Error: remote port forwarding failed for listen port 20001' });
  });
  it('tells a network that blocks SSH from a refusal by the control point', () => {
    expect(isReachabilityFailure('ssh: connect to host 10.0.0.1 port 22: Connection refused')).toBe(true);
    expect(isReachabilityFailure('ssh: connect to host 10.0.0.1 port 22: Connection timed out')).toBe(true);
    expect(isReachabilityFailure('kex_exchange_identification: Connection closed by remote host')).toBe(true);
    expect(isReachabilityFailure('ma-tunnel@10.0.0.1: Permission denied (publickey).')).toBe(false);
    expect(isReachabilityFailure('Host key verification failed.')).toBe(false);
    expect(isReachabilityFailure(undefined)).toBe(false);
  });
});
