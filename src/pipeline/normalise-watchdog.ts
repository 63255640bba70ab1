import type { NormaliseProgress } from './normalise-progress';

/** An inbox entry whose normalisation ran past its budget. */
export interface OverrunEntry {
  inboxId: string;
  startedAt: number;
  /** How long it had run when the watchdog saw it, in ms (at least the budget). */
  ranMs: number;
}

/**
 * Checks, from the main thread, that no inbox entry normalises for longer than `budgetMs`, and
 * calls `onOverrun` once per entry that does. Why a watchdog in another thread: normalising is
 * mostly synchronous (mapping), and synchronous code cannot be interrupted from its own thread,
 * neither by a timer nor by a message. Only terminating the thread stops it; the caller does that
 * and sets the entry aside. The check interval is a quarter of the budget (at most 1 s), so an
 * overrun is caught within 1.25 budgets. The timer is unref'd: it never keeps the process alive.
 */
export function watchNormalisation(
  progress: () => NormaliseProgress,
  budgetMs: number,
  onOverrun: (entry: OverrunEntry) => void,
  now: () => number = Date.now,
): { stop(): void } {
  let reported: string | undefined;
  const timer = setInterval(
    () => {
      const current = progress().current();
      if (!current) return;
      const ranMs = now() - current.startedAt;
      const key = `${current.inboxId}@${current.startedAt}`;
      if (ranMs < budgetMs || reported === key) return;
      reported = key;
      onOverrun({ ...current, ranMs });
    },
    Math.min(1000, Math.max(25, Math.floor(budgetMs / 4))),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
