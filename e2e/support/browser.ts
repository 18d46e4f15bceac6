// Finds a Chromium to drive: $CHROMIUM_PATH, then Debian's /usr/bin/chromium, then Playwright's own.
import { chromium } from '@playwright/test';
import { existsSync } from 'node:fs';

const SYSTEM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function bundledChromium(): string | null {
  try {
    return chromium.executablePath();
  } catch {
    return null;
  }
}

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file exists there.`);
  }
  for (const candidate of SYSTEM_CANDIDATES) if (existsSync(candidate)) return candidate;
  const bundled = bundledChromium();
  if (bundled && existsSync(bundled)) return bundled;
  throw new Error(
    'No Chromium found for the browser tests. Install one with `sudo apt-get install -y chromium` ' +
      '(Debian/Ubuntu), or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}

/** WebGPU on SwiftShader needs the unsafe flag on Linux; the rest keeps a closed network quiet. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
