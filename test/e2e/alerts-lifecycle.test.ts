import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createRule, NodePublisher, sleep, startAlertServer } from '../support/alerts-fixtures.js';
import { addNode, eventually, startAgentProcess, tempDir, writeAgentConfig, type CreatedNode, type ServerHandle } from '../support/processes.js';
import { makeCertificates, startSmtpProcess, type SmtpProcess } from '../support/smtp-process.js';

/**
 * Alerts across failures, with real processes: an agent killed with SIGKILL, the server killed
 * and restarted during a firing alert, a backlog delivered an hour late, and an SMTP server
 * whose certificate the alert server must refuse.
 */

interface AlertView {
  id: number;
  rule_id: number;
  state: string;
  since: number;
  fired_at: number;
  resolved_at: number | null;
  late: boolean;
}

describe('alerts across failures', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let smtp: SmtpProcess;
  let server: ServerHandle;
  let freezer: CreatedNode;
  let publisher: NodePublisher;
  const wsUrl = () => `${server.url.replace('http', 'ws')}/mqtt`;
  const mailsFor = (ruleName: string) => smtp.mails.filter((m) => m.subject.includes(ruleName));

  beforeAll(async () => {
    tmp = await tempDir('alerts-life');
    smtp = await startSmtpProcess(tmp.dir);
    server = await startAlertServer({ dir: tmp.dir, smtp });
    freezer = await addNode(server.configFile, 'freezer', wsUrl());
    publisher = await NodePublisher.connect(server.mqttTcpPort!, freezer);
  });
  afterAll(async () => {
    await publisher?.close().catch(() => undefined);
    await server?.stop();
    await smtp?.stop();
    await tmp?.cleanup();
  });

  it('fires the no-data alert once a killed agent has been silent for the rule\'s duration', async () => {
    const probe = await addNode(server.configFile, 'probe', wsUrl());
    await createRule(server, { name: 'Probe node silent', target: { node: 'probe' }, condition: { type: 'no_data', for: '2s' }, recipients: [{ type: 'email', to: 'oncall@lab.test' }] });
    const config = await writeAgentConfig(tmp.dir, probe, wsUrl(), [{ driver: 'simulated', interval: '200ms', sensors: [{ name: 'freezer', model: 'freezer' }] }]);
    const agent = startAgentProcess(config);
    try {
      await eventually(async () => (await api<{ channels: unknown[] }>(server, 'GET', '/api/v1/channels?node=probe')).body.channels.length > 0);
      await sleep(2500);
      expect(mailsFor('Probe node silent')).toEqual([]);
    } finally {
      await agent.kill9();
    }
    const killedAt = Date.now();
    const mail = await eventually(async () => mailsFor('Probe node silent')[0], 10_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1500);
    expect(mail.headers['x-ma-alert-event']).toBe('firing');
    expect(mail.text).toContain('no data for 2 s');
  });

  it('sends no duplicate after the server is killed and restarted during a firing alert, and still sends the resolve', async () => {
    await createRule(server, {
      name: 'Survives restart',
      target: { node: 'freezer', channel: 'manual/restart' },
      condition: { type: 'threshold', op: 'above', value: -15, for: '1s', clear: -17 },
      recipients: [{ type: 'email', to: 'oncall@lab.test' }],
    });
    await publisher.stream('manual/restart', [-18, -12, -12, -12, -12, -12, -12], 250);
    await eventually(async () => mailsFor('Survives restart').length === 1);

    const { httpPort, mqttPort } = { httpPort: Number(new URL(server.url).port), mqttPort: server.mqttTcpPort! };
    await publisher.close().catch(() => undefined);
    await server.kill9();
    server = await startAlertServer({ dir: tmp.dir, smtp, httpPort, mqttTcpPort: mqttPort });
    publisher = await NodePublisher.connect(server.mqttTcpPort!, freezer, publisher.seq);

    await publisher.stream('manual/restart', [-12, -13, -16, -16], 300);
    await sleep(1500);
    expect(mailsFor('Survives restart').map((m) => m.headers['x-ma-alert-event'])).toEqual(['firing']);
    await publisher.stream('manual/restart', [-18, -19], 200);
    await eventually(async () => mailsFor('Survives restart').length === 2);
    await sleep(800);
    expect(mailsFor('Survives restart').map((m) => m.headers['x-ma-alert-event'])).toEqual(['firing', 'resolved']);
  });

  it('marks an excursion found in a backlog replayed an hour late as late-detected, with the right start time', async () => {
    const rule = await createRule(server, {
      name: 'Backlog excursion',
      target: { node: 'freezer', channel: 'manual/backlog' },
      condition: { type: 'threshold', op: 'above', value: -15, for: '10m', clear: -17 },
      recipients: [{ type: 'email', to: 'oncall@lab.test' }],
    });
    // One reading a minute from 90 to 30 minutes ago: warm from minute 20 to minute 40.
    const t0 = Date.now() - 90 * 60_000;
    const points = Array.from({ length: 61 }, (_, i) => ({ ts: t0 + i * 60_000, v: i >= 20 && i < 40 ? -10 : -19 }));
    await publisher.publish('manual/backlog', points);
    const alert = await eventually(async () => (await api<{ alerts: AlertView[] }>(server, 'GET', `/api/v1/alerts?rule=${rule.id}`)).body.alerts.find((a) => a.state === 'resolved'));
    expect(alert).toMatchObject({ late: true, since: points[20]!.ts, fired_at: points[30]!.ts, resolved_at: points[40]!.ts });
    await eventually(async () => mailsFor('Backlog excursion').length === 2);
    expect(mailsFor('Backlog excursion').map((m) => m.subject)).toEqual([
      '[WARNING] (late-detected) Backlog excursion: freezer / backlog',
      '[RESOLVED] (late-detected) Backlog excursion: freezer / backlog',
    ]);
    expect(mailsFor('Backlog excursion')[0]!.text).toContain(`since ${new Date(points[20]!.ts).toISOString().replace(/\.\d{3}Z$/, 'Z')}`);
  });
});

