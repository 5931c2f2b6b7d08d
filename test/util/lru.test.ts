/**
 * The LRU map behind every bounded table: the cap is exact whatever keys come, the least
 * recently used entry goes first, and one used within the last quarter of the cap's worth of
 * uses is never the one to go (it is not moved, to save a delete and an insert per use).
 */
import test from 'ava';
import { LruMap } from '../../src/util/lru.js';

test('the cap is exact; the least recently used goes first', (t) => {
  const m = new LruMap<number>(8);
  for (let i = 0; i < 8; i++) m.set(`k${i}`, i);
  // k0 used long ago; k1..k7 touched afterwards in order, far enough apart to be moved.
  for (let round = 0; round < 3; round++) for (let i = 1; i < 8; i++) m.use(`k${i}`, i);
  const out = m.set('new', 100);
  t.deepEqual(out, ['k0', 0]);
  t.is(m.size, 8);
  for (let i = 0; i < 10_000; i++) m.set(`flood${i}`, i);
  t.is(m.size, 8, 'bounded whatever keys come');
});

test('an entry used within the last quarter of the cap is never evicted next, and keeps its latest value', (t) => {
  const m = new LruMap<string>(100);
  for (let i = 0; i < 100; i++) m.set(`k${i}`, 'v0');
  m.use('k0', 'v1'); // k0 was the oldest: it moves to the end
  for (let i = 0; i < 20; i++) m.use('k0', `v${i + 2}`); // recent: not moved again, value updated
  t.is(m.get('k0'), 'v21');
  const evicted: string[] = [];
  for (let i = 0; i < 99; i++) evicted.push(m.set(`n${i}`, 'x')![0]);
  t.false(evicted.includes('k0'), 'the 99 older entries went first');
  t.deepEqual([...m.entries()].find(([k]) => k === 'k0'), ['k0', 'v21']);
});
