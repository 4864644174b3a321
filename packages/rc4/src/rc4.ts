/**
 * RC4 (ARCFOUR) and RC4-drop[n] stream cipher on `Uint8Array`.
 *
 * RC4 is the cipher published anonymously in 1994 (ARCFOUR); RC4-drop[n] discards the first
 * n keystream bytes. Known-answer tests: RFC 6229 ("Test Vectors for the Stream Cipher RC4").
 * RC4 is prohibited in TLS by RFC 7465 and is broken for new designs; see README, Security.
 * @module
 */

/**
 * Options for {@link createRC4}, {@link rc4} and {@link createRC4TransformStream}.
 * @example
 * ```ts
 * createRC4(key, { drop: 3072 }); // RC4-drop[3072]
 * ```
 */
export interface RC4Options {
  /** Keystream bytes to discard after the key schedule (RC4-drop[n]); default 0, which reproduces RFC 6229. */
  drop?: number;
}

/**
 * A running RC4 keystream, made by {@link createRC4}. Encryption and decryption are the
 * same operation; both ends must use the same key and drop, and the same order of bytes.
 * @example
 * ```ts
 * const send = createRC4(key, { drop: 3072 });
 * const ciphertext = send.xor(plaintext);
 * send.position; // plaintext.length
 * send.wipe();
 * ```
 */
export interface RC4Stream {
  /**
   * XORs `src` with the next `src.length` keystream bytes.
   * @param src - the plaintext or ciphertext; never modified unless it is also `out`
   * @param out - optional destination of at least `src.length` bytes (may be `src` itself, or overlap it)
   * @returns the result, `src.length` bytes: a new array without `out`; `out` itself, or its
   *   first `src.length` bytes (`out.subarray(0, src.length)`) when it is longer
   * @throws TypeError if `src` or `out` is not a `Uint8Array`; RangeError if `out` is too short; Error after `wipe()`
   */
  xor(src: Uint8Array, out?: Uint8Array): Uint8Array;
  /**
   * Returns the next `length` keystream bytes.
   * @param length - a non-negative integer
   * @returns a new `Uint8Array` of `length` bytes
   * @throws RangeError on a bad length; Error after `wipe()`
   */
  keystream(length: number): Uint8Array;
  /**
   * Discards the next `length` keystream bytes.
   * @param length - a non-negative integer
   * @throws RangeError on a bad length; Error after `wipe()`
   */
  skip(length: number): void;
  /** Keystream bytes used since the drop (by `xor`, `keystream` and `skip`). */
  readonly position: number;
  /** Zeroes the internal state; any later call throws. */
  wipe(): void;
}

const typeName = (value: unknown): string => {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor !== Object ? ctor.name : 'object';
};

/** @internal Throws a TypeError naming `name` unless `value` is a Uint8Array (a Node Buffer is one; so is one from another realm). */
export function _abytes(name: string, value: unknown): asserts value is Uint8Array {
  if (value instanceof Uint8Array) return;
  if (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array') return;
  throw new TypeError(`"${name}" expected Uint8Array, got ${typeName(value)}`);
}

/** @internal Throws a RangeError naming `name` unless `value` is a non-negative safe integer. */
export function _alength(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    const shown = typeof value === 'number' ? String(value) : typeName(value);
    throw new RangeError(`"${name}" expected a non-negative integer, got ${shown}`);
  }
}

function checkKey(key: unknown): asserts key is Uint8Array {
  _abytes('key', key);
  if (key.length < 1 || key.length > 256) {
    throw new RangeError(`"key" expected length 1..256, got ${key.length}`);
  }
}

function readDrop(options: unknown): number {
  if (options === undefined) return 0;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`"options" expected an object, got ${typeName(options)}`);
  }
  const drop = (options as RC4Options).drop;
  if (drop === undefined) return 0;
  _alength('drop', drop);
  return drop;
}

/*
 * Performance layout (README, "Benchmarks", lists what each step gave):
 *
 * - The permutation being worked on lives in ONE Uint8Array, `WORK`, created once. V8 then
 *   knows its length is 256, so `S[x & 255]` needs no bounds check, which it keeps for a
 *   per-object array. Each stream keeps its own copy in `state`; `WORK` is loaded from it
 *   when a different stream runs next, and saved back first (two 256-byte copies on a
 *   switch, none while one stream keeps going).
 * - `WORK` is declared inside a function (the IIFE below), not at module scope: as an ES
 *   module binding it was ~25% slower in V8. Each loop copies it into a local `S` first: a
 *   `const` read from an enclosing scope pays a TDZ check on every use.
 * - i and j live in locals; the byte loop is unrolled by four.
 * - Longer inputs pack four keystream bytes into one 32-bit word and XOR it with the data
 *   through Int32Array views, on little-endian machines (all browsers', x64's and arm64's):
 *   keystream byte k goes to bits 8k..8k+7, which is memory byte k only in that byte order.
 *   Creating the views costs two allocations, so short inputs take the byte loop.
 */

