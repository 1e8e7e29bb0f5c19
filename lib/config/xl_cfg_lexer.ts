/**
 * The scanner of xl's config language, rule for rule as libxlutil's flex scanner
 * (`tools/libs/util/libxlu_cfg_l.l`): longest match, ties to the earlier rule, a `lexerr`
 * start condition that swallows the rest of a bad word, and flex's line counting.
 *
 * It works on a "byte string" (one UTF-16 unit per input byte, i.e. latin1), because the
 * scanner is 8-bit and error texts cut at a NUL byte as C's `printf("%.*s")` does.
 *
 * @module
 */

/** Token kinds, numbered as bison numbers the grammar's symbols (used for ordering). */
export const Tok = {
  END: 0,
  IDENT: 3,
  STRING: 4,
  NUMBER: 5,
  NEWLINE: 6,
  OP_ADD: 7,
  EQUALS: 8,
  SEMICOLON: 9,
  LBRACKET: 10,
  RBRACKET: 11,
  COMMA: 12,
} as const;

/** One of {@linkcode Tok}. */
export type TokKind = typeof Tok[keyof typeof Tok];

/** bison's display names for tokens (`yytname`, quotes stripped as `yytnamerr` does). */
export const TOKEN_NAMES: Record<TokKind, string> = {
  [Tok.END]: "$end",
  [Tok.IDENT]: "IDENT",
  [Tok.STRING]: "STRING",
  [Tok.NUMBER]: "NUMBER",
  [Tok.NEWLINE]: "NEWLINE",
  [Tok.OP_ADD]: "+=",
  [Tok.EQUALS]: "'='",
  [Tok.SEMICOLON]: "';'",
  [Tok.LBRACKET]: "'['",
  [Tok.RBRACKET]: "']'",
  [Tok.COMMA]: "','",
};

/** Callbacks the scanner needs from the parse context (`CfgParseContext`). */
export interface LexerHooks {
  /** `xlu__cfgl_lexicalerror`: reports `message` at the scanner's current line and text. */
  lexicalError(message: string): void;
  /** Set when the scanner meets a character typical of Python (`+ , - . ( ) :`). */
  likelyPython(): void;
}

// Character codes the rules look at (the input is a byte string: one code per byte).
const NL = 10;
const TAB = 9;
const SPACE = 32;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const PLUS = 43;
const EQUALS = 61;
const BACKSLASH = 92;

/** Per byte: the token a one-character rule makes, or -1. */
const SINGLE = new Int8Array(256).fill(-1);
SINGLE[44] = Tok.COMMA;
SINGLE[91] = Tok.LBRACKET;
SINGLE[93] = Tok.RBRACKET;
SINGLE[EQUALS] = Tok.EQUALS;
SINGLE[59] = Tok.SEMICOLON;

const isLower = (c: number) => c >= 97 && c <= 122;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** `[._a-z0-9]`, the tail of an IDENT. */
const isIdentTail = (c: number) => isLower(c) || isDigit(c) || c === 46 || c === 95;
/** `[0-9a-fx]`, the tail of a NUMBER. */
const isNumberTail = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || c === 120;
/** `[+,-.():]`: characters that make a bad word look like Python. */
const isPythonish = (c: number) =>
  c === PLUS || c === 44 || c === 45 || c === 46 || c === 40 || c === 41 || c === 58;

/**
 * The scanner: call {@linkcode XlCfgLexer.next} until it returns `Tok.END`. A token is its
 * kind (the return value), {@linkcode XlCfgLexer.line} and {@linkcode XlCfgLexer.text}; no
 * object per token, since the parser asks for the text only of values and errors.
 */
export class XlCfgLexer {
  /** `yylineno`: 1 + newlines consumed so far. */
  lineno = 1;
  /** `yylloc.first_line`: only tokens update it, so `$end` keeps the previous one. */
  line = 1;
  #pos = 0;
  #inLexErr = false;
  /** Pending `yymore` text, and the one that prefixes the last match's text. */
  #more = "";
  #textMore = "";
  #textStart = 0;
  #textEnd = 0;
  #textAtEnd = false;
  readonly #src: string;
  readonly #hooks: LexerHooks;

  /** A scanner over `src` (a byte string) reporting through `hooks`. */
  constructor(src: string, hooks: LexerHooks) {
    this.#src = src;
    this.#hooks = hooks;
  }

