/**
 * The parser of xl's config language: the LALR(1) automaton of libxlutil's bison grammar
 * (`tools/libs/util/libxlu_cfg_y.y`), with bison's default reductions, its `error NEWLINE`
 * recovery and its verbose messages, and the semantic actions of `libxlu_cfg.c`
 * (`xlu__cfg_set_store`, `+=` concatenation, `xlu__cfg_yyerror`'s line arithmetic). What it
 * reports is byte-for-byte what `xlu_cfg_readdata` writes to its report stream. `readXlCfg`
 * runs it on the configs the direct descent of `xl_cfg_valid.ts` gives up on (those with an
 * error); the two agree on every other config (tests/config/xl_cfg_valid_test.ts).
 *
 * Grammar (rule numbers used below):
 * ```
 *  1 file: stmts            2 | stmts assignment
 *  3 stmts: %empty          4 | stmts stmt
 *  5 stmt: assignment endstmt   6 | endstmt   7 | error NEWLINE
 *  8 assignment: IDENT '=' value   9 | IDENT "+=" value
 * 10 endstmt: NEWLINE      11 | ';'
 * 12 value: atom           13 | '[' nlok valuelist ']'
 * 14 atom: STRING          15 | NUMBER
 * 16 valuelist: %empty     17 | values   18 | values ',' nlok
 * 19 values: value nlok    20 | values ',' nlok value nlok
 * 21 nlok: %empty          22 | nlok NEWLINE
 * ```
 *
 * @module
 */
import { dequote } from "./xl_cfg_dequote.ts";
import { type LexerHooks, Tok, TOKEN_NAMES, type TokKind, XlCfgLexer } from "./xl_cfg_lexer.ts";
import {
  storeSetting,
  type XlCfgReadResult,
  type XlCfgSetting,
  type XlCfgValue,
} from "./xl_cfg_setting.ts";

export type { XlCfgReadResult, XlCfgSetting, XlCfgValue };

const EINVAL = 22;

type Nt =
  | "file"
  | "stmts"
  | "stmt"
  | "assignment"
  | "endstmt"
  | "value"
  | "atom"
  | "valuelist"
  | "values"
  | "nlok";

/** Rule number → [left-hand side, right-hand side length]. */
const RULES: Record<number, [Nt, number]> = {
  1: ["file", 1],
  2: ["file", 2],
  3: ["stmts", 0],
  4: ["stmts", 2],
  5: ["stmt", 2],
  6: ["stmt", 1],
  7: ["stmt", 2],
  8: ["assignment", 3],
  9: ["assignment", 3],
  10: ["endstmt", 1],
  11: ["endstmt", 1],
  12: ["value", 1],
  13: ["value", 4],
  14: ["atom", 1],
  15: ["atom", 1],
  16: ["valuelist", 0],
  17: ["valuelist", 1],
  18: ["valuelist", 3],
  19: ["values", 2],
  20: ["values", 5],
  21: ["nlok", 0],
  22: ["nlok", 2],
};

interface State {
  shift?: Partial<Record<TokKind, number>>;
  /** Explicit reductions (bison keeps them explicit where `error` can be shifted). */
  reduce?: Partial<Record<TokKind, number>>;
  /** bison's default reduction for every other lookahead. */
  otherwise?: number;
  /** Shift target of the `error` token. */
  error?: number;
  goto?: Partial<Record<Nt, number>>;
  accept?: true;
}

const VALUE_START = { [Tok.STRING]: 14, [Tok.NUMBER]: 15, [Tok.LBRACKET]: 16 };

