/**
 * Browser tests' set-up: Debian's chromium driven by playwright-core (no browser download; the
 * machine's network is closed). `.ci/run` installs chromium with apt when it is missing; where it
 * is still absent, the browser tests are skipped with a note.
 *
 * Screenshots go to .tmp/console-screenshots/ (ignored by git) for a reviewer to look at.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

const root = fileURLToPath(new URL("../..", import.meta.url));
export const SCREENSHOT_DIR = join(root, ".tmp", "console-screenshots");

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Sessions and CI run as root, where chromium's sandbox cannot start; the pages are our own.
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Saves a full-page screenshot as .tmp/console-screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
