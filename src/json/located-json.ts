import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { kindOf } from '../errors/codes';
import { joinPointer, pointerToSegments } from './pointer';

/** Default nesting limit for operator-edited files; deeper files are rejected before parsing. */
export const DEFAULT_MAX_DEPTH = 128;

/** A parsed JSON document that can say where any JSON pointer sits in its text. */
export interface LocatedJson {
  readonly file: string;
  readonly value: unknown;
  /** Line and column (1-based) of the node at `pointer`, or of its nearest existing ancestor. */
  locate(pointer: string, at?: 'value' | 'key'): { line: number; col: number };
}

/**
 * Parses strict JSON (no comments, no trailing commas, no duplicate keys) and keeps positions.
 * The value comes from `JSON.parse`, which defines `__proto__` as an own property and never
 * touches a prototype. Throws `LocatedErrors` with code JSON_SYNTAX or JSON_TOO_DEEP.
 */
export function parseLocatedJson(rawText: string, file: string, maxDepth = DEFAULT_MAX_DEPTH): LocatedJson {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = lineStarts(text);
  const position = (offset: number) => offsetToPosition(lines, offset);

  const deep = firstOffsetDeeperThan(text, maxDepth);
  if (deep !== -1) {
    throw new LocatedErrors([
      new LocatedError('JSON_TOO_DEEP', kindOf('JSON_TOO_DEEP'), `nesting deeper than ${maxDepth} levels`, {
        file,
        pointer: '',
        ...position(deep),
      }),
    ]);
  }

  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const problems = errors.map(
    (e) =>
      new LocatedError(
        'JSON_SYNTAX',
        kindOf('JSON_SYNTAX'),
        `invalid JSON: ${describeParseError(e)}`,
        {
          file,
          pointer: '',
          ...position(e.offset),
        },
        { hint: 'JSON allows no comments, no trailing commas and only double-quoted strings' },
      ),
  );
  if (root) {
    for (const dup of duplicateKeys(root)) {
      problems.push(
        new LocatedError(
          'JSON_SYNTAX',
          kindOf('JSON_SYNTAX'),
          `duplicate key "${dup.key}"`,
          {
            file,
            pointer: dup.pointer,
            ...position(dup.offset),
          },
          { hint: 'JSON.parse keeps only the last one; remove or rename the other' },
        ),
      );
    }
  }
  if (problems.length > 0 || !root) {
    if (problems.length === 0) {
      problems.push(new LocatedError('JSON_SYNTAX', kindOf('JSON_SYNTAX'), 'empty document', { file, pointer: '', line: 1, col: 1 }));
    }
    throw new LocatedErrors(problems);
  }

  const value: unknown = JSON.parse(text);
  return {
    file,
    value,
    locate(pointer, at = 'value') {
      const node = nodeAt(root, pointer);
      const target = at === 'key' && node.parent?.type === 'property' && node.parent.children?.[0] ? node.parent.children[0] : node;
      return position(target.offset);
    },
  };
}

function describeParseError(e: ParseError): string {
  const words = printParseErrorCode(e.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words;
}

/** The node at `pointer`, or the deepest ancestor that exists (a missing property points at its object). */
function nodeAt(root: Node, pointer: string): Node {
  let node = root;
  for (const seg of pointerToSegments(pointer)) {
    let next: Node | undefined;
    if (node.type === 'object') {
      // Object keys are strings even when they look like numbers ("0").
      next = node.children?.find((p) => p.children?.[0]?.value === seg)?.children?.[1];
    } else if (node.type === 'array' && /^(0|[1-9]\d*)$/.test(seg)) {
      next = node.children?.[Number(seg)];
    }
    if (!next) return node;
    node = next;
  }
  return node;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // \n, \r\n and a lone \r each end a line.
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

function offsetToPosition(starts: number[], offset: number): { line: number; col: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
}

/** Offset of the first bracket that opens level `maxDepth + 1`, or -1. Iterative: safe on hostile input. */
function firstOffsetDeeperThan(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

function duplicateKeys(root: Node): Array<{ key: string; pointer: string; offset: number }> {
  const found: Array<{ key: string; pointer: string; offset: number }> = [];
  const stack: Array<{ node: Node; pointer: string }> = [{ node: root, pointer: '' }];
  while (stack.length > 0) {
    const { node, pointer } = stack.pop()!;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const keyNode = prop.children?.[0];
        const valueNode = prop.children?.[1];
        if (!keyNode) continue;
        const key = String(keyNode.value);
        const childPointer = joinPointer(pointer, key);
        if (seen.has(key)) found.push({ key, pointer: childPointer, offset: keyNode.offset });
        seen.add(key);
        if (valueNode) stack.push({ node: valueNode, pointer: childPointer });
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, pointer: `${pointer}/${i}` }));
    }
  }
  return found;
}
