/**
 * `parse` in glob mode: "Use wildcards (`*`) as placeholders for values you want to extract, and
 * assign them to named fields with `as`" … "If a log event doesn't match the specified pattern,
 * you still see it in the results, but without the extracted fields."
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Parse.html)
 *
 * AWS does not spell out how a `*` chooses its text. This matcher reads a glob as the regular
 * expression the examples behave like: the text between wildcards is matched literally, each `*`
 * takes the shortest text that lets the rest match (`.*?`), the match may start anywhere in the
 * field (`parse @message "user=*, method:*, latency := *"` finds `user=` mid-message), and a `*`
 * that ends the pattern takes the rest of the field. So `"* * *"` on `a b c d` gives `a`, `b`,
 * `c d`, and AWS's own flow-log example, one `*` per field with single spaces (the records are
 * single-space separated), gives each field its token.
 *
 * Finding each literal at its first occurrence after the previous one is exactly that regular
 * expression's first match (a later occurrence can only leave less text for the literals after
 * it), so no backtracking is needed.
 */
export interface Glob {
  readonly names: readonly string[];
  /** For `* <sep> * <sep> ... *` (one separator between wildcards, none around): the separator. */
  readonly separator: string | undefined;
  /** Captures of `text`, one per `*`, or undefined when the pattern does not match. */
  match(text: string): string[] | undefined;
}

export function compileGlob(pattern: string, names: readonly string[]): Glob {
  const literals = pattern.split('*');
  const stars = literals.length - 1;
  if (stars !== names.length) throw new Error(`internal: ${stars} wildcards for ${names.length} names`);
  const head = literals[0] as string;
  const tail = literals[stars] as string;
  const middle = literals.slice(1, stars);
  // The common flow-log case: `* * ... *`, one separator between wildcards.
  const separator = head === '' && tail === '' && middle.length > 0 && middle.every((l) => l === middle[0] && l.length > 0) ? (middle[0] as string) : undefined;
  if (separator !== undefined) {
    const width = separator.length;
    return {
      names,
      separator,
      match(text) {
        const out = new Array<string>(stars);
        let from = 0;
        for (let k = 0; k < stars - 1; k++) {
          const at = text.indexOf(separator, from);
          if (at === -1) return undefined;
          out[k] = text.slice(from, at);
          from = at + width;
        }
        out[stars - 1] = text.slice(from);
        return out;
      },
    };
  }
  return {
    names,
    separator: undefined,
    match(text) {
      let at = text.indexOf(head);
      if (at === -1) return undefined;
      let from = at + head.length;
      const out = new Array<string>(stars);
      for (let k = 0; k < stars; k++) {
        const literal = literals[k + 1] as string;
        if (k === stars - 1 && literal === '') {
          out[k] = text.slice(from);
          return out;
        }
        at = text.indexOf(literal, from);
        if (at === -1) return undefined;
        out[k] = text.slice(from, at);
        from = at + literal.length;
      }
      return out;
    },
  };
}
