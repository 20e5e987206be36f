/*
 * shale's WebAssembly kernel: CRC-32C and Snappy decompression, the two byte loops of a block-cache
 * miss. Freestanding C (no libc); scripts/build-wasm-kernel.mjs compiles it with clang to
 * src/util/wasm/kernel-bytes.ts. The TypeScript versions (src/util/crc32c.ts, src/sstable/snappy.ts)
 * remain the reference: test/util/wasm-kernel.test.ts checks this code against them byte for byte.
 *
 * Memory contract (kept by src/util/wasm/kernel.ts): every buffer passed in has at least SLACK (64)
 * writable and readable bytes past its end, so the copy loops may move 8 or 16 bytes at a time past the
 * end of the data; bytes past the end are never part of a result.
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define EXPORT(name) __attribute__((export_name(name)))

static u32 crc_tables[16][256];

EXPORT("crc32c_init")
void crc32c_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int j = 0; j < 8; j++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    crc_tables[0][i] = c;
  }
  for (u32 i = 0; i < 256; i++)
    for (int k = 1; k < 16; k++) crc_tables[k][i] = (crc_tables[k - 1][i] >> 8) ^ crc_tables[0][crc_tables[k - 1][i] & 0xff];
}

static inline u32 load32(const u8 *p) { return __builtin_bit_cast(u32, *(const u8(*)[4])p); }
static inline u64 load64(const u8 *p) { return __builtin_bit_cast(u64, *(const u8(*)[8])p); }
static inline void store64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }

/*
 * crc32c_extend continues `crc` (of earlier bytes) over p[0, n): slicing by 16 with 32-bit loads (by 8,
 * 100 KB took 68 us here; by 16, 50-55 us: half the loop overhead per byte; WAL records and table
 * blocks of large values are long).
 */
