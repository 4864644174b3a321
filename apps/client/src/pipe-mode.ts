/**
 * Pipe mode (stdin or stdout not a terminal): stdin goes to the peer as it
 * arrives, the peer's text goes to stdout byte for byte (escaped, as in the
 * panes, when stdout is a terminal: a peer must not drive your terminal), status,
 * SAS and errors go to stderr. At stdin EOF we send END and keep copying the peer's text until
 * its END (or departure). Nothing is lost: stdin is paused while the socket is
 * full, the socket is paused while stdout is full, and stdout is flushed before
 * the exit code is returned.
 *
 * Nothing of stdin is read, let alone sent, before the peer is authenticated (see
 * verification.ts): by a code or passphrase, by `--expect-sas`, by the user's yes on
 * the controlling terminal, or not at all with `--unverified`. Without any of them and
 * no terminal, {@link runPipe} refuses before connecting.
 */
import type { Readable, Writable } from 'node:stream';
import type { SessionEvent } from '@arctalk/protocol';
import type { ClientConfig } from './config.js';
import { CannotConnectError, Connection, connectTcp, createSession } from './connection.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { handshakeTimeoutMessage, SAS_ADVICE } from './messages.js';
import { type ConversationInput, initialConversation, reduceConversation } from './outcome.js';
import { SafeTextStream, sanitizeLine } from './sanitize.js';
import type { TerminalPrompt } from './terminal-prompt.js';
import { isYes, pipeVerification, sasMatches } from './verification.js';

/** The streams pipe mode works on. */
export interface PipeStreams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Options of {@link runPipe}. */
export interface PipeOptions {
  /** PING interval once secured, ms (0: none) */
  keepaliveMs?: number;
  /** session randomness (tests) */
  randomBytes?: (length: number) => Uint8Array;
  /** the controlling terminal, to have the SAS confirmed when nothing else authenticates the peer */
  prompt?: TerminalPrompt;
}

