import { describe, expect, it } from 'vitest';
import { codeBlocks, headingAnchors, linkTargets, shellCommands } from './markdown.js';

describe('the Markdown readers behind the README checks', () => {
  it('split shell lines into commands: comments, pipes, &&, redirections and assignments', () => {
    const cmds = shellCommands([
      'npm ci && npm run demo     # builds # twice',
      'MA_TOKEN=x npx ma node add manual --agent-config | grep credential',
      "npx ma alert silence --for 2h --reason 'a # in quotes'",
      'npx ma-server node add freezer --config server.yaml > agent.yaml',
      'npx ma grant add alice <node> view \\',
      '  --reason why',
    ].join('\n'));
    expect(cmds.map((c) => c.words)).toEqual([
      ['npm', 'ci'],
      ['npm', 'run', 'demo'],
      ['npx', 'ma', 'node', 'add', 'manual', '--agent-config'],
      ['grep', 'credential'],
      ['npx', 'ma', 'alert', 'silence', '--for', '2h', '--reason', 'a # in quotes'],
      ['npx', 'ma-server', 'node', 'add', 'freezer', '--config', 'server.yaml'],
      ['npx', 'ma', 'grant', 'add', 'alice', '<node>', 'view', '--reason', 'why'],
    ]);
  });

  it('find fenced blocks with their language, and links outside code', () => {
    const md = '# T\n\n```sh\nnpx ma --help\n```\n\nSee [a](docs/a.md#x-y) and `[not](a link)`.\n\n```yaml\n[b](c.md)\n```\n![img](p.png "t")\n';
    expect(codeBlocks(md).map((b) => [b.lang, b.text])).toEqual([
      ['sh', 'npx ma --help'],
      ['yaml', '[b](c.md)'],
    ]);
    expect(linkTargets(md)).toEqual(['docs/a.md#x-y', 'p.png']);
  });

  it('make GitHub-style heading anchors', () => {
    const anchors = headingAnchors('# Running a real node on a Raspberry Pi\n## Server (`ma-server`)\n## Tests\n## Tests\n');
    expect([...anchors]).toEqual(['running-a-real-node-on-a-raspberry-pi', 'server-ma-server', 'tests', 'tests-1']);
  });
});
