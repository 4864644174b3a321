import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG,
  formatAddress,
  LIMITS,
  parseDuration,
  parseHost,
  parseInteger,
  parseLogLevel,
  parseSize,
} from '../src/config.js';
import { parseArgs, program } from '../src/options.js';

describe('config parsers', () => {
  it('parses whole numbers within range and names the setting otherwise', () => {
    expect(parseInteger('port', '0')).toBe(0);
    expect(parseInteger('port', ' 5518 ')).toBe(5518);
    expect(parseInteger('port', '65535')).toBe(65535);
    expect(() => parseInteger('port', '65536')).toThrow(/"port" expected 0\.\.65535, got 65536/);
    for (const bad of ['', '-1', '1.5', '0x10', '12abc', 'NaN', ' ']) {
      expect(() => parseInteger('port', bad)).toThrow(ConfigError);
    }
    expect(() => parseInteger('maxConnections', '0')).toThrow(/"maxConnections" expected 1\.\./);
  });

  it('parses durations with units', () => {
    expect(parseDuration('idleTimeout', '0')).toBe(0);
    expect(parseDuration('handshakeTimeout', '250')).toBe(250);
    expect(parseDuration('handshakeTimeout', '250ms')).toBe(250);
    expect(parseDuration('handshakeTimeout', '10s')).toBe(10_000);
    expect(parseDuration('idleTimeout', '10m')).toBe(600_000);
    expect(parseDuration('idleTimeout', '2h')).toBe(7_200_000);
    expect(() => parseDuration('handshakeTimeout', '0')).toThrow(
      /"handshakeTimeout" expected 1\.\.3600000 ms/,
    );
    for (const bad of ['', '5x', '-5s', '1.5s', 's']) {
      expect(() => parseDuration('idleTimeout', bad)).toThrow(/"idleTimeout" expected a duration/);
    }
  });

  it('parses sizes with binary units', () => {
    expect(parseSize('maxFrameLength', '65536')).toBe(65536);
    expect(parseSize('maxFrameLength', '64KiB')).toBe(65536);
    expect(parseSize('maxFrameLength', '64k')).toBe(65536);
    expect(parseSize('maxFrameLength', '1MiB')).toBe(1 << 20);
    expect(() => parseSize('maxFrameLength', '1')).toThrow(
      /"maxFrameLength" expected 4096\.\.16777216 bytes/,
    );
    expect(() => parseSize('maxFrameLength', '17m')).toThrow(ConfigError);
    expect(() => parseSize('maxFrameLength', 'lots')).toThrow(/expected a size/);
  });

  it('accepts IP literals and host names, refuses the rest', () => {
    expect(parseHost('127.0.0.1')).toBe('127.0.0.1');
    expect(parseHost('::')).toBe('::');
    expect(parseHost('[::1]')).toBe('::1');
    expect(parseHost('localhost')).toBe('localhost');
    expect(parseHost('relay.example.org')).toBe('relay.example.org');
    for (const bad of ['', 'bad host', 'a..b', '-x.org', '[localhost]', 'http://x', '300.1.1.1:80']) {
      expect(() => parseHost(bad), bad).toThrow(/"host" expected an IP address or a host name/);
    }
  });

  it('accepts pino levels only', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('WARN')).toBe('warn');
    expect(() => parseLogLevel('loud')).toThrow(/"logLevel" expected one of fatal, error/);
  });

  it('formats IPv6 addresses in brackets', () => {
    expect(formatAddress('127.0.0.1', 5518)).toBe('127.0.0.1:5518');
    expect(formatAddress('::1', 0)).toBe('[::1]:0');
    expect(formatAddress('localhost', 1)).toBe('localhost:1');
  });

  it('has defaults inside their own limits', () => {
    for (const [name, range] of Object.entries(LIMITS)) {
      const value = DEFAULT_CONFIG[name as keyof typeof DEFAULT_CONFIG] as number | undefined;
      if (value === undefined && name === 'wsPort') continue; // off unless asked for
      expect(value, name).toBeGreaterThanOrEqual(range.min);
      expect(value, name).toBeLessThanOrEqual(range.max);
    }
  });
});

