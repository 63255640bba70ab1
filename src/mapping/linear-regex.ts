import { RE2JS, RE2JSException } from 're2js';

/**
 * A mapping's regular expression, run by RE2JS (a pure-JavaScript port of RE2): matching takes
 * time linear in the input, whatever the pattern, so a mapping file or a webhook body cannot
 * freeze the pipeline with catastrophic backtracking (JavaScript's own engine backtracks, and
 * adjacent quantifiers such as `\s*\s*\s*$` are exponential there). The price is RE2's syntax:
 * no back-references and no lookaround (see mappings/README.md, "Regular expressions").
 * The native `re2` package was not chosen: it downloads a prebuilt binary from GitHub or
 * compiles RE2 with node-gyp, neither of which works on an offline build machine.
 */
export interface LinearRegex {
  test(s: string): boolean;
  /** The text of capture group `group` (0: the whole match) of the first match; undefined when none. */
  extract(s: string, group: number): string | undefined;
  /** Every match replaced; `$1`, `$&`, `$<name>`, `$$` as in String.prototype.replace. */
  replaceAll(s: string, replacement: string): string;
}

export type RegexCompileResult =
  | { ok: true; regex: LinearRegex }
  /** `invalid`: not a regular expression at all; `unsupported`: valid JavaScript that RE2 does not run. */
  | { ok: false; reason: 'invalid' | 'unsupported'; message: string };

const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0 };

/** Compiles `pattern` with flags among i, m, s, u (u changes nothing: RE2 always matches code points). */
export function compileLinearRegex(pattern: string, flags: string): RegexCompileResult {
  let re: RE2JS;
  try {
    re = RE2JS.compile(
      pattern,
      [...flags].reduce((bits, f) => bits | (FLAG_BITS[f] ?? 0), 0),
    );
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    return { ok: false, reason: isJavaScriptRegex(pattern, flags) ? 'unsupported' : 'invalid', message: e.message };
  }
  return {
    ok: true,
    regex: {
      test: (s) => re.matcher(s).find(),
      extract: (s, group) => {
        const m = re.matcher(s);
        if (group > m.groupCount() || !m.find()) return undefined;
        return m.group(group) ?? undefined;
      },
      replaceAll: (s, replacement) => re.matcher(s).replaceAll(replacement),
    },
  };
}

/** Tells a typo from a JavaScript feature RE2 lacks, for the error code (compiling runs nothing). */
function isJavaScriptRegex(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}
