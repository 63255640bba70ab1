import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two byte strings.
 *
 * `crypto.timingSafeEqual` throws a RangeError (ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH) when the lengths
 * differ; here a length mismatch is simply `false`, so a wrong-length signature can never become a 500.
 * The early return leaks only the length, which is public (a SHA-256 digest is always 32 bytes).
 * Equal lengths are compared with timingSafeEqual, whose time does not depend on where bytes differ.
 */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
