/**
 * The fast path of the xl.cfg reader: a direct descent over the grammar of
 * `xl_cfg_parser.ts` for configs without any error, which are nearly all real ones. It gives
 * up (`undefined`) at the first token a valid config cannot have, and at any lexical error;
 * the LALR automaton then reads the text again and reports as bison does. Accepting exactly
 * the grammar's sentences and storing as its semantic actions do, it returns what the
 * automaton would, in about a third of the time (issue 9 §5, `deno task bench:cfg`).
 *
 * Valid sentences, from the grammar's rules:
 * ```
 * file:  { [IDENT ('=' | "+=") value] (NEWLINE | ';') } [IDENT ('=' | "+=") value] $end
 * value: STRING | NUMBER | '[' {NEWLINE} [value {NEWLINE} {',' {NEWLINE} value {NEWLINE}}
 *        [',' {NEWLINE}]] ']'
 * ```
 *
 * @module
 */
import { dequote } from "./xl_cfg_dequote.ts";
import { type LexerHooks, Tok, XlCfgLexer } from "./xl_cfg_lexer.ts";
import { storeSetting, type XlCfgSetting, type XlCfgValue } from "./xl_cfg_setting.ts";

/** Lists nested deeper than this go to the automaton (its stack is not the call stack). */
const MAX_DEPTH = 256;

/** No token: what {@linkcode ValidReader.advance} gives after a lexical error. */
const FAILED = -1;

/** The descent's state: the scanner and its current token. */
class ValidReader implements LexerHooks {
  readonly lexer: XlCfgLexer;
  /** The current token, or FAILED. */
  tok: number = FAILED;
  /** The first line of the value {@linkcode ValidReader.value} read last (bison's `@$`). */
  valueLine = 0;
  #failed = false;

  constructor(src: string) {
    this.lexer = new XlCfgLexer(src, this);
  }

  /** A lexical error: the config is not valid. */
  lexicalError(): void {
    this.#failed = true;
  }

  /** Only matters for the report of an invalid config. */
  likelyPython(): void {}

  /** Scans the next token. */
  advance(): number {
    const tok = this.lexer.next();
    this.tok = this.#failed ? FAILED : tok;
    return this.tok;
  }

  /** Skips `nlok` (any NEWLINEs). */
  newlines(): void {
    while (this.tok === Tok.NEWLINE) this.advance();
  }

  /** A value starting at the current token (rules 12–20), or undefined if there is none. */
  value(depth: number): XlCfgValue | undefined {
    const tok = this.tok;
    const line = this.lexer.line;
    this.valueLine = line;
    if (tok === Tok.STRING) {
      const text = dequote(this.lexer.tokenText);
      if (text.error !== undefined) return undefined;
      this.advance();
      return { kind: "string", value: text.value, line };
    }
    if (tok === Tok.NUMBER) {
      const value = this.lexer.tokenText;
      this.advance();
      return { kind: "string", value, line };
    }
    if (tok !== Tok.LBRACKET || depth >= MAX_DEPTH) return undefined;
    this.advance();
    this.newlines();
    const items: XlCfgValue[] = [];
    // Rule 19 dates the list by its first value; rule 16 (empty) by the `]`.
    let listLine = 0;
    while (this.tok !== Tok.RBRACKET) {
      const item = this.value(depth + 1);
      if (item === undefined) return undefined;
      if (items.length === 0) listLine = this.valueLine;
      items.push(item);
      this.newlines();
      if (this.tok === Tok.COMMA) {
        this.advance();
        this.newlines();
      } else if (this.tok !== Tok.RBRACKET) {
        return undefined;
      }
    }
    if (items.length === 0) listLine = this.lexer.line;
    this.advance();
    this.valueLine = line;
    return { kind: "list", items, line: listLine };
  }
}

/**
 * The settings of a config that `xlu_cfg_readdata` reads without any report (given as a
 * byte string), or undefined when it is not such a config.
 */
export function readValidXlCfg(src: string): XlCfgSetting[] | undefined {
  const reader = new ValidReader(src);
  const settings: XlCfgSetting[] = [];
  let tok = reader.advance();
  for (;;) {
    if (tok === Tok.END) return settings;
    if (tok === Tok.NEWLINE || tok === Tok.SEMICOLON) {
      tok = reader.advance();
      continue;
    }
    if (tok !== Tok.IDENT) return undefined;
    const name = reader.lexer.tokenText;
    const op = reader.advance();
    if (op !== Tok.EQUALS && op !== Tok.OP_ADD) return undefined;
    reader.advance();
    const value = reader.value(0);
    if (value === undefined) return undefined;
    if (!storeSetting(settings, name, op === Tok.EQUALS ? "=" : "+=", value, reader.valueLine)) {
      return undefined;
    }
    tok = reader.tok;
    if (tok !== Tok.NEWLINE && tok !== Tok.SEMICOLON && tok !== Tok.END) return undefined;
  }
}