  /** `yytext` of the last match (with any `yymore` prefix; flex's NUL sentinel at the end). */
  get text(): string {
    const text = this.#textMore + this.#src.slice(this.#textStart, this.#textEnd);
    return this.#textAtEnd ? text + "\0" : text;
  }

  /** The last match's text without a `yymore` prefix (tokens other than errors have none). */
  get tokenText(): string {
    return this.#src.slice(this.#textStart, this.#textEnd);
  }

  /** Returns the kind of the next token (`yylex`). */
  next(): TokKind {
    const s = this.#src;
    const length = s.length;
    for (;;) {
      const start = this.#pos;
      if (start >= length) {
        // flex's end-of-buffer: yytext is the pending yymore text plus the NUL sentinel.
        this.#match(start, start, this.#more);
        this.#more = "";
        this.#textAtEnd = true;
        return Tok.END;
      }
      const c = s.charCodeAt(start);
      if (this.#inLexErr) {
        this.#inLexErr = false;
        if (c === NL) {
          this.#pos++;
          this.lineno++;
          this.#match(start, this.#pos, this.#more);
          this.#more = "";
          this.#hooks.lexicalError("lexical error");
          this.line = this.lineno;
          return Tok.NEWLINE;
        }
        if (c === SPACE || c === TAB) {
          this.#pos++;
        } else {
          let end = start;
          while (end < length) {
            const d = s.charCodeAt(end);
            if (d === SPACE || d === TAB || d === NL) break;
            end++;
          }
          this.#pos = end;
        }
        this.#match(start, this.#pos, this.#more);
        this.#more = "";
        this.#hooks.lexicalError("lexical error");
        continue;
      }
      if (isLower(c)) {
        let end = start + 1;
        while (end < length && isIdentTail(s.charCodeAt(end))) end++;
        return this.#token(Tok.IDENT, start, end, this.lineno);
      }
      if (isDigit(c)) {
        let end = start + 1;
        while (end < length && isNumberTail(s.charCodeAt(end))) end++;
        return this.#token(Tok.NUMBER, start, end, this.lineno);
      }
      if (c === SPACE || c === TAB) {
        this.#pos++;
        continue;
      }
      if (c === PLUS && s.charCodeAt(start + 1) === EQUALS) {
        return this.#token(Tok.OP_ADD, start, start + 2, this.lineno);
      }
      const single = c < 256 ? SINGLE[c] : -1;
      if (single >= 0) return this.#token(single as TokKind, start, start + 1, this.lineno);
      if (c === NL) {
        this.lineno++;
        return this.#token(Tok.NEWLINE, start, start + 1, this.lineno - 1);
      }
      if (c === HASH) {
        // `\#.*\n` needs the newline; a comment at the very end is a bad word.
        const newline = s.indexOf("\n", start);
        if (newline >= 0) {
          this.lineno++;
          return this.#token(Tok.NEWLINE, start, newline + 1, this.lineno - 1);
        }
      }
      if (c === SQUOTE || c === DQUOTE) {
        const end = this.#quotedEnd(start, c);
        if (end >= 0) return this.#token(Tok.STRING, start, end, this.lineno);
      }
      // Anything else starts a bad word: `[+-.():]` hints at Python; both go to lexerr.
      if (isPythonish(c)) this.#hooks.likelyPython();
      this.#pos++;
      this.#more = s[start];
      this.#inLexErr = true;
    }
  }

  #match(start: number, end: number, more: string): void {
    this.#textStart = start;
    this.#textEnd = end;
    this.#textMore = more;
    this.#textAtEnd = false;
  }

  #token(kind: TokKind, start: number, end: number, line: number): TokKind {
    this.#pos = end;
    this.#textStart = start;
    this.#textEnd = end;
    this.#textMore = "";
    this.#textAtEnd = false;
    this.line = line;
    return kind;
  }

  /** End (exclusive) of a string quoted by `quote` at `start`, or -1 if it is not closed. */
  #quotedEnd(start: number, quote: number): number {
    const s = this.#src;
    const length = s.length;
    for (let i = start + 1; i < length;) {
      const c = s.charCodeAt(i);
      if (c === quote) return i + 1;
      if (c === NL) return -1;
      if (c === BACKSLASH) {
        if (i + 1 >= length || s.charCodeAt(i + 1) === NL) return -1;
        i += 2;
      } else {
        i++;
      }
    }
    return -1;
  }
}