EXPORT("crc32c_extend")
u32 crc32c_extend(u32 crc, const u8 *p, u32 n) {
  u32 c = ~crc;
  const u32(*t)[256] = crc_tables;
  while (n >= 16) {
    u32 a = c ^ load32(p);
    u32 b = load32(p + 4);
    u32 d = load32(p + 8);
    u32 e = load32(p + 12);
    c = t[15][a & 0xff] ^ t[14][(a >> 8) & 0xff] ^ t[13][(a >> 16) & 0xff] ^ t[12][a >> 24] ^
        t[11][b & 0xff] ^ t[10][(b >> 8) & 0xff] ^ t[9][(b >> 16) & 0xff] ^ t[8][b >> 24] ^
        t[7][d & 0xff] ^ t[6][(d >> 8) & 0xff] ^ t[5][(d >> 16) & 0xff] ^ t[4][d >> 24] ^
        t[3][e & 0xff] ^ t[2][(e >> 8) & 0xff] ^ t[1][(e >> 16) & 0xff] ^ t[0][e >> 24];
    p += 16;
    n -= 16;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

/*
 * snappy_uncompress decodes the Snappy elements in[0, in_len) (the length header already consumed)
 * into out[0, out_len). Returns 0 on success, or a code > 0 naming the first malformation: 1 literal
 * length runs past the input, 2 literal runs past the input, 3 literal runs past the output, 4 copy runs
 * past the input, 5 copy offset out of range, 6 copy runs past the output, 7 output shorter than
 * declared.
 */
EXPORT("snappy_uncompress")
u32 snappy_uncompress(const u8 *ip, u32 in_len, u8 *out, u32 out_len) {
  const u8 *const ip_end = ip + in_len;
  u8 *op = out;
  u8 *const op_end = out + out_len;
  while (ip < ip_end) {
    u32 tag = *ip++;
    u32 len, off;
    switch (tag & 3) {
    case 0: {
      len = tag >> 2;
      if (len < 16) {
        /* Short literal: one 16-byte move (slack covers the overrun), once the bounds hold. */
        if (len >= (u32)(ip_end - ip)) return 2;
        if (len >= (u32)(op_end - op)) return 3;
        store64(op, load64(ip));
        store64(op + 8, load64(ip + 8));
        ip += len + 1;
        op += len + 1;
        continue;
      }
      if (len >= 60) {
        u32 extra = len - 59;
        if (extra > (u32)(ip_end - ip)) return 1;
        len = ip[0];
        if (extra > 1) len |= (u32)ip[1] << 8;
        if (extra > 2) len |= (u32)ip[2] << 16;
        if (extra > 3) len |= (u32)ip[3] << 24;
        ip += extra;
      }
      /* len + 1 bytes follow; compared as len >= room so that len = 2^32 - 1 cannot wrap. */
      if (len >= (u32)(ip_end - ip)) return 2;
      if (len >= (u32)(op_end - op)) return 3;
      len += 1;
      __builtin_memcpy(op, ip, len);
      ip += len;
      op += len;
      continue;
    }
    case 1:
      if (ip >= ip_end) return 4;
      len = 4 + ((tag >> 2) & 7);
      off = ((tag >> 5) << 8) | *ip++;
      break;
    case 2:
      if (ip_end - ip < 2) return 4;
      len = (tag >> 2) + 1;
      off = (u32)ip[0] | ((u32)ip[1] << 8);
      ip += 2;
      break;
    default:
      if (ip_end - ip < 4) return 4;
      len = (tag >> 2) + 1;
      off = load32(ip);
      ip += 4;
      break;
    }
    if (off == 0 || off > (u32)(op - out)) return 5;
    if (len > (u32)(op_end - op)) return 6;
    const u8 *from = op - off;
    if (off >= 8) {
      /* Each 8-byte move reads only bytes already written (off >= 8); the overrun lands in slack or in
         bytes a later element overwrites. */
      for (u32 i = 0; i < len; i += 8) store64(op + i, load64(from + i));
    } else {
      /* An overlapping copy repeats the last `off` bytes: byte by byte. */
      for (u32 i = 0; i < len; i++) op[i] = from[i];
    }
    op += len;
  }
  return op == op_end ? 0 : 7;
}

/*
 * Snappy compression: the same greedy matcher as src/sstable/snappy.ts (same hash, table sizes, skip
 * heuristic and tags), so both produce the same bytes; test/util/wasm-kernel.test.ts checks they do.
 */
#define FRAGMENT_SIZE (1u << 16)
#define MIN_MATCHABLE_LENGTH 17u
#define INPUT_MARGIN 15u
#define MIN_TABLE_BITS 8u
#define MAX_TABLE_BITS 14u
#define HASH_MUL 0x1e35a7bdu

static unsigned short hash_table[1u << MAX_TABLE_BITS];

static u8 *emit_literal(const u8 *from, u32 len, u8 *op) {
  if (len == 0) return op;
  u32 n = len - 1;
  if (n < 60) {
    *op++ = (u8)(n << 2);
  } else if (n < 0x100) {
    *op++ = 60 << 2;
    *op++ = (u8)n;
  } else if (n < 0x10000) {
    *op++ = 61 << 2;
    *op++ = (u8)n;
    *op++ = (u8)(n >> 8);
  } else if (n < 0x1000000) {
    *op++ = 62 << 2;
    *op++ = (u8)n;
    *op++ = (u8)(n >> 8);
    *op++ = (u8)(n >> 16);
  } else {
    *op++ = 63 << 2;
    *op++ = (u8)n;
    *op++ = (u8)(n >> 8);
    *op++ = (u8)(n >> 16);
    *op++ = (u8)(n >> 24);
  }
  __builtin_memcpy(op, from, len);
  return op + len;
}

static u8 *emit_copy(u8 *op, u32 offset, u32 len) {
  while (len >= 68) {
    *op++ = 2 | (63 << 2);
    *op++ = (u8)offset;
    *op++ = (u8)(offset >> 8);
    len -= 64;
  }
  if (len > 64) {
    *op++ = 2 | (59 << 2);
    *op++ = (u8)offset;
    *op++ = (u8)(offset >> 8);
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    *op++ = (u8)(1 | ((len - 4) << 2) | ((offset >> 8) << 5));
    *op++ = (u8)offset;
  } else {
    *op++ = (u8)(2 | ((len - 1) << 2));
    *op++ = (u8)offset;
    *op++ = (u8)(offset >> 8);
  }
  return op;
}

static inline u32 hash4(u32 v, u32 shift) { return (v * HASH_MUL) >> shift; }

static u8 *compress_fragment(const u8 *in, u32 base, u32 end, u8 *op) {
  u32 len = end - base;
  if (len < MIN_MATCHABLE_LENGTH) return emit_literal(in + base, len, op);
  u32 bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && (1u << bits) < len) bits++;
  u32 shift = 32 - bits;
  __builtin_memset(hash_table, 0, sizeof(unsigned short) << bits);
  u32 ip_limit = end - INPUT_MARGIN;
  u32 next_emit = base;
  u32 ip = base + 1;
  /* The word at each probed position is loaded once (the hash table's stores may alias the input). */
  u32 next_word = load32(in + ip);
  u32 next_hash = hash4(next_word, shift);
  for (;;) {
    u32 skip = 32, next_ip = ip, candidate, word;
    do {
      ip = next_ip;
      word = next_word;
      u32 h = next_hash;
      next_ip = ip + (skip++ >> 5);
      if (next_ip > ip_limit) goto done;
      next_word = load32(in + next_ip);
      next_hash = hash4(next_word, shift);
      candidate = base + hash_table[h];
      hash_table[h] = (unsigned short)(ip - base);
    } while (word != load32(in + candidate));
    op = emit_literal(in + next_emit, ip - next_emit, op);
    for (;;) {
      u32 s = ip + 4, m = candidate + 4;
      /* 8 bytes a step; the first differing byte is found from the XOR's trailing zeros. */
      while (s + 8 <= end) {
        u64 x = load64(in + s) ^ load64(in + m);
        if (x != 0) {
          s += (u32)__builtin_ctzll(x) >> 3;
          goto matched;
        }
        s += 8;
        m += 8;
      }
      while (s < end && in[s] == in[m]) {
        s++;
        m++;
      }
    matched:
      op = emit_copy(op, ip - candidate, s - ip);
      ip = s;
      next_emit = ip;
      if (ip >= ip_limit) goto done;
      hash_table[hash4(load32(in + ip - 1), shift)] = (unsigned short)(ip - 1 - base);
      u32 cur = load32(in + ip);
      u32 h = hash4(cur, shift);
      candidate = base + hash_table[h];
      hash_table[h] = (unsigned short)(ip - base);
      if (cur != load32(in + candidate)) break;
    }
    ip++;
    next_word = load32(in + ip);
    next_hash = hash4(next_word, shift);
  }
done:
  if (next_emit < end) op = emit_literal(in + next_emit, end - next_emit, op);
  return op;
}

/*
 * snappy_compress writes the Snappy encoding of in[0, n) (varint32 length header, then elements) to
 * out, which has room for 32 + n + n / 6 bytes; returns the number of bytes written.
 */
EXPORT("snappy_compress")
u32 snappy_compress(const u8 *in, u32 n, u8 *out) {
  u8 *op = out;
  u32 v = n;
  while (v >= 0x80) {
    *op++ = (u8)(v | 0x80);
    v >>= 7;
  }
  *op++ = (u8)v;
  for (u32 start = 0; start < n; start += FRAGMENT_SIZE) {
    u32 end = n - start < FRAGMENT_SIZE ? n : start + FRAGMENT_SIZE;
    op = compress_fragment(in, start, end, op);
  }
  return (u32)(op - out);
}
