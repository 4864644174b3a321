/**
 * Isomorphic proof for @arctalk/rc4, @arctalk/dh and @arctalk/protocol:
 * 1. each default entry bundles for the browser (esbuild, platform "browser", so a
 *    `node:` import or a Node builtin fails the build);
 * 2. headless Chromium (driven by playwright-core) runs two ClientSessions through an
 *    in-page Relay: handshake, equal SAS, text both ways. The browser is found by
 *    ../find-browser.ts: CHROMIUM_PATH, else a system Chromium/Chrome, else the one
 *    inside the npm package @sparticuz/chromium (a devDependency).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { findBrowser } from '../find-browser';
import type { ConversationResult } from '../page/main';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const source = (name: string) => `${root}packages/${name}/src/index.ts`;
const alias = {
  '@arctalk/rc4': source('rc4'),
  '@arctalk/dh': source('dh'),
  '@arctalk/protocol': source('protocol'),
};

async function bundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe('default entries bundle for the browser', () => {
  it.each(['rc4', 'dh', 'protocol'])('@arctalk/%s has no node: import and no Node builtin', async (name) => {
    const { inputs, code } = await bundle(source(name));
    expect(inputs.some((input) => input.startsWith('node:'))).toBe(false);
    expect(code).not.toMatch(/\brequire\(["'](node:|crypto|buffer|fs|net)/);
    expect(code.length).toBeGreaterThan(100);
  });
});

describe('two sessions in headless Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  // One test, no beforeAll: a missing browser is this test's one-line failure, never a skip.
  it('handshakes, shows equal SAS and carries text both ways', async () => {
    const found = findBrowser();
    const page = await bundle(fileURLToPath(new URL('../page/main.ts', import.meta.url)));
    const html =
      '<!doctype html><meta charset="utf-8"><title>arctalk</title><script type="module" src="/main.js"></script>';
    server = createServer((request, response) => {
      if (request.url === '/main.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(page.code);
      } else {
        response.writeHead(200, { 'content-type': 'text/html' }).end(html);
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: found.executablePath,
      env: { ...process.env, ...found.env },
      timeout: 30_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });

    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(String(error)));
    await tab.goto(url);
    await tab.waitForFunction(() => 'arctalk' in globalThis);
    const result = (await tab.evaluate(() => {
      const api = (globalThis as unknown as { arctalk: { runConversation: (l: object) => unknown } }).arctalk;
      return api.runConversation({ alice: 'hello from alice ☕', bob: 'hi alice, bob here' });
    })) as ConversationResult;
    const userAgent = await tab.evaluate(() => navigator.userAgent);
    await tab.close();

    expect(errors).toEqual([]);
    expect(userAgent).toMatch(/Chrome/);
    expect(result.sas.alice).toBeTruthy();
    expect(result.sas.alice).toBe(result.sas.bob);
    expect(result.received.bob).toBe('hello from alice ☕');
    expect(result.received.alice).toBe('hi alice, bob here');
    expect(result.positions.alice.sent).toBe(result.positions.bob.received);
    expect(result.positions.bob.sent).toBe(result.positions.alice.received);
    expect(result.events.alice).toContain('secured');
    expect(result.events.bob).toContain('peer-ended');
    expect(result.relayed).toBeGreaterThan(0);
  });
});
