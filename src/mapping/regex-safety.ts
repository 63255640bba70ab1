import ret, { types, type Root, type Token } from 'ret';

/**
 * Decides whether a mapping's regular expression is safe to run on untrusted input. JavaScript
 * regexes backtrack and have no time limit, so a pattern such as (a+)+$ or (a|a)*b can freeze
 * the process on a short input. Inside a repeated part (a quantifier that allows more than one
 * match: *, +, {2,}, {1,5}; `?` does not repeat), the pattern may hold no other repeated part
 * (star height 2, as in (a+)+), no alternation (overlapping alternatives, as in (a|a)*), and no
 * back-reference. Conservative on purpose: rewrite (a|b)* as [ab]*.
 */
export function isSafeRegex(re: RegExp): boolean {
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
      if (repeats && insideRepetition) return true;
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
