import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { parse as parseYaml } from 'yaml';
import type { OperatorUser, WifiNetwork } from './provisioning/first-boot.js';

/** Files of the private directory that `ma init` writes and other commands read. */
export const PRIVATE_FILES = {
  marker: 'server.yaml',
  inventory: 'ansible/inventory.yml',
  vars: 'ansible/group_vars/all/ma.yml',
  wifi: 'ansible/group_vars/all/wifi.yml',
  gitignore: '.gitignore',
} as const;

/** A private directory has the server config and the CA `ma init` made. */
function isPrivateDir(dir: string): boolean {
  return existsSync(path.join(dir, PRIVATE_FILES.marker)) && existsSync(path.join(dir, 'ca.pem'));
}

/**
 * Finds the operator's private directory: `--home`, else `MA_HOME`, else the nearest directory
 * from `cwd` upwards holding server.yaml and ca.pem (as git finds its repository).
 */
export function findPrivateDir(opts: { flag?: string | undefined; env?: string | undefined; cwd: string }): string {
  const given = opts.flag ?? (opts.env || undefined);
  if (given !== undefined) {
    const dir = path.resolve(opts.cwd, given);
    if (!isPrivateDir(dir)) throw new MaError(ErrorCode.ConfigInvalid, `${dir} is not a private directory (no server.yaml and ca.pem); create one with \`ma init ${given}\` (given by ${opts.flag !== undefined ? '--home' : 'MA_HOME'})`);
    return dir;
  }
  for (let dir = path.resolve(opts.cwd); ; dir = path.dirname(dir)) {
    if (isPrivateDir(dir)) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new MaError(ErrorCode.ConfigInvalid, `no private directory found from ${opts.cwd} upwards; pass --home <dir> or set MA_HOME (create one with \`ma init <dir>\`)`);
}

export interface PrivateVars {
  users: OperatorUser[];
  wifi: { country: string; networks: WifiNetwork[] };
  /** The files read, for error messages. */
  varsFile: string;
  wifiFile: string;
}

function readYamlFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new MaError(ErrorCode.ConfigInvalid, `${file} is missing; \`ma init\` writes it (an older private directory: run \`ma init --upgrade <dir>\`)`);
  const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new MaError(ErrorCode.ConfigInvalid, `${file}: expected a mapping of Ansible variables`);
  return doc as Record<string, unknown>;
}

function stringList(file: string, key: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new MaError(ErrorCode.ConfigInvalid, `${file}: ${key}: got ${JSON.stringify(v)}, expected a list of strings`);
  return v as string[];
}

/** The operator users and Wi-Fi networks from the private directory's group vars. */
export function readPrivateVars(home: string): PrivateVars {
  const varsFile = path.join(home, PRIVATE_FILES.vars);
  const wifiFile = path.join(home, PRIVATE_FILES.wifi);
  const vars = readYamlFile(varsFile);
  const wifiVars = readYamlFile(wifiFile);
  const rawUsers = vars.ma_operator_users ?? [];
  if (!Array.isArray(rawUsers)) throw new MaError(ErrorCode.ConfigInvalid, `${varsFile}: ma_operator_users: expected a list of { name, ssh_keys }`);
  const users = rawUsers.map((u: unknown, i) => {
    const o = (u ?? {}) as { name?: unknown; ssh_keys?: unknown };
    if (typeof o.name !== 'string') throw new MaError(ErrorCode.ConfigInvalid, `${varsFile}: ma_operator_users[${i}].name: got ${JSON.stringify(o.name)}, expected a user name`);
    return { name: o.name, ssh_keys: stringList(varsFile, `ma_operator_users[${i}].ssh_keys`, o.ssh_keys ?? []) };
  });
  const country = vars.ma_wifi_country;
  if (typeof country !== 'string') throw new MaError(ErrorCode.ConfigInvalid, `${varsFile}: ma_wifi_country: got ${JSON.stringify(country)}, expected a two-letter country code such as GB`);
  const rawNets = wifiVars.ma_wifi_networks ?? [];
  if (!Array.isArray(rawNets)) throw new MaError(ErrorCode.ConfigInvalid, `${wifiFile}: ma_wifi_networks: expected a list of { ssid, psk }`);
  const networks = rawNets.map((n: unknown, i) => {
    const o = (n ?? {}) as { ssid?: unknown; psk?: unknown; hidden?: unknown };
    if (typeof o.ssid !== 'string' || typeof o.psk !== 'string') throw new MaError(ErrorCode.ConfigInvalid, `${wifiFile}: ma_wifi_networks[${i}]: expected { ssid: <name>, psk: <passphrase> } as strings`);
    return { ssid: o.ssid, psk: o.psk, ...(o.hidden === true ? { hidden: true } : {}) };
  });
  return { users, wifi: { country, networks }, varsFile, wifiFile };
}