/** @internal Whether this machine stores the low byte of a word first (the 32-bit path needs it). */
export const _LITTLE_ENDIAN: boolean = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

const RC4 = /* @__PURE__ */ (() => {
  const WORK = new Uint8Array(256);
  let loaded: RC4 | undefined;

  /**
   * Inputs at least this long use the 32-bit path when `src` and `out` share 4-byte alignment.
   * That path puts keystream byte k in bits 8k..8k+7 of a word, which is memory byte k only on a
   * little-endian machine: on a big-endian one (Node on s390x or AIX) it is off.
   */
  const WORD_MIN = _LITTLE_ENDIAN ? 768 : Number.POSITIVE_INFINITY;

  function load(stream: RC4): void {
    if (loaded === stream) return;
    if (loaded !== undefined) loaded.state!.set(WORK);
    WORK.set(stream.state!);
    loaded = stream;
  }

  class RC4 implements RC4Stream {
    /** This stream's permutation while another stream owns `WORK` (stale while this one does). */
    state: Uint8Array | undefined = new Uint8Array(256);
    private i = 0;
    private j = 0;
    private pos = 0;

    constructor(key: Uint8Array, drop: number) {
      const S = WORK;
      if (loaded !== undefined) loaded.state!.set(S);
      loaded = this;
      for (let n = 0; n < 256; n++) S[n] = n;
      const klen = key.length;
      let j = 0;
      for (let n = 0, k = 0; n < 256; n++) {
        const t = S[n]!;
        j = (j + t + key[k]!) & 255;
        S[n] = S[j]!;
        S[j] = t;
        if (++k === klen) k = 0;
      }
      if (drop > 0) this.advance(drop);
      this.pos = 0;
    }

    get position(): number {
      return this.pos;
    }

    private check(): void {
      if (this.state === undefined) throw new Error('RC4 stream used after wipe()');
    }

    /** Discards n keystream bytes. */
    private advance(n: number): void {
      load(this);
      const S = WORK;
      let i = this.i;
      let j = this.j;
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 255;
        const a = S[i]!;
        j = (j + a) & 255;
        S[i] = S[j]!;
        S[j] = a;
      }
      this.i = i;
      this.j = j;
      this.pos += n;
    }

    /** out[0..n) = src[0..n) ^ keystream; `src` and `out` may be the same array (not partially overlapping). */
    private crypt(src: Uint8Array, out: Uint8Array, n: number): void {
      load(this);
      const S = WORK;
      let i = this.i;
      let j = this.j;
      let k = 0;
      let a: number;
      let b: number;
      if (n >= WORD_MIN && ((src.byteOffset ^ out.byteOffset) & 3) === 0) {
        // Bytes until `out` is 4-byte aligned, then whole words.
        const head = (4 - (out.byteOffset & 3)) & 3;
        for (; k < head; k++) {
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          out[k] = src[k]! ^ S[(a + b) & 255]!;
        }
        const words = (n - head) >>> 2;
        const src32 = new Int32Array(src.buffer, src.byteOffset + head, words);
        const out32 = new Int32Array(out.buffer, out.byteOffset + head, words);
        for (let w = 0; w < words; w++) {
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          let x = S[(a + b) & 255]!;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          x |= S[(a + b) & 255]! << 8;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          x |= S[(a + b) & 255]! << 16;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          x |= S[(a + b) & 255]! << 24;
          out32[w] = src32[w]! ^ x;
        }
        k = head + (words << 2);
      } else {
        for (const end = n & ~3; k < end; k += 4) {
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          out[k] = src[k]! ^ S[(a + b) & 255]!;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          out[k + 1] = src[k + 1]! ^ S[(a + b) & 255]!;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          out[k + 2] = src[k + 2]! ^ S[(a + b) & 255]!;
          i = (i + 1) & 255;
          a = S[i]!;
          j = (j + a) & 255;
          b = S[j]!;
          S[i] = b;
          S[j] = a;
          out[k + 3] = src[k + 3]! ^ S[(a + b) & 255]!;
        }
      }
      for (; k < n; k++) {
        i = (i + 1) & 255;
        a = S[i]!;
        j = (j + a) & 255;
        b = S[j]!;
        S[i] = b;
        S[j] = a;
        out[k] = src[k]! ^ S[(a + b) & 255]!;
      }
      this.i = i;
      this.j = j;
      this.pos += n;
    }

    /** out[0..n) = keystream. */
    private generate(out: Uint8Array, n: number): void {
      load(this);
      const S = WORK;
      let i = this.i;
      let j = this.j;
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 255;
        const a = S[i]!;
        j = (j + a) & 255;
        const b = S[j]!;
        S[i] = b;
        S[j] = a;
        out[k] = S[(a + b) & 255]!;
      }
      this.i = i;
      this.j = j;
      this.pos += n;
    }

    xor(src: Uint8Array, out?: Uint8Array): Uint8Array {
      this.check();
      _abytes('src', src);
      const n = src.length;
      if (out === undefined) {
        out = new Uint8Array(n);
      } else {
        _abytes('out', out);
        if (out.length < n) throw new RangeError(`"out" expected length >= ${n}, got ${out.length}`);
        if (out.length > n) out = out.subarray(0, n);
        // A partial overlap would read bytes already written: work from a copy. (Offsets first:
        // reading `.buffer` of a small array makes V8 materialize it. `new Uint8Array(src)`, not
        // `src.slice()`, which for a Node Buffer is a view of the same memory, not a copy.)
        const so = src.byteOffset;
        const oo = out.byteOffset;
        if (so !== oo && Math.abs(so - oo) < n && out.buffer === src.buffer) src = new Uint8Array(src);
      }
      this.crypt(src, out, n);
      return out;
    }

    keystream(length: number): Uint8Array {
      this.check();
      _alength('length', length);
      const out = new Uint8Array(length);
      this.generate(out, length);
      return out;
    }

    skip(length: number): void {
      this.check();
      _alength('length', length);
      this.advance(length);
    }

    wipe(): void {
      if (this.state === undefined) return;
      if (loaded === this) {
        WORK.fill(0);
        loaded = undefined;
      }
      this.state.fill(0);
      this.state = undefined;
      this.i = 0;
      this.j = 0;
    }
  }
  return RC4;
})();