/** The LALR(1) automaton, numbered by item sets (derived from the grammar above). */
const STATES: State[] = [
  /* 0 */ { otherwise: 3, goto: { file: 1, stmts: 2 } },
  /* 1 */ { accept: true },
  /* 2 */ {
    shift: { [Tok.IDENT]: 4, [Tok.NEWLINE]: 5, [Tok.SEMICOLON]: 6 },
    reduce: { [Tok.END]: 1 },
    error: 3,
    goto: { assignment: 7, stmt: 8, endstmt: 9 },
  },
  /* 3 */ { shift: { [Tok.NEWLINE]: 10 } },
  /* 4 */ { shift: { [Tok.OP_ADD]: 11, [Tok.EQUALS]: 12 } },
  /* 5 */ { otherwise: 10 },
  /* 6 */ { otherwise: 11 },
  /* 7 */ {
    shift: { [Tok.NEWLINE]: 5, [Tok.SEMICOLON]: 6 },
    otherwise: 2,
    goto: { endstmt: 13 },
  },
  /* 8 */ { otherwise: 4 },
  /* 9 */ { otherwise: 6 },
  /* 10 */ { otherwise: 7 },
  /* 11 */ { shift: VALUE_START, goto: { value: 17, atom: 18 } },
  /* 12 */ { shift: VALUE_START, goto: { value: 19, atom: 18 } },
  /* 13 */ { otherwise: 5 },
  /* 14 */ { otherwise: 14 },
  /* 15 */ { otherwise: 15 },
  /* 16 */ { otherwise: 21, goto: { nlok: 20 } },
  /* 17 */ { otherwise: 9 },
  /* 18 */ { otherwise: 12 },
  /* 19 */ { otherwise: 8 },
  /* 20 */ {
    shift: { [Tok.NEWLINE]: 21, ...VALUE_START },
    otherwise: 16,
    goto: { valuelist: 22, values: 23, value: 24, atom: 18 },
  },
  /* 21 */ { otherwise: 22 },
  /* 22 */ { shift: { [Tok.RBRACKET]: 25 } },
  /* 23 */ { shift: { [Tok.COMMA]: 26 }, otherwise: 17 },
  /* 24 */ { otherwise: 21, goto: { nlok: 27 } },
  /* 25 */ { otherwise: 13 },
  /* 26 */ { otherwise: 21, goto: { nlok: 28 } },
  /* 27 */ { shift: { [Tok.NEWLINE]: 21 }, otherwise: 19 },
  /* 28 */ {
    shift: { [Tok.NEWLINE]: 21, ...VALUE_START },
    otherwise: 18,
    goto: { value: 29, atom: 18 },
  },
  /* 29 */ { otherwise: 21, goto: { nlok: 30 } },
  /* 30 */ { shift: { [Tok.NEWLINE]: 21 }, otherwise: 20 },
];

/** States that reduce without looking ahead (bison's `yypact_value_is_default`). */
const CONSISTENT = STATES.map((s) => !s.shift && !s.reduce && !s.accept);

// The tables above, flattened into dense arrays for the parse loop (no megamorphic lookups).
const TOKENS = 13;
const NONTERMINALS: Nt[] = [
  "file",
  "stmts",
  "stmt",
  "assignment",
  "endstmt",
  "value",
  "atom",
  "valuelist",
  "values",
  "nlok",
];
/** [state * TOKENS + token] → shift target, or -1. */
const SHIFT = new Int8Array(STATES.length * TOKENS).fill(-1);
/** [state * TOKENS + token] → rule to reduce by (explicit or default), or 0 for error. */
const REDUCE = new Int8Array(STATES.length * TOKENS);
/** [state * NONTERMINALS + lhs] → goto target. */
const GOTO = new Int8Array(STATES.length * NONTERMINALS.length).fill(-1);
/** Rule → [left-hand side index, length]. */
const RULE_LHS = new Int8Array(23);
const RULE_LENGTH = new Int8Array(23);
STATES.forEach((state, n) => {
  for (let t = 0; t < TOKENS; t++) {
    SHIFT[n * TOKENS + t] = state.shift?.[t as TokKind] ?? -1;
    REDUCE[n * TOKENS + t] = state.reduce?.[t as TokKind] ?? state.otherwise ?? 0;
  }
  NONTERMINALS.forEach((nt, i) => {
    GOTO[n * NONTERMINALS.length + i] = state.goto?.[nt] ?? -1;
  });
});
for (const [rule, [lhs, length]] of Object.entries(RULES)) {
  RULE_LHS[Number(rule)] = NONTERMINALS.indexOf(lhs);
  RULE_LENGTH[Number(rule)] = length;
}

