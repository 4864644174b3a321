/**
 * Writes the recorded transcripts test/vectors/session-*.json.
 *   pnpm exec tsx packages/protocol/test/vectors/generate.ts      (from the repo root)
 * Randomness: each party's stream is SHA-256(seed || u32 counter) blocks; the JSON
 * stores the exact bytes consumed, so a replay needs no generator. Re-running this
 * script must reproduce the files byte for byte unless the wire format changed.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hex, seededRandom } from '../helpers';
import { runScenario, type ScenarioInput, type Step } from './scenario';

const script: Step[] = [
  { from: 'alice', send: 'Hello, Bob!\n' },
  { from: 'bob', send: 'Hi Alice. Fine day.\n' },
  { from: 'alice', send: 'Bye.\n' },
  { from: 'alice', end: true },
  { from: 'bob', send: 'Bye!\n' },
  { from: 'bob', end: true },
];

const cases: { file: string; description: string; group?: string; passphrase?: string; room?: string }[] = [
  {
    file: 'session-plain.json',
    description: 'ffdhe2048, no code or passphrase (CPace PRS empty), text both ways, END both ways',
  },
  {
    file: 'session-code.json',
    description:
      'ffdhe2048 with the code "7-purple-sausage": room "7" (the number the relay allocated), PRS the whole code',
    room: '7',
    passphrase: '7-purple-sausage',
  },
  {
    file: 'session-passphrase.json',
    description: 'ffdhe2048 with the passphrase "correct horse battery staple" as CPace PRS',
    passphrase: 'correct horse battery staple',
  },
  {
    file: 'session-ffdhe3072.json',
    description: 'ffdhe3072 proposed by the initiator, no passphrase',
    group: 'ffdhe3072',
  },
];

for (const c of cases) {
  // First pass with seeded randomness records how many bytes each party consumes.
  const streams = {
    alice: seededRandom(`arctalk vector ${c.file} alice`),
    bob: seededRandom(`arctalk vector ${c.file} bob`),
  };
  const party = (name: 'alice' | 'bob') => ({
    name,
    ...(c.group ? { group: c.group } : {}),
    ...(c.passphrase ? { passphrase: c.passphrase } : {}),
  });
  // 32 nonce bytes + the secret key draw; take generously, then trim to what was used.
  const pool = { alice: hex(streams.alice(4096)), bob: hex(streams.bob(4096)) };
  const probe: ScenarioInput = {
    room: c.room ?? 'lobby',
    alice: { ...party('alice'), random: pool.alice },
    bob: { ...party('bob'), random: pool.bob },
    script,
  };
  const used = { alice: 0, bob: 0 };
  const first = runScenario(probe, (who, n) => {
    used[who] += n;
  });
  const input: ScenarioInput = {
    room: c.room ?? 'lobby',
    alice: { ...party('alice'), random: pool.alice.slice(0, used.alice * 2) },
    bob: { ...party('bob'), random: pool.bob.slice(0, used.bob * 2) },
    script,
  };
  const output = runScenario(input);
  if (JSON.stringify(output) !== JSON.stringify(first)) throw new Error('trimmed replay differs');
  const json = { description: c.description, input, ...output };
  const path = fileURLToPath(new URL(c.file, import.meta.url));
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${c.file}: ${output.wire.length} frames, SAS "${output.derived.sas}"`);
}
