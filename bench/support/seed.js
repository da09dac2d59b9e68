// A year of 1-minute readings for one channel, stored through the server's own Store (so the
// minute and hour rollups are built exactly as ingest builds them), ending at the current minute.
export const MINUTE = 60_000;
export const YEAR_MINUTES = 525_600;

/** A fridge-like curve: daily cycle plus a fast compressor wobble; deterministic. */
export const valueAt = (i) => 4 + 1.5 * Math.sin((2 * Math.PI * i) / 1440) + 0.4 * Math.sin(i / 7) + ((i * 7919) % 100) / 500;

export async function seedYear(server, { minutes = YEAR_MINUTES, node = 'seeded' } = {}) {
  const { node: row } = await server.registry.create(node);
  const channels = await server.store.upsertChannels(row.id, { 'sim/fridge': { kind: 'sensor', driver: 'simulated', unit: '°C', label: 'fridge' } });
  const channel = channels.get('sim/fridge');
  const end = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = end - (minutes - 1) * MINUTE;
  const CHUNK = 10_000;
  for (let from = 0; from < minutes; from += CHUNK) {
    const rows = [];
    for (let i = from; i < Math.min(minutes, from + CHUNK); i++) rows.push({ seq: i + 1, channel_id: channel.id, ts: start + i * MINUTE, value: valueAt(i) });
    await server.store.insertReadings(row.id, rows);
  }
  const stored = await server.store.countReadings(row.id);
  if (stored !== minutes) throw new Error(`self-check failed: seeded ${stored} of ${minutes} readings`);
  return { nodeId: row.id, channelId: channel.id, start, end };
}