const PYTHON_WARNING = [
  "warning: Config file looks like it contains Python code.",
  "warning:  Arbitrary Python is no longer supported.",
  "warning:  See https://wiki.xen.org/wiki/PythonInXlConfig",
];

/** A semantic value on the parser's stack: token text, a value, or nothing. */
type Semantic = string | XlCfgValue | null;

/** One parse: libxlutil's `CfgParseContext` (error state, report, settings) and its scanner. */
class ParseRun implements LexerHooks {
  readonly report: string[] = [];
  readonly settings: XlCfgSetting[] = [];
  err = 0;
  lexErrLine = -1;
  python = false;
  readonly lexer: XlCfgLexer;
  readonly #source: string;

  constructor(src: string, source: string) {
    this.#source = source;
    this.lexer = new XlCfgLexer(src, this);
  }

  /** `xlu__cfg_yyerror`: one report line, unless a lexical error already covered the line. */
  yyerror(firstLine: number, message: string): void {
    let lineno = firstLine;
    if (lineno <= this.lexErrLine) return;
    const text = this.lexer.text;
    let len = text.length;
    let newline = "";
    if (len > 0 && text[len - 1] === "\n") {
      len--;
      lineno--;
      if (!len) newline = "<newline>";
    }
    while (len > 0 && (text[len - 1] === "\t" || text[len - 1] === " ")) len--;
    const near = cutAtNul(text.slice(0, len));
    const quoted = len ? "`" + near + "'" : "";
    this.report.push(
      `${this.#source}:${lineno}: config parsing error near ${quoted}${newline}: ${message}`,
    );
    if (!this.err) this.err = EINVAL;
  }

  /** `xlu__cfgl_lexicalerror`. */
  lexicalError(message: string): void {
    const firstLine = this.lexer.lineno;
    this.yyerror(firstLine, message);
    this.lexErrLine = firstLine;
  }

  /** The scanner met a character typical of Python. */
  likelyPython(): void {
    this.python = true;
  }

  /** `xlu__cfg_set_store` (see {@linkcode storeSetting}), skipped once there is an error. */
  store(name: string, op: "=" | "+=", value: XlCfgValue | null, line: number): void {
    if (this.err || value === null) return;
    if (!storeSetting(this.settings, name, op, value, line)) {
      this.lexicalError(`can't add [list] to "string" or vice versa`);
      this.err = EINVAL;
    }
  }

  /** The semantic value of the token just scanned, as the scanner's actions make it. */
  tokenValue(kind: TokKind): string | null {
    if (kind === Tok.STRING) {
      if (this.err) return null;
      const result = dequote(this.lexer.tokenText);
      if (result.error !== undefined) {
        this.lexicalError(result.error);
        this.err = EINVAL;
      }
      return cutAtNul(result.value);
    }
    return kind === Tok.IDENT || kind === Tok.NUMBER ? this.lexer.tokenText : null;
  }
}

/** C's view of a string: up to its first NUL. */
function cutAtNul(text: string): string {
  const nul = text.indexOf("\0");
  return nul < 0 ? text : text.slice(0, nul);
}

/**
 * The semantic action of `rule` over the right-hand side at `values[first...]` and
 * `lines[first...]`; returns `$$`. `lookaheadLine` is the scanner's last token line.
 */
function act(
  run: ParseRun,
  rule: number,
  values: Semantic[],
  lines: number[],
  first: number,
  lookaheadLine: number,
): Semantic {
  switch (rule) {
    case 8:
    case 9:
      run.store(
        values[first] as string,
        rule === 8 ? "=" : "+=",
        values[first + 2] as XlCfgValue | null,
        lines[first + 2],
      );
      return null;
    case 12:
      if (run.err || values[first] === null) return null;
      return { kind: "string", value: values[first] as string, line: lines[first] };
    case 13:
      return values[first + 2];
    case 14:
    case 15:
    case 17:
    case 18:
      return values[first];
    case 16:
      return run.err ? null : { kind: "list", items: [], line: lookaheadLine };
    case 19:
      if (run.err || values[first] === null) return null;
      return { kind: "list", items: [values[first] as XlCfgValue], line: lines[first] };
    case 20: {
      const list = values[first] as XlCfgValue | null;
      if (!run.err && list?.kind === "list" && values[first + 3] !== null) {
        list.items.push(values[first + 3] as XlCfgValue);
      }
      return list;
    }
    default:
      return null;
  }
}

