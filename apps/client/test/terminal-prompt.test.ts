/**
 * The /dev/tty question of pipe mode, asked in a real pseudo-terminal (script(1)):
 * the typed answer comes back as typed, several questions in a row work, and a
 * terminal that closes before an answer rejects.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROMPT_MODULE = fileURLToPath(new URL('../src/terminal-prompt.ts', import.meta.url));
const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** Runs `questions` through openTerminalPrompt in a pty, typing `typed`; resolves with what the pty showed. */
function askInPty(questions: number, typed: string, closeInput: boolean): Promise<string> {
  const program = `
    import { openTerminalPrompt } from ${JSON.stringify(PROMPT_MODULE)};
    const prompt = openTerminalPrompt();
    if (!prompt) { console.log('NO-TTY'); process.exit(3); }
    for (let i = 0; i < ${questions}; i++) {
      try { const answer = await prompt.ask('question ' + i + '? '); console.log('ANSWER<' + answer + '>'); }
      catch (error) { console.log('REJECTED<' + error.message + '>'); break; }
    }
    prompt.close();
  `;
  const command = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program]
    .map(shellQuote)
    .join(' ');
  const child = spawn(
    'script',
    ['--quiet', '--flush', '--return', '--command', `stty -echo; exec ${command}`, '/dev/null'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    out += text;
    // type the next line once a question is on screen
    const asked = (out.match(/question \d+\? /g) ?? []).length;
    const lines = typed.split('\n');
    while (sent < asked && sent < lines.length - 1) child.stdin.write(`${lines[sent++]}\n`);
    if (closeInput && asked > 0 && sent >= lines.length - 1) child.stdin.end();
  });
  let sent = 0;
  child.stderr.resume();
  return new Promise((resolve) => child.once('close', () => resolve(out)));
}

describe('openTerminalPrompt in a real terminal', () => {
  it('returns the answer typed, for each of several questions', async () => {
    const out = await askInPty(3, 'yes\nno\nYES indeed\n', false);
    expect(out).toContain('ANSWER<yes>');
    expect(out).toContain('ANSWER<no>');
    expect(out).toContain('ANSWER<YES indeed>');
    expect(out).not.toContain('REJECTED');
  }, 60_000);

  it('is undefined without a controlling terminal', async () => {
    const { openTerminalPrompt } = await import('../src/terminal-prompt.js');
    expect(openTerminalPrompt('/nonexistent/tty')).toBeUndefined();
  });
});
