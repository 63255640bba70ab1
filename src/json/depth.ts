import { joinPointer } from './pointer';

/**
 * The pointer of the first value nested deeper than `max` levels, or undefined. Iterative, so
 * it is safe on values built in code that a recursive walker would overflow on.
 */
export function firstPointerDeeperThan(value: unknown, max: number): string | undefined {
  const stack: Array<{ v: unknown; depth: number; pointer: string }> = [{ v: value, depth: 0, pointer: '' }];
  while (stack.length > 0) {
    const { v, depth, pointer } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return pointer;
    for (const k of Object.keys(v))
      stack.push({ v: (v as Record<string, unknown>)[k], depth: depth + 1, pointer: joinPointer(pointer, k) });
  }
  return undefined;
}
