import type { EquipmentEvent } from '@ma/protocol';

/**
 * What equipment needs of the connection to the server, kept small so the uplink underneath
 * can be replaced (the MQTT client is being swapped for a leaner one with the same facade).
 */
export interface NodeLink {
  /** True while connected to the server. */
  readonly online: boolean;
  /**
   * Publishes at QoS 1. Retained messages are also kept (latest per topic) and published
   * again on every connect, so the broker always holds the current state.
   */
  publish(topic: string, payload: string, opts?: { retain?: boolean }): void;
  /** Queues an equipment event for `ma/v1/<n>/events` (sent at once when online). */
  publishEquipmentEvent(event: EquipmentEvent): void;
  /** Subscribes (again on every connect) and delivers each message on that exact topic. */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): void;
  /** Called on every transition between online and offline. */
  onOnlineChange(listener: (online: boolean) => void): void;
}