/** Resolves once everything written to `stream` so far has been flushed. */
function drain(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * Runs one conversation in pipe mode.
 *
 * @param config - the resolved configuration
 * @param streams - stdin, stdout, stderr
 * @param options - keepalive and randomness
 * @returns the exit code (see exit-codes.ts); the message has been written to stderr
 * @throws UsageError, before connecting, when nothing can authenticate the peer
 */
export async function runPipe(
  config: ClientConfig,
  streams: PipeStreams,
  options: PipeOptions = {},
): Promise<ExitCodeValue> {
  const { stdin, stdout, stderr } = streams;
  const status = (line: string) => {
    if (!config.quiet) stderr.write(`arctalk: ${line}\n`);
  };
  const fail = (line: string) => stderr.write(`arctalk: ${line}\n`);
  const verification = pipeVerification(
    {
      hasSecret: config.passphrase !== undefined,
      expectSas: config.expectSas,
      unverified: config.unverified,
    },
    options.prompt !== undefined,
  );

  const session = createSession(config, options.randomBytes);
  status(
    `connecting to ${config.address} (room ${sanitizeLine(config.room)}, as ${sanitizeLine(config.name)})`,
  );
  let socket: Awaited<ReturnType<typeof connectTcp>>;
  const started = Date.now();
  try {
    socket = await connectTcp(config.host, config.port, config.connectTimeoutMs);
  } catch (error) {
    if (error instanceof CannotConnectError) {
      fail(`cannot connect to ${config.address}: ${error.message}`);
      return ExitCode.CANNOT_CONNECT;
    }
    throw error;
  }

  return new Promise<ExitCodeValue>((resolve) => {
    let settled = false;
    let reading = false;
    let stdinDone = false;
    let peerName = 'peer';
    let stdoutFull = false;
    /** the peer's text that arrived before we authenticated it: shown only once we have */
    let beforeAuth: Uint8Array[] | undefined = [];
    // Byte for byte into a file or a pipe; into a terminal, never as control sequences.
    const terminalText = (stdout as { isTTY?: boolean }).isTTY === true ? new SafeTextStream() : undefined;

    const stopReading = () => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    };

    /** Ends with `code`: flush stdout, close the socket, print the message. */
    const settle = async (code: ExitCodeValue, message?: string) => {
      if (settled) return;
      settled = true;
      beforeAuth = undefined;
      options.prompt?.close();
      stopReading();
      const held = terminalText?.flush();
      if (held && !stdout.destroyed) stdout.write(held);
      await drain(stdout);
      if (code === ExitCode.OK) await connection.finish();
      else connection.close();
      if (message) fail(message);
      resolve(code);
    };

    // The end-of-conversation rules, shared with terminal mode (outcome.ts).
    let conversation = initialConversation('peer');
    const apply = (input: ConversationInput) => {
      conversation = reduceConversation(conversation, input);
      const { outcome } = conversation;
      if (outcome) void settle(outcome.code, outcome.message);
    };
    const onFatal = (error: unknown) => apply({ type: 'error', error: error as never });

    const onData = (chunk: Uint8Array) => {
      if (settled) return;
      try {
        if (!connection.send(chunk)) stdin.pause();
      } catch (error) {
        onFatal(error);
      }
    };
    const onEnd = () => {
      stdinDone = true;
      if (settled) return;
      status('end of input: sent END, waiting for the peer to finish');
      connection.end().then(() => apply({ type: 'sent-end' }), onFatal);
    };

    const startReading = () => {
      if (reading) return;
      reading = true;
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
    };

    const writeText = (data: Uint8Array) => {
      // One chunk from the socket can hold many DATA frames: pause once, resume once.
      if (!stdout.write(terminalText ? terminalText.push(data) : data) && !stdoutFull) {
        stdoutFull = true;
        connection.pause();
        stdout.once('drain', () => {
          stdoutFull = false;
          connection.resume();
        });
      }
    };

    /** The peer is authenticated: show what it sent so far, then send stdin. */
    const authenticated = (how: string) => {
      if (settled) return;
      status(how);
      const early = beforeAuth ?? [];
      beforeAuth = undefined;
      for (const data of early) writeText(data);
      if (!stdoutFull) connection.resume();
      startReading();
    };

    const verify = (sas: string, sasWords: readonly string[]) => {
      switch (verification.kind) {
        case 'secret':
          authenticated(`${peerName} proved it knows the passphrase: authenticated`);
          break;
        case 'expect-sas':
          if (sasMatches(verification.words, sasWords)) {
            authenticated('the SAS is the one given with --expect-sas: authenticated');
          } else {
            void settle(
              ExitCode.AUTH_FAILED,
              `the SAS "${sanitizeLine(sas)}" is not the expected "${verification.words.join(' ')}": someone may be in the middle; nothing was sent`,
            );
          }
          break;
        case 'unverified':
          fail(
            `warning: --unverified: ${peerName} is not authenticated; a relay in the middle can read everything`,
          );
          authenticated('sending unverified');
          break;
        case 'ask-terminal':
          // Hold the peer's text (and stop reading the socket) until the user answers.
          connection.pause();
          options
            .prompt!.ask(
              `arctalk: does ${peerName} see the same three words, "${sanitizeLine(sas)}"? Type yes to send, anything else to quit: `,
            )
            .then(
              (answer) => {
                if (isYes(answer)) authenticated('SAS confirmed on the terminal: authenticated');
                else void settle(ExitCode.AUTH_FAILED, 'the SAS was not confirmed: nothing was sent');
              },
              () => void settle(ExitCode.AUTH_FAILED, 'the SAS was not confirmed: nothing was sent'),
            );
          break;
      }
    };

    const onEvent = (event: SessionEvent) => {
      if (settled) return;
      switch (event.type) {
        case 'waiting':
          status(`waiting for a peer in room ${sanitizeLine(config.room)}`);
          break;
        case 'paired':
          peerName = sanitizeLine(event.peerName, 64);
          apply(event);
          status(`paired with ${peerName} (you are the ${event.role}); securing`);
          break;
        case 'secured':
          status(`secured with ${peerName}`);
          // The SAS goes to stderr even with --quiet: it is the one thing to check.
          stderr.write(`arctalk: SAS: ${sanitizeLine(event.sas)}\n`);
          status(SAS_ADVICE);
          verify(event.sas, event.sasWords);
          break;
        case 'text':
          if (beforeAuth) beforeAuth.push(event.data.slice());
          else writeText(event.data);
          break;
        case 'peer-ended':
          status(`${peerName} has finished sending`);
          apply(event);
          break;
        case 'closed':
        case 'peer-left':
        case 'error':
          apply(event);
          break;
        default:
          break;
      }
    };

    const connection = new Connection(
      socket,
      session,
      {
        onEvent,
        onDrain: () => {
          if (reading && !stdinDone && !settled) stdin.resume();
        },
        onClose: (expected, error) => {
          if (settled || expected) return;
          const reason = error ? `: ${(error as NodeJS.ErrnoException).code ?? error.message}` : '';
          apply({ type: 'transport-closed', message: `connection to ${config.address} lost${reason}` });
        },
        onHandshakeTimeout: () => {
          // After our CONFIRM a stall is a failed confirmation (§4.4), not a mere timeout.
          const stalled = session.stallError();
          if (stalled) apply({ type: 'error', error: stalled });
          else void settle(ExitCode.HANDSHAKE_TIMEOUT, handshakeTimeoutMessage(config.handshakeTimeoutMs));
        },
        onAckTimeout: () => apply({ type: 'ack-timeout', timeoutMs: config.ackTimeoutMs }),
      },
      options.keepaliveMs ?? 0,
      undefined,
      // --connect-timeout covers everything up to the relay's first frame.
      {
        address: config.address,
        timeoutMs: Math.max(1, config.connectTimeoutMs - (Date.now() - started)),
        limitMs: config.connectTimeoutMs,
      },
      config.handshakeTimeoutMs,
      config.ackTimeoutMs,
    );
    stdin.on('error', (error) =>
      apply({ type: 'local-error', message: `cannot read stdin: ${error.message}` }),
    );
    stdout.on('error', (error: NodeJS.ErrnoException) => {
      // The reader went away (EPIPE): nothing more can be delivered.
      apply({ type: 'local-error', message: `cannot write stdout: ${error.code ?? error.message}` });
    });
    // Read nothing before the channel is secured: what we would read could not be sent yet.
    stdin.pause();
  });
}
