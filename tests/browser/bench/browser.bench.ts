/**
 * Browser throughput (`pnpm bench`): the libraries' default entries in headless
 * Chromium (found as the browser test finds it: CHROMIUM_PATH, a system Chromium,
 * else @sparticuz/chromium), timed by page/bench.ts in interleaved rounds. Prints
 * MB/s as median (min–max) and, where Web Crypto has the same operation (HMAC-SHA256,
 * SHA-256), the ratio to it per round. A benchmark, not a test: nothing is asserted
 * about speed.
 *
 * Environment: ROUNDS (default 7), ROUND_MS (default 150).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';
import { findBrowser } from '../find-browser';
import type { BenchRow } from '../page/bench';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUND_MS = Number(process.env.ROUND_MS ?? 150);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const source = (name: string) => `${root}packages/${name}/src/index.ts`;

const result = await build({
  entryPoints: [fileURLToPath(new URL('../page/bench.ts', import.meta.url))],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  alias: {
    '@arctalk/rc4': source('rc4'),
    '@arctalk/dh': source('dh'),
    '@arctalk/protocol': source('protocol'),
    // the exact @noble/hashes the protocol depends on
    '@noble/hashes': `${root}packages/protocol/node_modules/@noble/hashes`,
  },
  logLevel: 'silent',
});
const code = result.outputFiles[0]!.text;
const html =
  '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/bench.js"></script>';
const server = createServer((request, response) => {
  if (request.url === '/bench.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
  else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const found = findBrowser();
const browser = await chromium.launch({
  executablePath: found.executablePath,
  env: { ...process.env, ...found.env },
  timeout: 60_000,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const tab = await browser.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(String(error)));
  await tab.goto(url);
  await tab.waitForFunction(() => 'arctalkBench' in globalThis);
  const userAgent = await tab.evaluate(() => navigator.userAgent);
  console.log('Browser benchmark: the default (browser) entries in headless Chromium');
  console.log(machineLine());
  console.log(
    `${userAgent.replace(/^.*(HeadlessChrome\/[\d.]+|Chrome\/[\d.]+).*$/, '$1')} (${found.source}); ${ROUNDS} interleaved rounds of ${ROUND_MS} ms; MB/s = 10^6 bytes per second of wall time; median (min–max)\n`,
  );
  tab.setDefaultTimeout(600_000);
  const rows = (await tab.evaluate(
    ([rounds, ms]) =>
      (
        globalThis as unknown as { arctalkBench: { runBench: (r: number, m: number) => Promise<unknown> } }
      ).arctalkBench.runBench(rounds, ms),
    [ROUNDS, ROUND_MS] as const,
  )) as BenchRow[];
  if (errors.length > 0) throw new Error(errors.join('\n'));
  for (const row of rows) {
    const mine = spread(row.rates);
    let line = `${row.name.padEnd(56)} ${formatSpread(mine, mine.median < 10 ? 2 : 0).padStart(18)} MB/s`;
    if (row.reference) {
      const ratio = spread(row.rates.map((x, i) => x / row.reference![i]!));
      line += `   ${row.referenceName}: ${formatSpread(spread(row.reference), 0)} MB/s, ratio ${formatSpread(ratio)}x`;
    }
    console.log(line);
  }
  console.log(loadLine());
} finally {
  await browser.close();
  server.close();
}
