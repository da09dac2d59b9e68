import { pino, type Logger as PinoLogger } from 'pino';

/** Structured, namespaced logs (`agent.driver.ds18b20`); libraries take a Logger, never create one. */
export type Logger = PinoLogger;

export function createLogger(name: string, level: string = process.env.MA_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** A logger that discards everything, for tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
