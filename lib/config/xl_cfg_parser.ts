/**
 * The parser of xl's config language: the LALR(1) automaton of libxlutil's bison grammar
 * (`tools/libs/util/libxlu_cfg_y.y`), with bison's default reductions, its `error NEWLINE`
 * recovery and its verbose messages, and the semantic actions of `libxlu_cfg.c`
 * (`xlu__cfg_set_store`, `+=` concatenation, `xlu__cfg_yyerror`'s line arithmetic). What it
 * reports is byte-for-byte what `xlu_cfg_readdata` writes to its report stream.
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
import { Tok, type Token, TOKEN_NAMES, type TokKind, XlCfgLexer } from "./xl_cfg_lexer.ts";

/** A config value: a string or a (possibly nested) list; `line` is where it starts. */
export type XlCfgValue =
  | { kind: "string"; value: string; line: number }
  | { kind: "list"; items: XlCfgValue[]; line: number };

/** One `KEY = VALUE` / `KEY += VALUE` statement, as libxlutil stores it. */
export interface XlCfgSetting {
  /** The key. */
  name: string;
  /** `=` or `+=` (which numbers refuse). */
  op: "=" | "+=";
  /** The line of the value (`@3.first_line`), which warnings cite. */
  line: number;
  /** The value (for `+=`, already joined with the previous one). */
  value: XlCfgValue;
}

/** What `xlu_cfg_readdata` leaves behind: errno-style code, report lines, settings. */
export interface XlCfgReadResult {
  /** 0 on success, 22 (EINVAL) on a parse error. */
  rc: number;
  /** Every line libxlutil writes to its report stream, without newlines. */
  report: string[];
  /** All settings, oldest first (a name's newest one is in effect). Empty when rc ≠ 0. */
  settings: XlCfgSetting[];
}

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

interface StackEntry {
  state: number;
  /** Semantic value: token text, or a value, or null. */
  value: string | XlCfgValue | null;
  line: number;
}

/**
 * Reads config text given as a byte string (see `byte_string.ts`), as `xlu_cfg_readdata`
 * with report source `source` does. Never throws for bad input.
 */
