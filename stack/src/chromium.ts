/**
 * Headless Debian Chromium driven by playwright-core, for the browser tests and bench/web.
 * The networking flags keep Chromium from calling home on a closed network; playwright gives every
 * launch a fresh profile.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.STREAMSYNC_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
