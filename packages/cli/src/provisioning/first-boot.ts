import { stringify as toYaml } from 'yaml';

/** An operator account put on every node: SSH keys only, never a password. */
export interface OperatorUser {
  name: string;
  ssh_keys: string[];
}

export interface WifiNetwork {
  ssid: string;
  psk: string;
  hidden?: boolean;
}

/** Everything the first-boot files of one node are made from. */
export interface FirstBootSpec {
  node: { name: string; id: number; tunnel_port: number };
  /** The server URL the agent enrolls with (from the enrollment command). */
  serverUrl: string;
  /** Single-use, expiring: spent by the first enrollment, useless after expires_at. */
  enrollmentToken: string;
  enrollmentExpiresAt: number;
  users: OperatorUser[];
  wifi: { country: string; networks: WifiNetwork[] };
}

/** Where Raspberry Pi OS (Bookworm and later) mounts the FAT boot partition. */
export const BOOT_MOUNT = '/boot/firmware';
/**
 * The boot partition is /boot/firmware from Bookworm on, /boot before and in Bookworm's
 * early systemd.run stage (as Raspberry Pi Imager's own firstrun.sh assumes): look for it.
 */
const BOOT_DETECT = `BOOT=${BOOT_MOUNT}
if [ ! -f "$BOOT/cmdline.txt" ] && [ -f /boot/cmdline.txt ]; then BOOT=/boot; fi`;
export const AGENT_BUNDLE_NAME = 'ma-agent.mjs';
export const AGENT_DIR = '/opt/ma-agent';
export const AGENT_CONFIG = '/etc/ma-agent/agent.yaml';
export const AGENT_DATA = '/var/lib/ma-agent';
export const AGENT_USER = 'ma-agent';

const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
const SSID_MAX = 32;

