import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePrivateDir } from '../store/private-files';

/**
 * Development webhook secrets: what `subhub start --with-simulators` uses for the webhook secret
 * variables that are unset, and what a local demo signs its webhooks with. They live in
 * `<dataDir>/dev-secrets.json` (mode 0600), one random 32-byte hex value per variable, created on
 * first use and reused afterwards. Never for production: the file is plain text on disk.
 */

/** The webhook secret variables of the shipped config that get a development value. */
export const DEV_SECRET_NAMES = ['STRIPE_WEBHOOK_SECRET', 'SHOPIFY_API_SECRET'] as const;

export type DevSecretName = (typeof DEV_SECRET_NAMES)[number];

export const DEV_SECRETS_FILE = 'dev-secrets.json';

/** The path of the dev secrets file of a data folder. */
export function devSecretsPath(dataDir: string): string {
  return join(resolve(dataDir), DEV_SECRETS_FILE);
}

/**
 * Returns the development secrets of `dataDir` (variable name → secret), creating the folder and
 * the file when missing. A file lacking a name gets it added. Creation is atomic (a complete temp
 * file is hard-linked into place), so two processes starting at once agree on one set of values.
 * Throws an Error naming the file when it exists but is not a JSON object of strings.
 */
export function devSecrets(dataDir: string): Record<DevSecretName, string> {
  const path = devSecretsPath(dataDir);
  ensurePrivateDir(resolve(dataDir));
  for (let attempt = 0; ; attempt++) {
    const existing = readSecrets(path);
    if (existing && DEV_SECRET_NAMES.every((n) => typeof existing[n] === 'string')) return pick(existing);
    const next = { ...existing };
    for (const n of DEV_SECRET_NAMES) if (typeof next[n] !== 'string') next[n] = randomBytes(32).toString('hex');
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    try {
      // Completing an older file replaces it (the rename keeps the temp file's 0600 mode);
      // creating one links it into place, which fails if another process was first.
      if (existing) renameSync(tmp, path);
      else linkSync(tmp, path);
      return pick(next);
    } catch (e) {
      // Another process created the file first: read theirs on the next pass.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

function readSecrets(path: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new Error(`${path} is not a JSON object of secrets (name → string); delete it to get new development secrets`);
  }
  return value as Record<string, string>;
}

function pick(all: Record<string, string>): Record<DevSecretName, string> {
  return Object.fromEntries(DEV_SECRET_NAMES.map((n) => [n, all[n]!])) as Record<DevSecretName, string>;
}
