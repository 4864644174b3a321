/**
 * The in-page half of the browser proof: two ClientSessions talk through a Relay,
 * all inside one page, using only the libraries' default (browser) entries.
 */
import { ClientSession, Relay, type Relay as RelayType, type SessionEvent } from '@arctalk/protocol';

type Side = 'alice' | 'bob';

export interface ConversationResult {
  sas: Record<Side, string | undefined>;
  received: Record<Side, string>;
  events: Record<Side, string[]>;
  positions: Record<Side, { sent: number; received: number }>;
  relayed: number;
}

function pump(
  relay: RelayType,
  sessions: Record<Side, ClientSession>,
  events: Record<Side, SessionEvent[]>,
): number {
  let moved = 0;
  for (let round = 0; round < 1000; round++) {
    let progress = false;
    for (const side of ['alice', 'bob'] as const) {
      const out = sessions[side].takeOutput();
      if (out.length === 0) continue;
      progress = true;
      for (const action of relay.receive(side, out)) {
        if (action.type !== 'send') continue;
        moved += action.bytes.length;
        const target = action.connId as Side;
        events[target].push(...sessions[target].receive(action.bytes));
      }
    }
    if (!progress) return moved;
  }
  throw new Error('conversation did not settle');
}

export function runConversation(lines: Record<Side, string>): ConversationResult {
  const relay = new Relay();
  const sessions = {
    alice: new ClientSession({ room: 'browser', name: 'alice' }),
    bob: new ClientSession({ room: 'browser', name: 'bob' }),
  };
  const events: Record<Side, SessionEvent[]> = { alice: [], bob: [] };
  let relayed = 0;
  for (const side of ['alice', 'bob'] as const) {
    relay.open(side);
    sessions[side].start();
    relayed += pump(relay, sessions, events);
  }
  const encoder = new TextEncoder();
  sessions.alice.send(encoder.encode(lines.alice));
  sessions.bob.send(encoder.encode(lines.bob));
  relayed += pump(relay, sessions, events);
  sessions.alice.end();
  sessions.bob.end();
  relayed += pump(relay, sessions, events);

  const decoder = new TextDecoder();
  const text = (side: Side) =>
    events[side]
      .filter((e): e is Extract<SessionEvent, { type: 'text' }> => e.type === 'text')
      .map((e) => decoder.decode(e.data))
      .join('');
  return {
    sas: { alice: sessions.alice.sas, bob: sessions.bob.sas },
    received: { alice: text('alice'), bob: text('bob') },
    events: { alice: events.alice.map((e) => e.type), bob: events.bob.map((e) => e.type) },
    positions: {
      alice: { sent: sessions.alice.sent, received: sessions.alice.received },
      bob: { sent: sessions.bob.sent, received: sessions.bob.received },
    },
    relayed,
  };
}

(globalThis as unknown as { arctalk: unknown }).arctalk = { runConversation };
