import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSegmentLogOutbox } from '../../packages/agent/src/outbox/segment-log-outbox.js';
import { AGENT_BIN, CLI_BIN, eventually, runToEnd, tempDir, writeAgentConfig } from '../support/processes.js';
import { createRig, report, settle, storedCount, storedReadings, tally, type ChaosRig } from './chaos-support.js';

/** `ma outbox inspect|export|replay`: the recovery tool that replaces dd + a parse script. */
describe('the outbox recovery tool (ma outbox)', () => {
  let rig: ChaosRig | undefined;
  afterEach(async () => {
    await rig?.cleanup();
    rig = undefined;
  });

  const ma = (...args: string[]) => runToEnd(process.execPath, [CLI_BIN, 'outbox', ...args], { MA_AGENT_BIN: AGENT_BIN });

  it('inspects, exports JSONL and CSV, and replays a range the server lost, idempotently', async () => {
    rig = await createRig({ name: 'outbox-tool' });
    await rig.startServer();
    await rig.startAgent();
    await eventually(async () => storedCount(rig!) > 150, 15_000, 50);

    // While the agent runs it owns the outbox: replay refuses, inspect shows the owner.
    const refused = await ma('replay', '--config', rig.agentConfig, '--all');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is running and owns .*stop it first, or pass --force/);
    await settle(rig);

    const inspect = await ma('inspect', '--config', rig.agentConfig);
    expect(inspect.code, inspect.stderr).toBe(0);
    const state = JSON.parse(inspect.stdout) as {
      last_seq: number;
      acked_seq: number;
      pending: number;
      bytes: number;
      retained_acked: { segments: number; records: number; bytes: number };
      segments: Array<{ records: number; bytes: number; acked: boolean }>;
    };
    expect(state.acked_seq).toBe(state.last_seq);
    expect(state.pending).toBe(0);
    const produced = state.last_seq;
    // retain_acked: every acked record is still on disk, and inspect says where and how much.
    expect(state.segments.length).toBeGreaterThan(0);
    expect(state.segments.every((g) => g.acked)).toBe(true);
    expect(state.segments.reduce((n, g) => n + g.records, 0)).toBe(produced);
    expect(state.bytes).toBe(state.segments.reduce((n, g) => n + g.bytes, 0));
    expect(state.retained_acked).toEqual({ segments: state.segments.length, records: produced, bytes: state.bytes });

    // Nothing unsent; with --all every retained record, as JSONL and as CSV.
    expect((await ma('export', '--config', rig.agentConfig)).stdout).toBe('');
    const jsonl = (await ma('export', '--config', rig.agentConfig, '--all', '--from', '11', '--to', '60')).stdout.trim().split('\n');
    expect(jsonl.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    const csv = (await ma('export', '--config', rig.agentConfig, '--all', '--format', 'csv')).stdout.trim().split('\n');
    expect(csv[0]).toBe('seq,channel,ts,iso_time,value,sync,boot,mono');
    expect(csv).toHaveLength(produced + 1);

    // The server loses seqs 20..120 (say, restored from an older backup).
    await rig.server!.stop();
    const db = new Database(path.join(rig.dir, 'data', 'ma.db'));
    db.prepare('DELETE FROM readings WHERE seq BETWEEN 20 AND 120').run();
    db.close();
    await rig.startServer();
    expect(storedCount(rig)).toBe(produced - 101);

    // Replay a range wider than the hole: what the server has is ignored, the hole is filled.
    const replayed = await ma('replay', '--config', rig.agentConfig, '--all', '--from', '10', '--to', '130', '--batch', '25');
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/replayed 121 record\(s\)/);
    const t = await tally(rig);
    report('replay after the server lost seqs 20..120', t);
    expect({ lost: t.lost, duplicates: t.duplicates, altered: t.altered, stored: t.stored }).toEqual({ lost: 0, duplicates: 0, altered: 0, stored: produced });
    expect(storedReadings(rig).length).toBe(produced);
  }, 90_000); // real processes on a shared machine: ~30 s unloaded

  it('ends quietly when its reader closes the pipe: `ma-agent outbox export | head -1`', async () => {
    const tmp = await tempDir('outbox-epipe');
    try {
      const config = await writeAgentConfig(tmp.dir, { name: 'epipe', credential: 'not-used-by-export', agentConfig: {} }, 'mqtt://127.0.0.1:1', [{ driver: 'simulated' }]);
      // Far more output than a pipe buffers (64 KiB), so the writer is still writing when head exits.
      const outbox = createSegmentLogOutbox({ dir: path.join(tmp.dir, 'agent-epipe-data', 'outbox'), fsyncIntervalMs: 0 });
      await outbox.open();
      for (let i = 0; i < 20; i++) await outbox.append(Array.from({ length: 1000 }, (_, j) => ({ ch: 'sim/room', ts: 1_700_000_000_000 + i * 1000 + j, v: j / 16 })));
      await outbox.close();
      for (const [tool, args] of [
        ['ma-agent', [AGENT_BIN, 'outbox', 'export']],
        ['ma', [CLI_BIN, 'outbox', 'export']],
      ] as const) {
        const cmd = `set -o pipefail; "${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')} --config "${config}" --format csv | head -1`;
        const r = await runToEnd('bash', ['-c', cmd], { MA_AGENT_BIN: AGENT_BIN });
        expect({ tool, code: r.code, stderr: r.stderr }).toEqual({ tool, code: 0, stderr: '' });
        expect(r.stdout).toBe('seq,channel,ts,iso_time,value,sync,boot,mono\n');
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
