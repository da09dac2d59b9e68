import { describe, expect, it } from 'vitest';
import { mergeSshConfig, renderSshConfigBlock, SSH_CONFIG_BEGIN, SSH_CONFIG_END } from './ssh-config-block.js';

describe('the ma ssh-config block', () => {
  const block = renderSshConfigBlock(
    [
      { node: 'lab-b', port: 20002 },
      { node: 'lab-a', port: 20001 },
    ],
    { jump: 'alice@cp.example.org:2222', user: 'pi' },
  );

  it('has one Host per node, reached through the control point on its tunnel port', () => {
    expect(block).toContain('Host lab-a\n    HostName 127.0.0.1\n    Port 20001\n    ProxyJump alice@cp.example.org:2222\n    HostKeyAlias ma-node-lab-a\n    User pi\n');
    expect(block.indexOf('Host lab-a')).toBeLessThan(block.indexOf('Host lab-b'));
    expect(block.startsWith(SSH_CONFIG_BEGIN)).toBe(true);
    expect(block.trimEnd().endsWith(SSH_CONFIG_END)).toBe(true);
  });

  it('is appended once, then replaced in place, leaving the rest of the file alone', () => {
    const mine = 'Host github.com\n    User git\n';
    const once = mergeSshConfig(mine, block);
    expect(once.startsWith(mine)).toBe(true);
    expect(mergeSshConfig(once, block)).toBe(once);
    const fewer = renderSshConfigBlock([{ node: 'lab-a', port: 20001 }], { jump: 'cp' });
    const updated = mergeSshConfig(`${once}Host *\n    ServerAliveInterval 30\n`, fewer);
    expect(updated).not.toContain('lab-b');
    expect(updated.split(SSH_CONFIG_BEGIN).length).toBe(2);
    expect(updated).toContain('Host github.com\n    User git\n');
    expect(updated.endsWith('Host *\n    ServerAliveInterval 30\n')).toBe(true);
  });
});
