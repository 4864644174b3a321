/**
 * Identifying text with real processes (PROTOCOL.md §1): the same room and
 * passphrase typed in NFC on one machine and NFD on the other (as macOS often
 * produces) meet and agree; bytes that are not UTF-8 are a usage error naming
 * their source, from an argument, the environment or a file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_CLI,
  CLIENT_DIR,
  childEnv,
  cleanup,
  runClient,
  type ServerHandle,
  sasOf,
  startServer,
  within,
} from './helpers.js';

let server: ServerHandle;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'arctalk-nfc-'));
});
afterAll(cleanup);

const nfd = (text: string) => text.normalize('NFD');
const nfc = (text: string) => text.normalize('NFC');

/** Writes a passphrase file (mode 600) holding exactly these bytes plus a newline. */
function passphraseFile(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([Buffer.from(bytes), Buffer.from('\n')]), { mode: 0o600 });
  return path;
}

describe('NFC and NFD spellings meet (two real clients, a real server)', () => {
  const cases = [
    // room typed by alice (NFC) and bob (NFD); passphrase: alice's file NFD, bob's variable NFC
    { word: 'café', how: 'room as arguments, passphrase file NFD vs variable NFC' },
    // Vietnamese (two marks on one letter) and Hangul (jamo when decomposed)
    { word: 'Tiếng Việt', how: 'room from ARCTALK_ROOM, passphrase variable NFD vs file NFC' },
    { word: '한국어', how: 'room as arguments, passphrase variable NFD vs variable NFC' },
  ];
  for (const [index, { word, how }] of cases.entries()) {
    it(`${word}: ${how}`, async () => {
      expect(Buffer.from(nfd(word)).equals(Buffer.from(nfc(word)))).toBe(false);
      const room = `${word} ${process.pid}-${index}`;
      const aliceArgs = [`127.0.0.1:${server.port}`, '--name', nfc('José')];
      const bobArgs = [`127.0.0.1:${server.port}`, '--name', nfd('Zoë')];
      let aliceEnv: Record<string, string> = {};
      let bobEnv: Record<string, string> = {};
      if (index === 0) {
        aliceArgs.push('--room', nfc(room), '--passphrase-file', passphraseFile('a0', nfd(word)));
        bobArgs.push('--room', nfd(room));
        bobEnv = { ARCTALK_PASSPHRASE: nfc(word) };
      } else if (index === 1) {
        aliceEnv = { ARCTALK_ROOM: nfd(room), ARCTALK_PASSPHRASE: nfd(word) };
        bobEnv = { ARCTALK_ROOM: nfc(room) };
        bobArgs.push('--passphrase-file', passphraseFile('b1', nfc(word)));
      } else {
        aliceArgs.push('--room', nfd(room));
        bobArgs.push('--room', nfc(room));
        aliceEnv = { ARCTALK_PASSPHRASE: nfd(word) };
        bobEnv = { ARCTALK_PASSPHRASE: nfc(word) };
      }
      const [alice, bob] = await Promise.all([
        runClient(aliceArgs, { input: `hello from ${word}\n`, env: aliceEnv }, 60_000),
        runClient(bobArgs, { input: '', env: bobEnv }, 60_000),
      ]);
      expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([0, 0]);
      expect(bob.stdout.toString()).toBe(`hello from ${word}\n`);
      expect(sasOf(alice.stderr)).toBeDefined();
      expect(sasOf(alice.stderr)).toBe(sasOf(bob.stderr));
      // Each saw the other's name in NFC.
      expect(alice.stderr).toContain('paired with Zoë');
      expect(alice.stderr).not.toContain(nfd('Zoë'));
      expect(bob.stderr).toContain('paired with José');
    }, 70_000);
  }
});

/** Runs the client through sh, so that arguments and variables can hold raw bytes. */
function runRaw(
  script: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('sh', ['-c', script, 'sh', process.execPath, CLIENT_CLI], {
    cwd: CLIENT_DIR,
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    stderr += text;
  });
  return within(
    new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr }))),
    30_000,
    script,
  );
}

describe('bytes that are not UTF-8: a usage error (exit 2) naming the source, before connecting', () => {
  const run = `"$1" --import tsx "$2" 127.0.0.1:1`;
  it.each([
    ['a lone 0xFF in --room', `${run} --room "$(printf 'caf\\377')"`, '--room'],
    ['Latin-1 é in --name', `${run} --name "$(printf 'Jos\\351')"`, '--name'],
    ['a cut sequence in ARCTALK_ROOM', `ARCTALK_ROOM="$(printf 'caf\\303')" ${run}`, 'ARCTALK_ROOM'],
    ['an overlong / in ARCTALK_NAME', `ARCTALK_NAME="$(printf '\\300\\257')" ${run}`, 'ARCTALK_NAME'],
    [
      'a lone 0xFF in ARCTALK_PASSPHRASE',
      `ARCTALK_PASSPHRASE="$(printf 'pass\\377')" ${run}`,
      'ARCTALK_PASSPHRASE',
    ],
  ])('%s', async (_what, script, source) => {
    const { code, stderr } = await runRaw(script);
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(`arctalk: ${source} is not valid UTF-8`);
    expect(stderr).not.toContain('cannot connect');
  });

  it('a passphrase file holding a lone 0xFF or a UTF-16 surrogate', async () => {
    for (const bytes of [Uint8Array.of(0x70, 0xff), Uint8Array.of(0xed, 0xa0, 0x80)]) {
      const path = passphraseFile('bad', bytes);
      const { code, stderr } = await runRaw(`${run} --passphrase-file '${path}'`);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(`arctalk: --passphrase-file "${path}" is not valid UTF-8`);
    }
  });
});