describe('alert email with TLS verification', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let smtp: SmtpProcess;
  let server: ServerHandle;

  beforeAll(async () => {
    tmp = await tempDir('alerts-tls');
    smtp = await startSmtpProcess(tmp.dir);
    // The alert server pins a different CA than the one that signed the SMTP server's certificate.
    const other = await makeCertificates(tmp.dir, 'other');
    server = await startAlertServer({ dir: tmp.dir, smtp: { ...smtp, caFile: other.caFile } });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.stop();
    await tmp?.cleanup();
  });

  it('refuses to send mail to an SMTP server whose certificate it cannot verify, and says why in the delivery log', async () => {
    const node = await addNode(server.configFile, 'cold', `${server.url.replace('http', 'ws')}/mqtt`);
    const pub = await NodePublisher.connect(server.mqttTcpPort!, node);
    try {
      const rule = await createRule(server, { name: 'Untrusted SMTP', target: { node: 'cold', channel: 'manual/t' }, condition: { type: 'threshold', op: 'above', value: 0, for: 0 }, recipients: [{ type: 'email', to: 'x@lab.test' }] });
      await pub.publish('manual/t', [{ v: 5 }]);
      const alert = await eventually(async () => (await api<{ alerts: AlertView[] }>(server, 'GET', `/api/v1/alerts?rule=${rule.id}`)).body.alerts[0]);
      const d = await eventually(async () => (await api<{ deliveries: Array<{ attempts: number; state: string; last_error: string | null }> }>(server, 'GET', `/api/v1/alert-deliveries?alert=${alert.id}`)).body.deliveries.find((x) => x.attempts >= 1));
      expect(d.state).toBe('queued');
      expect(d.last_error).toMatch(/certificate|self.signed|verify/i);
      expect(smtp.mails).toEqual([]);
    } finally {
      await pub.close();
    }
  });
});
