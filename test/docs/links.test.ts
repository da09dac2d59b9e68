import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/processes.js';
import { headingAnchors, linkTargets } from './markdown.js';

/** README.md and every docs/*.md: the documents a user of the repository reads. */
async function documents(): Promise<string[]> {
  const docs = (await readdir(path.join(REPO_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort()];
}

async function brokenLinks(doc: string): Promise<string[]> {
  const file = path.join(REPO_ROOT, doc);
  const text = await readFile(file, 'utf8');
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not ours to check here
    const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = rawPath === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(rawPath));
    const rel = path.relative(REPO_ROOT, resolved);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      broken.push(`${doc}: ${target} points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      broken.push(`${doc}: ${target}: no such file ${rel}`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      const anchors = headingAnchors(await readFile(resolved, 'utf8'));
      if (!anchors.has(anchor.toLowerCase())) broken.push(`${doc}: ${target}: ${rel} has no heading #${anchor}`);
    }
  }
  return broken;
}

describe('links in README.md and docs/', () => {
  it('every relative link and image resolves to a file in the repository, and every #anchor to a heading', async () => {
    const docs = await documents();
    expect(docs.length).toBeGreaterThan(5);
    const broken = (await Promise.all(docs.map(brokenLinks))).flat();
    expect(broken).toEqual([]);
  });

  it('README.md links the docs index it promises (so this check reads real links)', async () => {
    const targets = linkTargets(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    expect(targets).toEqual(expect.arrayContaining(['docs/configuration.md', 'docs/errors.md', 'docs/architecture.md']));
  });
});
