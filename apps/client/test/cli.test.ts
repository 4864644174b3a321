import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runClient } from './helpers.js';

afterAll(cleanup);

describe('arctalk command line', () => {
  it('--help documents the options, environment, modes and exit codes, and exits 0', async () => {
    const { code, stdout } = await runClient(['--help']);
    expect(code).toBe(0);
    const help = stdout.toString();
    for (const text of [
      'Usage: arctalk [options] [HOST:PORT]',
      '--room',
      '--name',
      '--group',
      '--passphrase-file',
      '--live',
      '--version',
      'ARCTALK_SERVER',
      'ARCTALK_ROOM',
      'ARCTALK_NAME',
      'ARCTALK_PASSPHRASE',
      'NO_COLOR',
      '127.0.0.1:5518',
      'Exit codes:',
      '3  cannot connect to the server',
      '5  authentication failed / tampering detected',
      '6  peer left',
    ]) {
      expect(help).toContain(text);
    }
    expect(help).not.toMatch(/--passphrase </);
  });

  it('--version prints the version', async () => {
    const { code, stdout } = await runClient(['--version']);
    expect(code).toBe(0);
    expect(stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('usage errors exit 2 with one line on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /unknown option '--bogus'/],
      [['--passphrase', 'hunter2'], /no --passphrase: other users can read command lines/],
      [['host:99999'], /port must be 1\.\.65535/],
      [['--group', 'dh1024'], /--group/],
      [['--passphrase-file', '/nonexistent/arctalk-pass'], /cannot read --passphrase-file .*ENOENT/],
      [['--name', 'x'.repeat(33)], /name must be at most 32 bytes/],
      [['a', 'b'], /too many arguments|excess/i],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        const { code, stderr } = await runClient(args);
        expect(code, args.join(' ')).toBe(2);
        expect(stderr, args.join(' ')).toMatch(message);
        // Commander's own errors too: the message, then the hint, both marked as ours.
        expect(stderr, args.join(' ')).toMatch(/^arctalk: .+\narctalk: try 'arctalk --help'\n$/);
      }),
    );
  });
});
