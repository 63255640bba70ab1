import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The project's documentation stands alone: every relative Markdown link (and its #anchor) resolves inside the
// repository, every `something.md` named in code, config schemas, mappings or docs is a file of the repository,
// and nothing points at a folder outside it.
const ROOT = resolve(__dirname, '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', 'coverage', '.git']);
const SKIP_FILES = new Set(['package-lock.json']);
const TEXT = /\.(md|ts|js|mjs|json|csv|jsonata|sh)$|^(Dockerfile|run|\.gitignore|\.dockerignore|\.npmrc)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, out);
    } else if (TEXT.test(name) && !SKIP_FILES.has(name)) out.push(path);
  }
  return out;
}

const files = walk(ROOT);
const rel = (path: string) => relative(ROOT, path);
const markdown = files.filter((f) => f.endsWith('.md'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of stripFences(text).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const slug = h[1]!
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

function stripFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** Relative link targets of a Markdown file, outside code blocks and code spans. */
function links(text: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = [];
  const body = stripFences(text).replace(/`[^`\n]*`/g, '');
  body.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ target, line: i + 1 });
    }
  });
  return out;
}

function brokenLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const { target, line } of links(text)) {
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(dest)) {
      problems.push(`${rel(file)}:${line}: ${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && anchor !== '' && dest.endsWith('.md') && !anchors(readFileSync(dest, 'utf8')).has(anchor)) {
      problems.push(`${rel(file)}:${line}: ${target} (no heading with that anchor)`);
    }
  }
  return problems;
}

/** Every `name.md` a file mentions (URLs excluded) must be a file of the repository, by a path from the file's folder or the root. */
function unknownMarkdownNames(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/[a-z][a-z0-9+.-]*:\/\/[^\s)\]"'`>]+/gi, '');
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/[\w./-]*[\w-]\.md\b/g)) {
      const name = m[0];
      const found = [resolve(dirname(file), name), resolve(ROOT, name)].some((p) => existsSync(p));
      if (!found) problems.push(`${rel(file)}:${i + 1}: ${name}`);
    }
  });
  return problems;
}

/** Numbered headings of a Markdown file: "## 4. The policy" → 4, "### 4.6 Defaults" → 4.6. */
function sectionNumbers(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of stripFences(text).matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) out.add(m[1]!);
  return out;
}

/** Every "docs/x.md §4.6" (or "section 4.6", "§5/§6", "§1, §2") must name a numbered heading of x.md. */
function unknownSections(file: string): string[] {
  const problems: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      for (const m of line.matchAll(
        /([\w./-]*[\w-]\.md)\]?(?:\([^)]*\))?((?:(?:\s*,\s*|\s*\/\s*|\s+)(?:§\s*|section\s+)\d+(?:\.\d+)*)+)/g,
      )) {
        const target = [resolve(dirname(file), m[1]!), resolve(ROOT, m[1]!)].find((p) => existsSync(p));
        if (!target) continue; // reported by the name check
        const known = sectionNumbers(readFileSync(target, 'utf8'));
        for (const n of m[2]!.matchAll(/\d+(?:\.\d+)*/g)) if (!known.has(n[0])) problems.push(`${rel(file)}:${i + 1}: ${m[1]} §${n[0]}`);
      }
    });
  return problems;
}

// Built from parts so this file does not match itself.
const OUTSIDE = [['shared', 'reference'].join('/'), ['', 'work', ''].join('/')];

describe('the documentation stands alone', () => {
  test('the scan sees the docs', () => {
    expect(markdown.map(rel)).toEqual(expect.arrayContaining(['README.md', 'mappings/README.md', 'docs/errors.md']));
  });

  test('every relative Markdown link resolves to a file (and heading) of the repository', () => {
    expect(markdown.flatMap(brokenLinks)).toEqual([]);
  });

  test('every .md file named in code, config, mappings or docs is in the repository', () => {
    expect(files.filter((f) => f !== __filename).flatMap(unknownMarkdownNames)).toEqual([]);
  });

  test('every section cited as "x.md §n" is a numbered heading of x.md', () => {
    expect(files.filter((f) => f !== __filename).flatMap(unknownSections)).toEqual([]);
  });

  test('no file points at a folder outside the repository', () => {
    const hits = files
      .filter((f) => f !== __filename)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) => (OUTSIDE.some((s) => line.includes(s)) ? [`${rel(f)}:${i + 1}`] : [])),
      );
    expect(hits).toEqual([]);
  });

  test('the link checker itself catches a broken link, a bad anchor and an unknown name', () => {
    expect(links('see [x](docs/nope.md#a) and `[y](z.md)` and [w](https://example.com/a.md)')).toEqual([
      { target: 'docs/nope.md#a', line: 1 },
    ]);
    expect(sectionNumbers('## 4. The policy\n### 4.6 Defaults\n## Sources')).toEqual(new Set(['4', '4.6']));
    expect(anchors('# Dunning: the policy\n## 3. Failure categories\n## 3. Failure categories\n```\n# not a heading\n```')).toEqual(
      new Set(['dunning-the-policy', '3-failure-categories', '3-failure-categories-1']),
    );
  });
});
