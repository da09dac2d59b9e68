import type { Duplex } from 'node:stream';

/**
 * Follows the MQTT framing of a byte stream (fixed header, variable-length "remaining length",
 * body) without buffering anything, so a packet's size is known from its first 2 to 5 bytes.
 * mqtt-packet, under aedes, only learns that a packet is too big after buffering all of it;
 * a 50 MB publish would be in memory before anyone could refuse it.
 */
export class MqttFrameScanner {
  #state: 'header' | 'length' | 'body' = 'header';
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #left = 0;

  constructor(readonly maxPacketBytes: number) {}

  /** Feeds bytes; returns the remaining length of the first packet over the limit, or undefined. */
  push(chunk: Buffer): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      switch (this.#state) {
        case 'header':
          i += 1;
          this.#state = 'length';
          this.#length = 0;
          this.#multiplier = 1;
          this.#lengthBytes = 0;
          break;
        case 'length': {
          const byte = chunk[i++]!;
          this.#length += (byte & 0x7f) * this.#multiplier;
          this.#multiplier *= 128;
          this.#lengthBytes += 1;
          if (byte & 0x80) {
            // More than 4 length bytes is malformed; mqtt-packet refuses it and aedes closes the connection.
            if (this.#lengthBytes >= 4) this.#state = 'header';
            break;
          }
          if (this.#length > this.maxPacketBytes) return this.#length;
          this.#left = this.#length;
          this.#state = this.#left === 0 ? 'header' : 'body';
          break;
        }
        case 'body': {
          const take = Math.min(this.#left, chunk.length - i);
          i += take;
          this.#left -= take;
          if (this.#left === 0) this.#state = 'header';
          break;
        }
      }
    }
    return undefined;
  }
}

/**
 * Ends a connection whose next MQTT packet would exceed `maxPacketBytes`, before its body is
 * read. aedes pulls data with `stream.read()`, so the guard sits on exactly the bytes aedes
 * parses, whatever the transport (TCP, TLS, WebSocket stream). MQTT 3.1.1 has no way to refuse
 * one publish, so the connection is closed; the node keeps the message and is told why in the log.
 */
export function guardPacketSize(stream: Duplex, maxPacketBytes: number, onOversized: (bytes: number) => void): void {
  const scanner = new MqttFrameScanner(maxPacketBytes);
  const read = stream.read.bind(stream);
  let refused = false;
  stream.read = (size?: number): unknown => {
    if (refused) return null;
    const chunk: unknown = read(size);
    if (Buffer.isBuffer(chunk)) {
      const over = scanner.push(chunk);
      if (over !== undefined) {
        refused = true;
        onOversized(over);
        stream.destroy();
        return null;
      }
    }
    return chunk;
  };
}
