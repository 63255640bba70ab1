/** Where in an operator-edited file a problem sits. `pointer` is an RFC 6901 JSON pointer. */
export interface SourceLocation {
  file?: string;
  line?: number;
  col?: number;
  pointer: string;
}

/** `file:line:col` (or the best part of it that is known), for editor-clickable messages. */
export function formatLocation(loc: SourceLocation): string {
  const file = loc.file ?? '<input>';
  if (loc.line === undefined) return file;
  return `${file}:${loc.line}:${loc.col ?? 1}`;
}
