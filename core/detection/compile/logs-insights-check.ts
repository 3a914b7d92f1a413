/**
 * A static check of Logs Insights query text for the mistakes that make a query return nothing or
 * fail at StartQuery: the documented rules, not a full grammar. The seed runbook's port-scan query
 * (`stats ... by srcaddr | filter action = "REJECT"`) is the model mistake: after `stats`, only the
 * fields it defines exist.
 */

type TokenKind = 'word' | 'field' | 'string' | 'regex' | 'number' | 'op' | 'open' | 'close' | 'comma' | 'pipe';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const COMMANDS = new Set(['fields', 'display', 'filter', 'filterIndex', 'stats', 'sort', 'limit', 'parse', 'dedup', 'pattern', 'diff', 'anomaly', 'unmask', 'unnest', 'lookup', 'SOURCE']);
const AGGREGATES = new Set(['avg', 'count', 'count_distinct', 'max', 'min', 'pct', 'stddev', 'sum', 'earliest', 'latest', 'sortsfirst', 'sortslast']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'like', 'as', 'by', 'asc', 'desc', 'true', 'false', 'null']);
const MAX_STATS = 2;
const MAX_LIMIT = 10_000;

const isWordStart = (c: string): boolean => /[A-Za-z_@]/.test(c);
const isWordChar = (c: string): boolean => /[A-Za-z0-9_.@]/.test(c);
const isKeyword = (t: Token | undefined, word: string): boolean => t?.kind === 'word' && t.text.toLowerCase() === word;

/** Where a `/` opens a regular expression rather than dividing. */
function regexMayStart(tokens: readonly Token[], commandStart: number): boolean {
  const prev = tokens[tokens.length - 1];
  if (prev === undefined || prev.kind === 'pipe' || prev.kind === 'open' || prev.kind === 'comma') return true;
  if (isKeyword(prev, 'like') || (prev.kind === 'op' && prev.text === '=~')) return true;
  // `parse /re/` and `parse field /re/`
  const inCommand = tokens.length - commandStart;
  return isKeyword(tokens[commandStart], 'parse') && inCommand <= 2;
}

function tokenize(text: string, problems: string[]): Token[] {
  const tokens: Token[] = [];
  let commandStart = 0;
  let i = 0;
  const readDelimited = (close: string, what: string): string | undefined => {
    let j = i + 1;
    while (j < text.length && text[j] !== close) j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) {
      problems.push(`unterminated ${what} starting at character ${i + 1}`);
      i = text.length;
      return undefined;
    }
    const body = text.slice(i + 1, j);
    i = j + 1;
    return body;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      const body = readDelimited(c, 'string');
      if (body !== undefined) tokens.push({ kind: 'string', text: body });
    } else if (c === '`') {
      const body = readDelimited('`', 'quoted field name');
      if (body !== undefined) tokens.push({ kind: 'field', text: body });
    } else if (c === '/' && regexMayStart(tokens, commandStart)) {
      const body = readDelimited('/', 'regular expression');
      if (body !== undefined) tokens.push({ kind: 'regex', text: body });
    } else if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9.]/.test(text[j] as string)) j++;
      while (j < text.length && /[A-Za-z]/.test(text[j] as string)) j++; // durations: 5m, 1h
      tokens.push({ kind: 'number', text: text.slice(i, j) });
      i = j;
    } else if (isWordStart(c)) {
      let j = i;
      while (j < text.length && isWordChar(text[j] as string)) j++;
      const word = text.slice(i, j);
      if (text[j] === '-' && /[A-Za-z]/.test(text[j + 1] ?? '')) {
        let k = j + 1;
        while (k < text.length && /[A-Za-z0-9_-]/.test(text[k] as string)) k++;
        const name = text.slice(i, k);
        problems.push(`"${name}" reads as a subtraction: field names with "-" need backticks, or use ${name.replace(/-/g, '_')}`);
      }
      tokens.push({ kind: 'word', text: word });
      i = j;
    } else if (c === '|') {
      tokens.push({ kind: 'pipe', text: c });
      commandStart = tokens.length;
      i++;
    } else if (c === '(' || c === '[') {
      tokens.push({ kind: 'open', text: c });
      i++;
    } else if (c === ')' || c === ']') {
      tokens.push({ kind: 'close', text: c });
      i++;
    } else if (c === ',') {
      tokens.push({ kind: 'comma', text: c });
      i++;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '=~' || two === '!=' || two === '<=' || two === '>=') {
        tokens.push({ kind: 'op', text: two });
        i += 2;
      } else if ('=<>+-*/%^'.includes(c)) {
        tokens.push({ kind: 'op', text: c });
        i++;
      } else {
        problems.push(`unexpected character "${c}" at character ${i + 1}`);
        i++;
      }
    }
  }
  return tokens;
}

