/**
 * A message made safe for one line of an error: line breaks and other control characters (which a
 * JSON parser's message quotes from the input) become visible escapes, and a long one is cut.
 */
export function oneLine(message: string, maxChars = 300): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const flat = message.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}
