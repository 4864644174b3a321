/**
 * bench/flood-bench.ts fails clearly and leaves nothing behind (it once crashed and
 * then hung inside `pnpm bench`): a server that cannot start, or one that dies in the
 * middle of a scenario, ends the bench with exit code 1, a message naming what failed,
 * and no child process left running.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_DIR, within } from './helpers.js';

/** Runs the flood bench with `args`; resolves with its exit code and output. */
function bench(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--conditions=@arctalk/source', '--import', 'tsx', 'bench/flood-bench.ts', ...args],
    { cwd: SERVER_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, output })),
  );
  return { pid: child.pid!, exited };
}

/** Processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.split(') ')[1]!.split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('flood bench robustness', () => {
  it('a server that cannot start: exit 1 at once, the failure named', async () => {
    const { exited } = bench(['--quick', '--only=ping', '--server-dir=/nonexistent-arctalk-server']);
    const { code, output } = await within(exited, 60_000, 'the bench to exit');
    expect(code).toBe(1);
    expect(output).toMatch(/flood bench FAILED: server did not start: spawn .*ENOENT/);
  }, 70_000);

  it('a server killed mid-scenario: exit 1, the failure named, no child left running', async () => {
    // The server gets an option that makes it exit after 3 s (--max-old-space-size is
    // what the scenario passes; BENCH_SERVER_NODE_ARGS adds ours): it dies mid-flood.
    const { pid, exited } = bench(['--quick', '--only=accept'], {
      BENCH_SERVER_NODE_ARGS: `--require=${SERVER_DIR}test/fixtures/exit-after-3s.cjs`,
    });
    const seen = new Set<number>();
    const watcher = setInterval(() => {
      for (const child of childrenOf(pid)) seen.add(child);
    }, 200);
    const { code, output } = await within(exited, 120_000, 'the bench to exit').finally(() =>
      clearInterval(watcher),
    );
    expect(code).toBe(1);
    expect(output).toMatch(/flood bench FAILED/);
    expect(seen.size).toBeGreaterThan(0); // it did start children
    await new Promise((resolve) => setTimeout(resolve, 500));
    // still running (a zombie waiting for its new parent to reap it does not count)
    const alive = [...seen].filter((child) => {
      try {
        return readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
      } catch {
        return false; // gone
      }
    });
    expect(alive).toEqual([]);
  }, 130_000);
});
