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
      const value = DEFAULT_CONFIG[name as keyof typeof DEFAULT_CONFIG] as number;
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
