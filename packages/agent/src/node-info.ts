import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Facts about this machine that go into the node's status. */
export function bootId(procRoot = '/'): string | undefined {
  try {
    return readFileSync(`${procRoot.replace(/\/$/, '')}/proc/sys/kernel/random/boot_id`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The first non-internal IPv4 address, the one an operator would ssh to on the LAN. */
export function primaryIp(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Set by the single-file bundle build (scripts/bundle-agent.js); absent when run from dist/. */
declare const __MA_AGENT_VERSION__: string | undefined;

export const AGENT_VERSION: string =
  typeof __MA_AGENT_VERSION__ === 'string'
    ? __MA_AGENT_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
