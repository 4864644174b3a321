/**
 * Runs one recorded-transcript scenario: two ClientSessions and a Relay in memory,
 * with fixed randomness, fixed inputs and a fixed script. Shared by generate.ts
 * (which writes the JSON) and vectors.test.ts (which replays it and compares).
 */
import { createDH } from '@arctalk/dh';
import {
  ClientSession,
  cpaceFinish,
  cpaceGenerator,
  cpaceScalarMult,
  cpaceScalarMultVfy,
  deriveKeys,
  FrameDecoder,
  FrameType,
  groupId,
  keyScheduleSecrets,
  pakeInput,
  passphraseBytes,
  Relay,
  type RelayAction,
  type SessionEvent,
  transcriptHash,
} from '../../src/index';
import { hex, replayRandom, utf8 } from '../helpers';

export interface PartyInput {
  name: string;
  group?: string;
  passphrase?: string;
  /** every random byte the session will consume, in order (hex) */
  random: string;
}

export type Step = { from: 'alice' | 'bob'; send: string } | { from: 'alice' | 'bob'; end: true };

export interface ScenarioInput {
  room: string;
  /** the relay's frame cap, announced in WAITING and PAIRED (§3.2); default 65536 */
  relayMaxFrameLength?: number;
  alice: PartyInput;
  bob: PartyInput;
  script: Step[];
}

export interface WireFrame {
  /** 'alice>relay', 'relay>bob', ... */
  dir: string;
  type: string;
  hex: string;
}

export interface ScenarioOutput {
  wire: WireFrame[];
  events: { alice: string[]; bob: string[] };
  derived: Record<string, string>;
}

const typeNames = new Map(Object.entries(FrameType).map(([k, v]) => [v as number, k]));

function describeEvent(e: SessionEvent): string {
  switch (e.type) {
    case 'paired':
      return `paired ${e.role} ${e.peerName}`;
    case 'secured':
      return `secured ${e.sas}`;
    case 'text':
      return `text ${new TextDecoder().decode(e.data)}`;
    case 'acknowledged':
      return `acknowledged ${e.offset}${e.ended ? ' end' : ''}`;
    case 'peer-left':
      return `peer-left ended=${e.ended}`;
    case 'error':
      return `error ${e.error.code}`;
    default:
      return e.type;
  }
}

/** Runs the scenario; alice joins first (so she is the initiator). */
export function runScenario(
  input: ScenarioInput,
  onRandom?: (who: 'alice' | 'bob', length: number) => void,
): ScenarioOutput {
  const relay = new Relay(input.relayMaxFrameLength ? { maxFrameLength: input.relayMaxFrameLength } : {});
  const wire: WireFrame[] = [];
  const events = { alice: [] as string[], bob: [] as string[] };
  const decoders = new Map<string, FrameDecoder>();
  const record = (dir: string, bytes: Uint8Array) => {
    let d = decoders.get(dir);
    if (d === undefined) {
      d = new FrameDecoder({ acceptType: () => true });
      decoders.set(dir, d);
    }
    for (const f of d.push(bytes)) {
      const frame = new Uint8Array(5 + f.body.length);
      new DataView(frame.buffer).setUint32(0, f.body.length + 1);
      frame[4] = f.type;
      frame.set(f.body, 5);
      wire.push({ dir, type: typeNames.get(f.type) ?? `0x${f.type.toString(16)}`, hex: hex(frame) });
    }
  };
  const make = (who: 'alice' | 'bob', p: PartyInput) => {
    const replay = replayRandom(fromHexStr(p.random));
    return new ClientSession({
      room: input.room,
      name: p.name,
      ...(p.group ? { group: p.group } : {}),
      ...(p.passphrase ? { passphrase: p.passphrase } : {}),
      randomBytes: (length) => {
        onRandom?.(who, length);
        return replay(length);
      },
    });
  };
  const sessions = { alice: make('alice', input.alice), bob: make('bob', input.bob) };
  const pump = () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const id of ['alice', 'bob'] as const) {
        const out = sessions[id].takeOutput();
        if (out.length === 0) continue;
        moved = true;
        record(`${id}>relay`, out);
        deliver(relay.receive(id, out));
      }
    }
  };
  const deliver = (actions: RelayAction[]) => {
    for (const a of actions) {
      if (a.type !== 'send') continue;
      const to = a.connId as 'alice' | 'bob';
      record(`relay>${to}`, a.bytes);
      events[to].push(...sessions[to].receive(a.bytes).map(describeEvent));
    }
  };
  relay.open('alice');
  relay.open('bob');
  sessions.alice.start();
  pump();
  sessions.bob.start();
  pump();
  for (const step of input.script) {
    const s = sessions[step.from];
    if ('send' in step) s.send(utf8(step.send));
    else s.end();
    pump();
  }
  deliver(relay.close('alice'));
  deliver(relay.close('bob'));
  return { wire, events, derived: derive(input, wire) };
}