/** Split at top-level separators (outside brackets). */
function splitTop(tokens: readonly Token[], isSeparator: (t: Token) => boolean): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'open') depth++;
    if (t.kind === 'close') depth--;
    if (depth === 0 && isSeparator(t)) parts.push([]);
    else (parts[parts.length - 1] as Token[]).push(t);
  }
  return parts;
}

/** `expr as alias` → the alias and the expression. */
function splitAlias(item: readonly Token[]): { expr: readonly Token[]; alias: string | undefined } {
  const n = item.length;
  const last = item[n - 1];
  if (n >= 3 && isKeyword(item[n - 2], 'as') && (last?.kind === 'word' || last?.kind === 'field')) return { expr: item.slice(0, n - 2), alias: last.text };
  return { expr: item, alias: undefined };
}

/** Field names an expression reads: words that are neither keywords nor function names. */
function fieldsRead(expr: readonly Token[]): string[] {
  const out: string[] = [];
  expr.forEach((t, i) => {
    if (t.kind === 'field') out.push(t.text);
    else if (t.kind === 'word' && !KEYWORDS.has(t.text.toLowerCase()) && expr[i + 1]?.text !== '(') out.push(t.text);
  });
  return out;
}

const render = (tokens: readonly Token[]): string =>
  tokens
    .map((t) => (t.kind === 'string' ? `"${t.text}"` : t.kind === 'regex' ? `/${t.text}/` : t.kind === 'field' ? `\`${t.text}\`` : t.text))
    .join(' ')
    .replace(/\s*([(),[\]])\s*/g, '$1')
    .replace(/,/g, ', ');

function statsOutputs(body: readonly Token[]): { aggregates: Token[][]; groups: Token[][] } {
  let depth = 0;
  let by = -1;
  for (let i = 0; i < body.length && by === -1; i++) {
    const t = body[i] as Token;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    else if (depth === 0 && isKeyword(t, 'by')) by = i;
  }
  const comma = (t: Token): boolean => t.kind === 'comma';
  if (by === -1) return { aggregates: splitTop(body, comma), groups: [] };
  return { aggregates: splitTop(body.slice(0, by), comma), groups: splitTop(body.slice(by + 1), comma) };
}

/**
 * Problems found in a Logs Insights query (empty when none): unknown commands, more than two
 * `stats`, a field used after `stats` that it did not define, a field filtered before `stats` that
 * only `stats` defines, `parse` patterns whose wildcards and names disagree, field names with `-`,
 * aggregations `stats` does not know, a `limit` over 10,000, unbalanced brackets, unterminated strings.
 */
