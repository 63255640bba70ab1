// Internal helpers shared by the verifiers (not part of the public surface; import from ./index).
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time';
import type { Headers, VerifyFailure, VerifyResult } from './verifier';

export function fail(reason: VerifyFailure, message: string): VerifyResult {
  return { ok: false, reason, message };
}

/**
 * Secrets that can actually key an HMAC. An empty string is dropped: an empty key is a key every attacker
 * knows, so treating it as configured would fail open.
 */
export function usableSecrets(secrets: readonly string[]): string[] {
  if (!Array.isArray(secrets)) return [];
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

export type HeaderRead = { ok: true; value: string } | { ok: false; result: VerifyResult };

/**
 * A required single-valued header. Absent or empty → missing_header. Several values (an array of more than
 * one, which node:http never produces for these names) → malformed_header: we cannot know which one was signed.
 */
export function requireHeader(headers: Headers, name: string): HeaderRead {
  const raw: unknown = headers[name];
  if (Array.isArray(raw) && raw.length > 1) return { ok: false, result: fail('malformed_header', `${name} header is repeated`) };
  const value: unknown = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value === '') return { ok: false, result: fail('missing_header', `${name} header is missing`) };
  return { ok: true, value };
}

/** An optional informational header: its single non-empty value, else undefined. */
export function optionalHeader(headers: Headers, name: string): string | undefined {
  const read = requireHeader(headers, name);
  return read.ok ? read.value : undefined;
}

/** Unix seconds written as plain decimal digits (no sign, no exponent, at most 12 digits), else undefined. */
export function parseUnixSeconds(text: string): number | undefined {
  return /^\d{1,12}$/.test(text) ? Number(text) : undefined;
}

export function hmacSha256(key: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Decode a claimed SHA-256 digest, or undefined if it is not exactly 32 bytes in the expected encoding.
 * Hex is lower-case only, as Stripe sends it and as stripe-node compares it (it compares hex strings).
 * Node's base64 decoder silently skips invalid characters, hence the strict pattern first.
 */
export function decodeDigest(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const pattern = encoding === 'hex' ? HEX_SHA256 : BASE64_SHA256;
  return pattern.test(text) ? Buffer.from(text, encoding) : undefined;
}

/**
 * True if any claimed digest equals any expected digest (every secret × every signature, for rotation).
 * Every pair is compared in constant time, without stopping at the first match; undecodable claims never match.
 */
export function anyDigestMatches(expected: readonly Buffer[], claimed: ReadonlyArray<Buffer | undefined>): boolean {
  let matched = false;
  for (const want of expected) {
    for (const got of claimed) {
      if (got !== undefined && constantTimeEqual(want, got)) matched = true;
    }
  }
  return matched;
}

/**
 * Window check: a timestamp passes when |now − t| ≤ tolerance (exactly at the tolerance passes, as in
 * stripe-node and the Standard Webhooks reference library). Written as negated `<=` so that NaN in the
 * clock or the tolerance fails closed. Returns the problem, or undefined when inside the window.
 */
export function timestampProblem(nowSec: number, t: number, toleranceSec: number): string | undefined {
  const age = nowSec - t;
  if (!(age <= toleranceSec)) return 'timestamp is older than the tolerance';
  if (!(-age <= toleranceSec)) return 'timestamp is further in the future than the tolerance';
  return undefined;
}

/** The body as a JSON object, or undefined when it is not one. Call only AFTER the signature is verified. */
export function parseJsonObject(rawBody: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Guard for callers that hand over a parsed body or a string: verification needs the raw bytes. */
export function rawBodyProblem(rawBody: unknown): VerifyResult | undefined {
  return Buffer.isBuffer(rawBody)
    ? undefined
    : fail('bad_signature', 'raw body is not a Buffer; signatures are verified over the raw bytes');
}
