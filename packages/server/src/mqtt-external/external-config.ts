import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import type { ServerConfig } from '../config/schema.js';
import type { ExternalBrokerOptions } from './external-broker.js';

/** Resolves the external broker section: secrets from files (or MA_MQTT_PASSWORD), paths against the config file. */
export async function externalBrokerOptions(
  external: NonNullable<ServerConfig['mqtt']['external']>,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExternalBrokerOptions> {
  const base = configFile ? path.dirname(configFile) : process.cwd();
  const read = async (key: string, file: string): Promise<Buffer> => {
    const abs = path.resolve(base, file);
    try {
      return await readFile(abs);
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `${configFile ?? 'server config'}: mqtt.external.${key}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { cause: e });
    }
  };
  const password = env.MA_MQTT_PASSWORD ?? (external.password_file ? (await read('password_file', external.password_file)).toString('utf8').trim() : undefined);
  return {
    url: external.url,
    username: external.username,
    password,
    ca: external.ca_file ? await read('ca_file', external.ca_file) : undefined,
    clientId: external.client_id,
    shareGroup: external.share_group,
  };
}
