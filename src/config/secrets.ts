import { readFileSync } from 'node:fs';
import { HubError } from '../errors/hub-error';

/** A secret reference as it appears in config. */
export type SecretRef = { env: string } | { file: string };

/**
 * Resolves a secret reference. Returns undefined when the variable is unset/empty or the file is
 * missing, so callers can fail closed (reject everything) instead of running without a secret.
 * The value is never logged.
 */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if ('env' in ref) {
    const v = env[ref.env];
    return v === undefined || v === '' ? undefined : v;
  }
  try {
    const v = readFileSync(ref.file, 'utf8').trim();
    return v === '' ? undefined : v;
  } catch {
    return undefined;
  }
}

/** Like resolveSecret, but a missing secret is a config error naming the reference (not the value). */
export function requireSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  const v = resolveSecret(ref, env);
  if (v === undefined) {
    throw new HubError('CONFIG_SECRET_MISSING', 'config', `secret ${describeSecretRef(ref)} is not set`, {
      hint: 'set the variable or create the file; subhub never runs without a configured secret',
    });
  }
  return v;
}

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}
