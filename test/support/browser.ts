// Debian's Chromium, headless, driven through the DevTools protocol by puppeteer-core (no browser
// download works here). scripts/setup.sh installs it; CHROMIUM_PATH points elsewhere if needed.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH || '/usr/bin/chromium';
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // No sandbox: CI runs as root, where Chromium refuses its sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** Where tests leave screenshots for a person to look at (kept after the run). */
export const ARTIFACTS_DIR = resolve('.rollout/test-artifacts');

/** A full-page screenshot under ARTIFACTS_DIR; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
