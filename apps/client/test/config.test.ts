import { describe, expect, it } from 'vitest';
import {
  type ConfigDeps,
  DEFAULT_PORT,
  formatAddress,
  parseAddress,
  resolveConfig,
  UsageError,
} from '../src/config.js';

const files: Record<string, Uint8Array> = {
  'pass.txt': new TextEncoder().encode('correct horse\n'),
  'crlf.txt': new TextEncoder().encode('secret\r\n'),
  'empty.txt': new Uint8Array(0),
  'newline.txt': new TextEncoder().encode('\n'),
};
const warnings: string[] = [];
const deps: ConfigDeps = {
  readFile: (path) => {
    const file = files[path];
    if (!file) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return file;
  },
  username: () => 'alice',
  fileMode: (path) => (path === 'pass.txt' ? 0o100644 : 0o100600),
  warn: (message) => warnings.push(message),
};
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

describe('parseAddress', () => {
  it('accepts host:port, host, :port and bracketed IPv6', () => {
    expect(parseAddress('example.org:7000', DEFAULT_PORT)).toEqual({ host: 'example.org', port: 7000 });
    expect(parseAddress('example.org', DEFAULT_PORT)).toEqual({ host: 'example.org', port: DEFAULT_PORT });
    expect(parseAddress(':7000', DEFAULT_PORT)).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseAddress('', DEFAULT_PORT)).toEqual({ host: '127.0.0.1', port: DEFAULT_PORT });
    expect(parseAddress('[::1]:7000', DEFAULT_PORT)).toEqual({ host: '::1', port: 7000 });
    expect(parseAddress('[::1]', DEFAULT_PORT)).toEqual({ host: '::1', port: DEFAULT_PORT });
  });

  it('takes a bare number as a port on the default host, never as a host', () => {
    for (const [text, port] of [
      ['5518', 5518],
      ['7000', 7000],
      [' 1 ', 1],
      ['65535', 65535],
      ['08080', 8080],
    ] as const) {
      expect(parseAddress(text, DEFAULT_PORT), text).toEqual({ host: '127.0.0.1', port });
    }
    for (const bad of ['0', '65536', '99999', '3232235777']) {
      expect(() => parseAddress(bad, DEFAULT_PORT), bad).toThrow(/port must be 1\.\.65535/);
    }
  });

  it('rejects bad ports, bare IPv6 and odd host names', () => {
    for (const bad of ['h:0', 'h:65536', 'h:port', 'h:', '::1', 'a b:1', 'h:-1', 'h:123456']) {
      expect(() => parseAddress(bad, DEFAULT_PORT), bad).toThrow(UsageError);
    }
  });

  it('formats IPv6 in brackets', () => {
    expect(formatAddress('::1', 1)).toBe('[::1]:1');
    expect(formatAddress('h', 2)).toBe('h:2');
  });
});

