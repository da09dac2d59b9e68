import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';
import { codeBlocks, shellCommands } from './markdown.js';

describe('the test prerequisites in README.md', () => {
  it('name every package .ci/run installs, in the apt-get line a reader copies', async () => {
    const ci = await readFile(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    const needed = [...ci.matchAll(/need\+=\(([^)]+)\)/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(needed.length).toBeGreaterThanOrEqual(5);
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const aptLines = codeBlocks(readme)
      .flatMap((b) => shellCommands(b.text))
      .map((c) => (c.words[0] === 'sudo' ? c.words.slice(1) : c.words))
      .filter((w) => w[0] === 'apt-get' && w[1] === 'install');
    expect(aptLines).toHaveLength(1);
    expect(aptLines[0]).toEqual(expect.arrayContaining(needed));
  });
});
