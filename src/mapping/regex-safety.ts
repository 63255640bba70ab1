import ret, { types, type Root, type Token } from 'ret';
import safeRegex from 'safe-regex2';

/**
 * Decides whether a mapping's regular expression is safe to run on untrusted input. JavaScript
 * regexes backtrack and have no time limit, so a pattern such as (a+)+$ or (a|a)*b can freeze
 * the process on a short input. Two checks, both conservative:
 * - safe-regex2's star-height test (no repetition inside repetition);
 * - ours: no alternation and no back-reference inside an unbounded or repeated group, since
 *   overlapping alternatives there backtrack exponentially. Rewrite (a|b)* as [ab]*.
 */
export function isSafeRegex(re: RegExp): boolean {
  if (!safeRegex(re)) return false;
  let root: Root;
  try {
    root = ret(re.source);
  } catch {
    return false;
  }
  return !(root.stack ?? root.options?.flat() ?? []).some((t) => risky(t, false));
}

function risky(t: Token, insideRepetition: boolean): boolean {
  switch (t.type) {
    case types.REPETITION: {
      const repeats = t.max === Infinity || t.max === null || t.max > 1;
      return risky(t.value, insideRepetition || repeats);
    }
    case types.GROUP: {
      const parts = t.options ?? (t.stack ? [t.stack] : []);
      if (insideRepetition && parts.length > 1) return true;
      return parts.some((p) => p.some((x) => risky(x, insideRepetition)));
    }
    case types.REFERENCE:
      return insideRepetition;
    default:
      return false;
  }
}
