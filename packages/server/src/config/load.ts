import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MaError, validateConfig } from '@ma/protocol';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { serverConfigSchema, type ServerConfig } from './schema.js';

/** Environment overrides, applied after the file and validated with it (errors name the variable). */
const ENV_OVERRIDES: Array<{ env: string; path: string[]; number?: boolean }> = [
  { env: 'MA_DATABASE_URL', path: ['database', 'url'] },
  { env: 'MA_HTTP_PORT', path: ['http', 'port'], number: true },
  { env: 'MA_HTTP_HOST', path: ['http', 'host'] },
  { env: 'MA_MQTT_TCP_PORT', path: ['mqtt', 'tcp', 'port'], number: true },
  { env: 'MA_MQTT_URL', path: ['mqtt', 'external', 'url'] },
  { env: 'MA_LOG_LEVEL', path: ['log', 'level'] },
];

/** Numeric env values become numbers; anything else stays text so the error shows what was given. */
const asNumber = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);

function setPath(raw: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = raw;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object') cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

export interface LoadedServerConfig {
  config: ServerConfig;
  /** Absolute path of the file, or undefined when built from defaults. */
  file: string | undefined;
  /** Absolute data directory. */
  dataDir: string;
}

/** Parses YAML text (file name used in errors), applies env overrides, validates. */
export function parseServerConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
    throw new MaError(ErrorCode.ConfigInvalid, `invalid YAML in ${file}${where}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MaError(ErrorCode.ConfigInvalid, `invalid config in ${file}: expected a mapping of keys at the top level`);
  }
  const withEnv = structuredClone(raw) as Record<string, unknown>;
  const sources: Record<string, string> = {};
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (v === undefined || v === '') continue;
    setPath(withEnv, o.path, o.number ? asNumber(v) : v);
    sources[o.path.join('.')] = o.env;
  }
  return validateConfig(serverConfigSchema, withEnv, file, sources);
}

export async function loadServerConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<LoadedServerConfig> {
  if (file === undefined) {
    const config = parseServerConfig('', '(no config file: defaults and environment)', env);
    return { config, file: undefined, dataDir: path.resolve(config.data_dir) };
  }
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new MaError(ErrorCode.ConfigNotFound, `cannot read config file ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const config = parseServerConfig(text, abs, env);
  return { config, file: abs, dataDir: path.resolve(path.dirname(abs), config.data_dir) };
}

/** Resolves `sqlite:<relative>` against the data directory; other URLs pass through. */
export function resolveDatabaseUrl(url: string, dataDir: string): string {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return url;
  const p = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (p === ':memory:') return 'sqlite::memory:';
  return `sqlite:${path.resolve(dataDir, p)}`;
}
