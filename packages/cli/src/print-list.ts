/**
 * Prints a list one line per item, or, when it is empty, one sentence saying what that means
 * and what to do: silence after a command reads as "did it work?".
 */
export function printList<T>(out: (s: string) => void, items: readonly T[], empty: string, line: (item: T) => string, header?: string): void {
  if (items.length === 0) {
    out(`${empty}\n`);
    return;
  }
  if (header !== undefined) out(`${header}\n`);
  for (const item of items) out(`${line(item)}\n`);
}
