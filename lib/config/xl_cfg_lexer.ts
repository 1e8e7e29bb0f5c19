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

/** A token: its kind, its raw text (`yytext`) and bison location line (`first_line`). */
export interface Token {
  kind: TokKind;
  text: string;
  line: number;
}

/** Callbacks the scanner needs from the parse context (`CfgParseContext`). */
export interface LexerHooks {
  /** `xlu__cfgl_lexicalerror`: reports `message` at the scanner's current line and text. */
  lexicalError(message: string): void;
  /** Set when the scanner meets a character typical of Python (`+ , - . ( ) :`). */
  likelyPython(): void;
}

const isLower = (c: string) => c >= "a" && c <= "z";
const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentTail = (c: string) => isLower(c) || isDigit(c) || c === "." || c === "_";
const isNumberTail = (c: string) => isDigit(c) || (c >= "a" && c <= "f") || c === "x";

/** The scanner: call {@linkcode XlCfgLexer.next} until it returns `Tok.END`. */
export class XlCfgLexer {
  /** `yylineno`: 1 + newlines consumed so far. */
  lineno = 1;
  /** `yytext` of the last match (with any `yymore` prefix). */
  text = "";
  /** `yylloc.first_line`: only tokens update it, so `$end` keeps the previous one. */
  line = 1;
  #pos = 0;
  #inLexErr = false;
  #more = "";
  readonly #src: string;
  readonly #hooks: LexerHooks;

  constructor(src: string, hooks: LexerHooks) {
    this.#src = src;
    this.#hooks = hooks;
  }

  /** Returns the next token (`yylex`). */
  next(): Token {
    const s = this.#src;
    for (;;) {
      if (this.#pos >= s.length) {
        // flex's end-of-buffer: yytext is the pending yymore text plus the NUL sentinel.
        this.text = this.#more + "\0";
        this.#more = "";
        return { kind: Tok.END, text: this.text, line: this.line };
      }
      const start = this.#pos;
      const c = s[start];
      if (this.#inLexErr) {
        this.#inLexErr = false;
        if (c === "\n") {
          this.#pos++;
          this.lineno++;
          this.text = this.#more + c;
          this.#more = "";
          this.#hooks.lexicalError("lexical error");
          return this.#got(Tok.NEWLINE, this.lineno);
        }
        if (c === " " || c === "\t") {
          this.#pos++;
        } else {
          while (this.#pos < s.length && !" \t\n".includes(s[this.#pos])) this.#pos++;
        }
        this.text = this.#more + s.slice(start, this.#pos);
        this.#more = "";
        this.#hooks.lexicalError("lexical error");
        continue;
      }
      if (isLower(c)) return this.#run(Tok.IDENT, isIdentTail);
      if (isDigit(c)) return this.#run(Tok.NUMBER, isNumberTail);
      if (c === " " || c === "\t") {
        this.#pos++;
        this.text = c;
        continue;
      }
      if (c === "+" && s[start + 1] === "=") {
        this.#pos += 2;
        this.text = "+=";
        return this.#got(Tok.OP_ADD, this.lineno);
      }
      const single = SINGLE_CHAR_TOKENS[c];
      if (single !== undefined) {
        this.#pos++;
        this.text = c;
        return this.#got(single, this.lineno);
      }
      if (c === "\n" || (c === "#" && this.#commentEnd(start) >= 0)) {
        this.#pos = c === "\n" ? start + 1 : this.#commentEnd(start) + 1;
        this.text = s.slice(start, this.#pos);
        this.lineno++;
        return this.#got(Tok.NEWLINE, this.lineno - 1);
      }
      if (c === "'" || c === '"') {
        const end = this.#quotedEnd(start);
        if (end >= 0) {
          this.#pos = end;
          this.text = s.slice(start, end);
          return this.#got(Tok.STRING, this.lineno);
        }
      }
      // Anything else starts a bad word: `[+-.():]` hints at Python; both go to lexerr.
      if ("+,-.():".includes(c)) this.#hooks.likelyPython();
      this.#pos++;
      this.#more = c;
      this.#inLexErr = true;
    }
  }

  #got(kind: TokKind, line: number): Token {
    this.line = line;
    return { kind, text: this.text, line };
  }

  #run(kind: TokKind, tail: (c: string) => boolean): Token {
    const start = this.#pos++;
    while (this.#pos < this.#src.length && tail(this.#src[this.#pos])) this.#pos++;
    this.text = this.#src.slice(start, this.#pos);
    return this.#got(kind, this.lineno);
  }

  /** Index of the newline ending a `#` comment, or -1 (`\#.*\n` needs the newline). */
  #commentEnd(start: number): number {
    return this.#src.indexOf("\n", start);
  }

  /** End (exclusive) of a quoted string starting at `start`, or -1 if it is not closed. */
  #quotedEnd(start: number): number {
    const s = this.#src;
    const quote = s[start];
    for (let i = start + 1; i < s.length;) {
      const c = s[i];
      if (c === quote) return i + 1;
      if (c === "\n") return -1;
      if (c === "\\") {
        if (i + 1 >= s.length || s[i + 1] === "\n") return -1;
        i += 2;
      } else {
        i++;
      }
    }
    return -1;
  }
}

const SINGLE_CHAR_TOKENS: Record<string, TokKind> = {
  ",": Tok.COMMA,
  "[": Tok.LBRACKET,
  "]": Tok.RBRACKET,
  "=": Tok.EQUALS,
  ";": Tok.SEMICOLON,
};
