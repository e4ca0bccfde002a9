import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult, ScanEnv } from '../scan-env.js';
import {
  launchdFindings,
  parseLaunchctlList,
  parseSystemctlUnits,
  probeServiceUnits,
  systemdFindings,
} from './service-units.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/scanner/services/${name}`, import.meta.url), 'utf8');

function envAnswering(
  platform: NodeJS.Platform,
  answer: (command: string, args: readonly string[]) => CommandResult,
): ScanEnv {
  return {
    platform,
    arch: 'arm64',
    hostname: 'box',
    homeDir: '/home/nobody',
    env: {},
    run: (command, args) => Promise.resolve(answer(command, args)),
    readText: () => Promise.resolve(null),
    list: () => Promise.resolve(null),
    statOf: () => Promise.resolve(null),
  };
}

const okOutput = (stdout: string): CommandResult => ({ status: 'ok', stdout, stderr: '' });

describe('systemctl list-units', () => {
  it('reads unit, state and description columns', () => {
    const units = parseSystemctlUnits(fixture('systemctl-list-units.txt'));
    expect(units).toHaveLength(20);
    expect(units.find((u) => u.unit === 'ollama.service')).toEqual({
      unit: 'ollama.service',
      load: 'loaded',
      active: 'active',
      sub: 'running',
      description: 'Ollama Service',
    });
  });

  it('reports the known services and the container runtime, not every daemon', () => {
    const findings = systemdFindings(parseSystemctlUnits(fixture('systemctl-list-units.txt')));
    expect(findings.map((f) => [f.id, f.kind])).toEqual([
      ['docker', 'container-runtime'],
      ['jupyter', 'notebook'],
      ['ollama', 'llm'],
      ['qdrant', 'vector-db'],
      ['vllm', 'llm'],
    ]);
    expect(findings[2]).toMatchObject({
      source: 'systemd',
      url: null,
      port: null,
      evidence: 'systemd unit ollama.service is running: Ollama Service',
    });
  });

  it('says a unit came from the user manager', () => {
    const findings = systemdFindings(parseSystemctlUnits(fixture('systemctl-list-units-user.txt')), 'user');
    expect(findings.map((f) => f.id)).toEqual(['comfyui']);
    expect(findings[0]!.evidence).toContain('(user manager)');
  });
});

describe('launchctl list', () => {
  it('reads pid, last exit status and label, with - as none', () => {
    const jobs = parseLaunchctlList(fixture('launchctl-list.txt'));
    expect(jobs).toHaveLength(11);
    expect(jobs.find((j) => j.label === 'homebrew.mxcl.ollama')).toEqual({
      pid: 1833,
      lastExitStatus: 0,
      label: 'homebrew.mxcl.ollama',
    });
    expect(jobs.find((j) => j.label === 'com.apple.mdworker.mail')).toEqual({
      pid: null,
      lastExitStatus: null,
      label: 'com.apple.mdworker.mail',
    });
  });

  it('reports running known jobs only', () => {
    const findings = launchdFindings(parseLaunchctlList(fixture('launchctl-list.txt')));
    // qdrant is loaded but not running; com.docker.vmnetd is Docker's helper, not the engine
    expect(findings.map((f) => f.id)).toEqual(['ollama', 'docker', 'lmstudio']);
    expect(findings[0]!.evidence).toBe('launchd job homebrew.mxcl.ollama is running (pid 1833)');
    expect(findings.every((f) => f.source === 'launchd')).toBe(true);
  });
});

describe('the service-manager probe', () => {
  it('reads the system and user managers on Linux', async () => {
    const env = envAnswering('linux', (_command, args) =>
      okOutput(fixture(args[0] === '--user' ? 'systemctl-list-units-user.txt' : 'systemctl-list-units.txt')),
    );
    const { services, probe } = await probeServiceUnits(env);
    expect(services.map((s) => s.id)).toEqual(['docker', 'jupyter', 'ollama', 'qdrant', 'vllm', 'comfyui']);
    expect(probe).toMatchObject({ id: 'systemd', status: 'ok' });
    expect(probe.detail).toBe('6 known services among 26 running systemd units');
  });

  it('reports "not detected" where systemd is installed but not running', async () => {
    const stderr =
      "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n";
    const env = envAnswering('linux', () => ({
      status: 'failed',
      exitCode: 1,
      stdout: '',
      stderr,
      reason: "System has not been booted with systemd as init system (PID 1). Can't operate.",
    }));
    const { services, probe } = await probeServiceUnits(env);
    expect(services).toEqual([]);
    expect(probe.status).toBe('not_detected');
    expect(probe.detail).toContain('systemd is not running here');
  });

  it('reports a missing systemctl as not detected and another failure as failed', async () => {
    const missing = await probeServiceUnits(
      envAnswering('linux', (command) => ({ status: 'missing', command })),
    );
    expect(missing.probe).toMatchObject({ status: 'not_detected', detail: 'systemctl is not installed' });
    const broken = await probeServiceUnits(
      envAnswering('linux', () => ({
        status: 'failed',
        exitCode: 1,
        stdout: '',
        stderr: 'boom',
        reason: 'boom',
      })),
    );
    expect(broken.probe).toMatchObject({ status: 'failed', detail: 'systemctl failed: boom' });
  });

  it('reads launchd on macOS', async () => {
    const calls: string[] = [];
    const env = envAnswering('darwin', (command, args) => {
      calls.push([command, ...args].join(' '));
      return okOutput(fixture('launchctl-list.txt'));
    });
    const { services, probe } = await probeServiceUnits(env);
    expect(calls).toEqual(['launchctl list']);
    expect(services.map((s) => s.id)).toEqual(['ollama', 'docker', 'lmstudio']);
    expect(probe.detail).toBe('3 known services among 6 running launchd jobs');
  });

  it('has nothing to ask on other systems', async () => {
    const { probe } = await probeServiceUnits(envAnswering('win32', () => okOutput('')));
    expect(probe).toMatchObject({ status: 'not_detected', detail: 'no service manager probe for win32' });
  });
});
