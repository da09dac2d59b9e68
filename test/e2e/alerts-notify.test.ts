import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createRule, NodePublisher, sleep, startAlertServer } from '../support/alerts-fixtures.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addNode, CLI_BIN, eventually, runToEnd, tempDir, TEST_ADMIN_TOKEN, type ServerHandle } from '../support/processes.js';
import { startSmtpProcess, type SmtpProcess } from '../support/smtp-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Alerts end to end: a real ma-server, a real SMTP server process (STARTTLS and AUTH required,
 * its private CA pinned in the server config), a real HTTP webhook receiver that checks the
 * HMAC itself, and a node publishing over MQTT. Each scenario uses its own channel and rule.
 */

interface Delivery {
  event: string;
  state: string;
  recipient: string;
  last_error: string | null;
}

describe('alert notifications', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let smtp: SmtpProcess;
  let hooks: WebhookReceiver;
  let server: ServerHandle;
  let node: NodePublisher;

  beforeAll(async () => {
    tmp = await tempDir('alerts');
    smtp = await startSmtpProcess(tmp.dir);
    hooks = await startWebhookReceiver();
    server = await startAlertServer({ dir: tmp.dir, smtp });
    const created = await addNode(server.configFile, 'freezer', `${server.url.replace('http', 'ws')}/mqtt`);
    node = await NodePublisher.connect(server.mqttTcpPort!, created);
  });
  afterAll(async () => {
    await node?.close();
    await server?.stop();
    await smtp?.stop();
    await hooks?.close();
    await tmp?.cleanup();
  });

  const mailsFor = (ruleName: string) => smtp.mails.filter((m) => m.subject.includes(ruleName));
  const hooksAt = (path: string) => hooks.hooks.filter((h) => h.path === path);
  const webhook = (path: string) => {
    const secret = `secret-for-${path}-0123456789`;
    hooks.secrets.set(path, secret);
    return { type: 'webhook', url: `${hooks.url}${path}`, secret };
  };
  const threshold = { type: 'threshold', op: 'above', value: -15, for: '1500ms', clear: -17 };
  const openAlertOf = async (ruleId: number) =>
    eventually(async () => (await api<{ alerts: Array<{ id: number; rule_id: number; state: string }> }>(server, 'GET', `/api/v1/alerts?state=firing&rule=${ruleId}`)).body.alerts[0]);

  it('sends exactly one firing and one resolved email and webhook for a freezer excursion, signed', async () => {
    await createRule(server, {
      name: 'Freezer excursion',
      severity: 'critical',
      target: { node: 'freezer', channel: 'manual/excursion' },
      condition: threshold,
      recipients: [{ type: 'email', to: 'oncall@lab.test' }, webhook('/excursion')],
    });
    await node.stream('manual/excursion', [-19, -18, -13, -12, -11, -11, -11, -11, -11, -12], 250);
    await eventually(async () => mailsFor('Freezer excursion').length === 1 && hooksAt('/excursion').length === 1);
    await node.stream('manual/excursion', [-16, -18, -19, -19], 250);
    await eventually(async () => mailsFor('Freezer excursion').length === 2 && hooksAt('/excursion').length === 2);
    await sleep(1000);

    const mails = mailsFor('Freezer excursion');
    expect(mails.map((m) => m.headers['x-ma-alert-event'])).toEqual(['firing', 'resolved']);
    expect(mails[0]).toMatchObject({ to: ['oncall@lab.test'], secure: true, user: smtp.user });
    expect(mails[0]!.subject).toBe('[CRITICAL] Freezer excursion: freezer / excursion');
    expect(mails[0]!.text).toContain('Current value: -1');
    expect(mails[0]!.text).toMatch(/For \d+ s \(since /);
    expect(mails[0]!.text).toMatch(/Chart: http:\/\/127\.0\.0\.1:\d+\/charts\?ch=\d+&from=\d+&to=\d+/);
    expect(mails[1]!.subject).toBe('[RESOLVED] Freezer excursion: freezer / excursion');
    expect(mails[1]!.text).toContain('Current value: -18');

    const hs = hooksAt('/excursion');
    expect(hs.map((h) => h.signatureValid)).toEqual([true, true]);
    expect(hs.map((h) => [h.json.event, h.json.state, h.json.severity, h.json.late])).toEqual([
      ['firing', 'firing', 'critical', false],
      ['resolved', 'resolved', 'critical', false],
    ]);
    expect(hs[0]!.json).toMatchObject({ node: 'freezer', channel: 'excursion', unit: '°C' });
    expect(hs[1]!.json.duration_ms).toBeGreaterThan(1500);
    expect(hs[0]!.json.since).toBe(hs[1]!.json.since);
  });

  it('raises one alert, not dozens, for readings oscillating around the threshold (hysteresis)', async () => {
    const rule = await createRule(server, {
      name: 'Hovering freezer',
      target: { node: 'freezer', channel: 'manual/hover' },
      condition: threshold,
      recipients: [webhook('/hover')],
    });
    const hover = Array.from({ length: 16 }, (_, i) => (i % 2 ? -14.6 : -15.4));
    await node.stream('manual/hover', [-19, -14, ...hover, -14.5, -18], 200);
    await eventually(async () => hooksAt('/hover').length === 2);
    await sleep(800);
    expect(hooksAt('/hover').map((h) => h.json.event)).toEqual(['firing', 'resolved']);
    const { body } = await api<{ alerts: unknown[] }>(server, 'GET', `/api/v1/alerts?rule=${rule.id}`);
    expect(body.alerts).toHaveLength(1);
  });

  it('repeats while firing and stops once acknowledged, with the note kept', async () => {
    const rule = await createRule(server, {
      name: 'Repeating',
      target: { node: 'freezer', channel: 'manual/repeat' },
      condition: { type: 'threshold', op: 'above', value: -15, for: 0 },
      repeat_every: '1s',
      recipients: [webhook('/repeat')],
    });
    await node.publish('manual/repeat', [{ v: -10 }]);
    await eventually(async () => hooksAt('/repeat').filter((h) => h.json.event === 'repeat').length >= 2, 10_000);
    const alert = await openAlertOf(rule.id);
    const ack = await api<{ acked_by: string; ack_note: string }>(server, 'POST', `/api/v1/alerts/${alert.id}/ack`, { note: 'moving the samples to freezer 2' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acked_by: 'bootstrap', ack_note: 'moving the samples to freezer 2' });
    await sleep(300);
    const count = hooksAt('/repeat').length;
    await sleep(2500);
    expect(hooksAt('/repeat').length).toBe(count);
    expect((await api(server, 'POST', `/api/v1/alerts/${alert.id}/ack`, {})).status).toBe(409);
  });

  it('acknowledges from the link in the email, through a form (opening the link alone does not)', async () => {
    const rule = await createRule(server, {
      name: 'Ack by link',
      target: { node: 'freezer', channel: 'manual/link' },
      condition: { type: 'threshold', op: 'above', value: -15, for: 0 },
      recipients: [{ type: 'email', to: 'tech@lab.test' }],
    });
    await node.publish('manual/link', [{ v: -5 }]);
    const mail = await eventually(async () => mailsFor('Ack by link')[0]);
    const link = /Acknowledge: (\S+)/.exec(mail.text)?.[1];
    expect(link).toMatch(/\/alerts\/ack\/\d+\?t=/);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    const alert = await openAlertOf(rule.id);
    expect((await api<{ alerts: Array<{ acked_at: number | null }> }>(server, 'GET', `/api/v1/alerts?rule=${rule.id}`)).body.alerts[0]!.acked_at).toBeNull();
    const token = new URL(link!).searchParams.get('t')!;
    const wrong = await fetch(`${server.url}/alerts/ack/${alert.id}`, { method: 'POST', body: new URLSearchParams({ t: `${token}x`, by: 'eve' }) });
    expect(wrong.status).toBe(404);
    const ok = await fetch(`${server.url}/alerts/ack/${alert.id}`, { method: 'POST', body: new URLSearchParams({ t: token, by: 'Tech on call', note: 'on my way' }) });
    expect(ok.status).toBe(200);
    const after = (await api<{ alerts: Array<{ acked_by: string; ack_note: string }> }>(server, 'GET', `/api/v1/alerts?rule=${rule.id}`)).body.alerts[0]!;
    expect(after).toMatchObject({ acked_by: 'link:Tech on call', ack_note: 'on my way' });
  });

  it('suppresses notifications while the node is silenced, and logs them as suppressed', async () => {
    const rule = await createRule(server, {
      name: 'Silenced',
      target: { node: 'freezer', channel: 'manual/defrost' },
      condition: { type: 'threshold', op: 'above', value: -15, for: 0 },
      recipients: [webhook('/silenced'), { type: 'email', to: 'oncall@lab.test' }],
    });
    const s = await api<{ id: number; node: string }>(server, 'POST', '/api/v1/alert-silences', { node: 'freezer', rule: rule.id, duration: '1h', reason: 'defrosting the freezer' });
    expect(s.status).toBe(201);
    await node.publish('manual/defrost', [{ v: 2 }]);
    const alert = await openAlertOf(rule.id);
    await sleep(1000);
    expect(hooksAt('/silenced')).toEqual([]);
    expect(mailsFor('Silenced')).toEqual([]);
    const log = await api<{ deliveries: Delivery[] }>(server, 'GET', `/api/v1/alert-deliveries?alert=${alert.id}`);
    expect(log.body.deliveries.map((d) => [d.event, d.state, d.recipient])).toEqual([
      ['firing', 'suppressed', expect.stringMatching(/^webhook 127\.0\.0\.1:\d+$/)],
      ['firing', 'suppressed', 'email oncall@lab.test'],
    ]);
    expect(log.body.deliveries[0]!.last_error).toContain('defrosting the freezer');
    expect(JSON.stringify(log.body)).not.toContain('secret-for-');
  });

  it('escalates to the second group when nobody acknowledges', async () => {
    await createRule(server, {
      name: 'Escalating',
      target: { node: 'freezer', channel: 'manual/escalate' },
      condition: { type: 'threshold', op: 'above', value: -15, for: 0 },
      recipients: [webhook('/first')],
      escalation: { after: '2s', recipients: [webhook('/second')] },
    });
    const t0 = Date.now();
    await node.publish('manual/escalate', [{ v: 0 }]);
    await eventually(async () => hooksAt('/second').length === 1, 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(hooksAt('/second')[0]!.json).toMatchObject({ event: 'escalation', state: 'firing' });
    expect(hooksAt('/second')[0]!.signatureValid).toBe(true);
    expect(hooksAt('/first').map((h) => h.json.event)).toEqual(['firing']);
  });

  it('retries a webhook that fails, and records each attempt in the delivery log', async () => {
    const rule = await createRule(server, {
      name: 'Flaky receiver',
      target: { node: 'freezer', channel: 'manual/flaky' },
      condition: { type: 'threshold', op: 'above', value: -15, for: 0 },
      recipients: [webhook('/flaky')],
    });
    hooks.failNext(2);
    await node.publish('manual/flaky', [{ v: 0 }]);
    await eventually(async () => hooksAt('/flaky').length === 1, 10_000);
    const alert = await openAlertOf(rule.id);
    const log = await eventually(async () => {
      const d = (await api<{ deliveries: Array<Delivery & { attempts: number }> }>(server, 'GET', `/api/v1/alert-deliveries?alert=${alert.id}`)).body.deliveries;
      return d[0]?.state === 'sent' ? d : undefined;
    });
    expect(log[0]).toMatchObject({ state: 'sent', attempts: 3, last_error: expect.stringContaining('503') });
  });

  it('is driven from the CLI: add a rule from YAML, list, acknowledge, silence', async () => {
    const ma = (...args: string[]) => runToEnd(process.execPath, [CLI_BIN, ...args], { MA_SERVER: server.url, MA_TOKEN: TEST_ADMIN_TOKEN });
    const file = path.join(tmp.dir, 'rule.yaml');
    await writeFile(file, ['name: CLI rule', 'severity: warning', 'target: { node: freezer, channel: manual/cli }', 'condition: { type: threshold, op: above, value: -15 }', 'recipients: []', ''].join('\n'));
    const add = await ma('alert', 'rule', 'add', file);
    expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rule \d+ created: CLI rule\n$/) });
    expect((await ma('alert', 'rule', 'list')).stdout).toMatch(/threshold\s+freezer \/ manual\/cli\s+CLI rule/);
    await node.publish('manual/cli', [{ v: -3 }]);
    const listed = await eventually(async () => {
      const r = await ma('alert', 'list', '--node', 'freezer');
      return /firing\s+warning\s+freezer .*above -15 °C/.test(r.stdout) ? r.stdout : undefined;
    });
    const id = /^\s*(\d+)\s+firing\s+warning\s+freezer .*above -15 °C/m.exec(listed)?.[1];
    expect(id).toBeDefined();
    expect(await ma('alert', 'ack', id!, '--note', 'checked the door')).toMatchObject({ code: 0, stdout: `alert ${id} acknowledged\n` });
    const silence = await ma('alert', 'silence', '--node', 'freezer', '--for', '2h', '--reason', 'defrost');
    expect(silence).toMatchObject({ code: 0, stdout: expect.stringMatching(/^silence \d+ until /) });
    const bad = await ma('alert', 'silence', '--node', 'freezer', '--for', 'forever', '--reason', 'x');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('duration');
    const sid = /^silence (\d+)/.exec(silence.stdout)![1]!;
    expect((await ma('alert', 'unsilence', sid)).code).toBe(0);
  });

  it('refuses an invalid rule with every problem named, and stores nothing', async () => {
    const before = (await api<{ rules: unknown[] }>(server, 'GET', '/api/v1/alert-rules')).body.rules.length;
    const r = await api<{ error: { message: string } }>(server, 'POST', '/api/v1/alert-rules', {
      name: 'bad',
      target: { channel: 'x/y' },
      condition: { type: 'threshold', op: 'sideways', value: 'cold', for: 'a while' },
      recipients: [{ type: 'webhook', url: 'ftp://example.org' }],
    });
    expect(r.status).toBe(400);
    for (const key of ['target', 'condition.op', 'condition.value', 'condition.for', 'recipients.0.url']) expect(r.body.error.message).toContain(key);
    expect((await api<{ rules: unknown[] }>(server, 'GET', '/api/v1/alert-rules')).body.rules.length).toBe(before);
  });
});
