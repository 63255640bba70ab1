/**
 * Which storage backends the contract files run: `SUBHUB_BACKENDS`, a comma-separated list of
 * names (default, also when unset or blank: every backend). A backend left out registers none of
 * its contract tests, only one line saying it was left out (a jest file needs one test), so a
 * run that skipped a backend says so. An unknown name throws when the contract files load: a
 * typo fails the run instead of silently running less.
 */

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The backends `SUBHUB_BACKENDS` selects, in BACKENDS order. */
export function selectedBackends(env: NodeJS.ProcessEnv = process.env): Backend[] {
  const raw = env.SUBHUB_BACKENDS?.trim();
  if (!raw) return [...BACKENDS];
  const names = raw.split(',').map((n) => n.trim().toLowerCase());
  const unknown = names.filter((n) => n !== '' && !(BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.includes(''))
    throw new Error(
      `SUBHUB_BACKENDS="${raw}" names ${unknown.length ? `unknown backend(s) ${unknown.map((n) => `"${n}"`).join(', ')}` : 'an empty entry'}; ` +
        `use a comma-separated list of ${BACKENDS.join(', ')} (unset: all)`,
    );
  return BACKENDS.filter((b) => names.includes(b));
}

export function backendSelected(name: Backend, env: NodeJS.ProcessEnv = process.env): boolean {
  return selectedBackends(env).includes(name);
}

/**
 * Registers `register()` (the backend's describe blocks) when `name` is selected; otherwise one
 * test that records the backend was left out on purpose, and registers nothing of its contract.
 */
export function forBackend(name: Backend, register: () => void): void {
  if (backendSelected(name)) {
    register();
    return;
  }
  describe(`${name} backend`, () => {
    it(`is left out: SUBHUB_BACKENDS="${process.env.SUBHUB_BACKENDS ?? ''}" does not select it`, () => {
      expect(selectedBackends()).not.toContain(name);
    });
  });
}
