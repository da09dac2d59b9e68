import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { configErrorFor, configProblems, didYouMean, ErrorCode, MaError, oneOf, prefixKey, type ConfigProblem } from '@ma/protocol';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { drivers as knownDrivers } from '../drivers/registry.js';
import { equipmentConfigProblems } from './equipment-config-check.js';
import { agentConfigSchema, type AgentConfig } from './schema.js';

export interface DriverSection {
  id: string;
  /** The driver's validated config (its own schema's output). */
  config: unknown;
  /** Where it came from, for messages: `drivers[1]`. */
  key: string;
}

export interface LoadedAgentConfig {
  config: AgentConfig;
  drivers: DriverSection[];
  credential: string;
  file: string;
  /** Absolute data directory. */
  dataDir: string;
  /** The server's allow-list public key (PEM), when configured. */
  allowListKey?: string;
}

/** Environment overrides, applied after the file and validated with it (errors name the variable). */
const ENV_OVERRIDES: Array<{ env: string; path: [string] | [string, string] }> = [
  { env: 'MA_AGENT_MQTT_URL', path: ['server', 'mqtt_url'] },
  { env: 'MA_AGENT_DATA_DIR', path: ['data_dir'] },
];

/**
 * Parses and validates agent.yaml, including each driver's own section, reporting every
 * problem at once with file, key, value and the expected form.
 */
export function parseAgentConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Omit<LoadedAgentConfig, 'credential'> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
    throw new MaError(ErrorCode.ConfigInvalid, `invalid YAML in ${file}${where}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MaError(ErrorCode.ConfigInvalid, `invalid config in ${file}: expected a mapping with at least node, server and drivers`);
  }
  const withEnv = structuredClone(raw) as Record<string, unknown>;
  const sources: Record<string, string> = {};
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (!v) continue;
    if (o.path.length === 1) withEnv[o.path[0]] = v;
    else withEnv[o.path[0]] = { ...(typeof withEnv[o.path[0]] === 'object' ? (withEnv[o.path[0]] as object) : {}), [o.path[1]]: v };
    sources[o.path.join('.')] = o.env;
  }

  // Every problem at once: the top-level schema's, then each driver section against its own schema.
  const problems: ConfigProblem[] = [];
  const top = agentConfigSchema.safeParse(withEnv);
  if (!top.success) problems.push(...configProblems(agentConfigSchema, top.error.issues, withEnv));
  const drivers: DriverSection[] = [];
  const entries = Array.isArray(withEnv.drivers) ? (withEnv.drivers as unknown[]) : [];
  entries.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') return;
    const { driver: id, ...rest } = entry as Record<string, unknown>;
    if (typeof id !== 'string') return;
    const key = `drivers[${i}]`;
    // Read the registry each time: drivers are added to it, and the message lists them all.
    const descriptor = Object.hasOwn(knownDrivers, id) ? knownDrivers[id] : undefined;
    if (!descriptor) {
      const ids = Object.keys(knownDrivers);
      problems.push({ key: `${key}.driver`, value: id, expected: `${oneOf(ids)}${didYouMean(id, ids)}` });
      return;
    }
    const parsed = descriptor.configSchema.safeParse(rest);
    if (parsed.success) drivers.push({ id, key, config: parsed.data });
    else for (const p of configProblems(descriptor.configSchema, parsed.error.issues, rest)) problems.push({ ...p, key: prefixKey(key, p.key) });
  });
  if (top.success) problems.push(...equipmentConfigProblems(top.data, drivers));
  for (const p of problems) if (sources[p.key]) p.env = sources[p.key];
  if (problems.length > 0 || !top.success) throw configErrorFor(file, problems);
  const config = top.data;
  return { config, drivers, file, dataDir: path.resolve(path.dirname(file), config.data_dir) };
}

export async function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedAgentConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new MaError(ErrorCode.ConfigNotFound, `cannot read config file ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const parsed = parseAgentConfig(text, abs, env);
  const server = parsed.config.server;
  let credential = server.credential;
  if (credential === undefined && server.credential_file) {
    const credFile = path.resolve(path.dirname(abs), server.credential_file);
    try {
      credential = (await readFile(credFile, 'utf8')).trim();
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `${abs}: server.credential_file: cannot read ${credFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
    }
  }
  const access = parsed.config.access;
  let allowListKey = access.allow_list_key;
  if (allowListKey === undefined && access.allow_list_key_file) {
    const keyFile = path.resolve(path.dirname(abs), access.allow_list_key_file);
    try {
      allowListKey = await readFile(keyFile, 'utf8');
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `${abs}: access.allow_list_key_file: cannot read ${keyFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
    }
  }
  return { ...parsed, credential: credential ?? '', ...(allowListKey !== undefined ? { allowListKey } : {}) };
}
