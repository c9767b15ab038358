/**
 * scripts/ensure-chromium.sh (run by `npm test` first) on a machine without Chromium, with fake
 * `id`, `sudo` and `apt-get` ahead of the real ones on PATH: it installs Debian's package as root or
 * with passwordless sudo, and otherwise fails with the reason and the exact command to run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

let dir = '';
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/** Runs the script as user `uid`; `sudo` is passwordless when `sudoOk`; apt-get logs its calls and "installs" the target. */
function run(uid: number, sudoOk: boolean, aptWorks = true) {
  dir = mkdtempSync(join(tmpdir(), 'ensure-chromium-'));
  const bin = join(dir, 'bin');
  const target = join(dir, 'chromium');
  const log = join(dir, 'calls.log');
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  spawnSync('mkdir', ['-p', bin]);
  script('id', `[ "$1" = "-u" ] && echo ${uid} || exec /usr/bin/id "$@"`);
  script(
    'apt-get',
    `echo "apt-get $* uid=\${FAKE_AS:-${uid}} frontend=\${DEBIAN_FRONTEND:-}" >> ${log}\n` +
      (aptWorks ? `[ "$1" = install ] && printf '#!/bin/sh\\necho Chromium 1.0\\n' > ${target} && chmod +x ${target}\nexit 0` : 'exit 100'),
  );
  script('sudo', sudoOk ? `[ "$1" = "-n" ] && shift; FAKE_AS=0 exec "$@"` : `echo "sudo: a password is required" >&2; exit 1`);
  const env = { PATH: `${bin}:/usr/bin:/bin`, CHROMIUM_TARGET: target, HOME: dir };
  const r = spawnSync('bash', ['scripts/ensure-chromium.sh'], { env, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr, calls: existsSync(log) ? readFileSync(log, 'utf8') : '', installed: existsSync(target) };
}

describe('scripts/ensure-chromium.sh', () => {
  it('as root: installs chromium with apt-get, non-interactively', () => {
    const r = run(0, false);
    expect(r.status, r.out).toBe(0);
    expect(r.calls).toMatch(/apt-get update uid=0 frontend=noninteractive\napt-get install -y --no-install-recommends chromium uid=0 frontend=noninteractive/);
    expect(r.installed).toBe(true);
    expect(r.out).toContain('installed Chromium 1.0');
  });

  it('as a user with passwordless sudo: installs through sudo', () => {
    const r = run(1000, true);
    expect(r.status, r.out).toBe(0);
    expect(r.calls).toMatch(/apt-get install -y --no-install-recommends chromium uid=0/);
    expect(r.installed).toBe(true);
  });

  it('as a user whose sudo asks for a password: installs nothing, says why and what to run', () => {
    const r = run(1000, false);
    expect(r.status).toBe(1);
    expect(r.calls).toBe('');
    expect(r.out).toContain('sudo asks for a password');
    expect(r.out).toContain('sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium');
  });

  it('when apt-get fails: says so and prints the command', () => {
    const r = run(0, false, false);
    expect(r.status).toBe(1);
    expect(r.out).toContain('apt-get update failed');
    expect(r.out).toContain('apt-get install -y --no-install-recommends chromium');
  });

  it('does nothing when the browser is already there, and rejects a CHROMIUM_PATH that is not executable', () => {
    const ok = spawnSync('bash', ['scripts/ensure-chromium.sh'], { env: { PATH: '/usr/bin:/bin', CHROMIUM_PATH: '/bin/sh' }, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const bad = spawnSync('bash', ['scripts/ensure-chromium.sh'], { env: { PATH: '/usr/bin:/bin', CHROMIUM_PATH: '/nonexistent/chrome' }, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('CHROMIUM_PATH=/nonexistent/chrome is not an executable');
  });
});
