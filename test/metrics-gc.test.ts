// The memory a soak judges: heap used right after a major garbage
// collection, set by the service's metrics when it collects process metrics.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Metrics } from '../server/metrics.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const gauge = async (metrics: Metrics, name: string) => {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

describe('metrics: memory after a major garbage collection', () => {
  it('sets heap used at a major collection, from the process', async () => {
    const metrics = new Metrics({ defaultMetrics: true });
    assert.equal(await gauge(metrics, 'kongwei_nodejs_heap_used_after_major_gc_bytes'), 0, 'nothing before a collection');
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the observer is called after the collection
    const heap = (await gauge(metrics, 'kongwei_nodejs_heap_used_after_major_gc_bytes'))!;
    const now = process.memoryUsage();
    assert.ok(heap > 1e6 && heap <= now.heapTotal, `heap after GC ${heap} B within the heap (${now.heapTotal} B)`);
  });

  it('does not watch collections without process metrics (several instances in one process)', async () => {
    const metrics = new Metrics();
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await gauge(metrics, 'kongwei_nodejs_heap_used_after_major_gc_bytes'), 0);
  });
});
