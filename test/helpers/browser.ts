import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download at install time). `.ci/run`
 * installs the package; SUBHUB_CHROMIUM points at another binary.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.SUBHUB_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (Debian), or set SUBHUB_CHROMIUM to a Chromium binary`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