describe('resolveConfig', () => {
  it('--port sets the port, with a host or ARCTALK_SERVER, and must agree with a port given twice', () => {
    expect(resolveConfig('example.org', { port: '7000' }, {}, deps).address).toBe('example.org:7000');
    expect(resolveConfig(undefined, { port: '7000' }, {}, deps).address).toBe('127.0.0.1:7000');
    expect(resolveConfig(undefined, { port: '7000' }, { ARCTALK_SERVER: 'h' }, deps).address).toBe('h:7000');
    expect(resolveConfig('h:7000', { port: '7000' }, {}, deps).address).toBe('h:7000');
    expect(resolveConfig('7000', {}, {}, deps).address).toBe('127.0.0.1:7000');
    expect(() => resolveConfig('h:7001', { port: '7000' }, {}, deps)).toThrow(/--port 7000 contradicts/);
    expect(() => resolveConfig('7001', { port: '7000' }, {}, deps)).toThrow(/--port 7000 contradicts/);
    for (const bad of ['0', 'x', '65536', '']) {
      expect(() => resolveConfig(undefined, { port: bad }, {}, deps), bad).toThrow(UsageError);
    }
  });

  it('has documented defaults', () => {
    const c = resolveConfig(undefined, {}, {}, deps);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      address: `127.0.0.1:${DEFAULT_PORT}`,
      room: 'lobby',
      name: 'alice',
      group: 'ffdhe2048',
      minGroupBits: 2048,
      passphrase: undefined,
      live: false,
      quiet: false,
      connectTimeoutMs: 10_000,
      keepaliveMs: 30_000,
    });
  });

  it('takes the environment, and the command line over it', () => {
    const env = { ARCTALK_SERVER: 'env.host:1', ARCTALK_ROOM: 'envroom', ARCTALK_NAME: 'envname' };
    expect(resolveConfig(undefined, {}, env, deps)).toMatchObject({
      address: 'env.host:1',
      room: 'envroom',
      name: 'envname',
    });
    expect(resolveConfig('cli.host:2', { room: 'r', name: 'n' }, env, deps)).toMatchObject({
      address: 'cli.host:2',
      room: 'r',
      name: 'n',
    });
  });

  it('limits names to 32 bytes of UTF-8 without controls, and trims a long login name', () => {
    expect(resolveConfig(undefined, { name: 'é'.repeat(16) }, {}, deps).name).toBe('é'.repeat(16));
    expect(() => resolveConfig(undefined, { name: 'é'.repeat(17) }, {}, deps)).toThrow(/at most 32 bytes/);
    expect(() => resolveConfig(undefined, { name: '' }, {}, deps)).toThrow(/empty/);
    expect(() => resolveConfig(undefined, { name: 'bob\x1b[2J' }, {}, deps)).toThrow(/control/);
    expect(() => resolveConfig(undefined, { room: 'x'.repeat(65) }, {}, deps)).toThrow(/at most 64/);
    const long = resolveConfig(undefined, {}, {}, { ...deps, username: () => 'ü'.repeat(40) });
    expect(long.name).toBe('ü'.repeat(16));
    expect(resolveConfig(undefined, {}, {}, { ...deps, username: () => undefined }).name).toBe('anonymous');
  });

  it('reads the passphrase file, strips one newline, warns when others can read it', () => {
    warnings.length = 0;
    expect(text(resolveConfig(undefined, { passphraseFile: 'pass.txt' }, {}, deps).passphrase)).toBe(
      'correct horse',
    );
    expect(warnings).toEqual([
      'warning: passphrase file "pass.txt" is readable by other users (chmod 600 it)',
    ]);
    expect(text(resolveConfig(undefined, { passphraseFile: 'crlf.txt' }, {}, deps).passphrase)).toBe(
      'secret',
    );
    expect(warnings).toHaveLength(1);
    expect(() => resolveConfig(undefined, { passphraseFile: 'empty.txt' }, {}, deps)).toThrow(/empty/);
    expect(() => resolveConfig(undefined, { passphraseFile: 'newline.txt' }, {}, deps)).toThrow(/empty/);
    expect(() => resolveConfig(undefined, { passphraseFile: 'missing' }, {}, deps)).toThrow(/ENOENT/);
  });

  it('takes ARCTALK_PASSPHRASE, the file winning over it; an empty variable is unset', () => {
    expect(text(resolveConfig(undefined, {}, { ARCTALK_PASSPHRASE: 'from env' }, deps).passphrase)).toBe(
      'from env',
    );
    expect(
      text(
        resolveConfig(undefined, { passphraseFile: 'crlf.txt' }, { ARCTALK_PASSPHRASE: 'x' }, deps)
          .passphrase,
      ),
    ).toBe('secret');
    expect(resolveConfig(undefined, {}, { ARCTALK_PASSPHRASE: '' }, deps).passphrase).toBeUndefined();
  });

  it('checks the group, the minimum group size and the timeout', () => {
    expect(resolveConfig(undefined, { group: 'FFDHE3072' }, {}, deps).group).toBe('ffdhe3072');
    expect(() => resolveConfig(undefined, { group: 'dh1024' }, {}, deps)).toThrow(/unknown --group/);
    expect(resolveConfig(undefined, { minGroupBits: '3072' }, {}, deps)).toMatchObject({
      minGroupBits: 3072,
      group: 'ffdhe3072',
    });
    expect(resolveConfig(undefined, { minGroupBits: '4000' }, {}, deps).group).toBe('ffdhe4096');
    expect(() => resolveConfig(undefined, { minGroupBits: '3072', group: 'modp2048' }, {}, deps)).toThrow(
      /--group modp2048 has 2048 bits, below --min-group-bits 3072/,
    );
    expect(() => resolveConfig(undefined, { minGroupBits: '9000' }, {}, deps)).toThrow(
      /ffdhe8192 has 8192 bits/,
    );
    expect(() => resolveConfig(undefined, { minGroupBits: 'lots' }, {}, deps)).toThrow(/--min-group-bits/);
    expect(resolveConfig(undefined, { connectTimeout: '3' }, {}, deps).connectTimeoutMs).toBe(3000);
    expect(() => resolveConfig(undefined, { connectTimeout: '0' }, {}, deps)).toThrow(/--connect-timeout/);
    expect(resolveConfig(undefined, { keepalive: '0' }, {}, deps).keepaliveMs).toBe(0);
    expect(() => resolveConfig(undefined, { keepalive: '-1' }, {}, deps)).toThrow(/--keepalive/);
  });
});

