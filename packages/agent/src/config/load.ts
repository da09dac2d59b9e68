import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ErrorCode, MaError, validateConfig, type ConfigProblem } from '@ma/protocol';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { getDriver } from '../drivers/registry.js';
import { equipmentConfigProblems } from './equipment-config-check.js';
import { agentConfigSchema, type AgentConfig } from './schema.js';

export interface DriverSection {
  id: string;
  /** The driver's validated config (its own schema's output). */
  config: unknown;
  /** Where it came from, for messages: `drivers.1`. */
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

const ENV_OVERRIDES: Record<string, (raw: Record<string, unknown>, v: string) => void> = {
  MA_AGENT_MQTT_URL: (raw, v) => {
    raw.server = { ...(raw.server as object), mqtt_url: v };
  },
  MA_AGENT_DATA_DIR: (raw, v) => {
    raw.data_dir = v;
  },
};

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
  for (const [name, apply] of Object.entries(ENV_OVERRIDES)) {
    const v = env[name];
    if (v) apply(withEnv, v);
  }

  const problems: ConfigProblem[] = [];
  let config: AgentConfig | undefined;
  try {
    config = validateConfig(agentConfigSchema, withEnv, file);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  const drivers: DriverSection[] = [];
  const entries = Array.isArray(withEnv.drivers) ? (withEnv.drivers as unknown[]) : [];
  entries.forEach((entry, i) => {
    if (entry === null || typeof entry !== 'object') return;
    const { driver: id, ...rest } = entry as Record<string, unknown>;
    if (typeof id !== 'string') return;
    const key = `drivers.${i}`;
    let descriptor;
    try {
      descriptor = getDriver(id);
    } catch (e) {
      problems.push({ key: `${key}.driver`, value: id, expected: (e as Error).message });
      return;
    }
    try {
      drivers.push({ id, key, config: validateConfig(descriptor.configSchema, rest, file) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) problems.push({ ...p, key: p.key === '(top level)' ? key : `${key}.${p.key}` });
    }
  });
  if (config) problems.push(...equipmentConfigProblems(config, drivers));
  if (problems.length > 0 || !config) {
    const lines = problems.map((p) => `  ${file}: ${p.key}: got ${p.value === undefined ? '(missing)' : JSON.stringify(p.value)}, expected ${p.expected}`);
    throw new ConfigError(`invalid config in ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, problems);
  }
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
