/**
 * Every TypeScript example in every README type-checks as a user would compile it:
 * TypeScript's defaults for a new ES2022 module project (strict, no `lib` given, so
 * the default DOM + ES2022 libraries, `@types/node`), with `@arctalk/*` resolved to the
 * libraries' source. Only the examples' own diagnostics count (the sources have their
 * own typecheck). Free names an example leaves to its reader (a socket, a logger) are
 * declared below, per README, with the types the prose gives them.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Declarations of what each README's examples take as given. */
const PRELUDES: Record<string, string> = {
  'README.md': '',
  'packages/rc4/README.md': '',
  'packages/dh/README.md': '',
  'packages/protocol/README.md': [
    "import type { Server, Socket } from 'node:net';",
    'declare const socket: Socket;',
    'declare const sockets: Map<string, Socket>;',
    'declare const server: Server;',
    'declare const logger: { info(message: unknown): void };',
    'declare function newId(): string;',
  ].join('\n'),
  'apps/server/README.md': ["import type { Logger } from 'pino';", 'declare const logger: Logger;'].join(
    '\n',
  ),
  'apps/client/README.md': '',
};

const examples = Object.keys(PRELUDES).flatMap((readme) => {
  const text = readFileSync(join(root, readme), 'utf8');
  return [...text.matchAll(/```(?:ts|typescript|tsx)\n([\s\S]*?)```/g)].map((match, index) => ({
    readme,
    index,
    code: match[1]!,
    // The line of the README where the example starts, for the messages.
    line: text.slice(0, match.index).split('\n').length + 1,
  }));
});

const written: string[] = [];
afterAll(() => {
  for (const file of written) rmSync(file, { force: true });
});

/** Type-checks the examples in one program; returns each example's diagnostics as text. */
function check(): Map<string, string[]> {
  const files = examples.map((example) => {
    const prelude = PRELUDES[example.readme]!;
    const file = join(root, dirname(example.readme), `.readme-example-${process.pid}-${example.index}.ts`);
    // Prelude on the example's first line, so line numbers map back: README line + n - 1.
    writeFileSync(file, `${prelude.replaceAll('\n', ' ')} export {};\n${example.code}`);
    written.push(file);
    return { ...example, file };
  });
  const source = (name: string) => join(root, 'packages', name, 'src/index.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')],
    skipLibCheck: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    paths: {
      '@arctalk/rc4': [source('rc4')],
      '@arctalk/dh': [source('dh')],
      '@arctalk/protocol': [source('protocol')],
    },
  };
  const program = ts.createProgram(
    files.map((f) => f.file),
    options,
  );
  const result = new Map<string, string[]>();
  for (const f of files) {
    const sourceFile = program.getSourceFile(f.file)!;
    const diagnostics = ts.getPreEmitDiagnostics(program, sourceFile);
    result.set(
      `${f.readme} example ${f.index + 1}`,
      diagnostics.map((d) => {
        const { line } = d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0) : { line: 0 };
        return `${f.readme}:${f.line + line - 1}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return result;
}

describe('README examples', () => {
  it('there are examples in the READMEs of every library', () => {
    for (const readme of [
      'README.md',
      'packages/rc4/README.md',
      'packages/dh/README.md',
      'packages/protocol/README.md',
    ]) {
      expect(
        examples.some((example) => example.readme === readme),
        readme,
      ).toBe(true);
    }
  });

  it('every one type-checks with the default TypeScript settings (DOM lib, strict)', () => {
    const results = check();
    expect(results.size).toBe(examples.length);
    expect([...results.values()].flat()).toEqual([]);
  }, 120_000);
});