describe('identifying text: strict UTF-8 and NFC from every source (PROTOCOL.md §1)', () => {
  const nfd = (value: string) => value.normalize('NFD');
  const hexOf = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
  const bytesFiles: Record<string, Uint8Array> = {
    'nfc.txt': Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0a), // café, precomposed
    'nfd.txt': Uint8Array.of(0x63, 0x61, 0x66, 0x65, 0xcc, 0x81, 0x0a), // café, decomposed
    'bom.txt': Uint8Array.of(0xef, 0xbb, 0xbf, 0x63, 0x61, 0x66, 0xc3, 0xa9),
    'ff.txt': Uint8Array.of(0x63, 0x61, 0x66, 0xff),
    'cut.txt': Uint8Array.of(0x63, 0x61, 0x66, 0xc3),
    'overlong.txt': Uint8Array.of(0xc0, 0xaf),
    'surrogate.txt': Uint8Array.of(0xed, 0xa0, 0x80),
    'latin1.txt': Uint8Array.of(0x63, 0x61, 0x66, 0xe9),
  };
  const fileDeps: ConfigDeps = { ...deps, readFile: (path) => bytesFiles[path] ?? deps.readFile(path) };

  it('a passphrase file in NFC or NFD (or with a BOM) gives the same NFC bytes', () => {
    for (const file of ['nfc.txt', 'nfd.txt', 'bom.txt']) {
      expect(hexOf(resolveConfig(undefined, { passphraseFile: file }, {}, fileDeps).passphrase), file).toBe(
        '636166c3a9',
      );
    }
  });

  it('ARCTALK_PASSPHRASE in NFD gives the same bytes as in NFC, and as the file', () => {
    for (const word of ['café', 'Tiếng Việt', '한국어', 'Åström']) {
      const fromNfd = resolveConfig(undefined, {}, { ARCTALK_PASSPHRASE: nfd(word) }, deps).passphrase;
      const fromNfc = resolveConfig(undefined, {}, { ARCTALK_PASSPHRASE: word }, deps).passphrase;
      expect(hexOf(fromNfd), word).toBe(hexOf(fromNfc));
      expect(hexOf(fromNfc), word).toBe(Buffer.from(word.normalize('NFC')).toString('hex'));
    }
  });

  it('a passphrase file that is not UTF-8 is a usage error naming the file', () => {
    for (const file of ['ff.txt', 'cut.txt', 'overlong.txt', 'surrogate.txt', 'latin1.txt']) {
      expect(() => resolveConfig(undefined, { passphraseFile: file }, {}, fileDeps), file).toThrow(
        new UsageError(`--passphrase-file "${file}" is not valid UTF-8 (save it as UTF-8 text)`),
      );
    }
  });

  it('room and name in NFD, from the command line or the environment, are sent in NFC', () => {
    for (const word of ['café', 'Tiếng Việt', '한국어', 'Ἀθῆναι']) {
      const want = word.normalize('NFC');
      expect(resolveConfig(undefined, { room: nfd(word) }, {}, deps).room).toBe(want);
      expect(resolveConfig(undefined, {}, { ARCTALK_ROOM: nfd(word) }, deps).room).toBe(want);
      expect(resolveConfig(undefined, { name: nfd(word) }, {}, deps).name).toBe(want);
      expect(resolveConfig(undefined, {}, { ARCTALK_NAME: nfd(word) }, deps).name).toBe(want);
    }
    // 16 × é: 48 bytes decomposed, 32 composed: within the 32-byte limit once in NFC.
    expect(resolveConfig(undefined, { name: nfd('é'.repeat(16)) }, {}, deps).name).toBe('é'.repeat(16));
    // The login name default too.
    expect(resolveConfig(undefined, {}, {}, { ...deps, username: () => nfd('josé') }).name).toBe('josé');
    expect(resolveConfig(undefined, {}, {}, { ...deps, username: () => 'jos\ufffd' }).name).toBe('jos');
  });

  it('invalid bytes in an argument or variable (decoded by Node as U+FFFD) are a usage error naming it', () => {
    const bad = 'caf\ufffd';
    const cases: [Parameters<typeof resolveConfig>[1], Record<string, string>, string][] = [
      [{ room: bad }, {}, '--room'],
      [{}, { ARCTALK_ROOM: bad }, 'ARCTALK_ROOM'],
      [{ name: bad }, {}, '--name'],
      [{}, { ARCTALK_NAME: bad }, 'ARCTALK_NAME'],
      [{}, { ARCTALK_PASSPHRASE: bad }, 'ARCTALK_PASSPHRASE'],
      [{ room: 'lone \ud800 surrogate' }, {}, '--room'],
    ];
    for (const [options, env, source] of cases) {
      expect(() => resolveConfig(undefined, options, env, deps), source).toThrow(
        new UsageError(`${source} is not valid UTF-8 (check the terminal's or the file's encoding)`),
      );
    }
  });
});