/**
 * Creates an RC4 (or RC4-drop[n]) keystream from a key.
 * @param key - 1 to 256 bytes
 * @param options - `drop`: keystream bytes to discard first (default 0; arctalk uses 3072)
 * @returns a stateful {@link RC4Stream}
 * @throws TypeError if `key` is not a `Uint8Array`; RangeError if its length is not 1..256 or `drop` is bad
 * @example
 * ```ts
 * const enc = createRC4(key, { drop: 3072 });
 * const ct = enc.xor(new TextEncoder().encode('hello'));
 * ```
 */
export function createRC4(key: Uint8Array, options?: RC4Options): RC4Stream {
  checkKey(key);
  const drop = readDrop(options);
  return new RC4(key, drop);
}

/**
 * One-shot RC4: XORs `data` with the keystream of `key` (after `drop` bytes).
 * @param key - 1 to 256 bytes
 * @param data - plaintext or ciphertext (not modified)
 * @param options - `drop`: keystream bytes to discard first (default 0)
 * @returns a new `Uint8Array` of `data.length` bytes
 * @throws TypeError if `key` or `data` is not a `Uint8Array`; RangeError on a bad key length or `drop`
 * @example
 * ```ts
 * rc4(new TextEncoder().encode('Key'), new TextEncoder().encode('Plaintext')); // bb f3 16 e8 d9 40 af 0a d3
 * ```
 */
export function rc4(key: Uint8Array, data: Uint8Array, options?: RC4Options): Uint8Array {
  checkKey(key);
  _abytes('data', data);
  const stream = new RC4(key, readDrop(options));
  const out = stream.xor(data);
  stream.wipe();
  return out;
}

/**
 * A Web Streams `TransformStream` that encrypts (or decrypts) every chunk piped through it
 * with one continuous RC4 keystream.
 * @param key - 1 to 256 bytes
 * @param options - `drop`: keystream bytes to discard first (default 0)
 * @returns a `TransformStream<Uint8Array, Uint8Array>`; its state is wiped when the stream
 *   ends, errors or is cancelled (where the runtime calls `cancel`: Node ≥ 20, current browsers)
 * @throws TypeError / RangeError as {@link createRC4}; a non-`Uint8Array` chunk errors the stream with a TypeError
 * @example
 * ```ts
 * await readable.pipeThrough(createRC4TransformStream(key, { drop: 3072 })).pipeTo(writable);
 * ```
 */
export function createRC4TransformStream(
  key: Uint8Array,
  options?: RC4Options,
): TransformStream<Uint8Array, Uint8Array> {
  const stream = createRC4(key, options);
  // `cancel` is in the Streams standard (and Node ≥ 20) but not yet in TypeScript's DOM types.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
    transform(chunk, controller) {
      try {
        _abytes('chunk', chunk);
        controller.enqueue(stream.xor(chunk));
      } catch (error) {
        stream.wipe(); // the stream is errored: nothing will flush it
        throw error;
      }
    },
    flush() {
      stream.wipe();
    },
    cancel() {
      stream.wipe(); // readable side cancelled or writable side aborted
    },
  };
  return new TransformStream<Uint8Array, Uint8Array>(transformer);
}
