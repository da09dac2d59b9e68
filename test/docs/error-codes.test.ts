import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, httpStatusFor } from '@ma/protocol';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The rows of the code table in docs/errors.md: `| 600 | \`InputInvalid\` | 400 | meaning | what to do |`. */
async function documentedCodes(): Promise<Map<number, { name: string; http: number; meaning: string; todo: string }>> {
  const text = await readFile(path.join(ROOT, 'docs/errors.md'), 'utf8');
  const rows = new Map<number, { name: string; http: number; meaning: string; todo: string }>();
  for (const m of text.matchAll(/^\| (\d{3}) \| `(\w+)` \| (\d{3}) \| (.*?) \| (.*?) \|$/gm)) {
    rows.set(Number(m[1]), { name: m[2]!, http: Number(m[3]), meaning: m[4]!.trim(), todo: m[5]!.trim() });
  }
  return rows;
}

describe('docs/errors.md', () => {
  it('lists every ErrorCode with its name, HTTP status, meaning and what to do', async () => {
    const rows = await documentedCodes();
    for (const [name, code] of Object.entries(ErrorCode)) {
      const row = rows.get(code);
      // A new code needs its row: | code | `Name` | HTTP status | what it means | what to do |
      expect(row, `docs/errors.md has no row for ${code} ${name}`).toBeDefined();
      expect(row).toMatchObject({ name, http: httpStatusFor(code) });
      expect(row!.meaning.length, `${name}: what it means`).toBeGreaterThan(20);
      expect(row!.todo.length, `${name}: what to do`).toBeGreaterThan(15);
    }
  });

  it('lists no code that does not exist', async () => {
    const known = new Set<number>(Object.values(ErrorCode));
    for (const code of (await documentedCodes()).keys()) expect(known.has(code), `docs/errors.md lists ${code}, which ErrorCode lacks`).toBe(true);
  });
});
