/**
 * Generated xl.cfg texts for differential and fuzz tests: token soup built from the pieces
 * of the grammar (so most inputs get deep into the parser), and mutations of valid configs.
 * Deterministic for a given seed.
 *
 * @module
 */

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "name",
  "memory",
  "a",
  "b.c",
  "x_1",
  "disk",
  "vcpus",
  "k9",
  "0",
  "1",
  "512",
  "0x1f",
  "0x",
  "07",
  "09",
  "1abc",
  "99999999999999999999",
  "-1",
  '"str"',
  "'s'",
  '"a\\tb"',
  '"\\q"',
  '"\\x41"',
  '"\\012"',
  '"\\01"',
  "'\\0 1'",
  '"\\\\"',
  '"\\""',
  "'it\\'s'",
  '"é"',
  '"unterminated',
  "'x",
  '""',
  "=",
  "=",
  "+=",
  ",",
  ",",
  "[",
  "]",
  "[",
  "]",
  ";",
  "\n",
  "\n",
  "\n",
  " ",
  "\t",
  "  ",
  "# comment\n",
  "#",
  "@",
  "A",
  "(",
  ")",
  ":",
  ".",
  "+",
  "-",
  "$",
  "\\",
  "\r",
  "\u00ff",
];

const VALID = [
  'name = "vm1"',
  "memory = 512",
  "vcpus = 2",
  "disk = [ '/dev/vg/d1,raw,xvda,rw', 'format=raw, vdev=xvdb, target=/x' ]",
  'virtio = ["type=virtio,device22,transport=mmio"]',
  "extra = 'console=hvc0'",
  "list = [\n  1,\n  2,\n]",
  "nested = [1, [2, 3], []]",
  "extra += ' quiet'",
  "a = 1; b = 2;",
  "# a comment",
  "",
];

/** A token-soup config of up to `maxPieces` pieces. */
export function soup(random: () => number, maxPieces = 30): string {
  const n = 1 + Math.floor(random() * maxPieces);
  let out = "";
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(random() * PIECES.length)];
  return out;
}

/** A mostly valid config with a few random edits (insert, delete, replace, duplicate). */
export function mutated(random: () => number): string {
  const lines: string[] = [];
  const n = 1 + Math.floor(random() * 8);
  for (let i = 0; i < n; i++) lines.push(VALID[Math.floor(random() * VALID.length)]);
  let text = lines.join(random() < 0.8 ? "\n" : ";") + (random() < 0.8 ? "\n" : "");
  const edits = Math.floor(random() * 4);
  for (let e = 0; e < edits && text.length > 0; e++) {
    const at = Math.floor(random() * text.length);
    const kind = random();
    const piece = PIECES[Math.floor(random() * PIECES.length)];
    if (kind < 0.35) text = text.slice(0, at) + piece + text.slice(at);
    else if (kind < 0.6) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 4));
    else if (kind < 0.85) text = text.slice(0, at) + piece + text.slice(at + 1);
    else text = text.slice(0, at) + text.slice(at, at + 6) + text.slice(at);
  }
  return text;
}

/** Hand-written edge cases (each one a behaviour of libxlutil worth pinning). */
export const EDGE_CASES: string[] = [
  "",
  "\n",
  "a = 1",
  "a = 1\n",
  "a=1;b=2;;c=3\n",
  "a = 1\n@",
  "a = 1\n@ x\nb = 2\n",
  "a = @",
  "a = 1\n#x",
  "a = 1 # c",
  "a = 1 # c\n",
  "x\ny\nz\n",
  "= 3\n",
  "a = \n",
  "a",
  "a =",
  "a = [1,2\n",
  "a = [1,,2]\n",
  "a=1 b=2\n",
  "A = 1\n",
  "a = -1\n",
  "a = (1)\n",
  "a = 0x1F\n",
  'a = [1]\na += "x"\n',
  'a = "x"\na += [1]\n',
  "a = [1]\na += [2,3]\n",
  'a = "x"\na += "y"\na += \'z\'\n',
  "a += 1\n",
  "a = [\n1\n,\n]\n",
  "a = []\n",
  "a = [[]]\n",
  "a = [,]\n",
  "a.b_c = 1\n",
  'a = "\\q" @\n',
  "a = @ @\n",
  "a @ @ = 1\n",
  "a = = @\n",
  'a = "\\q"\nb = "\\q"\n',
  "a = 1\n= 2\nb = = 3\n",
  "\n\na b c\nd = 1\ne f\n",
  "a = '\\0 1'\n",
  "a = '\\0+1x'\n",
  'a = "\\012"\n',
  'a = "\\01"\n',
  'a = "\\x41"\n',
  'a = "\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\\'"\n',
  "a = 'x\" y'\n",
  'a = "x\n',
  "a = 'x\\\ny'\n",
  "a = 1\r\n",
  "a = 99999999999999999999\n",
  "a = 9223372036854775807\n",
  "a = 9223372036854775808\n",
  "a = ' -12'\n",
  "a = ' 12 '\n",
  "a = 0x\n",
  "a = 08\n",
  "a = 017\n",
  "a = '0X1f'\n",
  "a = '+5'\n",
  "a = 1e\n",
  "memory = 512\nmemory = 1024\n",
  "a = [1\n\n,\n\n2\n\n]\n",
  "a = [1 2]\n",
  "a = ]\n",
  "a = [1]]\n",
  "[\n",
  "]\n",
  ";\n",
  ";;;\n",
  "\n\n\n",
  "a=1\n\n\n=\n",
  'a = "é"\n',
  'a = "\u00ff"\n',
  "a = 'x' # c\nb = 2",
  "# only a comment\n",
  "#\n#\n",
  "a = 1;\n",
  "a = 1;b",
  "a = 1;b =",
  "a=[1,[2,[3]]]\n",
  "a = 1\n  b = 2\n",
  "\ta = 1\n",
  "a\t=\t1\n",
  "a = 'unterminated\nb = 2\n",
  'a = "\\',
  "a = '",
  'a = """\n',
  "a = ''\n",
  "a = 1\n\x00\n",
  "a = 1\n\x00b\n",
];

/** NUL inside quotes: libxlutil aborts (an assert in its dequote); xlite refuses cleanly. */
export const NUL_IN_STRING = "a = '\x00b'\n";
