/** Small readers of our Markdown, for the checks that keep README.md and docs/ true. */

export interface CodeBlock {
  lang: string;
  /** 1-based line of the first code line. */
  line: number;
  text: string;
}

/** Fenced code blocks (``` or ~~~), with their language tag. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { fence: string; lang: string; line: number; body: string[] } | undefined;
  lines.forEach((raw, i) => {
    const m = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(raw);
    if (!open && m) open = { fence: m[1]!, lang: m[2] ?? '', line: i + 2, body: [] };
    else if (open && m && raw.trim().startsWith(open.fence) && raw.trim().replace(/[`~]/g, '') === '') {
      blocks.push({ lang: open.lang, line: open.line, text: open.body.join('\n') });
      open = undefined;
    } else if (open) open.body.push(raw.replace(/^ {0,3}/, ''));
  });
  return blocks;
}

/** The text outside fenced code blocks and inline code, where links are links. */
export function prose(markdown: string, keepInlineCode = false): string {
  let out = '';
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) {
      inFence = !inFence;
      out += '\n';
      continue;
    }
    out += inFence ? '\n' : `${keepInlineCode ? line : line.replace(/`[^`]*`/g, '')}\n`;
  }
  return out;
}

/** Link and image targets: `[text](target)`, `![alt](target "title")`, `[ref]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) targets.push(m[1]!);
  return targets;
}

/** GitHub's anchor for each heading of a document (lowercase, punctuation dropped, spaces to dashes, -1 for repeats). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown, true).split('\n')) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Splits one shell line into words, honouring single and double quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

/**
 * The simple commands of a shell code block: comments dropped, continuations joined, split at
 * `&&`, `||`, `;` and `|`, redirections cut off, leading `VAR=value` assignments removed.
 */
export function shellCommands(block: string): Array<{ words: string[]; text: string }> {
  const out: Array<{ words: string[]; text: string }> = [];
  for (const raw of block.replace(/\\\n/g, ' ').split('\n')) {
    const line = stripComment(raw.replace(/^\s*\$\s+/, ''));
    for (const segment of splitOutsideQuotes(line, /^(&&|\|\||;|\|)/)) {
      const text = splitOutsideQuotes(segment, /^(>>?|<)(?!\S*>)/)[0]!.trim();
      if (!text) continue;
      const words = shellWords(text);
      while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
      if (words.length) out.push({ words, text });
    }
  }
  return out;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** Splits at separators matched by `sep` (anchored) outside quotes and backticks. */
function splitOutsideQuotes(line: string, sep: RegExp): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      continue;
    }
    // `<name>` placeholders are words, not redirections.
    if (ch === '<' && /^<[\w.:| -]+>/.test(line.slice(i))) {
      i += line.slice(i).indexOf('>');
      continue;
    }
    const m = sep.exec(line.slice(i));
    if (m) {
      parts.push(line.slice(start, i));
      i += m[0].length - 1;
      start = i + 1;
    }
  }
  parts.push(line.slice(start));
  return parts;
}
