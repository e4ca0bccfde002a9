// Channels that cannot be built on these machines (no Docker engine, no Homebrew, no rpmbuild) are
// checked statically: the Dockerfile, the compose demo, the Homebrew formula and the RPM spec.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configLeafKeys } from '../src/node/index.js';
import { REPO_ROOT } from './helpers/cli.js';

const read = (...path: string[]) => readFileSync(join(REPO_ROOT, ...path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; engines: { node: string } };
const work = mkdtempSync(join(tmpdir(), 'atm-static-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Dockerfile instructions, with line continuations joined and comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** `ATMOSPHERE_API__HOST` → `api.host`. */
function configKeyOfEnv(name: string): string {
  return name
    .replace(/^ATMOSPHERE_/, '')
    .toLowerCase()
    .split('__')
    .join('.');
}

const knownKeys = new Set(configLeafKeys());

describe('the Dockerfile', () => {
  const all = dockerInstructions(read('Dockerfile'));
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);

  it('is multi-stage: a build stage, and a runtime stage that copies from it', () => {
    const froms = all.filter((i) => i.op === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/ AS build$/i);
    expect(runtime.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build '))).toBe(true);
    expect(runtime.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  });

  it('uses a Node.js image that satisfies engines.node', () => {
    const minMajor = Number(/(\d+)/.exec(pkg.engines.node)![1]);
    for (const from of all.filter((i) => i.op === 'FROM')) {
      expect(Number(/^node:(\d+)/.exec(from.args)?.[1])).toBeGreaterThanOrEqual(minMajor);
    }
  });

  it('runs as a non-root user, with the data volume, a health check and start --foreground', () => {
    const users = runtime.filter((i) => i.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    const volume = runtime.find((i) => i.op === 'VOLUME');
    expect(volume?.args).toContain('/data');
    const health = runtime.find((i) => i.op === 'HEALTHCHECK');
    expect(health?.args).toMatch(/CMD .*\/health/);
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const cmd = JSON.parse(runtime.find((i) => i.op === 'CMD')!.args) as string[];
    expect([...entry, ...cmd].join(' ')).toBe('atmosphere start --foreground');
  });

  it('sets ATMOSPHERE_* variables that name real config keys, with the home on the volume', () => {
    const env = runtime
      .filter((i) => i.op === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const));
    const vars = new Map(env);
    expect(vars.get('ATMOSPHERE_HOME')).toBe('/data');
    expect(vars.get('ATMOSPHERE_API__HOST')).toBe('0.0.0.0');
    for (const [name] of env.filter(([n]) => n.startsWith('ATMOSPHERE_') && n !== 'ATMOSPHERE_HOME')) {
      expect(knownKeys, name).toContain(configKeyOfEnv(name));
    }
    const exposed = runtime.find((i) => i.op === 'EXPOSE')!.args.split(/\s+/);
    expect(exposed).toEqual(
      expect.arrayContaining([vars.get('ATMOSPHERE_API__PORT'), vars.get('ATMOSPHERE_MESH__TCP_PORT')]),
    );
  });

  it('copies every runtime path the npm package ships', () => {
    const files = (JSON.parse(read('package.json')) as { files: string[] }).files.filter(
      (f) => !f.startsWith('!') && !f.endsWith('.md'),
    );
    const copied = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    for (const f of files)
      expect(
        copied.some((c) => c.includes(`/src/${f.replace(/\/$/, '')} `)),
        f,
      ).toBe(true);
  });
});

describe('the compose demo', () => {
  const compose = parseYaml(read('packaging', 'docker', 'compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      {
        build?: { context: string; dockerfile: string };
        environment: Record<string, string>;
        volumes: string[];
        ports: string[];
      }
    >;
    volumes: Record<string, unknown>;
  };

  it('runs two nodes from the Dockerfile, each with its own data volume and name', () => {
    const services = Object.entries(compose.services);
    expect(services).toHaveLength(2);
    const volumes = new Set<string>();
    for (const [name, s] of services) {
      expect(s.build?.dockerfile).toBe('Dockerfile');
      expect(join(REPO_ROOT, 'packaging', 'docker', s.build!.context)).toBe(REPO_ROOT);
      expect(s.environment.ATMOSPHERE_NODE__NAME).toBe(name);
      const data = s.volumes.find((v) => v.endsWith(':/data'))!;
      volumes.add(data.split(':')[0]!);
      for (const key of Object.keys(s.environment)) expect(knownKeys, key).toContain(configKeyOfEnv(key));
      for (const port of s.ports) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
    expect(volumes.size).toBe(2);
    for (const v of volumes) expect(compose.volumes).toHaveProperty(v);
  });
});

describe('the Homebrew formula', () => {
  it('installs the npm tarball with Homebrew node and defines a service and a test', () => {
    const tarball = join(work, 'atmosphere-mesh.tgz');
    writeFileSync(tarball, 'not really a tarball, but bytes to hash');
    const out = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'scripts', 'package-homebrew.mjs'),
        '--tarball',
        tarball,
        '--url',
        'file:///tmp/atmosphere-mesh.tgz',
        '--out',
        work,
      ],
      { encoding: 'utf8' },
    ).trim();
    const formula = readFileSync(out, 'utf8');
    expect(formula).toMatch(/^class Atmosphere < Formula$/m);
    expect(formula).toContain('url "file:///tmp/atmosphere-mesh.tgz"');
    expect(formula).toMatch(/^ {2}sha256 "[0-9a-f]{64}"$/m);
    expect(formula).toMatch(/^ {2}depends_on "node"$/m);
    expect(formula).toContain('system "npm", "install", *std_npm_args');
    expect(formula).toContain('run [opt_bin/"atmosphere", "start", "--foreground"]');
    expect(formula).toMatch(/test do[\s\S]*atmosphere --version/);
    expect(formula).not.toMatch(/@[A-Z_]+@/);
    // every block that opens closes
    const opens = (formula.match(/^\s*(class|def|do|on_linux do|service do|test do)\b.*$|\bdo$/gm) ?? [])
      .length;
    expect(opens).toBe((formula.match(/^\s*end$/gm) ?? []).length);
  });
});

describe('the RPM spec', () => {
  const spec = read('packaging', 'rpm', 'atmosphere.spec');
  const field = (name: string) => new RegExp(`^${name}:\\s+(.+)$`, 'm').exec(spec)?.[1];

  it('has the package version and builds from the npm tarball with Node.js as a dependency', () => {
    expect(field('Name')).toBe('atmosphere');
    expect(field('Version')).toBe(pkg.version);
    expect(field('Source0')).toBe('atmosphere-mesh-%{version}.tgz');
    expect(field('Requires')).toBe(`nodejs >= ${pkg.engines.node.replace(/^>=\s*/, '').replace(/\.0$/, '')}`);
    expect(spec).toMatch(/npm install --omit=dev/);
  });

  it('installs the systemd unit with every template field filled, and the system user', () => {
    const template = read('packaging', 'systemd', 'atmosphere.service');
    const fields = new Set([...template.matchAll(/@([A-Z_]+)@/g)].map((m) => m[1]));
    const substituted = new Set([...spec.matchAll(/-e 's\|@([A-Z_]+)@\|/g)].map((m) => m[1]));
    expect(substituted).toEqual(fields);
    for (const section of ['%pre', '%post', '%preun', '%postun', '%files'])
      expect(spec).toMatch(new RegExp(`^${section}$`, 'm'));
    expect(spec).toMatch(/useradd --system/);
    expect(spec).toMatch(/%systemd_post atmosphere\.service/);
    expect(spec).toMatch(/^%\{_unitdir\}\/atmosphere\.service$/m);
    expect(spec).toMatch(/^%\{_bindir\}\/atmosphere$/m);
  });
});