describe('what --max-per-address counts', () => {
  it('an IPv4 address as is, an IPv6 address by its /64', async () => {
    const { addressKey } = await import('../src/server.js');
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0:1:bbbb:cccc:dddd:eeee')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('2001:db8:0:2::1')).not.toBe(addressKey('2001:db8:0:1::1'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('configuration errors as the user sees them', () => {
  /** Runs parseArgs in-process; returns what it wrote to stderr and whether it refused (cli.ts exits 2 then). */
  function parse(args: string[], env: Record<string, string> = {}) {
    const saved = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith('ARCTALK_')) delete process.env[key];
    Object.assign(process.env, env);
    let stderr = '';
    try {
      parseArgs(['node', 'arctalk-server', ...args], {
        writeErr: (text) => {
          stderr += text;
        },
        writeOut: () => {},
      });
      return { stderr, refused: false };
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      return { stderr, refused: error.exitCode !== 0 };
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  /** The API's names of the settings: none may reach a CLI user. */
  const internal = [...Object.keys(DEFAULT_CONFIG), 'maxFrame', 'maxPerAddress'].flatMap((key) => [
    `"${key}"`,
    ...(/[A-Z]/.test(key) ? [key] : []),
  ]);

  const options = program().options.filter((option) => option.envVar !== undefined);
  /** For each value-taking option: a value of the wrong shape and, when it has bounds, one out of them. */
  const bad: Record<string, string[]> = {
    '--host': ['bad host', '[localhost]'],
    '--port': ['abc', '70000', '-1'],
    '--ws-port': ['x', '70000'],
    '--ws-host': ['bad host'],
    '--web': [], // a switch: any value of ARCTALK_WEB turns it on
    '--max-frame': ['lots', '1', '17MiB', '64KB'],
    '--max-connections': ['0', 'many'],
    '--max-per-address': ['0', '1.5'],
    '--handshake-timeout': ['0', 'soon', '2h'],
    '--idle-timeout': ['5x', '-5s'],
    '--close-timeout': ['0', '11m'],
    '--max-buffer': ['2GiB', 'big'],
    '--stall-timeout': ['0', 'later'],
    '--frame-timeout': ['0', '1.5s'],
    '--backlog': ['0', '70000'],
    '--log-level': ['loud'],
    '--redis': ['http://127.0.0.1:6379', 'redis://', '127.0.0.1:6379'],
    '--cluster-host': ['bad host'],
    '--cluster-port': ['70000', 'x'],
    '--cluster-advertise': ['[nope]'],
    '--lease-ttl': ['100ms', 'soon'],
  };

  it('covers every option that takes a value', () => {
    expect(options.map((option) => option.long).sort()).toEqual(Object.keys(bad).sort());
  });

  for (const option of options) {
    const flag = option.long!;
    const env = option.envVar!;
    for (const value of bad[flag] ?? []) {
      it(`${flag} ${value} and ${env}=${value}: "arctalk-server: ", the flag or variable, refused`, () => {
        const viaFlag = parse([flag, value]);
        expect(viaFlag.refused).toBe(true);
        expect(viaFlag.stderr).toMatch(/^arctalk-server: /);
        expect(viaFlag.stderr).toContain(`'${option.flags}' argument '${value}' is invalid`);
        const viaEnv = parse([], { [env]: value });
        expect(viaEnv.refused).toBe(true);
        expect(viaEnv.stderr).toMatch(/^arctalk-server: /);
        expect(viaEnv.stderr).toContain(`value '${value}' from env '${env}' is invalid`);
        for (const { stderr } of [viaFlag, viaEnv]) {
          expect(stderr.split('\n')[0]).toMatch(/expected|Allowed choices/);
          for (const name of internal) expect(stderr).not.toContain(name);
        }
      });
    }
  }

  it('a --max-buffer below --max-frame + 64 KiB names both as given: flag, variable or default', () => {
    const cases: [string[], Record<string, string>, string][] = [
      [
        ['--max-buffer', '64KiB'],
        {},
        '--max-buffer 65536 is too small: expected 0 or at least --max-frame (default 65536) + 65536 = 131072 bytes',
      ],
      [
        ['--max-frame', '1MiB', '--max-buffer', '1MiB'],
        {},
        '--max-buffer 1048576 is too small: expected 0 or at least --max-frame 1048576 + 65536 = 1114112 bytes',
      ],
      [
        [],
        { ARCTALK_MAX_FRAME: '128KiB', ARCTALK_MAX_BUFFER: '64KiB' },
        'ARCTALK_MAX_BUFFER=65536 is too small: expected 0 or at least ARCTALK_MAX_FRAME=131072 + 65536 = 196608 bytes',
      ],
      [
        ['--max-buffer', '100000'],
        { ARCTALK_MAX_FRAME: '64KiB' },
        '--max-buffer 100000 is too small: expected 0 or at least ARCTALK_MAX_FRAME=65536 + 65536',
      ],
    ];
    for (const [args, env, message] of cases) {
      const { stderr, refused } = parse(args, env);
      expect(refused, message).toBe(true);
      expect(stderr).toMatch(/^arctalk-server: /);
      expect(stderr).toContain(message);
      for (const name of internal) expect(stderr).not.toContain(name);
    }
    expect(parse(['--max-buffer', '0'])).toEqual({ stderr: '', refused: false });
    expect(parse(['--max-buffer', '128KiB'])).toEqual({ stderr: '', refused: false });
  });

  it('unknown options and stray arguments start with "arctalk-server: " too', () => {
    for (const args of [['--bogus'], ['extra'], ['--port']]) {
      const { stderr, refused } = parse(args);
      expect(refused, args.join(' ')).toBe(true);
      expect(stderr, args.join(' ')).toMatch(/^arctalk-server: /);
      expect(stderr).toContain('arctalk-server --help');
    }
  });
});
