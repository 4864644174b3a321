/**
 * The built page (build.ts): one file, a strict Content-Security-Policy whose hashes
 * are those of its one inline script and one inline style, no other resource.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildPage } from '../build';

it('is one self-contained file whose CSP allows exactly its own inline script and style', async () => {
  const { html } = await buildPage(mkdtempSync(join(tmpdir(), 'arctalk-web-')));
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  expect(policy).toBeDefined();
  const directives = new Map(
    policy!.split('; ').map((directive) => {
      const [name, ...values] = directive.split(' ');
      return [name!, values.join(' ')] as const;
    }),
  );
  expect(directives.get('default-src')).toBe("'none'");
  expect(directives.get('connect-src')).toBe('ws: wss:');
  expect(directives.get('base-uri')).toBe("'none'");
  expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);

  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);
  expect(scripts).toHaveLength(1);
  expect(styles).toHaveLength(1);
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  expect(directives.get('script-src')).toBe(hash(scripts[0]!));
  expect(directives.get('style-src')).toBe(hash(styles[0]!));
  // Nothing loaded from elsewhere, no inline handlers or style attributes (the CSP would block them).
  expect(html).not.toMatch(/<script[^>]*\ssrc=|<link\b|<img\b|\son[a-z]+="|\sstyle="/i);
  // The protocol is in the bundle (CPace, the PGP words): the page needs nothing else.
  expect(scripts[0]).toContain('arctalk/2');
  expect(scripts[0]!.length).toBeGreaterThan(20_000);
});
