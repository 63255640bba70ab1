/**
 * Compact structures for streaming comparisons of millions of records: strings are reduced to
 * 53-bit hashes kept in typed arrays (8 bytes a key instead of ~80 for a string in a Set).
 *
 * A hash collision can only hide a difference, never invent one: with n keys the chance that
 * a given missing key collides with one of them is n / 2^53 (about 1e-10 at a million), which
 * the reconciliation accepts and documents.
 */

/** A 53-bit hash of a string (two 32-bit multiply-xorshift lanes), never 0. */
export function hash53(text: string): number {
  let a = 0x9e3779b9 ^ text.length;
  let b = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ c, 0x1b873593);
    b = (b << 13) | (b >>> 19);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b = Math.imul(b ^ (b >>> 16), 0x27d4eb2f) ^ Math.imul(a ^ (a >>> 13), 0x165667b1);
  const h = (b >>> 0) * 0x200000 + ((a >>> 0) & 0x1fffff);
  return h === 0 ? 1 : h;
}

/**
 * An open-addressing hash table from 53-bit keys to one number each, with a mark per entry
 * (e.g. "matched"). About 17 bytes a slot, at most half full: a million entries take ~34 MB.
 */
export class FingerprintTable {
  #keys: Float64Array;
  #values: Float64Array;
  #marks: Uint8Array;
  #size = 0;

  constructor(expected = 1024) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.#keys = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
    this.#marks = new Uint8Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Sets the value of a key; false if the key was there already (its value is replaced). */
  set(key: number, value = 0): boolean {
    if ((this.#size + 1) * 2 > this.#keys.length) this.#grow();
    const slot = this.#slot(key);
    const isNew = this.#keys[slot] === 0;
    if (isNew) {
      this.#keys[slot] = key;
      this.#size++;
    }
    this.#values[slot] = value;
    return isNew;
  }

  has(key: number): boolean {
    return this.#keys[this.#slot(key)] !== 0;
  }

  /** The value of a key, or undefined. */
  get(key: number): number | undefined {
    const slot = this.#slot(key);
    return this.#keys[slot] === 0 ? undefined : this.#values[slot];
  }

  /** Marks a key (if present); true if it is present. */
  mark(key: number): boolean {
    const slot = this.#slot(key);
    if (this.#keys[slot] === 0) return false;
    this.#marks[slot] = 1;
    return true;
  }

  isMarked(key: number): boolean {
    const slot = this.#slot(key);
    return this.#keys[slot] !== 0 && this.#marks[slot] === 1;
  }

  /** Unmarked entries whose value passes the filter. */
  countUnmarked(filter: (value: number) => boolean = () => true): number {
    let n = 0;
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] !== 0 && this.#marks[i] === 0 && filter(this.#values[i]!)) n++;
    return n;
  }

  #slot(key: number): number {
    const mask = this.#keys.length - 1;
    // The low 21 bits are lane a's, the high 32 lane b's: mix both into the start slot.
    let i = ((key % 0x200000) ^ Math.floor(key / 0x200000)) & mask;
    while (this.#keys[i] !== 0 && this.#keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const marks = this.#marks;
    this.#keys = new Float64Array(keys.length * 2);
    this.#values = new Float64Array(keys.length * 2);
    this.#marks = new Uint8Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      const slot = this.#slot(keys[i]!);
      this.#keys[slot] = keys[i]!;
      this.#values[slot] = values[i]!;
      this.#marks[slot] = marks[i]!;
    }
  }
}
