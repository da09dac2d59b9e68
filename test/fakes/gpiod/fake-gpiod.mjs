// Fake libgpiod command-line tools (gpioset, gpioget) in their v1 (Debian Bookworm) and v2
// (Trixie) syntax, for tests: the argument parsing, messages, exit codes and line holding of
// the real tools, over a state directory instead of /dev/gpiochipN. Test-only: never shipped.
//
// FAKE_GPIO_DIR holds one JSON file per line, `<chip>-<offset>.json`: { "value": 0|1 (physical),
// "holder": pid|null }. A test sets an input by writing the file; reads an output from it.
// Chips gpiochip0..gpiochip1 exist; lines 0..53; v2 also knows names GPIO0..GPIO53.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const VERSION_TEXT = {
  1: (tool) => `${tool} (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\nLicense: LGPLv2.1\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n`,
  2: (tool) => `${tool} (libgpiod) v2.1\nCopyright (C) 2017-2023 Bartosz Golaszewski\nLicense: GPL-2.0-or-later\nThis is free software: you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n`,
};

const dir = process.env.FAKE_GPIO_DIR ?? '/nonexistent';
const fileOf = (chip, offset) => path.join(dir, `${chip}-${offset}.json`);
const load = (chip, offset) => {
  try {
    return JSON.parse(readFileSync(fileOf(chip, offset), 'utf8'));
  } catch {
    return { value: 0, holder: null };
  }
};
const save = (chip, offset, state) => {
  const tmp = `${fileOf(chip, offset)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, fileOf(chip, offset));
};
const alive = (pid) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const fail = (tool, msg) => {
  process.stderr.write(`${tool}: ${msg}\n`);
  process.exit(1);
};
const chipOk = (chip) => /^(gpiochip[01]|\/dev\/gpiochip[01]|[01])$/.test(chip) && existsSync(dir);
const normChip = (chip) => (/^\d$/.test(chip) ? `gpiochip${chip}` : chip.replace('/dev/', ''));
const parseValue = (v, version) => {
  if (v === '1' || v === '0') return Number(v);
  if (version === 2 && /^(active|on|true)$/i.test(v)) return 1;
  if (version === 2 && /^(inactive|off|false)$/i.test(v)) return 0;
  return undefined;
};
const offsetOf = (line, version) => {
  if (/^\d+$/.test(line) && Number(line) <= 53) return Number(line);
  if (version === 2 && /^GPIO(\d+)$/.test(line) && Number(line.slice(4)) <= 53) return Number(line.slice(4));
  return undefined;
};

/** Splits argv into options and positionals the way getopt_long does for these tools. */
function getopt(tool, argv, shortWithArg, longWithArg, flags) {
  const opts = {};
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      pos.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s);
      if (longWithArg.includes(name)) opts[name] = inline ?? argv[++i];
      else if (flags.includes(name) && inline === undefined) opts[name] = true;
      else fail(tool, `unrecognized option '${a}'\nTry '${tool} --help' for more information.`);
    } else if (a.startsWith('-') && a.length > 1) {
      const c = a[1];
      const long = shortWithArg[c];
      if (long) opts[long] = a.length > 2 ? a.slice(2) : argv[++i];
      else if (flags.includes(c)) opts[c] = true;
      else fail(tool, `invalid option -- '${c}'\nTry '${tool} --help' for more information.`);
    } else pos.push(a);
  }
  return { opts, pos };
}

function hold(tool, version, chip, offset, physical) {
  const state = load(chip, offset);
  if (alive(state.holder) && state.holder !== process.pid) {
    fail(tool, version === 1 ? 'error setting the GPIO line values: Device or resource busy' : `unable to request lines on chip '/dev/${chip}': Device or resource busy`);
  }
  save(chip, offset, { value: physical, holder: process.pid });
  const release = () => {
    const s = load(chip, offset);
    if (s.holder === process.pid) save(chip, offset, { value: s.value, holder: null });
    process.exit(0);
  };
  process.on('SIGTERM', release);
  process.on('SIGINT', release);
  setInterval(() => {}, 1 << 30);
}

function gpioset(version, argv) {
  const tool = 'gpioset';
  if (version === 1) {
    const { opts, pos } = getopt(tool, argv, { m: 'mode', s: 'sec', u: 'usec', B: 'bias', D: 'drive' }, ['mode', 'sec', 'usec', 'bias', 'drive'], ['active-low', 'l', 'version', 'background', 'b', 'help', 'h']);
    if (opts.version) return process.stdout.write(VERSION_TEXT[1](tool));
    const mode = opts.mode ?? 'exit';
    if (!['exit', 'wait', 'time', 'signal'].includes(mode)) fail(tool, 'invalid mode: ' + mode);
    if (pos.length < 1) fail(tool, 'gpiochip must be specified');
    if (pos.length < 2) fail(tool, 'at least one GPIO line offset to value mapping must be specified');
    const chip = pos[0];
    if (!chipOk(chip)) fail(tool, 'error opening gpiochip: No such file or directory');
    const [off, val] = pos[1].split('=');
    if (pos.length > 2) fail(tool, 'this fake drives one line at a time');
    if (val === undefined) fail(tool, `invalid offset<->value mapping: ${pos[1]}`);
    const offset = /^\d+$/.test(off) ? Number(off) : undefined;
    if (offset === undefined) fail(tool, `invalid offset: ${off}`);
    if (offset > 53) fail(tool, 'error setting the GPIO line values: Invalid argument');
    const value = parseValue(val, 1);
    if (value === undefined) fail(tool, `invalid offset<->value mapping: ${pos[1]}`);
    const physical = opts['active-low'] || opts.l ? 1 - value : value;
    if (mode === 'exit') {
      const s = load(normChip(chip), offset);
      if (alive(s.holder)) fail(tool, 'error setting the GPIO line values: Device or resource busy');
      return save(normChip(chip), offset, { value: physical, holder: null });
    }
    if (mode !== 'signal') fail(tool, `this fake supports --mode=exit and --mode=signal, not ${mode}`);
    return hold(tool, 1, normChip(chip), offset, physical);
  }
  const { opts, pos } = getopt(tool, argv, { c: 'chip', b: 'bias', d: 'drive', t: 'toggle', p: 'hold-period', C: 'consumer' }, ['chip', 'bias', 'drive', 'toggle', 'hold-period', 'consumer'], ['active-low', 'l', 'version', 'banner', 'daemonize', 'z', 'strict', 's', 'help', 'h', 'interactive', 'i']);
  if (opts.version) return process.stdout.write(VERSION_TEXT[2](tool));
  if (pos.length < 1) fail(tool, 'at least one GPIO line value must be specified');
  const chip = opts.chip ?? 'gpiochip0';
  if (!chipOk(chip)) fail(tool, `cannot find line '${pos[0].split('=')[0]}'`);
  if (pos.length > 1) fail(tool, 'this fake drives one line at a time');
  const [line, val] = pos[0].split('=');
  if (val === undefined) fail(tool, `invalid line value: '${pos[0]}'`);
  const offset = offsetOf(line, 2);
  if (offset === undefined) fail(tool, `cannot find line '${line}'`);
  const value = parseValue(val, 2);
  if (value === undefined) fail(tool, `invalid line value: '${val}'`);
  const physical = opts['active-low'] || opts.l ? 1 - value : value;
  // v2 holds the line until killed (no --mode); -t toggling is not faked.
  if (opts.toggle !== undefined) fail(tool, 'this fake does not support --toggle');
  return hold(tool, 2, normChip(chip), offset, physical);
}

function gpioget(version, argv) {
  const tool = 'gpioget';
  if (version === 1) {
    const { opts, pos } = getopt(tool, argv, { B: 'bias' }, ['bias'], ['active-low', 'l', 'version', 'help', 'h']);
    if (opts.version) return process.stdout.write(VERSION_TEXT[1](tool));
    if (pos.length < 1) fail(tool, 'gpiochip must be specified');
    if (pos.length < 2) fail(tool, 'at least one GPIO line offset must be specified');
    if (!chipOk(pos[0])) fail(tool, 'error opening gpiochip: No such file or directory');
    const offset = /^\d+$/.test(pos[1]) ? Number(pos[1]) : undefined;
    if (offset === undefined) fail(tool, `invalid GPIO offset: ${pos[1]}`);
    const s = load(normChip(pos[0]), offset);
    if (alive(s.holder)) fail(tool, 'error reading GPIO values: Device or resource busy');
    const v = opts['active-low'] || opts.l ? 1 - s.value : s.value;
    return process.stdout.write(`${v}\n`);
  }
  const { opts, pos } = getopt(tool, argv, { c: 'chip', b: 'bias', p: 'hold-period', C: 'consumer' }, ['chip', 'bias', 'hold-period', 'consumer'], ['active-low', 'l', 'version', 'numeric', 'unquoted', 'as-is', 'a', 'strict', 's', 'help', 'h']);
  if (opts.version) return process.stdout.write(VERSION_TEXT[2](tool));
  if (pos.length < 1) fail(tool, 'at least one GPIO line must be specified');
  const chip = opts.chip ?? 'gpiochip0';
  if (!chipOk(chip)) fail(tool, `cannot find line '${pos[0]}'`);
  const offset = offsetOf(pos[0], 2);
  if (offset === undefined) fail(tool, `cannot find line '${pos[0]}'`);
  const s = load(normChip(chip), offset);
  if (alive(s.holder)) fail(tool, `unable to request lines on chip '/dev/${normChip(chip)}': Device or resource busy`);
  const v = opts['active-low'] || opts.l ? 1 - s.value : s.value;
  const shown = opts.numeric ? String(v) : `${opts.unquoted ? pos[0] : `"${pos[0]}"`}=${v ? 'active' : 'inactive'}`;
  return process.stdout.write(`${shown}\n`);
}

export function main(tool, version) {
  const argv = process.argv.slice(2);
  if (tool === 'gpioset') gpioset(version, argv);
  else gpioget(version, argv);
}
