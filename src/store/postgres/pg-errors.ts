import { StoreBusyError, StoreUnavailableError } from '../store-error';

/** Socket-level failures: the server is down, restarting or unreachable. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs of a server that is shutting down or not accepting connections yet (class 08 is checked apart). */
const SHUTDOWN = new Set(['57P01', '57P02', '57P03', '53300']);

/** SQLSTATEs of contention: trying again succeeds (serialization failure, deadlock, lock not available). */
const CONTENTION = new Set(['40001', '40P01', '55P03']);

/** What node-postgres says (without a code) when a connection broke or the pool could not get one in time. */
const DROPPED =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end|Client has already been connected|not queryable/i;

function codeOf(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `e` means "the database cannot take this now" (as opposed to a bug or a bad statement). */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof StoreUnavailableError) return true;
  const code = codeOf(e);
  if (code !== undefined && (NETWORK.has(code) || SHUTDOWN.has(code) || CONTENTION.has(code) || code.startsWith('08'))) return true;
  return DROPPED.test(String((e as { message?: unknown } | null)?.message ?? ''));
}

/**
 * The error callers see: contention → StoreBusyError, an unreachable or failing server →
 * StoreUnavailableError (webhooks answer 503 with Retry-After, /readyz 503); anything else (a bug,
 * a constraint the code did not expect) passes unchanged.
 */
export function storeError(e: unknown): unknown {
  if (e instanceof StoreUnavailableError) return e;
  const code = codeOf(e);
  if (code !== undefined && CONTENTION.has(code)) return new StoreBusyError(e);
  return isUnavailable(e) ? new StoreUnavailableError(e) : e;
}

/** Whether a client that saw `e` must be destroyed rather than returned to the pool. */
export function isConnectionBroken(e: unknown): boolean {
  const code = codeOf(e);
  return isUnavailable(e) && !(code !== undefined && CONTENTION.has(code));
}
