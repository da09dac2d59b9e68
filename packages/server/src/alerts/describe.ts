import { formatDuration } from '../notify/message.js';
import type { Condition } from './rule.js';

/** The condition in words, for messages and the alert list: "above -15 °C for 10 min (clears below -17 °C)". */
export function describeCondition(c: Condition, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  switch (c.type) {
    case 'threshold': {
      const dur = c.for > 0 ? ` for ${formatDuration(c.for)}` : '';
      const clear = c.clear !== undefined && c.clear !== c.value ? ` (clears ${c.op === 'above' ? 'at or below' : 'at or above'} ${c.clear}${u})` : '';
      return `${c.op} ${c.value}${u}${dur}${clear}`;
    }
    case 'rate':
      return `${c.op === 'rise' ? 'rising' : 'falling'} by ${c.delta}${u} or more within ${formatDuration(c.window)}`;
    case 'no_data':
      return `no data for ${formatDuration(c.for)}`;
    case 'fault':
      return `agent fault (${c.faults.join(', ')})`;
  }
}
