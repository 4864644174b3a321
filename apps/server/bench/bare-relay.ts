/**
 * The benchmark's reference: the barest relay Node can run. It pairs connections in
 * the order they are accepted (1st with 2nd, 3rd with 4th, ...) and pipes the two
 * sockets into each other. No framing, no rooms, no limits, no logs: the physical
 * limit for a relay written on `node:net`, against which arctalk-server is measured.
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';

/** A running bare relay. */
export interface BareRelay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the bare relay on loopback.
 *
 * @param port - 0 for a free port
 * @returns the bound port and a close function
 * @example
 * const bare = await startBareRelay(0);
 */
export function startBareRelay(port = 0): Promise<BareRelay> {
  let waiting: Socket | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (waiting === socket) waiting = undefined;
    });
    if (!waiting) {
      waiting = socket;
      socket.pause();
      return;
    }
    const first = waiting;
    waiting = undefined;
    first.pipe(socket);
    socket.pipe(first);
    first.resume();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
