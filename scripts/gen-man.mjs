#!/usr/bin/env node
// Generates the man pages arctalk(1) and arctalk-server(1) from their one source,
// the reference sections of docs/manual.md (between `<!-- man:NAME.N -->` and
// `<!-- /man -->`), with marked-man. `--check` writes nothing and exits 1 when a
// committed page differs from what the manual gives (tests/docs runs it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MANUAL = join(root, 'docs/manual.md');
/** The edition date printed in the pages' footer; bump it when the manual changes. */
const MAN_DATE = '2026-11-26';
const PAGES = {
  'arctalk-server.1': join(root, 'apps/server'),
  'arctalk.1': join(root, 'apps/client'),
};
const markedMan = join(root, 'node_modules/marked-man/bin/marked-man.js');

/** Cuts one page's block out of the manual and shapes it as marked-man expects. */
export function manSource(manual, page) {
  const start = manual.indexOf(`<!-- man:${page} -->`);
  const end = manual.indexOf('<!-- /man -->', start);
  if (start < 0 || end < 0) throw new Error(`docs/manual.md has no <!-- man:${page} --> block`);
  const lines = manual.slice(start, end).split('\n').slice(1);
  const body = [];
  let title;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^## /.test(line)) continue; // the manual's own heading, e.g. "## arctalk(1)"
    if (line === '### NAME') {
      // marked-man builds the NAME section from the level-1 title.
      let j = i + 1;
      while (lines[j] === '') j++;
      const [name, description] = lines[j].split(' - ');
      const [, section] = page.split('.');
      title = `# ${name}(${section}) -- ${description}`;
      i = j;
      continue;
    }
    body.push(line.replace(/^### /, '## '));
  }
  if (!title) throw new Error(`${page}: the block needs a "### NAME" section`);
  return `${title}\n\n${reflow(body.join('\n'))}`;
}

/**
 * Joins the wrapped lines of each paragraph (marked-man keeps line breaks), and
 * keeps a definition item's term (`* term:`) on a line of its own. Code blocks and
 * tables are left as they are.
 */
function reflow(markdown) {
  return markdown
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split('\n');
      if (/^( {4}|\||```)/.test(block)) return block;
      if (/^\* .*:$/.test(lines[0])) {
        return `${lines[0]}\n  ${lines
          .slice(1)
          .map((line) => line.trim())
          .join(' ')}`;
      }
      return lines.map((line) => line.trim()).join(' ');
    })
    .join('\n\n')
    .trim();
}

/** Turns marked-man's bulleted `term:` items into man's tagged paragraphs (.TP). */
function tagged(roff) {
  return roff.replace(/^\.IP \\\(bu 2\n(.*):\n\.br\n/gm, '.TP\n$1\n');
}

/** Renders every page: `{ [outputPath]: roff }`. */
export function renderManPages() {
  const manual = readFileSync(MANUAL, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'arctalk-man-'));
  const pages = {};
  try {
    for (const [page, appDir] of Object.entries(PAGES)) {
      const { version } = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
      const source = join(dir, `${page}.md`);
      writeFileSync(source, manSource(manual, page));
      const result = spawnSync(
        process.execPath,
        [markedMan, '--version', version, '--manual', 'arctalk manual', '--date', MAN_DATE, source],
        { encoding: 'utf8' },
      );
      if (result.status !== 0) throw new Error(`marked-man failed on ${page}: ${result.stderr}`);
      pages[join(appDir, 'man', page)] = tagged(result.stdout);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return pages;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, roff] of Object.entries(renderManPages())) {
    const rel = path.slice(root.length);
    let current;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === roff) continue;
    if (check) {
      console.error(`${rel} is out of date with docs/manual.md: run pnpm docs:man`);
      stale++;
    } else {
      writeFileSync(path, roff);
      console.log(`wrote ${rel}`);
    }
  }
  process.exit(stale > 0 ? 1 : 0);
}
