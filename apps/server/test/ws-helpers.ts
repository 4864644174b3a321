/**
 * WebSocket test clients (the `ws` library's client, as a browser stands in): a raw
 * one that reads frames with the protocol's FrameDecoder, and a ClientSession over a
 * WebSocket. Each binary message is a slice of the frame stream (PROTOCOL.md §12).
 */
import {
  ClientSession,
  type Frame,
  FrameDecoder,
  type SessionEvent,
  type SessionOptions,
} from '@arctalk/protocol';
import WebSocket from 'ws';
import { Queue, sessionDriver } from './helpers.js';

const opened = new Set<WebSocket>();

/**
 * Opens a WebSocket to `url` and resolves once it is open. `onMessage` is attached
 * at once: the relay's first frame (an ERROR refusal) can come with the upgrade.
 */
export function openWebSocket(url: string, onMessage?: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    if (onMessage) ws.on('message', onMessage);
    opened.add(ws);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(ws);
    });
    ws.once('error', reject);
    ws.once('close', () => opened.delete(ws));
  });
}

/** Closes every WebSocket these helpers opened. */
export function closeWebSockets(): void {
  for (const ws of opened) ws.terminate();
  opened.clear();
}

/** A raw WebSocket client: sends any bytes, reads frames; `closed` resolves with the close code. */
export interface RawWsClient {
  readonly ws: WebSocket;
  readonly frames: Queue<Frame>;
  readonly closed: Promise<number>;
  /** Bytes received so far (message payloads). */
  received(): number;
  write(bytes: Uint8Array): void;
}

export async function rawWsClient(url: string): Promise<RawWsClient> {
  const frames = new Queue<Frame>();
  const decoder = new FrameDecoder({ maxFrameLength: 16 * 1024 * 1024 });
  let received = 0;
  const ws = await openWebSocket(url, (data) => {
    received += data.length;
    for (const frame of decoder.push(data)) frames.push(frame);
  });
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(1006);
    ws.once('close', (code) => resolve(code));
  });
  return { ws, frames, closed, received: () => received, write: (bytes) => sendSlices(ws, bytes) };
}

/** Sends `bytes` as messages of at most 64 KiB (PROTOCOL.md §12). */
export function sendSlices(ws: WebSocket, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += 65_536) ws.send(bytes.subarray(at, at + 65_536));
}

/** A ClientSession over a WebSocket, its events queued. */
export interface WsSessionClient {
  readonly session: ClientSession;
  readonly ws: WebSocket;
  readonly events: Queue<SessionEvent>;
  waitFor<K extends SessionEvent['type']>(
    type: K,
    timeout?: number,
  ): Promise<Extract<SessionEvent, { type: K }>>;
  sendText(text: string): void;
  readText(length: number, timeout?: number): Promise<string>;
}

export async function wsSessionClient(url: string, options: SessionOptions): Promise<WsSessionClient> {
  const session = new ClientSession(options);
  let ws: WebSocket | undefined;
  const driver = sessionDriver(session, (bytes) => {
    if (ws?.readyState === WebSocket.OPEN) sendSlices(ws, bytes);
  });
  ws = await openWebSocket(url, (data) => driver.onBytes(data));
  ws.on('error', () => {});
  session.start();
  driver.flush();
  return {
    session,
    ws,
    events: driver.events,
    sendText: driver.sendText,
    readText: driver.readText,
    waitFor: driver.waitFor,
  };
}
