/** The bounded maps behind the per-chat seq cache and the authorization cache keep what is in use. */
import { LruMap } from '../handlers/store/lru';

test('a key read all along outlives keys written once, however many come after it', () => {
  const nextSeq = new LruMap<string, number>(3);
  nextSeq.set('busy', 1);
  for (let i = 0; i < 10; i++) {
    nextSeq.set(`quiet-${i}`, 1);
    expect(nextSeq.get('busy')).toBe(1);
  }
  expect(nextSeq.size).toBe(3);
  expect(nextSeq.has('quiet-9')).toBe(true);
  expect(nextSeq.has('quiet-7')).toBe(false);
});

test('writing a key again makes it the most recent', () => {
  const map = new LruMap<string, number>(2);
  map.set('a', 1).set('b', 1).set('a', 2).set('c', 1);
  expect(map.get('a')).toBe(2);
  expect(map.has('b')).toBe(false);
  expect(map.delete('a')).toBe(true);
  expect(map.get('a')).toBeUndefined();
});