/**
 * Reads config text given as a byte string (see `byte_string.ts`), as `xlu_cfg_readdata`
 * with report source `source` does. Never throws for bad input.
 */
export function readXlCfgBytes(src: string, source: string): XlCfgReadResult {
  const run = new ParseRun(src, source);
  const lexer = run.lexer;
  // The stack as three parallel arrays (state, semantic value, first line); `sp` is its top.
  const states: number[] = [0];
  const values: Semantic[] = [null];
  const lines: number[] = [1];
  let sp = 0;
  let lookahead = -1; // no lookahead token
  let lookaheadValue: string | null = null;
  let lookaheadLine = 0;
  let errStatus = 0;

  parse: for (;;) {
    const stateNumber = states[sp];
    let rule: number;
    if (CONSISTENT[stateNumber]) {
      rule = REDUCE[stateNumber * TOKENS];
    } else {
      if (lookahead < 0) {
        lookahead = lexer.next();
        lookaheadLine = lexer.line;
        lookaheadValue = run.tokenValue(lookahead as TokKind);
      }
      if (stateNumber === 1 && lookahead === Tok.END) break parse; // accept
      const target = SHIFT[stateNumber * TOKENS + lookahead];
      if (target >= 0) {
        if (errStatus) errStatus--;
        sp++;
        states[sp] = target;
        values[sp] = lookaheadValue;
        lines[sp] = lookaheadLine;
        lookahead = -1;
        continue;
      }
      rule = REDUCE[stateNumber * TOKENS + lookahead];
      if (rule === 0) {
        // Syntax error: report (unless recovering), then bison's `error` recovery.
        if (errStatus === 0) {
          const message = `syntax error, unexpected ${TOKEN_NAMES[lookahead as TokKind]}${
            EXPECTING[stateNumber]
          }`;
          run.yyerror(lookaheadLine, message);
        } else if (errStatus === 3) {
          if (lookahead === Tok.END) break parse;
          lookahead = -1;
        }
        errStatus = 3;
        for (;;) {
          const top = STATES[states[sp]];
          if (top.error !== undefined) {
            sp++;
            states[sp] = top.error;
            values[sp] = null;
            lines[sp] = lexer.line;
            break;
          }
          if (sp === 0) break parse;
          sp--;
        }
        continue;
      }
    }
    const length = RULE_LENGTH[rule];
    const first = sp + 1 - length;
    const line = length > 0 ? lines[first] : lexer.line;
    const value = act(run, rule, values, lines, first, lexer.line);
    const below = states[first - 1];
    sp = first;
    states[sp] = GOTO[below * NONTERMINALS.length + RULE_LHS[rule]];
    values[sp] = value;
    lines[sp] = line;
  }

  if (run.err && run.python) run.report.push(...PYTHON_WARNING);
  return { rc: run.err, report: run.report, settings: run.err ? [] : run.settings };
}

/** Tokens with an explicit action in `state`, in bison's symbol order. */
function expectedTokens(state: State): TokKind[] {
  const kinds = new Set<TokKind>();
  for (const table of [state.shift, state.reduce]) {
    for (const key of Object.keys(table ?? {})) kinds.add(Number(key) as TokKind);
  }
  if (state.accept) kinds.add(Tok.END);
  return [...kinds].sort((a, b) => a - b);
}

/** Per state, the `, expecting ...` part of bison's verbose message (none for 5 or more). */
const EXPECTING: readonly string[] = STATES.map((state) => {
  const expected = expectedTokens(state);
  return expected.length > 0 && expected.length < 5
    ? ", expecting " + expected.map((t) => TOKEN_NAMES[t]).join(" or ")
    : "";
});
