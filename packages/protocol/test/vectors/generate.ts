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

interface Case {
  file: string;
  description: string;
  group?: string;
  passphrase?: string;
  room?: string;
  /** display names as given to ClientSession (any normalisation form); default alice, bob */
  names?: { alice: string; bob: string };
  script?: Step[];
  /** the relay's frame cap (default 65536) */
  relayMaxFrameLength?: number;
  /** search the seeds (suffix 0, 1, ...) for the first whose SAS has a capitalised word */
  capitalisedSas?: boolean;
}

/** One text of 5000 bytes: through a 2048-byte cap, two full DATA frames of 2023 bytes and one of 954 (§6.1). */
const longText = Array.from(
  { length: 100 },
  (_, i) => `line ${String(i).padStart(2, '0')}: ${'x'.repeat(40)}\n`,
)
  .join('')
  .slice(0, 5000);

const cases: Case[] = [
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
  {
    file: 'session-unicode.json',
    description:
      'ffdhe2048; room, both display names and the passphrase are non-ASCII and given DECOMPOSED (NFD): ' +
      'the sessions send and hash their NFC forms (PROTOCOL.md §1); the SAS has a capitalised word (§5.3)',
    room: 'Cafe\u0301 Mu\u0308ller',
    names: { alice: 'Zoe\u0308', bob: 'Ha\u0302\u0301n 李' },
    passphrase: 'cre\u0300me bru\u0302le\u0301e',
    script: [
      { from: 'alice', send: 'Grüß dich, Hấn! ☕\n' },
      { from: 'bob', send: 'Chào Zoë — 你好 👋🏽\n' },
      { from: 'alice', end: true },
      { from: 'bob', end: true },
    ],
    capitalisedSas: true,
  },
  {
    file: 'session-modp2048.json',
    description:
      'modp2048 (RFC 3526 group 14) proposed by the initiator, through a relay whose frame cap is 2048 (announced ' +
      'in WAITING and PAIRED): one text of 5000 bytes split over three DATA frames (2023 + 2023 + 954 bytes of ' +
      'plaintext, §6.1), then a short reply',
    group: 'modp2048',
    relayMaxFrameLength: 2048,
    script: [
      { from: 'alice', send: longText },
      { from: 'bob', send: 'Got it all.\n' },
      { from: 'alice', end: true },
      { from: 'bob', end: true },
    ],
  },
];

/** Runs a case from the seeds with this suffix; returns the trimmed input and the output. */
function record(c: Case, suffix: string) {
  // First pass with seeded randomness records how many bytes each party consumes.
  const streams = {
    alice: seededRandom(`arctalk vector ${c.file}${suffix} alice`),
    bob: seededRandom(`arctalk vector ${c.file}${suffix} bob`),
  };
  const party = (who: 'alice' | 'bob') => ({
    name: c.names?.[who] ?? who,
    ...(c.group ? { group: c.group } : {}),
    ...(c.passphrase ? { passphrase: c.passphrase } : {}),
  });
  const room = c.room ?? 'lobby';
  const steps = c.script ?? script;
  // nonce, CPace scalar and the secret exponent: take generously, then trim to what was used.
  const pool = { alice: hex(streams.alice(4096)), bob: hex(streams.bob(4096)) };
  const relayCap = c.relayMaxFrameLength ? { relayMaxFrameLength: c.relayMaxFrameLength } : {};
  const probe: ScenarioInput = {
    room,
    ...relayCap,
    alice: { ...party('alice'), random: pool.alice },
    bob: { ...party('bob'), random: pool.bob },
    script: steps,
  };
  const used = { alice: 0, bob: 0 };
  const first = runScenario(probe, (who, n) => {
    used[who] += n;
  });
  const input: ScenarioInput = {
    room,
    ...relayCap,
    alice: { ...party('alice'), random: pool.alice.slice(0, used.alice * 2) },
    bob: { ...party('bob'), random: pool.bob.slice(0, used.bob * 2) },
    script: steps,
  };
  const output = runScenario(input);
  if (JSON.stringify(output) !== JSON.stringify(first)) throw new Error('trimmed replay differs');
  return { input, output };
}

for (const c of cases) {
  let run = record(c, '');
  for (let n = 1; c.capitalisedSas && !/[A-Z]/.test(run.output.derived.sas!); n++) {
    if (n > 100) throw new Error(`no seed gives ${c.file} a capitalised SAS word`);
    run = record(c, ` ${n}`);
  }
  const json = { description: c.description, input: run.input, ...run.output };
  const path = fileURLToPath(new URL(c.file, import.meta.url));
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${c.file}: ${run.output.wire.length} frames, SAS "${run.output.derived.sas}"`);
}