export function readXlCfgBytes(src: string, source: string): XlCfgReadResult {
  const report: string[] = [];
  const settings: XlCfgSetting[] = [];
  let err = 0;
  let lexErrLine = -1;
  let likelyPython = false;

  const yyerror = (firstLine: number, message: string) => {
    let lineno = firstLine;
    if (lineno <= lexErrLine) return;
    let len = lexer.text.length;
    let newline = "";
    if (len > 0 && lexer.text[len - 1] === "\n") {
      len--;
      lineno--;
      if (!len) newline = "<newline>";
    }
    while (len > 0 && (lexer.text[len - 1] === "\t" || lexer.text[len - 1] === " ")) len--;
    const near = lexer.text.slice(0, len).split("\0")[0];
    const quoted = len ? "`" + near + "'" : "";
    report.push(`${source}:${lineno}: config parsing error near ${quoted}${newline}: ${message}`);
    if (!err) err = EINVAL;
  };
  const lexicalError = (message: string) => {
    const firstLine = lexer.lineno;
    yyerror(firstLine, message);
    lexErrLine = firstLine;
  };
  const lexer = new XlCfgLexer(src, {
    lexicalError,
    likelyPython: () => likelyPython = true,
  });

  const find = (name: string) => settings.findLast((s) => s.name === name);
  const store = (name: string, op: "=" | "+=", value: XlCfgValue | null, line: number) => {
    if (err || value === null) return;
    if (op === "+=") {
      const prev = find(name);
      if (prev) {
        if (prev.value.kind !== value.kind) {
          lexicalError(`can't add [list] to "string" or vice versa`);
          err = EINVAL;
          return;
        }
        if (prev.value.kind === "string" && value.kind === "string") {
          value.value = prev.value.value + value.value;
        } else if (prev.value.kind === "list" && value.kind === "list") {
          value.items = [...prev.value.items, ...value.items];
          prev.value.items = [];
        }
      }
    }
    settings.push({ name, op, line, value });
  };

  /** Semantic action of rule `rule` over its right-hand side; returns the value of `$$`. */
  const act = (
    rule: number,
    stack: StackEntry[],
    at: number,
    lookaheadLine: number,
  ): StackEntry["value"] => {
    const rhs = (i: number) => stack[at + i];
    switch (rule) {
      case 8:
      case 9:
        store(
          rhs(0).value as string,
          rule === 8 ? "=" : "+=",
          rhs(2).value as XlCfgValue,
          rhs(2).line,
        );
        return null;
      case 12:
        if (err || rhs(0).value === null) return null;
        return { kind: "string", value: rhs(0).value as string, line: rhs(0).line };
      case 13:
        return rhs(2).value;
      case 14:
      case 15:
      case 17:
      case 18:
        return rhs(0).value;
      case 16:
        return err ? null : { kind: "list", items: [], line: lookaheadLine };
      case 19:
        if (err || rhs(0).value === null) return null;
        return { kind: "list", items: [rhs(0).value as XlCfgValue], line: rhs(0).line };
      case 20: {
        const list = rhs(0).value as XlCfgValue | null;
        if (!err && list?.kind === "list" && rhs(3).value !== null) {
          list.items.push(rhs(3).value as XlCfgValue);
        }
        return list;
      }
      default:
        return null;
    }
  };

  /** The semantic value of a token as the scanner's actions make it. */
  const tokenValue = (token: Token): string | null => {
    if (token.kind === Tok.STRING) {
      if (err) return null;
      const result = dequote(token.text);
      if (result.error !== undefined) {
        lexicalError(result.error);
        err = EINVAL;
      }
      return result.value.split("\0")[0];
    }
    return token.kind === Tok.IDENT || token.kind === Tok.NUMBER ? token.text : null;
  };

  const stack: StackEntry[] = [{ state: 0, value: null, line: 1 }];
  let lookahead: Token | null = null;
  let lookaheadValue: string | null = null;
  let errStatus = 0;
  const readToken = () => {
    lookahead = lexer.next();
    lookaheadValue = tokenValue(lookahead);
  };

  parse: for (;;) {
    const stateNumber = stack[stack.length - 1].state;
    let rule: number;
    if (CONSISTENT[stateNumber]) {
      rule = REDUCE[stateNumber * TOKENS];
    } else {
      if (lookahead === null) readToken();
      const token = lookahead!;
      if (stateNumber === 1 && token.kind === Tok.END) break parse; // accept
      const target = SHIFT[stateNumber * TOKENS + token.kind];
      if (target >= 0) {
        if (errStatus) errStatus--;
        stack.push({ state: target, value: lookaheadValue, line: token.line });
        lookahead = null;
        continue;
      }
      rule = REDUCE[stateNumber * TOKENS + token.kind];
      if (rule === 0) {
        const state = STATES[stateNumber];
        // Syntax error: report (unless recovering), then bison's `error` recovery.
        if (errStatus === 0) {
          const expected = expectedTokens(state);
          let message = `syntax error, unexpected ${TOKEN_NAMES[token.kind]}`;
          if (expected.length > 0 && expected.length < 5) {
            message += ", expecting " + expected.map((t) => TOKEN_NAMES[t]).join(" or ");
          }
          yyerror(token.line, message);
        } else if (errStatus === 3) {
          if (token.kind === Tok.END) break parse;
          lookahead = null;
        }
        errStatus = 3;
        for (;;) {
          const top = STATES[stack[stack.length - 1].state];
          if (top.error !== undefined) {
            stack.push({ state: top.error, value: null, line: lexer.line });
            break;
          }
          if (stack.length === 1) break parse;
          stack.pop();
        }
        continue;
      }
    }
    const length = RULE_LENGTH[rule];
    const first = stack.length - length;
    const line = length > 0 ? stack[first].line : lexer.line;
    const value = act(rule, stack, first, lexer.line);
    stack.length = first;
    const below = stack[first - 1].state;
    stack.push({ state: GOTO[below * NONTERMINALS.length + RULE_LHS[rule]], value, line });
  }

  if (err && likelyPython) report.push(...PYTHON_WARNING);
  return { rc: err, report, settings: err ? [] : settings };
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
