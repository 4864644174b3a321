/**
 * RC4 (ARCFOUR) and RC4-drop[n] stream cipher on `Uint8Array`.
 *
 * Known-answer tests: RFC 6229 ("Test Vectors for the Stream Cipher RC4").
 * RC4 is prohibited in TLS by RFC 7465 and is broken for new designs; see README.
 * @module
 */

/** Options for {@link createRC4} and {@link rc4}. */
export interface RC4Options {
  /** Keystream bytes to discard after the key schedule (RC4-drop[n]); default 0, which reproduces RFC 6229. */
  drop?: number;
}

/** A running RC4 keystream. Encryption and decryption are the same operation. */
export interface RC4Stream {
  /**
   * XORs `src` with the next `src.length` keystream bytes.
   * @param src - the plaintext or ciphertext; never modified unless it is also `out`
   * @param out - optional destination of at least `src.length` bytes (may be `src` itself)
   * @returns `out` (or a new array) holding the result, `src.length` bytes
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
  return typeof ctor?.name === 'string' ? ctor.name : 'object';
};

/** @internal */
export function _abytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new TypeError(`"${name}" expected Uint8Array, got ${typeName(value)}`);
}

/** @internal */
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

class RC4 implements RC4Stream {
  // State words live in an Int32Array: V8 reads and writes it as untagged int32.
  private s: Int32Array | undefined = new Int32Array(256);
  private i = 0;
  private j = 0;
  private pos = 0;

  constructor(key: Uint8Array, drop: number) {
    const s = this.s!;
    for (let n = 0; n < 256; n++) s[n] = n;
    const klen = key.length;
    let j = 0;
    for (let n = 0, k = 0; n < 256; n++) {
      const t = s[n]!;
      j = (j + t + key[k]!) & 255;
      s[n] = s[j]!;
      s[j] = t;
      if (++k === klen) k = 0;
    }
    this.run(undefined, undefined, 0, drop);
    this.pos = 0;
  }

  get position(): number {
    return this.pos;
  }

  private state(): Int32Array {
    const s = this.s;
    if (s === undefined) throw new Error('RC4 stream used after wipe()');
    return s;
  }

  /** Core loop: out[k] = src[k] ^ keystream for k < n; with no src, writes keystream; with no out, discards. */
  private run(src: Uint8Array | undefined, out: Uint8Array | undefined, _unused: number, n: number): void {
    const s = this.state();
    let i = this.i;
    let j = this.j;
    if (out === undefined) {
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 255;
        const a = s[i]!;
        j = (j + a) & 255;
        s[i] = s[j]!;
        s[j] = a;
      }
    } else if (src === undefined) {
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 255;
        const a = s[i]!;
        j = (j + a) & 255;
        const b = s[j]!;
        s[i] = b;
        s[j] = a;
        out[k] = s[(a + b) & 255]!;
      }
    } else {
      for (let k = 0; k < n; k++) {
        i = (i + 1) & 255;
        const a = s[i]!;
        j = (j + a) & 255;
        const b = s[j]!;
        s[i] = b;
        s[j] = a;
        out[k] = src[k]! ^ s[(a + b) & 255]!;
      }
    }
    this.i = i;
    this.j = j;
    this.pos += n;
  }

  xor(src: Uint8Array, out?: Uint8Array): Uint8Array {
    this.state();
    _abytes('src', src);
    if (out === undefined) out = new Uint8Array(src.length);
    else {
      _abytes('out', out);
      if (out.length < src.length) {
        throw new RangeError(`"out" expected length >= ${src.length}, got ${out.length}`);
      }
    }
    this.run(src, out, 0, src.length);
    return out.length === src.length ? out : out.subarray(0, src.length);
  }

  keystream(length: number): Uint8Array {
    this.state();
    _alength('length', length);
    const out = new Uint8Array(length);
    this.run(undefined, out, 0, length);
    return out;
  }

  skip(length: number): void {
    this.state();
    _alength('length', length);
    this.run(undefined, undefined, 0, length);
  }

  wipe(): void {
    const s = this.s;
    if (s !== undefined) s.fill(0);
    this.s = undefined;
    this.i = 0;
    this.j = 0;
  }
}

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
 * @returns a `TransformStream<Uint8Array, Uint8Array>`; its state is wiped when the stream ends
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
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      _abytes('chunk', chunk);
      controller.enqueue(stream.xor(chunk));
    },
    flush() {
      stream.wipe();
    },
  });
}
