// The soak's readings of Redis (bench/soak.ts): the bytes of the service's
// keys (every element counted), the history logs' backlog, and the keys by
// family, after the warm-up and at the end.
import type { Redis } from 'ioredis';

/** Every key matching `pattern` (SCAN). */
async function scanKeys(store: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await store.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

/** Each of the service's keys and its bytes: MEMORY USAGE with SAMPLES 0, every element counted (the default samples 5 and estimates). */
async function keySizes(store: Redis, prefix: string): Promise<{ key: string; bytes: number }[]> {
  const keys = await scanKeys(store, `${prefix}*`);
  const pipeline = store.pipeline();
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
  const sizes = (await pipeline.exec()) ?? [];
  return keys.map((key, i) => ({ key, bytes: Number(sizes[i]?.[1] ?? 0) }));
}

const isHistoryLog = (key: string) => key.endsWith(':hist');

/**
 * The service's keys: their bytes less the lots' history logs (what a leak in
 * Redis would grow), and the logs' backlog: records not yet taken by the
 * recorder (every 2 s), and their bytes.
 */
export async function redisKeys(store: Redis, prefix: string): Promise<{ keptBytes: number; records: number; backlogBytes: number }> {
  const sizes = await keySizes(store, prefix);
  const logs = sizes.filter(({ key }) => isHistoryLog(key));
  const pipeline = store.pipeline();
  for (const { key } of logs) pipeline.llen(key);
  const lengths = (await pipeline.exec()) ?? [];
  const sum = (list: { bytes: number }[]) => list.reduce((n, k) => n + k.bytes, 0);
  return {
    keptBytes: sum(sizes) - sum(logs),
    records: lengths.reduce((n, [, length]) => n + Number(length ?? 0), 0),
    backlogBytes: sum(logs),
  };
}

/** Redis' keys by family (a lot's or a gateway's id made *), with their count and MEMORY USAGE: which kind of key a growing dataset grows in. */
export async function keyFamilies(store: Redis, prefix: string): Promise<Map<string, { keys: number; bytes: number }>> {
  const families = new Map<string, { keys: number; bytes: number }>();
  for (const { key, bytes } of await keySizes(store, prefix)) {
    const family = key.slice(prefix.length).replace(/\{(lot|gw):[^}]*\}/, '{$1:*}').replace(/\d+/g, '#');
    const entry = families.get(family) ?? { keys: 0, bytes: 0 };
    entry.keys++;
    entry.bytes += bytes;
    families.set(family, entry);
  }
  return families;
}

/** The key families after the warm-up and at the end, the ones that changed most first. */
export function familiesTable(before: Map<string, { keys: number; bytes: number }>, after: Map<string, { keys: number; bytes: number }>): string {
  const names = [...new Set([...before.keys(), ...after.keys()])];
  const change = (name: string) => (after.get(name)?.bytes ?? 0) - (before.get(name)?.bytes ?? 0);
  names.sort((a, b) => Math.abs(change(b)) - Math.abs(change(a)));
  const cell = (e: { keys: number; bytes: number } | undefined) => (e ? `${e.keys} / ${(e.bytes / 1024).toFixed(1)}` : '—');
  return `Redis keys by family (MEMORY USAGE), after the warm-up → at the end; the history logs' backlog is what the recorder has not taken yet:

| key family | keys / KB after the warm-up | keys / KB at the end | change (KB) |
|---|---:|---:|---:|
${names.map((name) => `| \`${name}\` | ${cell(before.get(name))} | ${cell(after.get(name))} | ${(change(name) / 1024).toFixed(1)} |`).join('\n')}`;
}
