import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from './private-files';

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe('ensurePrivateDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'subhub-private-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a missing folder 0700 and makes an existing folder of ours 0700', () => {
    ensurePrivateDir(join(root, 'new', 'data'));
    expect(modeOf(join(root, 'new', 'data'))).toBe(0o700);
    const open = join(root, 'open');
    ensurePrivateDir(open);
    chmodSync(open, 0o755);
    ensurePrivateDir(open);
    expect(modeOf(open)).toBe(0o700);
  });

  it('leaves a shared (sticky, like /tmp) folder as it is; the files the hub writes there are still 0600', () => {
    const shared = join(root, 'shared');
    ensurePrivateDir(shared);
    chmodSync(shared, 0o1777);
    ensurePrivateDir(shared);
    expect(modeOf(shared)).toBe(0o1777);
    ensurePrivateFile(join(shared, 'subhub.db'));
    expect(modeOf(join(shared, 'subhub.db'))).toBe(0o600);
  });
});
