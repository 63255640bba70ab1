import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeMajorOf, parseDockerfile, parseEnv } from './dockerfile';

const repo = join(__dirname, '..', '..');
const stages = parseDockerfile(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
const engines = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

describe('Dockerfile', () => {
  test('every stage runs the Node major version that package.json declares as the minimum', () => {
    const minimum = /^>=(\d+)(?:\.\d+)*$/.exec(engines);
    expect(minimum).not.toBeNull();
    expect(stages.map((s) => nodeMajorOf(s.from))).toEqual(stages.map(() => Number(minimum![1])));
  });

  test('the build stage builds the native part of better-sqlite3 after installing without scripts', () => {
    const runs = stages[0]!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const install = runs.find((r) => r.includes('npm ci'));
    expect(install).toBeDefined();
    if (install!.includes('--ignore-scripts')) expect(install).toMatch(/npm rebuild better-sqlite3\b/);
  });
});

describe('parseDockerfile', () => {
  test('joins continuations, drops comments, splits stages and keeps line numbers', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'FROM node:22-bookworm AS build',
        'RUN a \\',
        '  # inside',
        '  && b',
        'FROM node:22-slim',
        'CMD ["node"]',
      ].join('\n'),
    );
    expect(parsed).toEqual([
      { from: 'node:22-bookworm', name: 'build', instructions: [{ keyword: 'RUN', args: 'a && b', line: 3 }] },
      { from: 'node:22-slim', name: undefined, instructions: [{ keyword: 'CMD', args: '["node"]', line: 7 }] },
    ]);
  });

  test('refuses instructions before FROM and ENV values it cannot read', () => {
    expect(() => parseDockerfile('RUN true\nFROM node:22')).toThrow(/before the first FROM/);
    expect(parseEnv('A=1 B=/data')).toEqual({ A: '1', B: '/data' });
    expect(() => parseEnv('A="x y"')).toThrow(/without quotes/);
  });

  test('reads the Node major version of official image names only', () => {
    expect([nodeMajorOf('node:24-bookworm-slim'), nodeMajorOf('node:22'), nodeMajorOf('debian:12')]).toEqual([24, 22, undefined]);
  });
});