export function checkLogsInsightsQuery(text: string): string[] {
  const problems: string[] = [];
  const tokens = tokenize(text, problems);
  const commands = splitTop(tokens, (t) => t.kind === 'pipe');
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'open') depth++;
    if (t.kind === 'close' && --depth < 0) break;
  }
  if (depth !== 0) problems.push('unbalanced brackets');
  if (tokens.length === 0) return [...problems, 'the query is empty'];

  // Names only a stats command defines: reading them before any stats is a mistake.
  const statsAliases = new Set<string>();
  for (const cmd of commands) {
    if (!isKeyword(cmd[0], 'stats')) continue;
    const { aggregates, groups } = statsOutputs(cmd.slice(1));
    for (const item of [...aggregates, ...groups]) {
      const { alias } = splitAlias(item);
      if (alias !== undefined) statsAliases.add(alias);
    }
  }

  const definedBeforeStats = new Set<string>();
  let afterStats: Set<string> | null = null;
  let statsCount = 0;

  commands.forEach((cmd, index) => {
    const head = cmd[0];
    const where = `command ${index + 1}${head?.kind === 'word' ? ` (${head.text})` : ''}`;
    const problem = (message: string): void => {
      problems.push(`${where}: ${message}`);
    };
    if (head === undefined) {
      problem('empty command between pipes');
      return;
    }
    if (head.kind !== 'word' || !COMMANDS.has(head.text)) {
      problem(`"${head.text}" is not a Logs Insights command (known: ${[...COMMANDS].join(', ')})`);
      return;
    }
    const body = cmd.slice(1);
    const read = (names: readonly string[]): void => {
      for (const name of names) {
        if (afterStats !== null) {
          if (!afterStats.has(name)) {
            problem(`field "${name}" is used after stats, but stats did not define it (after stats only ${[...afterStats].join(', ') || 'nothing'} exist)`);
          }
        } else if (statsAliases.has(name) && !definedBeforeStats.has(name)) {
          problem(`field "${name}" is defined by a later stats; before that stats it does not exist`);
        }
      }
    };
    const define = (name: string): void => {
      (afterStats ?? definedBeforeStats).add(name);
    };

    switch (head.text) {
      case 'parse': {
        let rest = body;
        const first = rest[0];
        if ((first?.kind === 'word' || first?.kind === 'field') && (rest[1]?.kind === 'string' || rest[1]?.kind === 'regex')) {
          read([first.text]);
          rest = rest.slice(1);
        } else if (afterStats !== null) {
          read(['@message']);
        }
        const pattern = rest[0];
        if (pattern?.kind === 'string') {
          if (!isKeyword(rest[1], 'as')) {
            problem('a glob pattern needs "as" and one field name per "*"');
            break;
          }
          const names = splitTop(rest.slice(2), (t) => t.kind === 'comma');
          const valid = names.filter((n) => n.length === 1 && (n[0]?.kind === 'word' || n[0]?.kind === 'field'));
          if (valid.length !== names.length) problem(`"as" must be followed by field names separated by commas`);
          const stars = (pattern.text.match(/\*/g) ?? []).length;
          if (stars !== names.length) problem(`the pattern has ${stars} "*" but ${names.length} field names`);
          for (const n of valid) define((n[0] as Token).text);
        } else if (pattern?.kind === 'regex') {
          const groups = [...pattern.text.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1] as string);
          if (groups.length === 0) problem('a regular expression pattern needs named groups (?<name>...)');
          for (const g of groups) define(g);
        } else {
          problem('expected a pattern: a quoted glob with "*" or a /regular expression/');
        }
        break;
      }
      case 'fields': {
        for (const item of splitTop(body, (t) => t.kind === 'comma')) {
          const { expr, alias } = splitAlias(item);
          if (expr.length === 0) problem('an empty item in the field list');
          read(fieldsRead(expr));
          if (alias !== undefined) define(alias);
        }
        break;
      }
      case 'stats': {
        statsCount++;
        if (statsCount > MAX_STATS) problem(`a query may have at most ${MAX_STATS} stats commands`);
        const { aggregates, groups } = statsOutputs(body);
        const outputs = new Set<string>();
        for (const item of aggregates) {
          const { expr, alias } = splitAlias(item);
          const fn = expr[0];
          if (fn?.kind !== 'word' || expr[1]?.text !== '(' || !AGGREGATES.has(fn.text.toLowerCase())) {
            problem(`"${render(expr)}" is not an aggregation (${[...AGGREGATES].join(', ')})`);
          }
          read(fieldsRead(expr));
          outputs.add(alias ?? render(expr));
        }
        for (const item of groups) {
          const { expr, alias } = splitAlias(item);
          read(fieldsRead(expr));
          const only = expr.length === 1 ? expr[0] : undefined;
          outputs.add(alias ?? (only !== undefined && (only.kind === 'word' || only.kind === 'field') ? only.text : render(expr)));
        }
        afterStats = outputs;
        break;
      }
      case 'sort': {
        for (const item of splitTop(body, (t) => t.kind === 'comma')) read(fieldsRead(item));
        break;
      }
      case 'limit': {
        const n = body.length === 1 && body[0]?.kind === 'number' && /^\d+$/.test(body[0].text) ? Number(body[0].text) : NaN;
        if (!(n >= 1 && n <= MAX_LIMIT)) problem(`limit takes one whole number from 1 to ${MAX_LIMIT}, got "${render(body)}"`);
        break;
      }
      case 'filter':
      case 'filterIndex':
      case 'display':
      case 'dedup':
        if (body.length === 0) problem(`${head.text} needs an argument`);
        read(fieldsRead(body));
        break;
      default:
        break; // commands this check knows by name only
    }
  });
  return problems;
}
