/** Builds a reader from its config; each kind's module is loaded only when one is configured. */
import type { CardReader, ReaderSink } from './reader.js';
import type { ReaderConfig } from './readers-config.js';

export async function createReader(config: ReaderConfig, sink: ReaderSink): Promise<CardReader> {
  switch (config.type) {
    case 'serial':
      return new (await import('./serial-reader.js')).SerialReader(config, sink);
    case 'evdev':
      return new (await import('./evdev-reader.js')).EvdevReader(config, sink);
    case 'line':
      return new (await import('./line-reader.js')).LineReader(config, sink);
  }
}