function fromHexStr(s: string): Uint8Array {
  return new Uint8Array((s.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
}

/**
 * Re-derives every intermediate value from the fixed inputs and the recorded
 * handshake frames, with the public primitives only (not the session): key pairs
 * from the random streams, the shared secret, the transcript hash, the key schedule.
 */
export function derive(input: ScenarioInput, wire: WireFrame[]): Record<string, string> {
  const body = (dir: string, type: string) => {
    const f = wire.find((w) => w.dir === dir && w.type === type);
    if (!f) throw new Error(`no ${type} on ${dir}`);
    return fromHexStr(f.hex).subarray(5);
  };
  const group = groupId(input.alice.group ?? 'ffdhe2048')!.group;
  // What the sessions sent and hashed: the NFC forms of the room and names (PROTOCOL.md §1).
  const room = input.room.normalize('NFC');
  const aliceName = input.alice.name.normalize('NFC');
  const bobName = input.bob.name.normalize('NFC');
  // KEX randomness, in order: 32 nonce bytes, 32 for the CPace scalar (bits above 252
  // cleared), then the DH secret exponent.
  const pake = pakeInput(
    input.alice.passphrase === undefined ? undefined : passphraseBytes(input.alice.passphrase),
    room,
    aliceName,
    bobName,
  );
  const generator = cpaceGenerator(pake.prs, pake.ci, pake.sid);
  const keypair = (p: PartyInput) => {
    const random = fromHexStr(p.random);
    const nonce = random.subarray(0, 32);
    const cpaceScalar = random.slice(32, 64);
    cpaceScalar[31]! &= 0x0f;
    const dh = createDH(group, { randomBytes: replayRandom(random.subarray(64)) });
    return { nonce, cpaceScalar, cpaceShare: cpaceScalarMult(cpaceScalar, generator), dh, ...dh.keygen() };
  };
  const a = keypair(input.alice);
  const b = keypair(input.bob);
  const sharedSecret = a.dh.getSharedSecret(a.secretKey, b.publicKey);
  const empty = new Uint8Array(0);
  const cpaceK = cpaceScalarMultVfy(a.cpaceScalar, b.cpaceShare);
  const isk = cpaceFinish(
    pake.sid,
    a.cpaceScalar,
    { share: a.cpaceShare, ad: empty },
    { share: b.cpaceShare, ad: empty },
    true,
  );
  const th = transcriptHash({
    room,
    initiatorName: aliceName,
    responderName: bobName,
    commitBody: body('alice>relay', 'COMMIT'),
    responderKexBody: body('bob>relay', 'KEX'),
    initiatorKexBody: body('alice>relay', 'KEX'),
  });
  const secrets = keyScheduleSecrets(sharedSecret, th, isk);
  const keys = deriveKeys(sharedSecret, th, isk);
  const out: Record<string, string> = {
    cpacePrs: hex(pake.prs),
    cpaceCi: hex(pake.ci),
    cpaceGenerator: hex(generator),
    aliceCpaceScalar: hex(a.cpaceScalar),
    aliceCpaceShare: hex(a.cpaceShare),
    bobCpaceScalar: hex(b.cpaceScalar),
    bobCpaceShare: hex(b.cpaceShare),
    cpaceK: hex(cpaceK),
    isk: hex(isk),
    aliceNonce: hex(a.nonce),
    aliceSecretKey: hex(a.secretKey),
    alicePublicKey: hex(a.publicKey),
    bobNonce: hex(b.nonce),
    bobSecretKey: hex(b.secretKey),
    bobPublicKey: hex(b.publicKey),
    sharedSecret: hex(sharedSecret),
    transcriptHash: hex(th),
  };
  Object.assign(out, {
    prk: hex(secrets.prk),
    k: hex(secrets.k),
    sasBytes: hex(keys.sasBytes),
    sas: keys.sas,
    i2rRc4Key: hex(keys.i2r.rc4Key),
    i2rMacKey: hex(keys.i2r.macKey),
    r2iRc4Key: hex(keys.r2i.rc4Key),
    r2iMacKey: hex(keys.r2i.macKey),
    initiatorConfirmKey: hex(keys.initiatorConfirmKey),
    responderConfirmKey: hex(keys.responderConfirmKey),
    initiatorConfirm: hex(keys.initiatorConfirm),
    responderConfirm: hex(keys.responderConfirm),
  });
  return out;
}
