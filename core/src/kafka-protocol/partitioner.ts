const scratch = Buffer.allocUnsafe(1024);

/** `murmur2` of a string's UTF-8 bytes, without a Buffer per key (keys up to 1 KiB; longer ones get one). */
export function murmur2Text(text: string): number {
  if (text.length * 3 > scratch.length) return murmur2(Buffer.from(text));
  const n = scratch.write(text, 0);
  return murmur2(scratch, n);
}

/** Java's murmur2 (Kafka's `Utils.murmur2`), as kafkajs' default partitioner computes it. */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const fours = length & ~3;
  for (let i = 0; i < fours; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= data[fours + 2]! << 16;
  if (tail >= 2) h ^= data[fours + 1]! << 8;
  if (tail >= 1) {
    h ^= data[fours]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
