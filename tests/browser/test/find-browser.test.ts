/**
 * The browser discovery order of ../find-browser.ts: CHROMIUM_PATH, then a system
 * Chromium on PATH, then the npm package's; one clear line when none can be had.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrowserNotFoundError, findBrowser } from '../find-browser';

const scratch = mkdtempSync(join(tmpdir(), 'arctalk-find-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory holding one executable file called `name`. */
function binDir(name: string): string {
  const dir = mkdtempSync(join(scratch, 'bin-'));
  writeFileSync(join(dir, name), '#!/bin/sh\necho fake\n');
  chmodSync(join(dir, name), 0o755);
  return dir;
}

describe('findBrowser', () => {
  it.each(['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'])(
    'finds a system %s on PATH before the npm package',
    (name) => {
      const dir = binDir(name);
      const found = findBrowser({ PATH: `/nonexistent:${dir}` }, join(scratch, 'never-used'));
      expect(found).toEqual({ executablePath: join(dir, name), source: 'system', env: {} });
    },
  );

  it('prefers chromium to chrome when both are on PATH', () => {
    const chrome = binDir('google-chrome');
    const chromium = binDir('chromium');
    expect(findBrowser({ PATH: `${chrome}:${chromium}` }).executablePath).toBe(join(chromium, 'chromium'));
  });

  it('ignores a non-executable file named chromium', () => {
    const dir = mkdtempSync(join(scratch, 'noexec-'));
    writeFileSync(join(dir, 'chromium'), 'not a program');
    expect(() => findBrowser({ PATH: dir, ARCTALK_BROWSER_SOURCES: 'system' })).toThrow(BrowserNotFoundError);
  });

  it('CHROMIUM_PATH wins, and names itself when it is wrong', () => {
    const dir = binDir('my-browser');
    expect(findBrowser({ CHROMIUM_PATH: join(dir, 'my-browser'), PATH: binDir('chromium') })).toMatchObject({
      executablePath: join(dir, 'my-browser'),
      source: 'env',
    });
    expect(() => findBrowser({ CHROMIUM_PATH: join(dir, 'missing') })).toThrow(
      `CHROMIUM_PATH=${join(dir, 'missing')} is not an executable file`,
    );
  });

  it('fails with one line naming what was tried when nothing is found', () => {
    let message = '';
    try {
      findBrowser({ PATH: '/nonexistent', ARCTALK_BROWSER_SOURCES: 'system' });
    } catch (error) {
      expect(error).toBeInstanceOf(BrowserNotFoundError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^no Chromium for the browser tests: no chromium\/.* on PATH; .*CHROMIUM_PATH$/);
    expect(message).not.toContain('\n');
  });

  it('refuses an unknown source name', () => {
    expect(() => findBrowser({ ARCTALK_BROWSER_SOURCES: 'system,download' })).toThrow(
      /ARCTALK_BROWSER_SOURCES/,
    );
  });

  it('with no system browser, unpacks the Chromium of @sparticuz/chromium, and it runs', () => {
    const env = { PATH: '/nonexistent', ARCTALK_BROWSER_SOURCES: 'system,npm' };
    if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
      expect(() => findBrowser(env)).toThrow(/@sparticuz\/chromium has no build for/);
      return;
    }
    const found = findBrowser(env);
    expect(found.source).toBe('npm');
    const version = spawnSync(found.executablePath, ['--version'], {
      env: { ...process.env, ...found.env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(version.stdout).toMatch(/^Chromium \d+\./);
    // A second call reuses the unpacked copy.
    expect(findBrowser({ PATH: '/nonexistent', ARCTALK_BROWSER_SOURCES: 'npm' })).toEqual(found);
  }, 120_000);
});