/** Checks what would otherwise break a generated file or a shell script quietly. */
export function validateSpec(spec: FirstBootSpec, source: string): void {
  const problems: string[] = [];
  if (!NAME_RE.test(spec.node.name)) problems.push(`node name ${JSON.stringify(spec.node.name)}: expected a hostname (lowercase letters, digits, dashes)`);
  if (spec.users.length === 0) problems.push(`${source}: ma_operator_users: got none, expected at least one user with an SSH key (ma init --ssh-key ~/.ssh/id_ed25519.pub)`);
  spec.users.forEach((u, i) => {
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(u.name)) problems.push(`${source}: ma_operator_users[${i}].name: got ${JSON.stringify(u.name)}, expected a Linux user name`);
    if (u.ssh_keys.length === 0) problems.push(`${source}: ma_operator_users[${i}].ssh_keys: got none, expected at least one public key (password login is off)`);
    u.ssh_keys.forEach((k, j) => {
      if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( [^\n'"\\]*)?$/.test(k.trim())) {
        problems.push(`${source}: ma_operator_users[${i}].ssh_keys[${j}]: got ${JSON.stringify(k.slice(0, 30))}…, expected one OpenSSH public key line (ssh-ed25519 AAAA… comment)`);
      }
    });
  });
  if (!/^[A-Z]{2}$/.test(spec.wifi.country)) problems.push(`${source}: ma_wifi_country: got ${JSON.stringify(spec.wifi.country)}, expected a two-letter country code such as GB`);
  spec.wifi.networks.forEach((n, i) => {
    // Quotes and backslashes are refused rather than escaped: they would have to survive
    // YAML, TOML, NetworkManager keyfiles and shell alike.
    if (!n.ssid || n.ssid.length > SSID_MAX || /["'\\\n$`]/.test(n.ssid)) problems.push(`${source}: ma_wifi_networks[${i}].ssid: got ${JSON.stringify(n.ssid)}, expected 1–32 characters without quotes, backslashes, $ or \``);
    if (n.psk.length < 8 || n.psk.length > 63 || /["'\\\n$`]/.test(n.psk)) problems.push(`${source}: ma_wifi_networks[${i}].psk: got ${n.psk.length} characters, expected a WPA passphrase of 8–63 characters without quotes, backslashes, $ or \``);
  });
  if (!/^https?:\/\/[^\s'"]+$/.test(spec.serverUrl)) problems.push(`server URL: got ${JSON.stringify(spec.serverUrl)}, expected https://…`);
  if (!/^mae_[A-Za-z0-9_.-]+$/.test(spec.enrollmentToken)) problems.push('enrollment token: not a mae_… token');
  if (problems.length) throw new Error(problems.join('\n'));
}

/** The agent's systemd unit; deploy/ansible/roles/ma_node/files/ma-agent.service is this text (a test keeps them equal). */
export function agentUnit(): string {
  return `[Unit]
Description=Monitor Actuator agent
Documentation=https://github.com/monitor-actuator/ma/blob/main/docs/deploy.md
Wants=network-online.target
After=network-online.target time-sync.target

[Service]
Type=simple
User=${AGENT_USER}
Group=${AGENT_USER}
ExecStart=/usr/bin/node ${AGENT_DIR}/${AGENT_BUNDLE_NAME} run --config ${AGENT_CONFIG}
Restart=always
RestartSec=5
# The agent flushes its outbox on SIGTERM within stop_timeout (10 s by default).
TimeoutStopSec=20
StateDirectory=ma-agent
StateDirectoryMode=0700
# Hardening: the agent writes only its data directory; drivers read /sys and use the
# devices its groups (gpio, i2c, dialout, video, input) open, so devices stay visible.
ProtectSystem=strict
ReadWritePaths=${AGENT_DATA}
ProtectHome=yes
PrivateTmp=yes
NoNewPrivileges=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
CapabilityBoundingSet=
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The first-boot step shared by both OS generations: install Node.js from the distribution
 * and the agent bundle, create its system user, enroll with the one-time token (retrying
 * while the network comes up), then start the agent. The token is deleted from the boot
 * partition whatever the outcome: spent or not, it must not stay readable on the card.
 */
export function firstBootScript(spec: FirstBootSpec, bootFiles: string[]): string {
  const scrub = bootFiles.map((f) => `"$BOOT/${f}"`).join(' ');
  return `#!/bin/bash
# Monitor Actuator first boot for node ${spec.node.name} (id ${spec.node.id}, tunnel port ${spec.node.tunnel_port}).
# Generated by \`ma bootstrap\`. The enrollment token below works once, until ${new Date(spec.enrollmentExpiresAt).toISOString()}.
set -euo pipefail

SERVER_URL='${spec.serverUrl}'
ENROLL_TOKEN='${spec.enrollmentToken}'
LOG=/var/log/ma-first-boot.log
${BOOT_DETECT}
exec >>"$LOG" 2>&1
echo "ma first boot: $(date -u +%FT%TZ)"

scrub_boot_files() {
  # The token must not stay on the card, used or not.
  sed -i "s/mae_[A-Za-z0-9_.-]*/mae_REMOVED/g" ${scrub} 2>/dev/null || true
}
trap scrub_boot_files EXIT

if ! command -v node >/dev/null 2>&1; then
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs; then break; fi
    echo "apt-get failed (attempt $attempt), retrying in 30 s"
    sleep 30
  done
fi

install -d -m 0755 ${AGENT_DIR}
install -m 0644 "$BOOT/${AGENT_BUNDLE_NAME}" ${AGENT_DIR}/${AGENT_BUNDLE_NAME}
if ! id -u ${AGENT_USER} >/dev/null 2>&1; then
  useradd --system --home-dir ${AGENT_DATA} --no-create-home --shell /usr/sbin/nologin ${AGENT_USER}
fi
install -d -m 0700 -o ${AGENT_USER} -g ${AGENT_USER} ${AGENT_DATA}
install -d -m 0750 -o root -g ${AGENT_USER} /etc/ma-agent

if [ ! -s ${AGENT_CONFIG} ]; then
  enrolled=no
  for attempt in $(seq 1 60); do
    if /usr/bin/node ${AGENT_DIR}/${AGENT_BUNDLE_NAME} enroll "$SERVER_URL" "$ENROLL_TOKEN" --config ${AGENT_CONFIG} --data-dir ${AGENT_DATA}; then
      enrolled=yes
      break
    fi
    echo "enrollment failed (attempt $attempt), retrying in 10 s"
    sleep 10
  done
  if [ "$enrolled" != yes ]; then
    echo "enrollment did not succeed; issue a new token with: ma node enroll-token ${spec.node.name}"
    exit 1
  fi
fi
chown root:${AGENT_USER} /etc/ma-agent/*
chmod 0640 /etc/ma-agent/*

cat >/etc/systemd/system/ma-agent.service <<'UNIT'
${agentUnit()}UNIT
systemctl daemon-reload
systemctl enable --now ma-agent.service
echo "ma first boot done: agent enrolled as ${spec.node.name}"
`;
}

/** cloud-init `meta-data` (NoCloud): the instance id changes per node, so first boot runs once per card. */
export function metaData(spec: FirstBootSpec): string {
  return toYaml({ 'instance-id': `ma-node-${spec.node.id}-${spec.node.name}`, 'local-hostname': spec.node.name });
}

/** cloud-init `user-data` for Raspberry Pi OS Trixie and later. */
export function userData(spec: FirstBootSpec): string {
  const doc = {
    hostname: spec.node.name,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    users: spec.users.map((u) => ({
      name: u.name,
      groups: 'sudo',
      shell: '/bin/bash',
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      lock_passwd: true,
      ssh_authorized_keys: u.ssh_keys.map((k) => k.trim()),
    })),
    ssh: { emit_keys_to_console: false },
    timezone: 'UTC',
    write_files: [
      { path: '/etc/ssh/sshd_config.d/10-ma.conf', permissions: '0644', content: 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n' },
      { path: '/usr/local/sbin/ma-first-boot', permissions: '0700', content: firstBootScript(spec, ['user-data', 'firstrun.sh']) },
    ],
    runcmd: [['/usr/local/sbin/ma-first-boot']],
  };
  return `#cloud-config\n${toYaml(doc, { lineWidth: 0 })}`;
}

/** cloud-init `network-config` (version 2): the Wi-Fi networks from the private directory. */
export function networkConfig(spec: FirstBootSpec): string {
  const accessPoints = Object.fromEntries(spec.wifi.networks.map((n) => [n.ssid, { password: n.psk, ...(n.hidden ? { hidden: true } : {}) }]));
  const doc = {
    network: {
      version: 2,
      ethernets: { eth0: { dhcp4: true, optional: true } },
      ...(spec.wifi.networks.length ? { wifis: { wlan0: { dhcp4: true, optional: true, 'regulatory-domain': spec.wifi.country, 'access-points': accessPoints } } } : {}),
    },
  };
  return toYaml(doc);
}

/** Bookworm's `custom.toml` (raspberrypi-sys-mods init_config): hostname, user, SSH, first Wi-Fi. */
export function customToml(spec: FirstBootSpec): string {
  const q = (s: string) => JSON.stringify(s); // TOML basic strings share JSON's escapes for what validateSpec lets through
  const user = spec.users[0]!;
  const wifi = spec.wifi.networks[0];
  return `# Raspberry Pi first boot setup, written by \`ma bootstrap\` for node ${spec.node.name}
config_version = 1

[system]
hostname = ${q(spec.node.name)}

[user]
name = ${q(user.name)}

[ssh]
enabled = true
password_authentication = false
authorized_keys = [ ${user.ssh_keys.map((k) => q(k.trim())).join(', ')} ]
${
  wifi
    ? `
[wlan]
ssid = ${q(wifi.ssid)}
password = ${q(wifi.psk)}
password_encrypted = false
hidden = ${wifi.hidden ? 'true' : 'false'}
country = ${q(spec.wifi.country)}
`
    : ''
}`;
}

/**
 * Bookworm's `firstrun.sh` (run once from cmdline.txt's systemd.run): what custom.toml cannot
 * do — every operator and Wi-Fi network, no password login — then the shared first-boot step.
 */
export function firstrunSh(spec: FirstBootSpec): string {
  const users = spec.users
    .map(
      (u) => `if ! id -u ${u.name} >/dev/null 2>&1; then useradd --create-home --shell /bin/bash --groups sudo ${u.name}; fi
passwd --lock ${u.name}
install -d -m 0700 -o ${u.name} -g ${u.name} /home/${u.name}/.ssh
cat >/home/${u.name}/.ssh/authorized_keys <<'KEYS'
${u.ssh_keys.map((k) => k.trim()).join('\n')}
KEYS
chown ${u.name}:${u.name} /home/${u.name}/.ssh/authorized_keys
chmod 0600 /home/${u.name}/.ssh/authorized_keys
echo '${u.name} ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/010_ma_${u.name.replace(/-/g, '_')}
chmod 0440 /etc/sudoers.d/010_ma_${u.name.replace(/-/g, '_')}`,
    )
    .join('\n');
  const wifi = spec.wifi.networks
    .map(
      (n, i) => `cat >/etc/NetworkManager/system-connections/ma-wifi-${i}.nmconnection <<'NM'
[connection]
id=ma-wifi-${i}
type=wifi
autoconnect=true
autoconnect-priority=${spec.wifi.networks.length - i}

[wifi]
mode=infrastructure
ssid=${n.ssid}
hidden=${n.hidden ? 'true' : 'false'}

[wifi-security]
key-mgmt=wpa-psk
psk=${n.psk}

[ipv4]
method=auto

[ipv6]
method=auto
NM
chmod 0600 /etc/NetworkManager/system-connections/ma-wifi-${i}.nmconnection`,
    )
    .join('\n');
  const firstBoot = firstBootScript(spec, ['firstrun.sh', 'custom.toml']);
  return `#!/bin/bash
# Raspberry Pi OS Bookworm first run for node ${spec.node.name}, written by \`ma bootstrap\`.
# cmdline.txt runs it once (systemd.run=/boot/firstrun.sh); it removes itself and that option.
set -euo pipefail
${BOOT_DETECT}

echo ${spec.node.name} >/etc/hostname
sed -i "s/127\\.0\\.1\\.1.*/127.0.1.1\\t${spec.node.name}/" /etc/hosts
hostname ${spec.node.name} || true

${users}

install -d -m 0755 /etc/ssh/sshd_config.d
printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication no\\nPermitRootLogin no\\n' >/etc/ssh/sshd_config.d/10-ma.conf
systemctl enable ssh

if command -v raspi-config >/dev/null 2>&1; then raspi-config nonint do_wifi_country ${spec.wifi.country} || true; fi
install -d -m 0700 /etc/NetworkManager/system-connections
${wifi}

# The agent install and enrollment need the network: run them after this boot, once.
cat >/usr/local/sbin/ma-first-boot <<'FIRSTBOOT'
${firstBoot}FIRSTBOOT
chmod 0700 /usr/local/sbin/ma-first-boot
cat >/etc/systemd/system/ma-first-boot.service <<'UNIT'
[Unit]
Description=Monitor Actuator first boot (agent install and enrollment)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!${AGENT_CONFIG}

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ma-first-boot

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable ma-first-boot.service

sed -i 's| systemd.run.*||g' "$BOOT/cmdline.txt"
rm -f "$BOOT/firstrun.sh"
exit 0
`;
}

/** What cmdline.txt needs so Bookworm runs firstrun.sh once on first boot. */
export const FIRSTRUN_CMDLINE = ' systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target';

export type OsGeneration = 'trixie' | 'bookworm';

/** File name → content for the boot partition. */
export function firstBootFiles(spec: FirstBootSpec, os: OsGeneration): Record<string, string> {
  if (os === 'trixie') return { 'user-data': userData(spec), 'network-config': networkConfig(spec), 'meta-data': metaData(spec) };
  return { 'firstrun.sh': firstrunSh(spec), 'custom.toml': customToml(spec) };
}
