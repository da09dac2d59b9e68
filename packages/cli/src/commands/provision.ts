import { appendFileSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, MaError, type NodeDetail, type NodeListResponse } from '@ma/protocol';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ApiClient } from '../api-client.js';
import { findPrivateDir, PRIVATE_FILES, readPrivateVars } from '../private-dir.js';
import { AGENT_BUNDLE_NAME, FIRSTRUN_CMDLINE, firstBootFiles, validateSpec, type FirstBootSpec, type OsGeneration } from '../provisioning/first-boot.js';
import { buildInventory } from '../provisioning/inventory.js';

/** The agent bundle beside this CLI in the workspace (src/ and dist/ sit at the same depth). */
const DEFAULT_BUNDLE = new URL('../../../agent/bundle/ma-agent.mjs', import.meta.url);

export function registerProvisionCommands(program: Command, client: () => ApiClient, out: (s: string) => void, env: NodeJS.ProcessEnv): void {
  const home = () => findPrivateDir({ flag: program.opts<{ home?: string }>().home, env: env.MA_HOME, cwd: process.cwd() });

  program
    .command('inventory')
    .option('--out <file>', 'where to write it (default <private dir>/ansible/inventory.yml)')
    .description("write the Ansible inventory from the server's node registry, grouped by function (temperature, camera, rfid, actuator) and by tag")
    .action(async (opts: { out?: string }) => {
      const file = opts.out ? path.resolve(opts.out) : path.join(home(), PRIVATE_FILES.inventory);
      const api = client();
      const { nodes } = await api.request<NodeListResponse>('GET', 'api/v1/nodes');
      const withChannels = await Promise.all(nodes.map(async (node) => ({ node, channels: (await api.request<NodeDetail>('GET', `api/v1/nodes/${encodeURIComponent(node.name)}`)).channels })));
      // The control point's entry is the operator's: kept from the file as it is.
      let control: Parameters<typeof buildInventory>[1];
      if (existsSync(file)) {
        const prev = parseYaml(readFileSync(file, 'utf8')) as { all?: { children?: { ma_control?: Parameters<typeof buildInventory>[1] } } } | null;
        control = prev?.all?.children?.ma_control;
      }
      const inv = buildInventory(withChannels, control);
      writeFileSync(file, `# Written by \`ma inventory\` from the server's node registry; edit ma_control only (ma_nodes is rewritten).\n${toYaml(inv)}`);
      const groups = Object.keys(inv.all.children.ma_nodes?.children ?? {});
      out(`${file}: ${nodes.length} node${nodes.length === 1 ? '' : 's'}${groups.length ? ` in groups ${groups.join(', ')}` : ''}\n`);
    });

  program
    .command('bootstrap')
    .argument('<node>', 'the node, created before with `ma node add`')
    .requiredOption('--boot <dir>', "the SD card's mounted boot partition (bootfs)")
    .option('--os <generation>', 'Raspberry Pi OS generation: trixie (cloud-init, and later releases) or bookworm (firstrun.sh, custom.toml)', 'trixie')
    .option('--agent-bundle <file>', 'the agent bundle to put on the card (default: the one built beside this CLI)')
    .description('write first-boot files for Raspberry Pi OS: hostname, operator users with SSH keys only, Wi-Fi, and the agent installed and enrolled with a new one-time token')
    .action(async (name: string, opts: { boot: string; os: string; agentBundle?: string }) => {
      if (opts.os !== 'trixie' && opts.os !== 'bookworm') throw new MaError(ErrorCode.InputInvalid, `--os: got ${JSON.stringify(opts.os)}, expected trixie or bookworm`);
      const boot = path.resolve(opts.boot);
      if (!existsSync(boot) || !statSync(boot).isDirectory()) throw new MaError(ErrorCode.InputInvalid, `--boot: ${boot} is not a directory; mount the card's boot partition and give its mount point`);
      const bundle = opts.agentBundle ? path.resolve(opts.agentBundle) : DEFAULT_BUNDLE.pathname;
      if (!existsSync(bundle)) throw new MaError(ErrorCode.InputInvalid, `--agent-bundle: ${bundle} does not exist (build it with \`npm run build\`, or pass the file)`);
      const vars = readPrivateVars(home());
      const check = (spec: FirstBootSpec) => {
        try {
          validateSpec(spec, vars.varsFile);
        } catch (e) {
          throw new MaError(ErrorCode.ConfigInvalid, (e as Error).message.replaceAll(`${vars.varsFile}: ma_wifi_networks`, `${vars.wifiFile}: ma_wifi_networks`));
        }
      };
      // The operator's values first, with stand-ins for the server's: a mistake there must not
      // cost a token (issuing one voids the node's earlier unused token).
      check({ node: { name, id: 0, tunnel_port: 0 }, serverUrl: 'https://server.invalid', enrollmentToken: 'mae_check', enrollmentExpiresAt: 0, users: vars.users, wifi: vars.wifi });
      const api = client();
      const node = await api.request<NodeDetail>('GET', `api/v1/nodes/${encodeURIComponent(name)}`);
      // A new token each time: earlier unused ones stop working, so an old card cannot enroll.
      const enrollment = await api.request<{ token: string; expires_at: number; command: string }>('POST', `api/v1/nodes/${encodeURIComponent(name)}/enrollment`);
      const serverUrl = enrollment.command.split(/\s+/)[2];
      if (!serverUrl) throw new MaError(ErrorCode.InputInvalid, `the server's enrollment command has no URL: ${enrollment.command}`);
      const spec: FirstBootSpec = {
        node: { name: node.name, id: node.id, tunnel_port: node.tunnel_port },
        serverUrl,
        enrollmentToken: enrollment.token,
        enrollmentExpiresAt: enrollment.expires_at,
        users: vars.users,
        wifi: vars.wifi,
      };
      check(spec);
      const files = firstBootFiles(spec, opts.os as OsGeneration);
      for (const [f, content] of Object.entries(files)) writeFileSync(path.join(boot, f), content, { mode: f.endsWith('.sh') ? 0o755 : 0o600 });
      copyFileSync(bundle, path.join(boot, AGENT_BUNDLE_NAME));
      const written = [...Object.keys(files), AGENT_BUNDLE_NAME];
      if (opts.os === 'bookworm') {
        const cmdline = path.join(boot, 'cmdline.txt');
        if (existsSync(cmdline)) {
          const text = readFileSync(cmdline, 'utf8');
          if (!text.includes('systemd.run=')) writeFileSync(cmdline, `${text.trimEnd()}${FIRSTRUN_CMDLINE}\n`);
          written.push('cmdline.txt');
        } else {
          appendFileSync(path.join(boot, 'README-ma.txt'), `cmdline.txt was not found: add to its single line:${FIRSTRUN_CMDLINE}\n`);
          process.stderr.write(`${cmdline} not found: add "${FIRSTRUN_CMDLINE.trim()}" to it so firstrun.sh runs\n`);
        }
      }
      process.stderr.write(`the token on the card works once, until ${new Date(enrollment.expires_at).toISOString()}; first boot removes it from the card\n`);
      out(`${boot}: ${written.join(', ')} for node ${node.name} (id ${node.id}, tunnel port ${node.tunnel_port}), Raspberry Pi OS ${opts.os}\n`);
    });
}
