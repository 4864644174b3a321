export const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export const fromHex = (text: string): Uint8Array => {
  if (!/^(?:[0-9a-f]{2})*$/i.test(text)) throw new Error(`bad hex: ${text}`);
  return Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
};

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Splits `data` at the given cut points (sorted, deduplicated, clamped). */
export const splitAt = (data: Uint8Array, cuts: number[]): Uint8Array[] => {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), data.length)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, data.length]) {
    pieces.push(data.subarray(start, p));
    start = p;
  }
  return pieces;
};

export const concat = (pieces: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Byte equality without building strings (for the long loops; `hex` is for messages). */
export const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, n) => x === b[n]);
