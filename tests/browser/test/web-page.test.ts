/**
 * The arctalk web page (apps/web) in headless Chromium, against the real relay
 * (`arctalk-server --ws-port 0 --web`, a process) and a real terminal client
 * (`arctalk` in pipe mode, a process): SAS equal on both sides, text both ways, a
 * passphrase, a 1 MiB paste, the tab closing. A screenshot of the page after a short
 * conversation is kept in tests/browser/artifacts/ (and, with
 * ARCTALK_UPDATE_SCREENSHOT=1, written to docs/web-page.png for the manual).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../../../apps/web/build';
import { findBrowser } from '../find-browser';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
const children = new Set<ChildProcess>();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
async function waitUntil(check: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The environment for children: ours without ARCTALK_* settings. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('ARCTALK_')) env[key] = value;
  return { ...env, ...extra };
}

/** `arctalk-server` from source: resolves with its two ports from the two `listening on` lines. */
async function startRelay() {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@arctalk/source',
      '--import',
      'tsx',
      'src/cli.ts',
      '--port',
      '0',
      '--ws-port',
      '0',
      '--web',
      '--log-level',
      'warn',
    ],
    { cwd: `${root}apps/server`, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (err += text));
  const lines = await new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (text: string) => {
      out += text;
      const lines = out.split('\n');
      if (lines.length >= 3) resolve(lines);
    });
    child.once('exit', (code) => reject(new Error(`arctalk-server exited (${code}): ${err}`)));
  });
  const tcp = /^listening on 127\.0\.0\.1:(\d+)$/.exec(lines[0]!);
  const ws = /^listening on (ws:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(lines[1]!);
  if (!tcp || !ws) throw new Error(`unexpected output: ${out}`);
  return { tcpPort: Number(tcp[1]), wsUrl: ws[1]!, httpUrl: `http://127.0.0.1:${ws[2]}/` };
}

/** `arctalk` in pipe mode, from source, stdin kept open. */
function startTerminal(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@arctalk/source', '--import', 'tsx', 'src/cli.tsx', ...args],
    { cwd: `${root}apps/client`, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  children.add(child);
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (err += text));
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    sas: () => /^arctalk: SAS: (.+)$/m.exec(err)?.[1],
    write: (text: string) => child.stdin!.write(text),
    end: () => child.stdin!.end(),
    exited,
  };
}

let browser: Browser | undefined;
let relay: Awaited<ReturnType<typeof startRelay>>;
let pagePath: string;

