import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../packages/cli/src/program.js';
import { REPO_ROOT, runToEnd } from '../support/processes.js';
import { codeBlocks, shellCommands } from './markdown.js';

/**
 * Every `ma`, `ma-server` and `ma-agent` command shown in the README's shell blocks must parse
 * with the real CLI: its subcommands exist, its flags exist, and `<command> --help` of the real
 * program succeeds. The list is read from the README each run, so added commands are checked too.
 */
const DOCUMENTS = ['README.md'];
const SHELL = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh']);
const PROGRAMS = ['ma', 'ma-server', 'ma-agent'] as const;
type Program = (typeof PROGRAMS)[number];
/** The committed launchers npm links as bins (they run the built dist/). */
const BIN: Record<Program, string> = {
  ma: path.join(REPO_ROOT, 'packages/cli/bin/ma.js'),
  'ma-server': path.join(REPO_ROOT, 'packages/server/bin/ma-server.js'),
  'ma-agent': path.join(REPO_ROOT, 'packages/agent/bin/ma-agent.js'),
};

interface Shown {
  doc: string;
  line: number;
  program: Program;
  args: string[];
  text: string;
}

async function shownCommands(): Promise<Shown[]> {
  const shown: Shown[] = [];
  for (const doc of DOCUMENTS) {
    const text = await readFile(path.join(REPO_ROOT, doc), 'utf8');
    for (const block of codeBlocks(text)) {
      if (!SHELL.has(block.lang)) continue;
      for (const c of shellCommands(block.text)) {
        let words = c.words;
        if (words[0] === 'sudo') words = words.slice(1);
        if (words[0] === 'npx') words = words.slice(1).filter((w, i) => !(i === 0 && w === '--no-install'));
        const program = PROGRAMS.find((p) => p === words[0] || words[0]?.endsWith(`/${p}`));
        if (program) shown.push({ doc, line: block.line, program, args: words.slice(1), text: c.text });
      }
    }
  }
  return shown;
}

/** Walks `ma`'s real command tree; returns the subcommand path, or the first thing that does not parse. */
function resolveMa(root: Command, args: string[]): { path: string[] } | { error: string } {
  let cmd = root;
  const chain = [root];
  const path: string[] = [];
  const findOption = (flag: string): Option | undefined => {
    const name = flag.split('=')[0]!;
    for (const c of chain) {
      const o = c.options.find((x) => x.long === name || x.short === name);
      if (o) return o;
    }
    return name === '--help' || name === '-h' ? ({ required: false, optional: false } as Option) : undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a !== '-') {
      const o = findOption(a);
      if (!o) return { error: `unknown flag ${a} for "ma ${path.join(' ')}"` };
      if ((o.required || o.optional) && !a.includes('=')) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub) {
      cmd = sub;
      chain.push(sub);
      path.push(a);
      continue;
    }
    // A group of subcommands takes no arguments of its own: this word is a misspelt subcommand.
    if (cmd.commands.length > 0 && cmd.registeredArguments.length === 0) return { error: `"ma ${path.join(' ')}" has no subcommand "${a}"` };
  }
  return { path };
}

describe('the commands shown in README.md', () => {
  let shown: Shown[];
  beforeAll(async () => {
    shown = await shownCommands();
  });

  it('finds the commands it checks (so this check cannot pass by reading nothing)', () => {
    const count = (p: Program) => shown.filter((s) => s.program === p).length;
    expect(count('ma')).toBeGreaterThanOrEqual(10);
    expect(count('ma-server')).toBeGreaterThanOrEqual(3);
    expect(count('ma-agent')).toBeGreaterThanOrEqual(3);
  });

  it('are written as they run from the clone: `npx <program>` (bare on a node, where the bundle is installed)', async () => {
    const text = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(text).not.toMatch(/node packages\/\w+\/dist\/bin/);
    // Bare `ma` and `ma-server` lines in shell blocks would fail after `npm ci`: they are not on PATH.
    for (const block of codeBlocks(text).filter((b) => SHELL.has(b.lang))) {
      for (const c of shellCommands(block.text)) {
        if (c.words[0] === 'ma' || c.words[0] === 'ma-server') expect.fail(`README.md:${block.line}: write \`npx ${c.words[0]}\`: ${c.text}`);
      }
    }
  });

  it('use only subcommands and flags that `ma` has', () => {
    const program = buildProgram(() => {}, {});
    const problems = shown
      .filter((s) => s.program === 'ma')
      .map((s) => ({ s, r: resolveMa(program, s.args) }))
      .filter((x): x is { s: Shown; r: { error: string } } => 'error' in x.r)
      .map(({ s, r }) => `${s.doc} (block at line ${s.line}): ${s.text}: ${r.error}`);
    expect(problems).toEqual([]);
  });

  it('each parse with the real program: `<command> --help` succeeds and shows that command', async () => {
    const failures: string[] = [];
    // ma: the real command tree, in process (one spawn per subcommand would take a minute), then
    // the real launcher once.
    const seen = new Set<string>();
    for (const s of shown.filter((x) => x.program === 'ma')) {
      const r = resolveMa(buildProgram(() => {}, {}), s.args);
      if ('error' in r || seen.has(r.path.join(' '))) continue; // errors: reported by the test above
      seen.add(r.path.join(' '));
      const help = await maHelp(r.path);
      const usage = `Usage: ma ${r.path.join(' ')}`.trimEnd();
      if (!help.ok || !help.text.includes(usage)) failures.push(`${s.text}: \`ma ${r.path.join(' ')} --help\` did not show "${usage}": ${help.text.slice(0, 200)}`);
    }
    const launcher = await runToEnd(process.execPath, [BIN.ma, '--help']);
    if (launcher.code !== 0 || !launcher.stdout.includes('Usage: ma ')) failures.push(`ma --help through ${BIN.ma}: exit ${launcher.code}: ${launcher.stderr}`);
    // ma-server and ma-agent: the real programs. parseArgs is strict, so an unknown flag fails,
    // and `<unknown command> --help` fails too.
    const runs = new Map<string, Shown>();
    for (const s of shown.filter((x) => x.program !== 'ma')) runs.set(`${s.program} ${s.args.join(' ')}`, s);
    for (const s of runs.values()) {
      const r = await runToEnd(process.execPath, [BIN[s.program], ...s.args, '--help'], {}, 60_000);
      if (r.code !== 0 || !r.stdout.includes('Usage:')) failures.push(`${s.text}: exit ${r.code}: ${r.stderr.trim()}`);
    }
    expect(failures).toEqual([]);
  }, 240_000);
});

/** `ma <path> --help` through the real program builder, with commander's output captured. */
async function maHelp(subcommands: string[]): Promise<{ ok: boolean; text: string }> {
  let text = '';
  const program = buildProgram(() => {}, {});
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: (x) => (text += x), writeErr: (x) => (text += x) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['node', 'ma', ...subcommands, '--help']);
    return { ok: false, text: `${text}(no help shown)` };
  } catch (e) {
    return { ok: (e as { code?: string }).code === 'commander.helpDisplayed', text };
  }
}
