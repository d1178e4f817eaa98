// npx tsx bench/profile-windows.ts <file.cpuprofile> <from-to> <from-to> [top]
// Compares two windows of one CPU profile (minutes since the profile began,
// e.g. 6-11 26-31): where the process spent its CPU in each, per function
// (self time, ms of CPU per second of the window), the functions whose share
// grew most first. For a soak whose CPU per event rose (npm run soak --
// --profile <dir>): what the service does more of at the end than at the start.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, first, second, topArg] = process.argv.slice(2);
const window = (text: string | undefined) => {
  const [from, to] = (text ?? '').split('-').map(Number);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to! <= from!) throw new Error(`a window is <from>-<to> in minutes, not "${text}"`);
  return [from! * 60e6, to! * 60e6] as const;
};
if (!file) {
  console.error('usage: npx tsx bench/profile-windows.ts <file.cpuprofile> <from-to> <from-to> [top]');
  process.exit(2);
}
const windows = [window(first), window(second)];
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const names = new Map<number, string>();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  names.set(node.id, `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim());
}

// Self time per function in each window; a sample's time is the delta to the next one.
const self = windows.map(() => new Map<string, number>());
let t = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  windows.forEach(([from, to], w) => {
    if (t < from || t >= to) return;
    const name = names.get(profile.samples[i]!)!;
    self[w]!.set(name, (self[w]!.get(name) ?? 0) + dt);
  });
}
const seconds = windows.map(([from, to]) => (to - from) / 1e6);
const perSecond = (w: number, name: string) => (self[w]!.get(name) ?? 0) / 1000 / seconds[w]!;
const busy = (w: number) => [...self[w]!.entries()].filter(([name]) => !name.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0) / 1000 / seconds[w]!;
console.log(`${basename(file)}: CPU busy ${busy(0).toFixed(0)} → ${busy(1).toFixed(0)} ms per second (windows ${first} and ${second} min)`);
const all = new Set([...self[0]!.keys(), ...self[1]!.keys()]);
const rows = [...all].filter((name) => !name.startsWith('(idle)')).map((name) => ({ name, a: perSecond(0, name), b: perSecond(1, name) }));
rows.sort((x, y) => y.b - y.a - (x.b - x.a));
console.log('| function | ms/s first | ms/s second | change |\n|---|---:|---:|---:|');
for (const r of rows.slice(0, top)) console.log(`| ${r.name} | ${r.a.toFixed(2)} | ${r.b.toFixed(2)} | ${(r.b - r.a >= 0 ? '+' : '') + (r.b - r.a).toFixed(2)} |`);