beforeAll(async () => {
  // The page as `pnpm build` makes it (apps/web/dist/index.html), which --web serves from source.
  pagePath = (await buildPage()).path;
  relay = await startRelay();
  const found = findBrowser();
  browser = await chromium.launch({
    executablePath: found.executablePath,
    env: { ...process.env, ...found.env },
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGKILL');
});

async function openTab(url: string): Promise<{ tab: Page; problems: string[] }> {
  const tab = await browser!.newPage({ viewport: { width: 1100, height: 760 } });
  const problems: string[] = [];
  tab.on('pageerror', (error) => problems.push(String(error)));
  // A CSP violation is reported on the console: none may happen.
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await tab.goto(url);
  return { tab, problems };
}

const text = async (tab: Page, selector: string) => (await tab.locator(selector).textContent()) ?? '';

describe('the web page and a terminal client, through the real relay', () => {
  it('served by the relay (--web): equal SAS, "they match", lines both ways; closing the tab is the peer leaving', async () => {
    const terminal = startTerminal([
      `127.0.0.1:${relay.tcpPort}`,
      '--room',
      'web-1',
      '--name',
      'terminal',
      '--unverified',
    ]);
    const { tab, problems } = await openTab(relay.httpUrl);
    // The relay's own address is the default when the page comes from the relay.
    expect(await tab.inputValue('#relay')).toBe(relay.wsUrl);
    await tab.fill('#room', 'web-1');
    await tab.fill('#name', 'browser');
    await tab.click('#connect');
    await tab.locator('#sas').filter({ hasText: /\w/ }).waitFor({ timeout: 30_000 });
    await waitUntil(() => terminal.sas() !== undefined, 30_000, 'the terminal SAS');
    expect(await text(tab, '#sas')).toBe(terminal.sas());
    expect(await text(tab, '#status')).toMatch(/^unverified/);
    await tab.click('#sas-match');
    expect(await text(tab, '#status')).toMatch(/^verified: you compared the words with terminal/);
    expect(await tab.locator('#sas-actions').isHidden()).toBe(true);

    await tab.fill('#input', 'hello from the browser ☕');
    await tab.press('#input', 'Enter');
    await waitUntil(
      () => terminal.stdout().toString().includes('hello from the browser ☕\n'),
      20_000,
      'the line',
    );
    terminal.write('hello from the terminal, café\n');
    await tab
      .locator('#theirs')
      .filter({ hasText: 'hello from the terminal, café' })
      .waitFor({ timeout: 20_000 });
    await tab.fill('#input', 'see you');
    await tab.press('#input', 'Enter');
    terminal.write('bye!\n');
    await tab.locator('#theirs').filter({ hasText: 'bye!' }).waitFor({ timeout: 20_000 });
    expect(await text(tab, '#mine')).toBe('hello from the browser ☕\nsee you\n');

    mkdirSync(artifacts, { recursive: true });
    const shot = `${artifacts}web-page.png`;
    await tab.screenshot({ path: shot });
    if (process.env.ARCTALK_UPDATE_SCREENSHOT === '1') copyFileSync(shot, `${root}docs/web-page.png`);

    await tab.close(); // the tab closes: for the terminal, the peer left
    expect(await terminal.exited).toBe(6);
    expect(terminal.stderr()).toMatch(/arctalk: browser left before ending the conversation/);
    expect(problems).toEqual([]);
  });

  it('opened from a file, with a passphrase in the link: verified by it; a 1 MiB paste arrives whole; both end cleanly', async () => {
    const passphrase = 'correct horse battery staple';
    const terminal = startTerminal([`127.0.0.1:${relay.tcpPort}`, '--room', 'web-2', '--name', 'terminal'], {
      ARCTALK_PASSPHRASE: passphrase,
    });
    const link = `${pathToFileURL(pagePath).href}#relay=${encodeURIComponent(relay.wsUrl)}&room=web-2&passphrase=${encodeURIComponent(passphrase)}`;
    const { tab, problems } = await openTab(link);
    // The passphrase left the address bar once read.
    expect(tab.url()).not.toContain('passphrase');
    expect(tab.url()).toContain('room=web-2');
    expect(await tab.inputValue('#room')).toBe('web-2');
    await tab.fill('#name', 'browser');
    await tab.click('#connect');
    await tab
      .locator('#status')
      .filter({ hasText: 'verified: terminal knows the passphrase' })
      .waitFor({ timeout: 30_000 });
    await waitUntil(() => terminal.sas() !== undefined, 30_000, 'the terminal SAS');
    expect(await text(tab, '#sas')).toBe(terminal.sas());
    expect(await tab.locator('#sas-actions').isHidden()).toBe(true); // nothing to decide

    // 1 MiB pasted in the box, sent with Enter, arrives byte for byte.
    const line = 'the quick brown fox jumps over the lazy dog 0123456789 ÅÉÎ ☕\n';
    const lines = Math.ceil((1024 * 1024) / Buffer.byteLength(line));
    const paste = line.repeat(lines).slice(0, -1); // Enter adds the last newline
    const expected = Buffer.from(`${paste}\n`);
    // As a paste leaves it: the whole text in the box at once (Playwright's fill types
    // it through the input method, minutes for 1 MiB).
    await tab.locator('#input').evaluate((box: HTMLTextAreaElement, value: string) => {
      box.value = value;
      box.dispatchEvent(new InputEvent('input', { inputType: 'insertFromPaste' }));
    }, paste);
    await tab.press('#input', 'Enter');
    await waitUntil(() => terminal.stdout().length >= expected.length, 60_000, '1 MiB at the terminal');
    const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(terminal.stdout().length).toBe(expected.length);
    expect(sha(terminal.stdout())).toBe(sha(expected));

    // The terminal sends 200 KB and ends; the browser shows it whole, then leaves: exit 0.
    const reply = 'x'.repeat(199_999);
    terminal.write(`${reply}\n`);
    terminal.end();
    await tab
      .locator('#notice')
      .filter({ hasText: 'terminal has finished sending' })
      .waitFor({ timeout: 30_000 });
    expect(await text(tab, '#theirs')).toBe(`${reply}\n`);
    await tab.click('#leave');
    expect(await terminal.exited).toBe(0);
    expect(await text(tab, '#status')).toBe('ended');
    await tab.close();
    expect(problems).toEqual([]);
  });

  it('live mode: every key goes as typed, an erase as 0x7f; "they differ" ends it at once', async () => {
    const terminal = startTerminal([
      `127.0.0.1:${relay.tcpPort}`,
      '--room',
      'web-3',
      '--name',
      'terminal',
      '--unverified',
    ]);
    const { tab, problems } = await openTab(`${relay.httpUrl}#room=web-3&name=browser&mode=live`);
    await tab.click('#connect');
    await tab.locator('#sas').filter({ hasText: /\w/ }).waitFor({ timeout: 30_000 });
    await tab.locator('#input').pressSequentially('hi');
    await tab.press('#input', 'Backspace');
    await tab.locator('#input').pressSequentially('ey');
    await tab.press('#input', 'Enter');
    await waitUntil(() => terminal.stdout().toString() === 'hi\x7fey\n', 20_000, 'the keystrokes');
    expect(await text(tab, '#mine')).toBe('hey\n');
    expect(await tab.inputValue('#input')).toBe(''); // live: nothing waits in the box
    await tab.click('#sas-differ');
    expect(await text(tab, '#status')).toBe('the words differ: someone may be in the middle');
    expect(await tab.locator('#input').isDisabled()).toBe(true);
    expect(await terminal.exited).toBe(6); // gone without an END
    await tab.close();
    expect(problems).toEqual([]);
  });
});
