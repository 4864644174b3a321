/**
 * A hostile relay for real-process tests: it listens like arctalk-server, pairs
 * the first two clients of a room, but runs its OWN key exchange with each of them
 * (a `ClientSession` per victim behind an in-memory `Relay`), decrypts what each
 * sends and re-encrypts it for the other. Against unauthenticated clients it is
 * invisible and reads everything; a SAS comparison, a code or a passphrase must
 * stop it before anything is sent.
 */
import net from 'node:net';
import { ClientSession, Relay, type RelayAction, type SessionEvent } from '@arctalk/protocol';

/** One victim: its socket, the relay state and the session the MITM runs toward it. */
interface Leg {
  socket: net.Socket;
  relay: Relay;
  session: ClientSession;
  /** plaintext this victim sent, as the MITM decrypted it */
  read: Buffer[];
  sas: string | undefined;
  secured: boolean;
  error: string | undefined;
  /** text (and END) for this victim that arrived before its leg was secured */
  queue: Uint8Array[];
  endQueued: boolean;
  /** this victim sent its END */
  victimEnded: boolean;
  /** this victim's connection is gone */
  gone: boolean;
  other?: Leg;
}

/** The MITM as the test sees it. */
export interface MitmHandle {
  port: number;
  /** everything the MITM decrypted, from both victims */
  readBytes(): number;
  readText(): string;
  /** the SAS values of the MITM's two key exchanges (each victim sees one) */
  sas(): (string | undefined)[];
  /** connections accepted so far */
  connections(): number;
  /** errors the MITM's sessions reported (e.g. a failed CONFIRM) */
  errors(): string[];
  close(): void;
}

/**
 * Starts the MITM relay on a free loopback port.
 *
 * @param options - `passphrase`: what the MITM guesses (it does not know the real one)
 * @returns its handle
 */
export async function startMitm(options: { passphrase?: string } = {}): Promise<MitmHandle> {
  const legs: Leg[] = [];
  let accepted = 0;

  const run = (leg: Leg, actions: RelayAction[]) => {
    for (const action of actions) {
      if (action.type === 'send' && action.connId === 'victim') {
        if (!leg.socket.destroyed) leg.socket.write(action.bytes);
      } else if (action.type === 'send' && action.connId === 'mitm') {
        if (leg.session.state === 'failed') continue; // every call would throw its error
        onEvents(leg, leg.session.receive(action.bytes));
        flush(leg);
      } else if (action.type === 'close' && action.connId === 'victim') {
        leg.socket.end();
      }
    }
  };
  const flush = (leg: Leg) => {
    // After a failure takeOutput still hands out what was queued (our CONFIRM).
    const out = leg.session.takeOutput();
    if (out.length > 0) run(leg, leg.relay.receive('mitm', out));
  };
  /** Re-encrypts for `to` whatever is queued for it, once its leg is secured. */
  const deliver = (to: Leg | undefined) => {
    if (to?.session.state === 'failed') return;
    if (!to?.secured || to.session.state !== 'secured' || to.session.ended) return;
    for (const data of to.queue.splice(0)) to.session.send(data);
    if (to.endQueued) to.session.end();
    flush(to);
  };
  const onEvents = (leg: Leg, events: SessionEvent[]) => {
    for (const event of events) {
      if (event.type === 'secured') {
        leg.secured = true;
        leg.sas = event.sas;
        deliver(leg);
        // The other victim already left: once our CONFIRM is out, this one goes too.
        if (leg.other?.gone) leg.socket.end();
      } else if (event.type === 'text') {
        leg.read.push(Buffer.from(event.data));
        leg.other?.queue.push(event.data.slice());
        deliver(leg.other);
      } else if (event.type === 'peer-ended') {
        leg.victimEnded = true;
        if (leg.other) leg.other.endQueued = true;
        deliver(leg.other);
      } else if (event.type === 'error') {
        leg.error = event.error.code;
        // A failed check ends the MITM's session with that victim: it hangs up, as a
        // client does (a relay that stalls instead leaves the victim waiting).
        leg.socket.end();
      }
    }
  };

  const server = net.createServer((socket) => {
    accepted++;
    socket.on('error', () => {});
    // Wait for the victim's HELLO (u32 length | u8 type | u8 version | u8 room length |
    // room | …), then join the same room of an in-memory relay as "mitm".
    let pending = Buffer.alloc(0);
    let leg: Leg | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (leg) {
        run(leg, leg.relay.receive('victim', chunk));
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 7 || pending.length < 4 + pending.readUInt32BE(0)) return;
      const room = pending.subarray(7, 7 + pending[6]!).toString('utf8');
      const relay = new Relay();
      const session = new ClientSession({
        room,
        name: 'mitm',
        ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      });
      leg = {
        socket,
        relay,
        session,
        read: [],
        sas: undefined,
        secured: false,
        error: undefined,
        queue: [],
        endQueued: false,
        victimEnded: false,
        gone: false,
      };
      legs.push(leg);
      if (legs.length % 2 === 0) {
        const a = legs[legs.length - 2]!;
        a.other = leg;
        leg.other = a;
        // What the first victim said before the second arrived.
        leg.queue.push(...a.read.map((b) => new Uint8Array(b)));
        leg.endQueued = a.victimEnded;
      }
      run(leg, relay.open('victim'));
      run(leg, relay.open('mitm'));
      run(leg, relay.receive('victim', pending));
      session.start();
      flush(leg);
    });
    socket.on('close', () => {
      if (!leg) return;
      leg.gone = true;
      run(leg, leg.relay.close('victim'));
      // One victim gone: drop the other once its handshake is done, as a relay does with a room.
      if (leg.other?.secured) leg.other.socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    readBytes: () => legs.reduce((n, leg) => n + leg.read.reduce((m, b) => m + b.length, 0), 0),
    readText: () => Buffer.concat(legs.flatMap((leg) => leg.read)).toString('utf8'),
    sas: () => legs.map((leg) => leg.sas),
    connections: () => accepted,
    errors: () => legs.flatMap((leg) => (leg.error ? [leg.error] : [])),
    close: () => {
      for (const leg of legs) leg.socket.destroy();
      server.close();
    },
  };
}
